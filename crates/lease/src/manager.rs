//! `LeaseManager`: one task and a timer heap for any number of leases, and
//! `ManagedLease`, a handle on one of them.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use ironsecrets_core::{Error, ErrorKind, Lease, LeasedCredential, Result};
use rand::Rng;
use tokio::sync::{broadcast, mpsc, oneshot, watch};
use tokio::time::{Instant, sleep_until, timeout};

use crate::schedule::{backoff, reissue_delay, renew_delay, revoke_old_delay};
use crate::{LeaseConfig, LeaseEvent, LeaseSource};

type Callback = Arc<dyn Fn(&LeaseEvent) + Send + Sync>;
type Callbacks = Arc<Mutex<Vec<Callback>>>;
type Pending = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// Keeps leases alive: renews each at `renew_fraction` of its remaining ttl (with jitter),
/// re-issues it when it cannot be extended any more (max ttl reached: a grant shorter than
/// asked; not renewable; renewal refused as InvalidInput, NotFound or LeaseExpired),
/// revokes the old lease after the rotation, backs off on errors, and reports all of it
/// as [`LeaseEvent`]s.
///
/// All leases share one tokio task holding a timer heap; calls to the sources run
/// concurrently inside that task. The task runs until [`shutdown`](Self::shutdown), or
/// until the manager and every [`ManagedLease`] are dropped (then nothing is revoked).
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
    callbacks: Callbacks,
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
}

enum Command {
    Add(u64, Box<Entry>),
    Rotate(u64),
    Remove(u64, bool, oneshot::Sender<()>),
    Shutdown(bool, oneshot::Sender<()>),
}

impl LeaseManager {
    /// Starts the scheduler task (on the current tokio runtime) with `config`.
    pub fn new(config: LeaseConfig) -> Self {
        let config = Arc::new(config);
        let (commands, receiver) = mpsc::unbounded_channel();
        let (events, _) = broadcast::channel(config.event_capacity.max(1));
        let callbacks = Callbacks::default();
        let scheduler = Scheduler {
            config: Arc::clone(&config),
            entries: HashMap::new(),
            timers: Timers::default(),
            pending: FuturesUnordered::new(),
            out: Emitter {
                events: events.clone(),
                callbacks: Arc::clone(&callbacks),
            },
        };
        tokio::spawn(scheduler.run(receiver));
        LeaseManager {
            commands,
            events,
            callbacks,
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
        })
    }

    /// Every event from now on. A subscriber more than `event_capacity` events behind
    /// misses the oldest (`RecvError::Lagged`).
    pub fn subscribe(&self) -> broadcast::Receiver<LeaseEvent> {
        self.events.subscribe()
    }

    /// Calls `callback` with every event, on the scheduler task: it must return quickly
    /// and not block.
    pub fn on_event(&self, callback: impl Fn(&LeaseEvent) + Send + Sync + 'static) {
        self.callbacks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(Arc::new(callback));
    }

    /// Stops the scheduler. With `revoke`, first revokes every current lease and every
    /// old one still waiting for its revocation (emitting `Revoked` for each). Calls under
    /// way are abandoned.
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

    /// Stops managing this lease; with `revoke`, revokes its current lease first.
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

/// A call to a source, failing as Unavailable after `call_timeout`.
async fn call<T>(config: &LeaseConfig, work: impl Future<Output = Result<T>>) -> Result<T> {
    match timeout(config.call_timeout, work).await {
        Ok(result) => result,
        Err(_) => Err(Error::new(
            ErrorKind::Unavailable,
            format!(
                "the lease source did not answer within {:?}",
                config.call_timeout
            ),
        )),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Phase {
    /// Renew when the timer fires.
    Renewing,
    /// The lease cannot be extended: re-issue when the timer fires.
    Final,
}

struct Entry {
    name: Arc<str>,
    source: Arc<dyn LeaseSource>,
    credential: watch::Sender<Arc<LeasedCredential>>,
    expires: Option<Instant>,
    requested: Option<Duration>,
    phase: Phase,
    failures: u32,
    expired_reported: bool,
    timer: Option<u64>,
    busy: bool,
    reissue_requested: bool,
    parent: Option<u64>,
}

impl Entry {
    fn new(
        config: &LeaseConfig,
        name: Arc<str>,
        source: Arc<dyn LeaseSource>,
        credential: watch::Sender<Arc<LeasedCredential>>,
        parent: Option<u64>,
    ) -> Entry {
        let lease = credential.borrow().lease.clone();
        let mut entry = Entry {
            name,
            source,
            credential,
            expires: None,
            requested: None,
            phase: Phase::Renewing,
            failures: 0,
            expired_reported: false,
            timer: None,
            busy: false,
            reissue_requested: false,
            parent,
        };
        entry.issued(config, &lease);
        entry
    }

    /// Takes over a newly issued `lease`.
    fn issued(&mut self, config: &LeaseConfig, lease: &Lease) {
        self.set_lease(lease);
        self.requested = config.increment.or(Some(lease.ttl));
        self.expires = (!lease.ttl.is_zero()).then(|| Instant::now() + lease.ttl);
        self.phase = if lease.renewable {
            Phase::Renewing
        } else {
            Phase::Final
        };
        self.failures = 0;
        self.expired_reported = false;
    }

    fn lease(&self) -> Lease {
        self.credential.borrow().lease.clone()
    }

    /// Records a renewal in the current credential without notifying watchers: a renewal
    /// is not a new credential.
    fn set_lease(&mut self, lease: &Lease) {
        self.credential.send_if_modified(|current| {
            if current.lease != *lease {
                Arc::make_mut(current).lease = lease.clone();
            }
            false
        });
    }

    /// Time left on the lease (`None` once expired or for a lease that never expires).
    fn remaining(&self, now: Instant) -> Option<Duration> {
        self.expires
            .map(|at| at.saturating_duration_since(now))
            .filter(|left| !left.is_zero())
    }

    /// The delay to the next renewal or re-issue for the current phase; `None` for a
    /// lease that never expires.
    fn next_delay(&self, config: &LeaseConfig, now: Instant) -> Option<Duration> {
        let expires = self.expires?;
        let left = expires.saturating_duration_since(now);
        Some(match self.phase {
            Phase::Renewing => {
                let unit = rand::thread_rng().gen_range(-1.0..=1.0);
                renew_delay(config, left, unit)
            }
            Phase::Final => reissue_delay(config, left),
        })
    }
}

/// The timer heap: (deadline, job id), jobs by id. A cancelled job is removed from
/// `jobs`; its heap item is skipped when it comes up.
#[derive(Default)]
struct Timers {
    heap: BinaryHeap<Reverse<(Instant, u64)>>,
    jobs: HashMap<u64, Job>,
    next: u64,
}

enum Job {
    Wake(u64),
    /// Boxed: most jobs are wakes, and the timer map holds one per lease.
    RevokeOld(Box<OldLease>),
}

struct OldLease {
    name: Arc<str>,
    source: Arc<dyn LeaseSource>,
    lease: Lease,
    attempts: u32,
}

impl Timers {
    fn add(&mut self, at: Instant, job: Job) -> u64 {
        self.next += 1;
        self.jobs.insert(self.next, job);
        self.heap.push(Reverse((at, self.next)));
        self.next
    }

    /// Sets the entry's timer to `at`, replacing any earlier one.
    fn wake(&mut self, entry: &mut Entry, key: u64, at: Instant) {
        if let Some(old) = entry.timer.take() {
            self.jobs.remove(&old);
        }
        entry.timer = Some(self.add(at, Job::Wake(key)));
    }

    fn cancel(&mut self, entry: &mut Entry) {
        if let Some(old) = entry.timer.take() {
            self.jobs.remove(&old);
        }
    }

    fn next_deadline(&mut self) -> Option<Instant> {
        while let Some(Reverse((at, id))) = self.heap.peek() {
            if self.jobs.contains_key(id) {
                return Some(*at);
            }
            self.heap.pop();
        }
        None
    }

    fn pop_due(&mut self, now: Instant) -> Option<Job> {
        while let Some(Reverse((at, id))) = self.heap.peek().copied() {
            if at > now {
                return None;
            }
            self.heap.pop();
            if let Some(job) = self.jobs.remove(&id) {
                return Some(job);
            }
        }
        None
    }
}

enum Outcome {
    Renewed(u64, Result<Lease>),
    Issued(u64, Result<LeasedCredential>),
    RevokedOld(Box<OldLease>, Result<()>),
}

struct Scheduler {
    config: Arc<LeaseConfig>,
    /// Boxed: the map keeps spare capacity, and an entry is a few hundred bytes.
    entries: HashMap<u64, Box<Entry>>,
    timers: Timers,
    pending: FuturesUnordered<Pending>,
    out: Emitter,
}

/// Where events go: the callbacks, then the subscribers.
struct Emitter {
    events: broadcast::Sender<LeaseEvent>,
    callbacks: Callbacks,
}

impl Emitter {
    fn emit(&self, event: LeaseEvent) {
        tracing::debug!(event = ?event, "lease event");
        let callbacks = self
            .callbacks
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        for callback in callbacks {
            callback(&event);
        }
        let _ = self.events.send(event);
    }
}

/// Revokes `lease` now (no-op for a lease without id), reporting Revoked or Failed.
async fn revoke_now(
    config: &LeaseConfig,
    out: &Emitter,
    name: &Arc<str>,
    source: &Arc<dyn LeaseSource>,
    lease: &Lease,
) {
    if lease.id.is_empty() {
        return;
    }
    match call(config, source.revoke(lease)).await {
        Ok(()) => out.emit(LeaseEvent::Revoked {
            name: Arc::clone(name),
            lease_id: lease.id.clone(),
        }),
        Err(err) => out.emit(failed(name, &err, Duration::ZERO)),
    }
}

impl Scheduler {
    async fn run(mut self, mut commands: mpsc::UnboundedReceiver<Command>) {
        loop {
            let deadline = self.timers.next_deadline();
            let timer = async {
                match deadline {
                    Some(at) => sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                command = commands.recv() => match command {
                    None => return,
                    Some(Command::Shutdown(revoke, done)) => {
                        self.shutdown(revoke).await;
                        let _ = done.send(());
                        return;
                    }
                    Some(command) => self.command(command).await,
                },
                Some(outcome) = self.pending.next(), if !self.pending.is_empty() => {
                    self.outcome(outcome);
                }
                () = timer => {
                    let now = Instant::now();
                    while let Some(job) = self.timers.pop_due(now) {
                        self.job(job, now);
                    }
                }
            }
        }
    }

    fn emit(&self, event: LeaseEvent) {
        self.out.emit(event);
    }

    async fn command(&mut self, command: Command) {
        let now = Instant::now();
        match command {
            Command::Add(key, mut entry) => {
                if let Some(delay) = entry.next_delay(&self.config, now) {
                    self.timers.wake(&mut entry, key, now + delay);
                }
                self.entries.insert(key, entry);
            }
            Command::Rotate(key) => self.request_reissue(key, now),
            Command::Remove(key, revoke, done) => {
                if let Some(mut entry) = self.entries.remove(&key) {
                    self.timers.cancel(&mut entry);
                    if revoke {
                        revoke_now(
                            &self.config,
                            &self.out,
                            &entry.name,
                            &entry.source,
                            &entry.lease(),
                        )
                        .await;
                    }
                }
                let _ = done.send(());
            }
            Command::Shutdown(..) => unreachable!("handled by run"),
        }
    }

    /// Re-issue now, or as soon as the call under way ends.
    fn request_reissue(&mut self, key: u64, now: Instant) {
        if let Some(entry) = self.entries.get_mut(&key) {
            if entry.busy {
                entry.reissue_requested = true;
            } else {
                entry.phase = Phase::Final;
                self.timers.wake(entry, key, now);
            }
        }
    }

    fn job(&mut self, job: Job, now: Instant) {
        match job {
            Job::Wake(key) => self.wake(key, now),
            Job::RevokeOld(old) => {
                let config = Arc::clone(&self.config);
                self.pending.push(Box::pin(async move {
                    let result = call(&config, old.source.revoke(&old.lease)).await;
                    Outcome::RevokedOld(old, result)
                }));
            }
        }
    }

    fn wake(&mut self, key: u64, now: Instant) {
        let Some(entry) = self.entries.get_mut(&key) else {
            return;
        };
        entry.timer = None;
        let mut expired = false;
        if entry.expires.is_some_and(|at| now >= at) && !entry.expired_reported {
            entry.expired_reported = true;
            entry.phase = Phase::Final;
            expired = true;
        }
        entry.busy = true;
        let source = Arc::clone(&entry.source);
        let config = Arc::clone(&self.config);
        let pending: Pending = match entry.phase {
            Phase::Renewing => {
                let lease = entry.lease();
                let increment = entry.requested;
                Box::pin(async move {
                    let result = call(&config, source.renew(&lease, increment)).await;
                    Outcome::Renewed(key, result)
                })
            }
            Phase::Final => Box::pin(async move {
                let result = call(&config, source.issue()).await;
                Outcome::Issued(key, result)
            }),
        };
        let name = Arc::clone(&entry.name);
        self.pending.push(pending);
        if expired {
            self.emit(LeaseEvent::Expired { name });
        }
    }

    fn outcome(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Renewed(key, result) => self.renewed(key, result),
            Outcome::Issued(key, result) => self.issued(key, result),
            Outcome::RevokedOld(old, result) => self.revoked_old(old, result),
        }
    }

    fn renewed(&mut self, key: u64, result: Result<Lease>) {
        let now = Instant::now();
        let config = Arc::clone(&self.config);
        let Some(entry) = self.entries.get_mut(&key) else {
            return;
        };
        entry.busy = false;
        let event = match result {
            Ok(granted) => {
                entry.failures = 0;
                entry.expired_reported = false;
                entry.expires = Some(now + granted.ttl);
                entry.set_lease(&granted);
                let short = entry.requested.is_some_and(|asked| granted.ttl < asked);
                if short || !granted.renewable || granted.ttl.is_zero() {
                    entry.phase = Phase::Final;
                }
                if let Some(delay) = entry.next_delay(&config, now) {
                    self.timers.wake(entry, key, now + delay);
                }
                LeaseEvent::Renewed {
                    name: Arc::clone(&entry.name),
                    lease: granted,
                }
            }
            Err(err) => {
                let retry_in = match err.kind() {
                    ErrorKind::NotFound | ErrorKind::LeaseExpired => {
                        entry.phase = Phase::Final;
                        Duration::ZERO
                    }
                    ErrorKind::InvalidInput => {
                        entry.phase = Phase::Final;
                        entry.next_delay(&config, now).unwrap_or_default()
                    }
                    _ => {
                        entry.failures += 1;
                        backoff(&config, entry.failures, entry.remaining(now))
                    }
                };
                self.timers.wake(entry, key, now + retry_in);
                failed(&entry.name, &err, retry_in)
            }
        };
        if std::mem::take(&mut entry.reissue_requested) {
            entry.phase = Phase::Final;
            self.timers.wake(entry, key, now);
        }
        self.emit(event);
    }

    fn issued(&mut self, key: u64, result: Result<LeasedCredential>) {
        let now = Instant::now();
        let config = Arc::clone(&self.config);
        let Some(entry) = self.entries.get_mut(&key) else {
            if let Ok(orphan) = result {
                // Removed while issuing: nobody will use it.
                self.revoke_later(&"removed".into(), orphan.lease, None, now);
            }
            return;
        };
        entry.busy = false;
        entry.reissue_requested = false;
        match result {
            Ok(credential) if credential.data == entry.credential.borrow().data => {
                // The same secret again: a static credential (e.g. a Vault static role's
                // password) that the server has not rotated yet. Ask again when it ends,
                // then every `backoff_initial` until the server has replaced it.
                entry.set_lease(&credential.lease);
                let ttl = credential.lease.ttl;
                entry.expires = (!ttl.is_zero()).then(|| now + ttl);
                let delay = if ttl.is_zero() {
                    config.backoff_initial
                } else {
                    ttl
                };
                self.timers.wake(entry, key, now + delay);
            }
            Ok(credential) => {
                let old_left = entry.remaining(now).unwrap_or_default();
                let new = Arc::new(credential);
                let old = entry.credential.send_replace(Arc::clone(&new));
                let old_lease = old.lease.clone();
                entry.issued(&config, &new.lease);
                if let Some(delay) = entry.next_delay(&config, now) {
                    self.timers.wake(entry, key, now + delay);
                }
                let name = Arc::clone(&entry.name);
                let source = Arc::clone(&entry.source);
                self.revoke_later(
                    &name,
                    old_lease,
                    Some(source),
                    now + revoke_old_delay(&config, old_left),
                );
                let children: Vec<u64> = self
                    .entries
                    .iter()
                    .filter(|(_, child)| child.parent == Some(key))
                    .map(|(child, _)| *child)
                    .collect();
                for child in children {
                    self.request_reissue(child, now);
                }
                self.emit(LeaseEvent::Rotated { name, old, new });
            }
            Err(err) => {
                entry.failures += 1;
                let retry_in = backoff(&config, entry.failures, entry.remaining(now));
                self.timers.wake(entry, key, now + retry_in);
                let event = failed(&entry.name, &err, retry_in);
                self.emit(event);
            }
        }
    }

    /// Revokes `lease` at `at` (no-op for a lease without id).
    fn revoke_later(
        &mut self,
        name: &Arc<str>,
        lease: Lease,
        source: Option<Arc<dyn LeaseSource>>,
        at: Instant,
    ) {
        let Some(source) = source else {
            return;
        };
        if lease.id.is_empty() {
            return;
        }
        let old = OldLease {
            name: Arc::clone(name),
            source,
            lease,
            attempts: 0,
        };
        self.timers.add(at, Job::RevokeOld(Box::new(old)));
    }

    fn revoked_old(&mut self, mut old: Box<OldLease>, result: Result<()>) {
        match result {
            Ok(()) => self.emit(LeaseEvent::Revoked {
                name: old.name,
                lease_id: old.lease.id,
            }),
            Err(err) => {
                old.attempts += 1;
                let retry_in = if old.attempts < 3 {
                    backoff(&self.config, old.attempts, None)
                } else {
                    Duration::ZERO
                };
                self.emit(failed(&old.name, &err, retry_in));
                if !retry_in.is_zero() {
                    self.timers
                        .add(Instant::now() + retry_in, Job::RevokeOld(old));
                }
            }
        }
    }

    async fn shutdown(&mut self, revoke: bool) {
        self.pending.clear();
        if !revoke {
            return;
        }
        let jobs: Vec<Job> = self.timers.jobs.drain().map(|(_, job)| job).collect();
        for job in jobs {
            if let Job::RevokeOld(old) = job {
                revoke_now(&self.config, &self.out, &old.name, &old.source, &old.lease).await;
            }
        }
        let entries: Vec<Box<Entry>> = self.entries.drain().map(|(_, entry)| entry).collect();
        // Children first: revoking a parent token may revoke them along with it.
        let (children, parents): (Vec<Box<Entry>>, Vec<Box<Entry>>) =
            entries.into_iter().partition(|e| e.parent.is_some());
        for entry in children.iter().chain(&parents) {
            revoke_now(
                &self.config,
                &self.out,
                &entry.name,
                &entry.source,
                &entry.lease(),
            )
            .await;
        }
    }
}

fn failed(name: &Arc<str>, err: &Error, retry_in: Duration) -> LeaseEvent {
    tracing::warn!(lease = %name, kind = %err.kind(), error = %err, ?retry_in, "lease call failed");
    LeaseEvent::Failed {
        name: Arc::clone(name),
        kind: err.kind(),
        message: err.to_string(),
        retry_in,
    }
}
