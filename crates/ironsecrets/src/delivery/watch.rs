//! `Watcher`: references kept current for a long-running process (the agent).
//!
//! Each reference key is read once, then kept current on its own task:
//!
//! - a dynamic credential is held by a [`LeaseManager`] (renewed at 2/3 of its ttl,
//!   re-issued before its max ttl); a new credential is a change;
//! - a stored secret is read again every poll interval (±10 % jitter). For the newest
//!   version the secret's metadata is asked first, and the value read only when its
//!   current version moved (where metadata cannot be read, the value is read and
//!   compared); a pinned `?version=N` never changes and is not polled.
//!
//! A key is issued or read once for the watcher's life, whatever asks for it again:
//! re-rendering, reloading the config or logging in again never issues a new credential.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use ironsecrets_core::{Error, ErrorKind, Reference, Result, Source, Version, VersionSelector};
use ironsecrets_lease::{DynamicSource, LeaseConfig, LeaseEvent, LeaseManager, ManagedLease};
use rand::Rng;
use tokio::sync::{Mutex, broadcast, watch};
use tokio::task::JoinHandle;

use super::read::{Read, credential_request, in_reference};
use super::{Resolved, Resolver};
use crate::Client;

/// How often stored secrets are read again.
#[derive(Clone, Debug)]
pub struct Poll {
    /// The interval for every key not in `per_key` (±10 % jitter).
    pub interval: Duration,
    /// Intervals for particular reference keys.
    pub per_key: HashMap<Reference, Duration>,
}

impl Poll {
    /// The interval for `key`.
    pub fn interval(&self, key: &Reference) -> Duration {
        self.per_key.get(key).copied().unwrap_or(self.interval)
    }
}

/// What happened to a watched key. Never carries a value.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum WatchEvent {
    /// The key's value changed: a new version was written, a credential re-issued.
    Changed(Reference),
    /// A dynamic credential's lease was extended.
    Renewed {
        /// The lease's name (the reference key, or `auth <store>` for a login token).
        name: String,
        /// The ttl granted.
        ttl: Duration,
    },
    /// Reading, renewing or issuing failed; the last value stays in use and it is tried
    /// again.
    Failed {
        /// The key (or lease name).
        name: String,
        /// What went wrong (never a value).
        message: String,
    },
}

/// Keeps the values of every reference it resolved current, and reports changes.
pub struct Watcher {
    resolver: Arc<Resolver>,
    leases: Arc<LeaseManager>,
    /// The login token's lease per store name, the parent of the leases issued there.
    logins: std::sync::Mutex<HashMap<Option<String>, ManagedLease>>,
    poll: Poll,
    watched: Mutex<HashMap<Reference, Watched>>,
    events: broadcast::Sender<WatchEvent>,
    forwarder: JoinHandle<()>,
}

/// One watched key: its current read, and what keeps it current (its task ends when it
/// is dropped).
struct Watched {
    current: watch::Receiver<Arc<Read>>,
    task: Option<JoinHandle<()>>,
    lease: Option<ManagedLease>,
}

impl Watcher {
    /// A watcher reading through `resolver`'s clients, holding leases under `leases`'
    /// policy. Starts a task on the current tokio runtime.
    pub fn new(resolver: Arc<Resolver>, leases: LeaseConfig, poll: Poll) -> Self {
        let leases = Arc::new(LeaseManager::new(leases));
        let (events, _) = broadcast::channel(1024);
        let forwarder = tokio::spawn(forward_lease_events(leases.subscribe(), events.clone()));
        Watcher {
            resolver,
            leases,
            logins: std::sync::Mutex::new(HashMap::new()),
            poll,
            watched: Mutex::new(HashMap::new()),
            events,
            forwarder,
        }
    }

    /// The resolver (its config and clients).
    pub fn resolver(&self) -> &Arc<Resolver> {
        &self.resolver
    }

    /// The lease manager holding the dynamic credentials and the login tokens; its
    /// events are forwarded as [`WatchEvent`]s.
    pub fn leases(&self) -> &Arc<LeaseManager> {
        &self.leases
    }

    /// The login token's lease of a store (`None`: the default store), if the agent
    /// logged in there: the parent to give leases issued under that token, so they are
    /// issued again when the token is replaced (Vault revokes them with the old one).
    pub fn login(&self, store: Option<&str>) -> Option<ManagedLease> {
        let name = self.resolver.store_name(store);
        self.logins.lock().expect("logins").get(&name).cloned()
    }

    /// Every event from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<WatchEvent> {
        self.events.subscribe()
    }

    /// The current values of `references`; a key not watched yet is read (or issued)
    /// first and watched from then on. The first failure is returned, naming the
    /// reference, and leaves nothing new watched for it.
    pub async fn resolve<'a>(
        &self,
        references: impl IntoIterator<Item = &'a Reference>,
    ) -> Result<Resolved> {
        let mut resolved = Resolved::default();
        let mut watched = self.watched.lock().await;
        for reference in references {
            if resolved.values.contains_key(reference) {
                continue;
            }
            let key = reference.key();
            let value = match watched.get(&key) {
                Some(entry) => entry.current.borrow().field(reference)?,
                None => {
                    let entry = self.watch(&key).await.map_err(|e| in_reference(e, &key))?;
                    let value = entry.current.borrow().field(reference);
                    match value {
                        Ok(value) => {
                            watched.insert(key.clone(), entry);
                            value
                        }
                        Err(e) => {
                            entry.stop(true).await;
                            return Err(e);
                        }
                    }
                }
            };
            resolved.values.insert(reference.clone(), value);
        }
        Ok(resolved)
    }

    /// Stops watching every key not in `keep` (after a config reload dropped them); their
    /// leases are revoked.
    pub async fn retain(&self, keep: &HashSet<Reference>) {
        let dropped: Vec<Watched> = {
            let mut watched = self.watched.lock().await;
            let gone: Vec<Reference> = watched
                .keys()
                .filter(|key| !keep.contains(*key))
                .cloned()
                .collect();
            gone.iter().filter_map(|key| watched.remove(key)).collect()
        };
        for entry in dropped {
            entry.stop(true).await;
        }
    }

    /// Stops every task; with `revoke`, revokes every lease first.
    pub async fn shutdown(&self, revoke: bool) {
        self.watched.lock().await.clear();
        self.logins.lock().expect("logins").clear();
        self.leases.shutdown(revoke).await;
        self.forwarder.abort();
    }

    /// Logs in to every store the config has an `[auth.<store>]` for: a token file's
    /// token is used as it is; a login's token is held as a lease (renewed while it can
    /// be, then a new login), apart from the credentials issued under it.
    #[cfg(feature = "vault")]
    pub async fn authenticate(&self) -> Result<()> {
        use super::Credential;
        use ironsecrets_core::Options;
        use ironsecrets_lease::VaultTokenSource;

        let config = self.resolver.config();
        for (store, spec) in &config.auth {
            let in_auth = |e: Error| Error::new(e.kind(), format!("[auth.{store}]: {e}"));
            match spec.credential().map_err(in_auth)? {
                Credential::Token(token) => {
                    let uri = self.resolver.store_uri(Some(store))?;
                    let client = Client::from_uri_with(&uri, Options::new().with("token", token))
                        .await
                        .map_err(in_auth)?;
                    self.resolver.set_client(Some(store), client);
                }
                Credential::Login(login) => {
                    let client = self.resolver.client(Some(store)).await?;
                    let vault = client.vault().map_err(in_auth)?.client().clone();
                    let source = VaultTokenSource::new(vault, login);
                    let lease = self
                        .leases
                        .manage(format!("auth {store}"), Arc::new(source))
                        .await
                        .map_err(in_auth)?;
                    self.logins
                        .lock()
                        .expect("logins")
                        .insert(Some(store.clone()), lease);
                }
            }
        }
        Ok(())
    }

    async fn watch(&self, key: &Reference) -> Result<Watched> {
        let client = self.resolver.client(key.store()).await?;
        match key.source() {
            Source::Stored(version) => {
                let secret = client.get_version(key.path(), version.clone()).await?;
                let (sender, current) = watch::channel(Arc::new(Read::Stored(secret.value)));
                let poller = Poller {
                    client,
                    key: key.clone(),
                    interval: self.poll.interval(key),
                    version: secret.version,
                    sender,
                    events: self.events.clone(),
                };
                // A pinned version never changes.
                let task = match version {
                    VersionSelector::Version(_) => None,
                    _ => Some(tokio::spawn(poller.run())),
                };
                Ok(Watched {
                    current,
                    task,
                    lease: None,
                })
            }
            Source::Dynamic(kind) => {
                let source =
                    DynamicSource::new(client.backend().clone(), credential_request(key, kind));
                let (name, source) = (key.to_string(), Arc::new(source));
                let lease = match self.login(key.store()) {
                    Some(login) => self.leases.manage_child(name, source, &login).await?,
                    None => self.leases.manage(name, source).await?,
                };
                let mut credentials = lease.watch();
                let first = Read::Leased(credentials.borrow_and_update().data.clone());
                let (sender, current) = watch::channel(Arc::new(first));
                let (key, events) = (key.clone(), self.events.clone());
                let task = tokio::spawn(async move {
                    while credentials.changed().await.is_ok() {
                        let read = Read::Leased(credentials.borrow_and_update().data.clone());
                        publish(&sender, read, &key, &events);
                    }
                });
                Ok(Watched {
                    current,
                    task: Some(task),
                    lease: Some(lease),
                })
            }
        }
    }
}

impl Watched {
    async fn stop(mut self, revoke: bool) {
        if let Some(lease) = self.lease.take() {
            lease.stop(revoke).await;
        }
    }
}

impl Drop for Watched {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// Stores `read` and reports the change, if it is one.
fn publish(
    sender: &watch::Sender<Arc<Read>>,
    read: Read,
    key: &Reference,
    events: &broadcast::Sender<WatchEvent>,
) {
    if **sender.borrow() == read {
        return;
    }
    sender.send_replace(Arc::new(read));
    let _ = events.send(WatchEvent::Changed(key.clone()));
}

/// Reads a stored secret again, every interval.
struct Poller {
    client: Client,
    key: Reference,
    interval: Duration,
    version: Version,
    sender: watch::Sender<Arc<Read>>,
    events: broadcast::Sender<WatchEvent>,
}

impl Poller {
    async fn run(mut self) {
        let Source::Stored(selector) = self.key.source().clone() else {
            return;
        };
        // Whether the metadata check works here (a policy may allow reading values only).
        let mut metadata = selector == VersionSelector::Latest;
        loop {
            tokio::time::sleep(jittered(self.interval)).await;
            if metadata {
                match self.client.metadata(self.key.path()).await {
                    Ok(meta) if meta.current_version == self.version => continue,
                    Ok(_) => {}
                    // A policy that allows reading values only: read them.
                    Err(e)
                        if matches!(
                            e.kind(),
                            ErrorKind::PermissionDenied | ErrorKind::Unsupported
                        ) =>
                    {
                        metadata = false;
                    }
                    Err(e) => {
                        self.failed(&e);
                        continue;
                    }
                }
            }
            match self
                .client
                .get_version(self.key.path(), selector.clone())
                .await
            {
                Ok(secret) => {
                    self.version = secret.version;
                    publish(
                        &self.sender,
                        Read::Stored(secret.value),
                        &self.key,
                        &self.events,
                    );
                }
                Err(e) => self.failed(&e),
            }
        }
    }

    fn failed(&self, err: &Error) {
        let _ = self.events.send(WatchEvent::Failed {
            name: self.key.to_string(),
            message: err.to_string(),
        });
    }
}

/// `interval` ±10 %, so many pollers do not ask at the same moment.
pub fn jittered(interval: Duration) -> Duration {
    interval.mul_f64(rand::thread_rng().gen_range(0.9..1.1))
}

/// Lease renewals and failures as watch events (rotations arrive through each lease's
/// own credential channel).
async fn forward_lease_events(
    mut leases: broadcast::Receiver<LeaseEvent>,
    events: broadcast::Sender<WatchEvent>,
) {
    loop {
        let event = match leases.recv().await {
            Ok(event) => event,
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => return,
        };
        let forwarded = match event {
            LeaseEvent::Renewed { name, lease } => WatchEvent::Renewed {
                name: name.to_string(),
                ttl: lease.ttl,
            },
            LeaseEvent::Failed { name, message, .. } => WatchEvent::Failed {
                name: name.to_string(),
                message,
            },
            LeaseEvent::Expired { name } => WatchEvent::Failed {
                name: name.to_string(),
                message: "the lease expired before it could be renewed or replaced".into(),
            },
            _ => continue,
        };
        let _ = events.send(forwarded);
    }
}
