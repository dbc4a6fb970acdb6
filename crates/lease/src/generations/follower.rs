//! `Follower`: the task of a [`Generations`](super::Generations), which follows the
//! managed lease's credentials and retires old generations.

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesUnordered;
use ironsecrets_core::{Error, ErrorKind, Lease, LeasedCredential, Result};
use tokio::sync::{broadcast, watch};
use tokio::time::{Instant, sleep_until, timeout};

use super::config::GenerationsConfig;
use super::state::{Drained, Generation, Shared};
use crate::{LeaseEvent, LeaseSource, ManagedLease};

/// The current lease is looked at again (for renewals, which do not notify watchers)
/// after half its remaining time, but not more often than this.
const RENEWAL_CHECK_MIN: Duration = Duration::from_millis(50);

/// An old generation waiting to be done with.
struct Old {
    generation: u64,
    lease: Lease,
    /// Revoke at this instant even with tickets left.
    deadline: Instant,
    /// Failed revocations are retried until then (the lease's end).
    ends: Instant,
    /// A revocation is under way.
    busy: bool,
    /// When to try again after a failed revocation.
    retry_at: Option<Instant>,
}

/// A revocation's outcome: the generation, whether tickets were left, the result.
type Revocation = (u64, bool, Result<()>);

/// The task's state. It awaits nothing but its wake-ups: revocations run as futures
/// polled alongside them, so a new credential is taken in at once even while an old
/// lease's revocation hangs.
pub(super) struct Follower {
    name: Arc<str>,
    shared: Arc<Shared>,
    source: Arc<dyn LeaseSource>,
    config: GenerationsConfig,
    credentials: watch::Receiver<Arc<LeasedCredential>>,
    /// The manager's events: renewals of the current lease, which the watch does not
    /// announce, arrive here as they happen.
    events: Option<broadcast::Receiver<LeaseEvent>>,
    numbers: watch::Sender<u64>,
    /// The current lease as last seen (renewals included) and when it ends.
    lease: Lease,
    ends: Option<Instant>,
    old: Vec<Old>,
    revocations: FuturesUnordered<BoxFuture<'static, Revocation>>,
}

/// The instant `lease` ends, seen from `now`; `None` for a lease that never ends.
fn ends_at(lease: &Lease, now: Instant) -> Option<Instant> {
    if lease.ttl.is_zero() {
        return None;
    }
    let left = (lease.expires_at() - chrono::Utc::now())
        .to_std()
        .unwrap_or_default();
    Some(now + left)
}

impl Follower {
    /// Follows `lease` through `credentials` from the credential `shared` holds as
    /// generation 0 (the one the watch was last seen at); announces new generations on `numbers` and revokes old
    /// leases through `source`.
    pub(super) fn new(
        lease: &ManagedLease,
        credentials: watch::Receiver<Arc<LeasedCredential>>,
        shared: Arc<Shared>,
        numbers: watch::Sender<u64>,
        source: Arc<dyn LeaseSource>,
        config: GenerationsConfig,
    ) -> Follower {
        let first = shared.lock().current.credential.lease.clone();
        Follower {
            name: lease.name().into(),
            shared,
            source,
            config,
            credentials,
            events: Some(lease.subscribe()),
            numbers,
            ends: ends_at(&first, Instant::now()),
            lease: first,
            old: Vec::new(),
            revocations: FuturesUnordered::new(),
        }
    }

    /// Runs until the lease is no longer managed (no new generation will come).
    pub(super) async fn run(mut self) {
        loop {
            let now = Instant::now();
            self.follow_renewal(now);
            self.start_due(now);
            let wake = self.next_wake(now);
            let timer = async {
                match wake {
                    Some(at) => sleep_until(at).await,
                    None => std::future::pending().await,
                }
            };
            let event = async {
                match &mut self.events {
                    Some(events) => events.recv().await,
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                changed = self.credentials.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    self.rotated();
                }
                received = event => self.on_event(received),
                () = self.shared.emptied.notified() => {}
                Some((generation, at_deadline, result)) = self.revocations.next(),
                    if !self.revocations.is_empty() =>
                {
                    self.revoked(generation, at_deadline, result);
                }
                () = timer => {}
            }
        }
    }

    /// A manager event: a renewal of the current lease moves its end. Lagging behind
    /// only means renewals are found by looking at the watch instead; a closed channel
    /// (the manager is gone) stops listening.
    fn on_event(&mut self, received: std::result::Result<LeaseEvent, broadcast::error::RecvError>) {
        match received {
            Ok(LeaseEvent::Renewed { lease, .. }) if lease.id == self.lease.id => {
                self.ends = ends_at(&lease, Instant::now());
                self.lease = lease;
            }
            Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
            Err(broadcast::error::RecvError::Closed) => self.events = None,
        }
    }

    /// A new credential: the current generation becomes old. Renewals of the old lease
    /// the manager reported before replacing it are taken in first, so the old lease's
    /// deadline is its real end (they were sent before the new credential was).
    fn rotated(&mut self) {
        while let Some(received) = self.events.as_mut().map(|events| events.try_recv()) {
            match received {
                Ok(event) => self.on_event(Ok(event)),
                Err(broadcast::error::TryRecvError::Lagged(n)) => {
                    self.on_event(Err(broadcast::error::RecvError::Lagged(n)))
                }
                Err(broadcast::error::TryRecvError::Empty) => break,
                Err(broadcast::error::TryRecvError::Closed) => self.events = None,
            }
        }
        let new = self.credentials.borrow_and_update().clone();
        let now = Instant::now();
        let old_lease = std::mem::replace(&mut self.lease, new.lease.clone());
        let old_ends = std::mem::replace(&mut self.ends, ends_at(&new.lease, now));
        let (deadline, ends) = match old_ends {
            Some(ends) if !old_lease.id.is_empty() => {
                let deadline = ends.checked_sub(self.config.revoke_margin).unwrap_or(now);
                (deadline, ends)
            }
            // Nothing to revoke, or no end to revoke before.
            _ => {
                let deadline = now + self.config.unleased_drain;
                (deadline, deadline)
            }
        };
        let number = {
            let mut state = self.shared.lock();
            let number = state.current.number + 1;
            let old = std::mem::replace(
                &mut state.current,
                Generation {
                    number,
                    credential: new,
                },
            );
            let tickets = std::mem::take(&mut state.tickets);
            state.old.insert(old.number, tickets);
            state.stats.generation = number;
            state.stats.draining = state.old.len() as u64;
            self.old.push(Old {
                generation: old.number,
                lease: old_lease,
                deadline,
                ends,
                busy: false,
                retry_at: None,
            });
            number
        };
        self.numbers.send_replace(number);
        tracing::debug!(lease = %self.name, generation = number, "new credential generation");
    }

    /// Takes in a renewal of the current lease, which the watch does not announce: the
    /// task looks at the watched credential whenever it wakes (see `next_wake`).
    fn follow_renewal(&mut self, now: Instant) {
        let latest = self.credentials.borrow().lease.clone();
        if latest.id.is_empty() || latest.id != self.lease.id || latest == self.lease {
            return;
        }
        self.ends = ends_at(&latest, now);
        self.lease = latest;
    }

    /// Starts the revocation of each old generation that has drained or reached its
    /// deadline; one without a lease id is done with at once.
    fn start_due(&mut self, now: Instant) {
        let mut done = Vec::new();
        for old in &mut self.old {
            if old.busy || old.retry_at.is_some_and(|at| now < at) {
                continue;
            }
            let left = self.shared.lock().old.get(&old.generation).copied();
            let left = left.unwrap_or_default();
            if left > 0 && now < old.deadline {
                continue;
            }
            let at_deadline = left > 0;
            if old.lease.id.is_empty() {
                done.push((old.generation, at_deadline));
                continue;
            }
            old.busy = true;
            old.retry_at = None;
            let (source, lease) = (Arc::clone(&self.source), old.lease.clone());
            let (generation, limit) = (old.generation, self.config.revoke_timeout);
            self.revocations.push(Box::pin(async move {
                let result = match timeout(limit, source.revoke(&lease)).await {
                    Ok(result) => result,
                    Err(_) => Err(Error::new(
                        ErrorKind::Unavailable,
                        format!("the revocation did not answer within {limit:?}"),
                    )),
                };
                (generation, at_deadline, result)
            }));
        }
        for (generation, at_deadline) in done {
            self.finish(generation, at_deadline, true);
        }
    }

    /// When to wake up without news: the next deadline or retry of an old generation
    /// (one with no ticket left has started its revocation already), or the next look at
    /// the current lease for renewals.
    fn next_wake(&self, now: Instant) -> Option<Instant> {
        let old = self
            .old
            .iter()
            .filter(|old| !old.busy)
            .map(|old| old.retry_at.unwrap_or(old.deadline));
        let renewal = self
            .ends
            .filter(|ends| !self.lease.id.is_empty() && self.lease.renewable && *ends > now)
            .map(|ends| now + ((ends - now) / 2).max(RENEWAL_CHECK_MIN));
        old.chain(renewal).min()
    }

    fn revoked(&mut self, generation: u64, at_deadline: bool, result: Result<()>) {
        let Some(old) = self.old.iter_mut().find(|old| old.generation == generation) else {
            return;
        };
        old.busy = false;
        let Err(err) = result else {
            self.finish(generation, at_deadline, true);
            return;
        };
        self.shared.lock().stats.revoke_failures += 1;
        tracing::warn!(lease = %self.name, generation, kind = %err.kind(), error = %err, "revoking an old lease failed");
        let now = Instant::now();
        if now < old.ends {
            old.retry_at = Some(now + self.config.retry_delay);
        } else {
            self.finish(generation, at_deadline, false);
        }
    }

    /// `generation` is done with: forget it and report it.
    fn finish(&mut self, generation: u64, at_deadline: bool, revoked: bool) {
        self.old.retain(|old| old.generation != generation);
        {
            let mut state = self.shared.lock();
            state.old.remove(&generation);
            state.stats.draining = state.old.len() as u64;
            match (revoked, at_deadline) {
                (true, false) => state.stats.revoked_drained += 1,
                (true, true) => state.stats.revoked_at_deadline += 1,
                (false, _) => {}
            }
        }
        if !revoked {
            tracing::warn!(lease = %self.name, generation, "old lease ended before a revocation succeeded");
        } else if at_deadline {
            tracing::warn!(lease = %self.name, generation, "old lease revoked with connections still open");
        } else {
            tracing::debug!(lease = %self.name, generation, "old credential drained");
        }
        let _ = self.shared.reports.send(Drained {
            generation,
            at_deadline,
            revoked,
        });
    }
}
