//! `Scheduler`: the actor loop that owns every managed lease.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::stream::FuturesUnordered;
use ironsecrets_core::{Error, ErrorKind, Lease, LeasedCredential, Result};
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::time::{Instant, sleep_until};

use super::call::call;
use super::entry::{Entry, Phase};
use super::timers::{Job, OldLease, Timers};
use crate::schedule::{backoff, revoke_old_delay};
use crate::{LeaseConfig, LeaseEvent, LeaseSource};

pub(super) type Callback = Arc<dyn Fn(&LeaseEvent) + Send + Sync>;
pub(super) type Callbacks = Arc<Mutex<Vec<Callback>>>;
type Pending = Pin<Box<dyn Future<Output = Outcome> + Send>>;

/// What the handles ask of the scheduler.
pub(super) enum Command {
    Add(u64, Box<Entry>),
    Rotate(u64),
    Remove(u64, bool, oneshot::Sender<()>),
    Shutdown(bool, oneshot::Sender<()>),
}

enum Outcome {
    Renewed(u64, Result<Lease>),
    Issued(u64, Result<LeasedCredential>),
    RevokedOld(Box<OldLease>, Result<()>),
}

/// The actor: every lease's state, the timer heap, and the calls under way.
pub(super) struct Scheduler {
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
    /// Starts the scheduler task; commands go to the returned sender.
    pub(super) fn spawn(
        config: Arc<LeaseConfig>,
        events: broadcast::Sender<LeaseEvent>,
        callbacks: Callbacks,
    ) -> mpsc::UnboundedSender<Command> {
        let (commands, receiver) = mpsc::unbounded_channel();
        let scheduler = Scheduler {
            config,
            entries: HashMap::new(),
            timers: Timers::default(),
            pending: FuturesUnordered::new(),
            out: Emitter { events, callbacks },
        };
        tokio::spawn(scheduler.run(receiver));
        commands
    }

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
        for job in self.timers.drain() {
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
