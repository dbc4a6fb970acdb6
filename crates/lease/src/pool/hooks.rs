//! `Hooks`: what the pool's sqlx hooks do — keep each connection's [`Ticket`], found
//! again by the connection's age, and ask the [`Generations`] for the rest.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use sqlx::pool::PoolConnectionMetadata;
use tokio::time::Instant;

use super::database::fields;
use crate::{Generations, Ticket};

/// The generations, and the ticket of each open connection.
pub(super) struct Hooks {
    pub(super) generations: Generations,
    tickets: Mutex<Tickets>,
}

/// Tickets by (time accepted, sequence). sqlx records a connection's creation right
/// after `after_connect`, so the newest ticket accepted at or before a connection's
/// creation is its own.
#[derive(Default)]
struct Tickets {
    by_age: BTreeMap<(Instant, u64), Ticket>,
    seq: u64,
}

impl Hooks {
    pub(super) fn new(generations: Generations) -> Self {
        Hooks {
            generations,
            tickets: Mutex::default(),
        }
    }

    /// A ticket dropped with this lock held takes the generations' lock; nothing takes
    /// them the other way round.
    fn tickets(&self) -> MutexGuard<'_, Tickets> {
        self.tickets.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `after_connect`: a new connection logged in as `user`. Accepted with a ticket of
    /// the current generation, or refused (sqlx closes it and connects again, with the
    /// new credential) if it logged in with a replaced one.
    pub(super) fn connected(&self, user: &str) -> Result<(), sqlx::Error> {
        let current = self.generations.current();
        let (username, _) = fields(&current.credential)?;
        let generation = if user == username {
            current.number
        } else {
            // The pool's connect options change only after a new generation is current,
            // so a login as another user used an older generation's credential.
            current.number.checked_sub(1).ok_or_else(|| {
                sqlx::Error::Configuration("the connection logged in as another user".into())
            })?
        };
        let ticket = self
            .generations
            .open(generation)
            .map_err(|stale| sqlx::Error::Protocol(stale.to_string()))?;
        let mut tickets = self.tickets();
        tickets.seq += 1;
        let key = (Instant::now(), tickets.seq);
        tickets.by_age.insert(key, ticket);
        Ok(())
    }

    /// `before_acquire` / `after_release`: whether the connection with `meta` may stay;
    /// not if its credential was replaced, and then its ticket is dropped (retired).
    pub(super) fn keep(&self, meta: &PoolConnectionMetadata) -> bool {
        let now = Instant::now();
        let created = now.checked_sub(meta.age).unwrap_or(now);
        let mut tickets = self.tickets();
        let found = tickets
            .by_age
            .range(..=(created, u64::MAX))
            .next_back()
            .map(|(key, ticket)| (*key, ticket.is_stale()));
        let Some((key, true)) = found else {
            return true;
        };
        // Dropped here, with the lock held: see `tickets`.
        tickets.by_age.remove(&key);
        false
    }

    /// Forgets the tickets of `generation`, done with at its deadline: sqlx closes
    /// connections whose session the revocation ended without calling a hook (their
    /// ping fails), so their tickets would stay forever.
    pub(super) fn forget(&self, generation: u64) {
        // Dropped here, with the lock held: see `tickets`.
        self.tickets()
            .by_age
            .retain(|_, ticket| ticket.generation() != generation);
    }
}
