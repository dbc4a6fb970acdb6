//! `Ticket`: one open connection of a generation, and `Stale`, the refusal of one.

use std::fmt;
use std::sync::Arc;

use super::state::Shared;

/// A connection opened with one generation's credential. Dropping it tells the
/// [`Generations`](super::Generations) that the connection is closed.
pub struct Ticket {
    generation: u64,
    shared: Arc<Shared>,
}

/// A connection was opened with a credential that is no longer current: the credential
/// rotated while it was connecting. Close it and connect again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stale {
    /// The generation the connection was opened with.
    pub generation: u64,
    /// The current generation.
    pub current: u64,
}

impl Ticket {
    /// A ticket of `generation` if it is current (counted as opened), else [`Stale`]
    /// (counted as refused).
    pub(super) fn open(shared: &Arc<Shared>, generation: u64) -> Result<Ticket, Stale> {
        let mut state = shared.lock();
        let current = state.current.number;
        if generation != current {
            state.stats.refused_stale += 1;
            return Err(Stale {
                generation,
                current,
            });
        }
        state.tickets += 1;
        state.stats.opened += 1;
        Ok(Ticket {
            generation,
            shared: Arc::clone(shared),
        })
    }

    /// The generation whose credential the connection was opened with.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// Whether the credential was replaced since: close the connection when it is not in
    /// use.
    pub fn is_stale(&self) -> bool {
        self.generation < self.shared.lock().current.number
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut state = self.shared.lock();
        if self.generation == state.current.number {
            state.tickets = state.tickets.saturating_sub(1);
            return;
        }
        let Some(left) = state.old.get_mut(&self.generation) else {
            // Its generation is done with already (revoked at its deadline).
            return;
        };
        *left = left.saturating_sub(1);
        let emptied = *left == 0;
        state.stats.retired += 1;
        drop(state);
        if emptied {
            self.shared.emptied.notify_one();
        }
    }
}

impl fmt::Debug for Ticket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticket")
            .field("generation", &self.generation)
            .finish_non_exhaustive()
    }
}

impl fmt::Display for Stale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the credential of generation {} was replaced while connecting (now {})",
            self.generation, self.current
        )
    }
}

impl std::error::Error for Stale {}
