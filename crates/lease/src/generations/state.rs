//! What the handle, the tickets and the task share: the current [`Generation`], the
//! open tickets per generation, the stats, and the [`Drained`] reports.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use ironsecrets_core::LeasedCredential;
use tokio::sync::{Notify, broadcast, watch};

use super::stats::RotationStats;

/// One credential of a managed lease, numbered in the order they came: 0 for the first,
/// one more at each rotation. Debug redacts the credential.
#[derive(Clone, Debug)]
pub struct Generation {
    /// The generation number.
    pub number: u64,
    /// The credential.
    pub credential: Arc<LeasedCredential>,
}

/// An old generation is done with: its lease was revoked (or it had none, or it ended
/// while every revocation failed). Its tickets no longer count.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Drained {
    /// The old generation.
    pub generation: u64,
    /// Tickets were still open: the lease was about to end (or, without a lease, the
    /// unleased drain time ran out). Their connections may fail; a pool should forget
    /// those tickets and close such connections when it sees them.
    pub at_deadline: bool,
    /// `false` when every revocation failed until the lease ended (each failure is
    /// counted in [`RotationStats::revoke_failures`]); `true` otherwise, including for a
    /// credential without a lease, which has nothing to revoke.
    pub revoked: bool,
}

/// Drained reports buffered per subscriber before the slowest misses some.
const REPORT_CAPACITY: usize = 64;

pub(super) struct Shared {
    state: Mutex<State>,
    /// Woken when an old generation's last ticket is dropped.
    pub(super) emptied: Notify,
    /// The current generation number; the sender is the task's.
    pub(super) numbers: watch::Receiver<u64>,
    pub(super) reports: broadcast::Sender<Drained>,
}

pub(super) struct State {
    pub(super) current: Generation,
    /// Tickets of the current generation.
    pub(super) tickets: u64,
    /// Tickets of each old generation not done with yet.
    pub(super) old: BTreeMap<u64, u64>,
    pub(super) stats: RotationStats,
}

impl Shared {
    /// Generation 0 is `first`; the task announces newer ones through `numbers`' sender.
    pub(super) fn new(first: Arc<LeasedCredential>) -> (Arc<Shared>, watch::Sender<u64>) {
        let (numbers, numbers_rx) = watch::channel(0);
        let (reports, _) = broadcast::channel(REPORT_CAPACITY);
        let shared = Shared {
            state: Mutex::new(State {
                current: Generation {
                    number: 0,
                    credential: first,
                },
                tickets: 0,
                old: BTreeMap::new(),
                stats: RotationStats::default(),
            }),
            emptied: Notify::new(),
            numbers: numbers_rx,
            reports,
        };
        (Arc::new(shared), numbers)
    }

    pub(super) fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
