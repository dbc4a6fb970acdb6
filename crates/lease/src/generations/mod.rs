//! `Generations`: which credential each connection of a pool was opened with, and when
//! an old credential's lease may be revoked — the driver-neutral half of a rotating pool.
//!
//! - `state`: what the handle, the tickets and the task share;
//! - `ticket`: one open connection of a generation;
//! - `follower`: the task following the managed lease and retiring old generations;
//! - `config`, `stats`: the policy and the counters.

mod config;
mod follower;
mod state;
mod stats;
mod ticket;

#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::Arc;

use tokio::sync::broadcast;
use tokio::task::JoinHandle;

pub use config::GenerationsConfig;
pub use state::{Drained, Generation};
pub use stats::RotationStats;
pub use ticket::{Stale, Ticket};

use follower::Follower;
use state::Shared;

use crate::{LeaseSource, ManagedLease};

/// The generation bookkeeping of a pool whose credential rotates, for any pool driver:
/// the current credential with its generation number, a [`Ticket`] per open connection,
/// the stale check, and the revocation of an old generation's lease once it has drained.
///
/// A pool adapter only wires its hooks to it:
///
/// - connect with [`current`](Self::current)'s credential and, once connected, ask
///   [`open`](Self::open) for a ticket with that generation's number; a refusal
///   ([`Stale`]) means the credential rotated meanwhile: close and connect again;
/// - keep the ticket with the connection and drop it when the connection closes; when a
///   connection comes back to the pool or is taken from it, close it if its ticket
///   [`is_stale`](Ticket::is_stale) (never while a query runs on it);
/// - follow [`changed`](Self::changed) to connect with the new credential, close idle
///   stale connections while [`draining`](Self::draining), and read the [`Drained`]
///   reports of [`subscribe`](Self::subscribe).
///
/// Its task follows [`ManagedLease::watch`]. When an old generation has no ticket left,
/// the task revokes the old lease through `source` and reports `Drained { at_deadline:
/// false, .. }`; with tickets left, it revokes anyway `revoke_margin` before the old
/// lease ends and reports `at_deadline: true`. A credential without a lease id (a static
/// role's replaced password) has nothing to revoke: it is done with when its tickets are
/// gone, or after `unleased_drain`. A failed revocation is retried until the lease ends.
/// The task never waits on a revocation inline and never runs user code: reports go to
/// subscribers. It stops when the lease is no longer managed (stopped, or its manager
/// gone), or at [`close`](Self::close) or drop.
///
/// Configure the [`LeaseManager`](crate::LeaseManager) with a long
/// [`revoke_old_after`](crate::LeaseConfig::revoke_old_after) so the pool, not the
/// manager, decides when an old lease is revoked; revoking twice is harmless.
pub struct Generations {
    shared: Arc<Shared>,
    task: JoinHandle<()>,
}

impl Generations {
    /// Starts following `lease` (a task on the current tokio runtime) from its current
    /// credential, generation 0; `source` revokes its old leases.
    pub fn new(
        lease: ManagedLease,
        source: Arc<dyn LeaseSource>,
        config: GenerationsConfig,
    ) -> Self {
        let mut credentials = lease.watch();
        let first = credentials.borrow_and_update().clone();
        let (shared, numbers) = Shared::new(first);
        let follower = Follower::new(
            &lease,
            credentials,
            Arc::clone(&shared),
            numbers,
            source,
            config,
        );
        let task = tokio::spawn(follower.run());
        Generations { shared, task }
    }

    /// The current credential and its generation number.
    pub fn current(&self) -> Generation {
        self.shared.lock().current.clone()
    }

    /// Waits until the current generation is newer than `after` and returns it (at once
    /// if it already is); `None` once the lease is no longer managed and no newer
    /// generation will come.
    pub async fn changed(&self, after: u64) -> Option<Generation> {
        let mut numbers = self.shared.numbers.clone();
        loop {
            if *numbers.borrow_and_update() > after {
                return Some(self.current());
            }
            numbers.changed().await.ok()?;
        }
    }

    /// A ticket for a connection opened with `generation`'s credential; refused if that
    /// generation is no longer current (counted in
    /// [`refused_stale`](RotationStats::refused_stale)).
    pub fn open(&self, generation: u64) -> Result<Ticket, Stale> {
        Ticket::open(&self.shared, generation)
    }

    /// A [`Drained`] report for each old generation done with, from now on. A subscriber
    /// more than 64 reports behind misses the oldest.
    pub fn subscribe(&self) -> broadcast::Receiver<Drained> {
        self.shared.reports.subscribe()
    }

    /// Whether an old generation still has tickets (connections to close).
    pub fn draining(&self) -> bool {
        self.shared.lock().old.values().any(|left| *left > 0)
    }

    /// What has been done so far.
    pub fn stats(&self) -> RotationStats {
        self.shared.lock().stats
    }

    /// Stops the task (as dropping this does): no new generation is taken in and no old
    /// lease revoked any more; tickets and stats stay readable.
    pub fn close(&self) {
        self.task.abort();
    }
}

impl Drop for Generations {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl fmt::Debug for Generations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Generations")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}
