//! The handles: `LeaseManager` and `ManagedLease`, which talk to the scheduler by
//! commands.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ironsecrets_core::{Error, ErrorKind, Lease, LeasedCredential, Result};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, mpsc, oneshot, watch};

use super::call::call;
use super::entry::Entry;
use super::scheduler::{Command, Scheduler};
use crate::{LeaseConfig, LeaseEvent, LeaseSource};

/// Keeps leases alive: renews each at `renew_fraction` of its remaining ttl (with jitter),
/// re-issues it when it cannot be extended any more (max ttl reached: a grant shorter than
/// asked; not renewable; renewal refused as InvalidInput, NotFound or LeaseExpired),
/// revokes the old lease after the rotation, backs off on errors, and reports all of it
/// as [`LeaseEvent`]s.
///
/// All leases share one tokio task holding a timer heap; calls to the sources run
/// concurrently inside that task, which never waits on one of them inline (a revocation
/// asked by [`ManagedLease::stop`] runs alongside the other leases' timers) and never
/// runs user code (events go to subscribers). The task runs until
/// [`shutdown`](Self::shutdown), or until the manager and every [`ManagedLease`] are
/// dropped (then nothing is revoked).
///
/// A lease that expires anyway (the backend was unreachable for its whole remaining
/// time) is reported as [`LeaseEvent::Expired`] and the manager keeps trying to issue a
/// new credential, with backoff; [`ManagedLease::rotate`] asks for a new one at once
/// (e.g. after the credential was refused).
///
/// ```no_run
/// # async fn demo(backend: ironsecrets_core::Backend) -> ironsecrets_core::Result<()> {
/// use std::sync::Arc;
/// use ironsecrets_core::CredentialRequest;
/// use ironsecrets_lease::{DynamicSource, LeaseConfig, LeaseManager};
///
/// let manager = LeaseManager::new(LeaseConfig::default());
/// let request = CredentialRequest::Database { mount: "database".into(), role: "app".into() };
/// let db = manager.manage("db", Arc::new(DynamicSource::new(backend, request))).await?;
/// let credential = db.current(); // always the newest
/// # drop(credential);
/// manager.shutdown(true).await;
/// # Ok(()) }
/// ```
pub struct LeaseManager {
    commands: mpsc::UnboundedSender<Command>,
    events: broadcast::Sender<LeaseEvent>,
    config: Arc<LeaseConfig>,
    next_key: AtomicU64,
}

/// One managed lease: the current credential (always the newest) and its lease. Cheap to
/// clone; clones are handles on the same lease (`stop` on one stops it for all).
#[derive(Clone)]
pub struct ManagedLease {
    key: u64,
    name: Arc<str>,
    credential: watch::Receiver<Arc<LeasedCredential>>,
    commands: mpsc::UnboundedSender<Command>,
    events: broadcast::Sender<LeaseEvent>,
}

impl LeaseManager {
    /// Starts the scheduler task (on the current tokio runtime) with `config`.
    pub fn new(config: LeaseConfig) -> Self {
        let config = Arc::new(config);
        let (events, _) = broadcast::channel(config.event_capacity.max(1));
        let commands = Scheduler::spawn(Arc::clone(&config), events.clone());
        LeaseManager {
            commands,
            events,
            config,
            next_key: AtomicU64::new(1),
        }
    }

    /// Issues the first credential from `source` and keeps it (and its successors) alive
    /// under `name`, which names it in events.
    pub async fn manage(
        &self,
        name: impl Into<String>,
        source: Arc<dyn LeaseSource>,
    ) -> Result<ManagedLease> {
        self.add(name.into(), source, None).await
    }

    /// Like [`manage`](Self::manage), for a lease that depends on `parent` — typically
    /// credentials issued under a Vault token that `parent` manages
    /// ([`VaultTokenSource`](crate::VaultTokenSource)). Vault revokes every lease a token
    /// created when that token ends, so each time `parent` rotates, this lease is
    /// re-issued at once (under the new token) and its old lease revoked as after any
    /// rotation. The parent re-issues `reissue_lead` before its end, leaving that time
    /// for the children.
    pub async fn manage_child(
        &self,
        name: impl Into<String>,
        source: Arc<dyn LeaseSource>,
        parent: &ManagedLease,
    ) -> Result<ManagedLease> {
        self.add(name.into(), source, Some(parent.key)).await
    }

    async fn add(
        &self,
        name: String,
        source: Arc<dyn LeaseSource>,
        parent: Option<u64>,
    ) -> Result<ManagedLease> {
        let credential = call(&self.config, source.issue()).await?;
        let key = self.next_key.fetch_add(1, Ordering::Relaxed);
        let name: Arc<str> = name.into();
        let (sender, receiver) = watch::channel(Arc::new(credential));
        let entry = Entry::new(&self.config, Arc::clone(&name), source, sender, parent);
        self.commands
            .send(Command::Add(key, Box::new(entry)))
            .map_err(|_| stopped())?;
        Ok(ManagedLease {
            key,
            name,
            credential: receiver,
            commands: self.commands.clone(),
            events: self.events.clone(),
        })
    }

    /// Every event from now on. A subscriber more than `event_capacity` events behind
    /// misses the oldest (`RecvError::Lagged`).
    pub fn subscribe(&self) -> broadcast::Receiver<LeaseEvent> {
        self.events.subscribe()
    }

    /// Calls `callback` with every event from now on, on a task of its own (spawned on
    /// the current tokio runtime) that reads a [`subscribe`](Self::subscribe)r: a slow
    /// callback never delays the scheduler, only its own events. More than
    /// `event_capacity` events behind, it misses the oldest, which is logged. The task
    /// ends once the manager is dropped and its scheduler has stopped.
    pub fn on_event(&self, callback: impl Fn(&LeaseEvent) + Send + Sync + 'static) {
        let mut events = self.events.subscribe();
        tokio::spawn(async move {
            loop {
                match events.recv().await {
                    Ok(event) => callback(&event),
                    Err(RecvError::Lagged(missed)) => {
                        tracing::warn!(
                            missed,
                            "an on_event callback fell behind and missed events"
                        );
                    }
                    Err(RecvError::Closed) => return,
                }
            }
        });
    }

    /// Stops the scheduler. With `revoke`, first revokes every current lease and every
    /// old one still waiting for its revocation (emitting `Revoked` for each),
    /// concurrently: child leases first, then the others. Calls under way are abandoned,
    /// except revocations asked by [`ManagedLease::stop`], which are finished.
    pub async fn shutdown(&self, revoke: bool) {
        let (done, wait) = oneshot::channel();
        if self.commands.send(Command::Shutdown(revoke, done)).is_ok() {
            let _ = wait.await;
        }
    }
}

impl fmt::Debug for LeaseManager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LeaseManager")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ManagedLease {
    /// Every event of the manager from now on (of every lease it manages: filter by
    /// [`LeaseEvent::name`]), as [`LeaseManager::subscribe`] gives them.
    pub fn subscribe(&self) -> broadcast::Receiver<LeaseEvent> {
        self.events.subscribe()
    }

    /// The name given to [`LeaseManager::manage`].
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The current credential: the newest issued, with its lease as last granted (issue
    /// or renewal).
    pub fn current(&self) -> Arc<LeasedCredential> {
        Arc::clone(&self.credential.borrow())
    }

    /// The current lease as last granted (issue or renewal).
    pub fn lease(&self) -> Lease {
        self.credential.borrow().lease.clone()
    }

    /// A receiver that sees each new credential (one change per rotation).
    pub fn watch(&self) -> watch::Receiver<Arc<LeasedCredential>> {
        self.credential.clone()
    }

    /// Asks for a new credential now (e.g. the current one was refused); the old lease is
    /// revoked as after any rotation.
    pub fn rotate(&self) {
        let _ = self.commands.send(Command::Rotate(self.key));
    }

    /// Stops managing this lease; with `revoke`, revokes its current lease and returns
    /// when that is done (the other leases are served meanwhile).
    pub async fn stop(self, revoke: bool) {
        let (done, wait) = oneshot::channel();
        if self
            .commands
            .send(Command::Remove(self.key, revoke, done))
            .is_ok()
        {
            let _ = wait.await;
        }
    }
}

impl fmt::Debug for ManagedLease {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ManagedLease")
            .field("name", &self.name)
            .field("lease", &self.lease())
            .finish_non_exhaustive()
    }
}

fn stopped() -> Error {
    Error::new(ErrorKind::Config, "the lease manager has shut down")
}
