//! `Keeper`: the dependencies of consul-template templates kept current for the agent,
//! each fetched once for the agent's life and then refreshed the way consul-template
//! refreshes it: a leased secret renewed by the [`LeaseManager`] (at 2/3 of its ttl) and
//! fetched again when it cannot be renewed; a static one read again every poll interval
//! (±10 %); a certificate issued again at 2/3 of its validity (a `pkiCert` kept in its
//! file survives a restart). A new value that differs is reported as a change.

use std::collections::HashMap;
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
    leases: LeaseManager,
    poll: Duration,
    kept: Mutex<HashMap<Dependency, Kept>>,
    changes: broadcast::Sender<Dependency>,
}

/// One kept dependency: its value, and the task or lease refreshing it.
struct Kept {
    value: watch::Receiver<Value>,
    task: Option<JoinHandle<()>>,
    lease: Option<ManagedLease>,
}

impl Keeper {
    /// A keeper fetching through `fetcher`, holding leases in `leases`.
    pub fn new(fetcher: Fetcher, leases: LeaseManager, poll: Duration) -> Self {
        Keeper {
            fetcher: Arc::new(fetcher),
            leases,
            poll,
            kept: Mutex::new(HashMap::new()),
            changes: broadcast::channel(1024).0,
        }
    }

    /// The dependencies that change from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Dependency> {
        self.changes.subscribe()
    }

    /// The current value of `dependency`, fetched and kept from its first use.
    pub async fn get(&self, dependency: &Dependency, destination: &Path) -> Result<Value> {
        let mut kept = self.kept.lock().await;
        if let Some(entry) = kept.get(dependency) {
            return Ok(entry.value.borrow().clone());
        }
        let fetched = self.fetcher.fetch_kept(dependency, destination).await?;
        let value = fetched.value.clone();
        let entry = self.keep(dependency, destination, fetched).await?;
        kept.insert(dependency.clone(), entry);
        Ok(value)
    }

    /// Stops every lease and task.
    pub async fn shutdown(&self) {
        for (_, entry) in self.kept.lock().await.drain() {
            if let Some(task) = entry.task {
                task.abort();
            }
            if let Some(lease) = entry.lease {
                lease.stop(false).await;
            }
        }
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
                let managed = self
                    .leases
                    .manage(dependency.to_string(), Arc::new(source))
                    .await?;
                (None, Some(managed))
            }
            Refresh::Poll => (Some(tokio::spawn(refresh.poll(self.poll))), None),
            Refresh::At(after) => (Some(tokio::spawn(refresh.reissue(after))), None),
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
    changes: broadcast::Sender<Dependency>,
}

impl Refresher {
    fn publish(&self, value: Value) {
        if *self.sender.borrow() != value {
            self.sender.send_replace(value);
            let _ = self.changes.send(self.dependency.clone());
        }
    }

    async fn poll(self, interval: Duration) {
        loop {
            tokio::time::sleep(jittered(interval)).await;
            if let Ok(fetched) = self
                .fetcher
                .fetch_kept(&self.dependency, &self.destination)
                .await
            {
                self.publish(fetched.value);
            }
        }
    }

    async fn reissue(self, mut after: Duration) {
        loop {
            tokio::time::sleep(after).await;
            match self
                .fetcher
                .fetch_kept(&self.dependency, &self.destination)
                .await
            {
                Ok(fetched) => {
                    after = match fetched.refresh {
                        Refresh::At(next) => next.max(Duration::from_secs(1)),
                        _ => return self.publish(fetched.value),
                    };
                    self.publish(fetched.value);
                }
                Err(_) => after = Duration::from_secs(5),
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
        let refresh = &self.refresh;
        let fetched = refresh
            .fetcher
            .fetch_kept(&refresh.dependency, &refresh.destination)
            .await?;
        refresh.publish(fetched.value.clone());
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
