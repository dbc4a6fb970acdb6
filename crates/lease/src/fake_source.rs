//! `FakeSource`: a [`LeaseSource`] for unit tests, whose revocations can be held back,
//! slowed down or made to fail, and which logs every call.

use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use ironsecrets_core::{Error, ErrorKind, Lease, LeasedCredential, Result, SecretMap};
use tokio::sync::watch;
use tokio::time::{Instant, sleep};

use crate::LeaseSource;

/// Issues `{prefix}-user-{n}` / `{prefix}-pw-{n}` under lease `{prefix}-lease-{n}` (or,
/// [`unleased`](Self::unleased), the same user with a new password and no lease id).
pub(crate) struct FakeSource {
    prefix: String,
    ttl: Duration,
    renewable: bool,
    leased: bool,
    revoke_delay: Duration,
    /// Revocations wait while this is `false`.
    gate: watch::Sender<bool>,
    failures: AtomicU32,
    issued: AtomicU64,
    log: Mutex<Vec<(Instant, String)>>,
}

impl FakeSource {
    /// Non-renewable leases of `ttl`.
    pub(crate) fn new(prefix: &str, ttl: Duration) -> Self {
        FakeSource {
            prefix: prefix.to_owned(),
            ttl,
            renewable: false,
            leased: true,
            revoke_delay: Duration::ZERO,
            gate: watch::channel(true).0,
            failures: AtomicU32::new(0),
            issued: AtomicU64::new(0),
            log: Mutex::default(),
        }
    }

    /// Renewable leases: each renewal grants the increment asked (or `ttl`).
    pub(crate) fn renewable(mut self) -> Self {
        self.renewable = true;
        self
    }

    /// A static credential: no lease id, the same user, a new password each time.
    pub(crate) fn unleased(mut self) -> Self {
        self.leased = false;
        self
    }

    /// Each revocation takes `delay`.
    pub(crate) fn slow_revokes(mut self, delay: Duration) -> Self {
        self.revoke_delay = delay;
        self
    }

    /// The next `count` revocations fail as Unavailable.
    pub(crate) fn failing_revokes(self, count: u32) -> Self {
        self.failures.store(count, Ordering::SeqCst);
        self
    }

    /// As an `Arc<dyn LeaseSource>` and the concrete handle.
    pub(crate) fn shared(self) -> (Arc<dyn LeaseSource>, Arc<FakeSource>) {
        let fake = Arc::new(self);
        (Arc::clone(&fake) as Arc<dyn LeaseSource>, fake)
    }

    /// Revocations wait from now on until [`release_revokes`](Self::release_revokes).
    pub(crate) fn hold_revokes(&self) {
        self.gate.send_replace(false);
    }

    /// Lets held revocations go on.
    pub(crate) fn release_revokes(&self) {
        self.gate.send_replace(true);
    }

    /// Every call so far, in order: `issue {id}`, `renew {id}`, `revoke-start {id}`,
    /// `revoke-end {id}`, `revoke-failed {id}`.
    pub(crate) fn log(&self) -> Vec<String> {
        let log = self.log.lock().unwrap();
        log.iter().map(|(_, entry)| entry.clone()).collect()
    }

    /// The leases revoked successfully, with when.
    pub(crate) fn revoked(&self) -> Vec<(String, Instant)> {
        let log = self.log.lock().unwrap();
        log.iter()
            .filter_map(|(at, entry)| Some((entry.strip_prefix("revoke-end ")?.to_owned(), *at)))
            .collect()
    }

    fn record(&self, entry: String) {
        self.log.lock().unwrap().push((Instant::now(), entry));
    }
}

#[async_trait]
impl LeaseSource for FakeSource {
    async fn issue(&self) -> Result<LeasedCredential> {
        let n = self.issued.fetch_add(1, Ordering::SeqCst);
        let prefix = &self.prefix;
        let mut data = SecretMap::new();
        let (id, user) = if self.leased {
            (format!("{prefix}-lease-{n}"), format!("{prefix}-user-{n}"))
        } else {
            (String::new(), format!("{prefix}-user"))
        };
        data.insert("username", user);
        data.insert("password", format!("{prefix}-pw-{n}"));
        self.record(format!("issue {id}"));
        Ok(LeasedCredential {
            lease: Lease {
                id,
                ttl: self.ttl,
                renewable: self.renewable,
                issued_at: chrono::Utc::now(),
            },
            data,
        })
    }

    async fn renew(&self, lease: &Lease, increment: Option<Duration>) -> Result<Lease> {
        self.record(format!("renew {}", lease.id));
        Ok(Lease {
            ttl: increment.unwrap_or(self.ttl),
            issued_at: chrono::Utc::now(),
            ..lease.clone()
        })
    }

    async fn revoke(&self, lease: &Lease) -> Result<()> {
        self.record(format!("revoke-start {}", lease.id));
        let mut gate = self.gate.subscribe();
        let _ = gate.wait_for(|open| *open).await;
        sleep(self.revoke_delay).await;
        let fail = self
            .failures
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
            .is_ok();
        if fail {
            self.record(format!("revoke-failed {}", lease.id));
            return Err(Error::new(
                ErrorKind::Unavailable,
                "the fake server is down",
            ));
        }
        self.record(format!("revoke-end {}", lease.id));
        Ok(())
    }
}
