//! `Keeper`: the dependencies of consul-template templates kept current for the agent,
//! each fetched once for the agent's life and then refreshed the way consul-template
//! refreshes it: a leased secret renewed by the [`LeaseManager`] (at 2/3 of its ttl) and
//! fetched again when it cannot be renewed; a static one read again every poll interval
//! (±10 %); a certificate issued again at 2/3 of its validity (a `pkiCert` kept in its
//! file survives a restart). A new value that differs is reported as a change.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use gotmpl::Value;
use ironsecrets::delivery::jittered;
use ironsecrets::lease::{LeaseManager, LeaseSource, ManagedLease};
use ironsecrets::{Error, Lease, LeasedCredential, Leases, Result, SecretMap, SecretValue};
use tokio::sync::{Mutex, broadcast, watch};
use tokio::task::JoinHandle;

use super::dependency::{Dependency, Fetched, Fetcher, Refresh};
use super::json::to_json;

/// Keeps fetched dependencies current and reports which changed.
pub struct Keeper {
    fetcher: Arc<Fetcher>,
    leases: Arc<LeaseManager>,
    /// The login token's lease, parent of the leases issued under it.
    login: Option<ManagedLease>,
    poll: Duration,
    kept: Mutex<HashMap<Key, Kept>>,
    changes: broadcast::Sender<KeeperEvent>,
}

/// A kept dependency: a `pkiCert` also by its file (two files keep two certificates).
type Key = (Dependency, Option<PathBuf>);

/// What happened to a kept dependency.
#[derive(Clone, Debug)]
pub enum KeeperEvent {
    /// Its value changed.
    Changed(Dependency),
    /// Fetching it again failed (never a value in the message); the last value stays.
    Failed(Dependency, String),
}

/// One kept dependency: its value, and the task or lease refreshing it (the task ends
/// when it is dropped).
struct Kept {
    value: watch::Receiver<Value>,
    task: Option<JoinHandle<()>>,
    lease: Option<ManagedLease>,
}

impl Drop for Kept {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// A certificate is never issued again sooner than this after the last one.
const REISSUE_FLOOR: Duration = Duration::from_secs(30);

impl Keeper {
    /// A keeper fetching through `fetcher`, holding leases in `leases` (as children of
    /// `login`, the token they are issued under, when the agent logged in).
    pub fn new(
        fetcher: Fetcher,
        leases: Arc<LeaseManager>,
        login: Option<ManagedLease>,
        poll: Duration,
    ) -> Self {
        Keeper {
            fetcher: Arc::new(fetcher),
            leases,
            login,
            poll,
            kept: Mutex::new(HashMap::new()),
            changes: broadcast::channel(1024).0,
        }
    }

    /// What happens to kept dependencies from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<KeeperEvent> {
        self.changes.subscribe()
    }

    /// The current value of `dependency`, fetched and kept from its first use.
    pub async fn get(&self, dependency: &Dependency, destination: &Path) -> Result<Value> {
        let key = (
            dependency.clone(),
            matches!(dependency, Dependency::Pki { .. }).then(|| destination.to_path_buf()),
        );
        let mut kept = self.kept.lock().await;
        if let Some(entry) = kept.get(&key) {
            return Ok(entry.value.borrow().clone());
        }
        let fetched = self.fetcher.fetch_kept(dependency, destination).await?;
        let value = fetched.value.clone();
        let entry = self.keep(dependency, destination, fetched).await?;
        kept.insert(key, entry);
        Ok(value)
    }

    /// Stops keeping every dependency not in `used` (after a reload dropped the
    /// templates that used them); their leases are revoked.
    pub async fn retain(&self, used: &HashSet<Dependency>) {
        let dropped: Vec<Kept> = {
            let mut kept = self.kept.lock().await;
            let gone: Vec<Key> = kept
                .keys()
                .filter(|(d, _)| !used.contains(d))
                .cloned()
                .collect();
            gone.iter().filter_map(|key| kept.remove(key)).collect()
        };
        for mut entry in dropped {
            if let Some(lease) = entry.lease.take() {
                lease.stop(true).await;
            }
        }
    }

    /// Stops every task (leases are left to the lease manager's shutdown).
    pub async fn shutdown(&self) {
        self.kept.lock().await.clear();
    }

    async fn keep(
        &self,
        dependency: &Dependency,
        destination: &Path,
        fetched: Fetched,
    ) -> Result<Kept> {
        let (sender, value) = watch::channel(fetched.value.clone());
        let refresh = Refresher {
            fetcher: Arc::clone(&self.fetcher),
            dependency: dependency.clone(),
            destination: destination.to_path_buf(),
            sender,
            changes: self.changes.clone(),
        };
        let (task, lease) = match fetched.refresh {
            Refresh::Lease(lease) => {
                let source = LogicalSource {
                    refresh: Arc::new(refresh),
                    first: std::sync::Mutex::new(Some(credential(&fetched.value, lease)?)),
                };
                let (name, source) = (dependency.to_string(), Arc::new(source));
                let managed = match &self.login {
                    Some(login) => self.leases.manage_child(name, source, login).await?,
                    None => self.leases.manage(name, source).await?,
                };
                (None, Some(managed))
            }
            Refresh::Poll => (Some(tokio::spawn(refresh.poll(self.poll))), None),
            Refresh::At(after) => {
                let after = after.max(REISSUE_FLOOR);
                (Some(tokio::spawn(refresh.reissue(after))), None)
            }
            Refresh::Never => (None, None),
        };
        Ok(Kept { value, task, lease })
    }
}

/// Fetches one dependency again and publishes what changed.
struct Refresher {
    fetcher: Arc<Fetcher>,
    dependency: Dependency,
    destination: PathBuf,
    sender: watch::Sender<Value>,
    changes: broadcast::Sender<KeeperEvent>,
}

impl Refresher {
    fn publish(&self, value: Value) {
        if *self.sender.borrow() != value {
            self.sender.send_replace(value);
            let _ = self
                .changes
                .send(KeeperEvent::Changed(self.dependency.clone()));
        }
    }

    fn failed(&self, err: &Error) {
        let event = KeeperEvent::Failed(self.dependency.clone(), err.to_string());
        let _ = self.changes.send(event);
    }

    async fn fetch(&self) -> Result<Fetched> {
        self.fetcher
            .fetch_kept(&self.dependency, &self.destination)
            .await
    }

    async fn poll(self, interval: Duration) {
        loop {
            tokio::time::sleep(jittered(interval)).await;
            match self.fetch().await {
                Ok(fetched) => self.publish(fetched.value),
                Err(e) => self.failed(&e),
            }
        }
    }

    async fn reissue(self, mut after: Duration) {
        loop {
            tokio::time::sleep(after).await;
            match self.fetch().await {
                Ok(fetched) => {
                    after = match fetched.refresh {
                        Refresh::At(next) => next.max(REISSUE_FLOOR),
                        _ => return self.publish(fetched.value),
                    };
                    self.publish(fetched.value);
                }
                Err(e) => {
                    self.failed(&e);
                    after = REISSUE_FLOOR;
                }
            }
        }
    }
}

/// A leased dependency as a lease source: issuing fetches it again.
struct LogicalSource {
    refresh: Arc<Refresher>,
    /// The credential fetched before the lease was handed to the manager.
    first: std::sync::Mutex<Option<LeasedCredential>>,
}

#[async_trait]
impl LeaseSource for LogicalSource {
    async fn issue(&self) -> Result<LeasedCredential> {
        if let Some(first) = self.first.lock().expect("first").take() {
            return Ok(first);
        }
        let fetched = self.refresh.fetch().await?;
        self.refresh.publish(fetched.value.clone());
        match fetched.refresh {
            Refresh::Lease(lease) => credential(&fetched.value, lease),
            _ => Err(Error::unexpected("the secret is no longer leased")),
        }
    }

    async fn renew(&self, lease: &Lease, increment: Option<Duration>) -> Result<Lease> {
        if lease.id.is_empty() {
            return Err(Error::invalid_input(
                "the lease has no id and cannot be renewed",
            ));
        }
        self.refresh
            .fetcher
            .leases()
            .renew(&lease.id, increment)
            .await
    }

    async fn revoke(&self, lease: &Lease) -> Result<()> {
        if lease.id.is_empty() {
            return Ok(());
        }
        self.refresh.fetcher.leases().revoke(&lease.id).await
    }
}

/// A template value under `lease`, carried as JSON in the credential.
fn credential(value: &Value, lease: Lease) -> Result<LeasedCredential> {
    let json = to_json(value, false, false).map_err(Error::unexpected)?;
    let mut data = SecretMap::new();
    data.insert("value", SecretValue::from(json));
    Ok(LeasedCredential { lease, data })
}
