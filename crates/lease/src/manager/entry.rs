//! `Entry`: the scheduler's state for one managed lease.

use std::sync::Arc;
use std::time::Duration;

use ironsecrets_core::{Lease, LeasedCredential};
use rand::Rng;
use tokio::sync::watch;
use tokio::time::Instant;

use crate::schedule::{reissue_delay, renew_delay};
use crate::{LeaseConfig, LeaseSource};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Phase {
    /// Renew when the timer fires.
    Renewing,
    /// The lease cannot be extended: re-issue when the timer fires.
    Final,
}

/// One managed lease: its source, its current credential (shared with the handles through
/// the watch channel) and where it stands in the renew / re-issue cycle.
pub(super) struct Entry {
    pub(super) name: Arc<str>,
    pub(super) source: Arc<dyn LeaseSource>,
    pub(super) credential: watch::Sender<Arc<LeasedCredential>>,
    pub(super) expires: Option<Instant>,
    pub(super) requested: Option<Duration>,
    pub(super) phase: Phase,
    pub(super) failures: u32,
    pub(super) expired_reported: bool,
    /// The id of this lease's job in the timer heap.
    pub(super) timer: Option<u64>,
    /// A call to the source is under way.
    pub(super) busy: bool,
    pub(super) reissue_requested: bool,
    pub(super) parent: Option<u64>,
}

impl Entry {
    pub(super) fn new(
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
    pub(super) fn issued(&mut self, config: &LeaseConfig, lease: &Lease) {
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

    pub(super) fn lease(&self) -> Lease {
        self.credential.borrow().lease.clone()
    }

    /// Records a renewal in the current credential without notifying watchers: a renewal
    /// is not a new credential.
    pub(super) fn set_lease(&mut self, lease: &Lease) {
        self.credential.send_if_modified(|current| {
            if current.lease != *lease {
                Arc::make_mut(current).lease = lease.clone();
            }
            false
        });
    }

    /// Time left on the lease (`None` once expired or for a lease that never expires).
    pub(super) fn remaining(&self, now: Instant) -> Option<Duration> {
        self.expires
            .map(|at| at.saturating_duration_since(now))
            .filter(|left| !left.is_zero())
    }

    /// The delay to the next renewal or re-issue for the current phase; `None` for a
    /// lease that never expires.
    pub(super) fn next_delay(&self, config: &LeaseConfig, now: Instant) -> Option<Duration> {
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
