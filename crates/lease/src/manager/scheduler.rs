//! `Scheduler`: the actor loop that owns every managed lease.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
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
    Revoked(Box<Revocation>),
}

/// A revocation reported as it ends, without retry: a removed lease's, or any at
/// shutdown. `done` answers the caller waiting for it.
struct Revocation {
    name: Arc<str>,
    lease_id: String,
    result: Result<()>,
    done: Option<oneshot::Sender<()>>,
}

/// The actor: every lease's state, the timer heap, and the calls under way. It never
/// awaits a call to a source inline (calls run as `pending` futures polled by the loop)
/// and never runs user code: events only go to the broadcast channel.
pub(super) struct Scheduler {
    config: Arc<LeaseConfig>,
    /// Boxed: the map keeps spare capacity, and an entry is a few hundred bytes.
    entries: HashMap<u64, Box<Entry>>,
    timers: Timers,
    /// Renewals, issues and revocations of old leases under way.
    pending: FuturesUnordered<Pending>,
    /// Revocations of removed leases under way: finished even at shutdown, since a
    /// caller waits for each.
    removals: FuturesUnordered<Pending>,
    events: broadcast::Sender<LeaseEvent>,
}

/// The revocation of `lease` (nothing to do for a lease without id), ending as
/// [`Outcome::Revoked`].
fn revocation(
    config: &Arc<LeaseConfig>,
    name: &Arc<str>,
    source: &Arc<dyn LeaseSource>,
    lease: Lease,
    done: Option<oneshot::Sender<()>>,
) -> Pending {
    let (config, name, source) = (Arc::clone(config), Arc::clone(name), Arc::clone(source));
    Box::pin(async move {
        let result = if lease.id.is_empty() {
            Ok(())
        } else {
            call(&config, source.revoke(&lease)).await
        };
        Outcome::Revoked(Box::new(Revocation {
            name,
            lease_id: lease.id,
            result,
            done,
        }))
    })
}

impl Scheduler {
    /// Starts the scheduler task; commands go to the returned sender.
    pub(super) fn spawn(
        config: Arc<LeaseConfig>,
        events: broadcast::Sender<LeaseEvent>,
    ) -> mpsc::UnboundedSender<Command> {
        let (commands, receiver) = mpsc::unbounded_channel();
        let scheduler = Scheduler {
            config,
            entries: HashMap::new(),
            timers: Timers::default(),
            pending: FuturesUnordered::new(),
            removals: FuturesUnordered::new(),
            events,
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
                    Some(command) => self.command(command),
                },
                Some(outcome) = self.pending.next(), if !self.pending.is_empty() => {
                    self.outcome(outcome);
                }
                Some(outcome) = self.removals.next(), if !self.removals.is_empty() => {
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
        tracing::debug!(event = ?event, "lease event");
        let _ = self.events.send(event);
    }

    fn command(&mut self, command: Command) {
        let now = Instant::now();
        match command {
            Command::Add(key, mut entry) => {
                if let Some(delay) = entry.next_delay(&self.config, now) {
                    self.timers.wake(&mut entry, key, now + delay);
                }
                self.entries.insert(key, entry);
            }
            Command::Rotate(key) => self.request_reissue(key, now),
            Command::Remove(key, revoke, done) => match self.entries.remove(&key) {
                Some(mut entry) => {
                    self.timers.cancel(&mut entry);
                    if revoke {
                        // Answered when the revocation ends; other leases go on meanwhile.
                        let lease = entry.lease();
                        let pending =
                            revocation(&self.config, &entry.name, &entry.source, lease, Some(done));
                        self.removals.push(pending);
                    } else {
                        let _ = done.send(());
                    }
                }
                None => {
                    let _ = done.send(());
                }
            },
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
            Outcome::Revoked(revocation) => self.revoked(*revocation),
        }
    }

    fn revoked(&mut self, revocation: Revocation) {
        let Revocation {
            name,
            lease_id,
            result,
            done,
        } = revocation;
        match result {
            Ok(()) if lease_id.is_empty() => {}
            Ok(()) => self.emit(LeaseEvent::Revoked { name, lease_id }),
            Err(err) => self.emit(failed(&name, &err, Duration::ZERO)),
        }
        if let Some(done) = done {
            let _ = done.send(());
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
                self.revoke_later(&"removed".into(), orphan.lease, None, false, now);
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
                let child = entry.parent.is_some();
                self.revoke_later(
                    &name,
                    old_lease,
                    Some(source),
                    child,
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

    /// Revokes `lease` at `at` (no-op for a lease without id); `child`: it belongs to a
    /// child lease.
    fn revoke_later(
        &mut self,
        name: &Arc<str>,
        lease: Lease,
        source: Option<Arc<dyn LeaseSource>>,
        child: bool,
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
            child,
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

    /// Abandons the calls under way, then, with `revoke`, revokes every current lease
    /// and every old one still waiting: children's leases (current and old) all at once,
    /// then, once they are done, every other lease at once. Revocations of removed
    /// leases under way are finished with the children's.
    async fn shutdown(&mut self, revoke: bool) {
        self.pending.clear();
        let children = std::mem::take(&mut self.removals);
        let parents = FuturesUnordered::new();
        if revoke {
            for job in self.timers.drain() {
                if let Job::RevokeOld(old) = job {
                    let wave = if old.child { &children } else { &parents };
                    wave.push(revocation(
                        &self.config,
                        &old.name,
                        &old.source,
                        old.lease,
                        None,
                    ));
                }
            }
            // Children first: revoking a parent token may revoke them along with it.
            for (_, entry) in self.entries.drain() {
                let wave = if entry.parent.is_some() {
                    &children
                } else {
                    &parents
                };
                let lease = entry.lease();
                wave.push(revocation(
                    &self.config,
                    &entry.name,
                    &entry.source,
                    lease,
                    None,
                ));
            }
        }
        for mut wave in [children, parents] {
            while let Some(outcome) = wave.next().await {
                self.outcome(outcome);
            }
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
