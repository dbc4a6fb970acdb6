//! `Timers`: the scheduler's timer heap.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use ironsecrets_core::Lease;
use tokio::time::Instant;

use super::entry::Entry;
use crate::LeaseSource;

/// The timer heap: (deadline, job id), jobs by id. A cancelled job is removed from
/// `jobs`; its heap item is skipped when it comes up.
#[derive(Default)]
pub(super) struct Timers {
    heap: BinaryHeap<Reverse<(Instant, u64)>>,
    jobs: HashMap<u64, Job>,
    next: u64,
}

/// What to do when a timer fires.
pub(super) enum Job {
    /// Renew or re-issue the lease with this key.
    Wake(u64),
    /// Boxed: most jobs are wakes, and the timer map holds one per lease.
    RevokeOld(Box<OldLease>),
}

/// A lease replaced by a rotation, waiting for its revocation.
pub(super) struct OldLease {
    pub(super) name: Arc<str>,
    pub(super) source: Arc<dyn LeaseSource>,
    pub(super) lease: Lease,
    pub(super) attempts: u32,
    /// It belongs to a child lease (revoked before the parents at shutdown).
    pub(super) child: bool,
}

impl Timers {
    pub(super) fn add(&mut self, at: Instant, job: Job) -> u64 {
        self.next += 1;
        self.jobs.insert(self.next, job);
        self.heap.push(Reverse((at, self.next)));
        self.next
    }

    /// Sets the entry's timer to `at`, replacing any earlier one.
    pub(super) fn wake(&mut self, entry: &mut Entry, key: u64, at: Instant) {
        if let Some(old) = entry.timer.take() {
            self.jobs.remove(&old);
        }
        entry.timer = Some(self.add(at, Job::Wake(key)));
    }

    pub(super) fn cancel(&mut self, entry: &mut Entry) {
        if let Some(old) = entry.timer.take() {
            self.jobs.remove(&old);
        }
    }

    pub(super) fn next_deadline(&mut self) -> Option<Instant> {
        while let Some(Reverse((at, id))) = self.heap.peek() {
            if self.jobs.contains_key(id) {
                return Some(*at);
            }
            self.heap.pop();
        }
        None
    }

    pub(super) fn pop_due(&mut self, now: Instant) -> Option<Job> {
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

    /// Removes and returns every job left.
    pub(super) fn drain(&mut self) -> Vec<Job> {
        self.heap.clear();
        self.jobs.drain().map(|(_, job)| job).collect()
    }
}
