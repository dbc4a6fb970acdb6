//! What the lease tests share: an event log with arrival times, and a source wrapper
//! that counts and records renewals.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use ironsecrets_core::{Lease, LeasedCredential, Result};
use ironsecrets_lease::{LeaseEvent, LeaseManager, LeaseSource};
use tokio::time::{Instant, sleep};

/// Every event with the time it came.
pub type Log = Arc<Mutex<Vec<(Instant, LeaseEvent)>>>;

pub fn record(manager: &LeaseManager) -> Log {
    let log = Log::default();
    let sink = Arc::clone(&log);
    manager.on_event(move |event| sink.lock().unwrap().push((Instant::now(), event.clone())));
    log
}

pub fn events(log: &Log) -> Vec<(Instant, LeaseEvent)> {
    log.lock().unwrap().clone()
}

/// Waits (at most `limit`) until `done` holds for the log.
pub async fn until(log: &Log, limit: Duration, done: impl Fn(&[(Instant, LeaseEvent)]) -> bool) {
    let end = Instant::now() + limit;
    while !done(&events(log)) {
        assert!(
            Instant::now() < end,
            "timed out; events: {:#?}",
            events(log)
        );
        sleep(Duration::from_millis(200)).await;
    }
}

/// A renewal: lease id, increment asked, ttl granted (`None`: failed).
pub type Renewal = (String, Option<Duration>, Option<Duration>);

/// Wraps a real source, recording each renewal: lease id, increment asked, ttl granted.
pub struct Counting {
    inner: Arc<dyn LeaseSource>,
    /// Every renewal so far.
    pub renewals: Mutex<Vec<Renewal>>,
    /// Renewal calls so far.
    pub calls: AtomicUsize,
}

impl Counting {
    pub fn new(inner: impl LeaseSource) -> Arc<Counting> {
        Arc::new(Counting {
            inner: Arc::new(inner),
            renewals: Mutex::default(),
            calls: AtomicUsize::new(0),
        })
    }
}

#[async_trait]
impl LeaseSource for Counting {
    async fn issue(&self) -> Result<LeasedCredential> {
        self.inner.issue().await
    }

    async fn renew(&self, lease: &Lease, increment: Option<Duration>) -> Result<Lease> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        let result = self.inner.renew(lease, increment).await;
        let granted = result.as_ref().ok().map(|l| l.ttl);
        self.renewals
            .lock()
            .unwrap()
            .push((lease.id.clone(), increment, granted));
        result
    }

    async fn revoke(&self, lease: &Lease) -> Result<()> {
        self.inner.revoke(lease).await
    }
}
