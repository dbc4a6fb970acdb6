//! `LeaseConfig`: the renewal and rotation policy.

use std::time::Duration;

/// When to renew, when to re-issue, how to back off. The defaults follow the design:
/// renew at 2/3 of the remaining ttl ± 10 %, re-issue when 85 % of the final window has
/// passed, revoke an old lease just before it would end anyway.
#[derive(Clone, Debug)]
pub struct LeaseConfig {
    /// Renew when this fraction of the remaining ttl has passed (default 2/3).
    pub renew_fraction: f64,
    /// Random spread of each renewal time, as a fraction of the delay (default 0.1: ±10 %).
    pub jitter: f64,
    /// The increment asked for at each renewal; `None` (default) asks for the ttl the
    /// lease was issued with. A grant shorter than asked means the max ttl is reached:
    /// renewals stop and the credential is re-issued.
    pub increment: Option<Duration>,
    /// Re-issue when this fraction of the final window (the lease's remaining time once it
    /// cannot be extended) has passed (default 0.85).
    pub reissue_fraction: f64,
    /// Re-issue at least this long before the lease ends, when the window allows (default
    /// 1 s): room for the new credential to reach its users, and for child leases to be
    /// re-issued under a new token before the old one ends.
    pub reissue_lead: Duration,
    /// How long after a rotation the old lease is revoked; `None` (default): just before
    /// it would end anyway (`revoke_margin` before its expiry), so users still holding the
    /// old credential keep it as long as possible.
    pub revoke_old_after: Option<Duration>,
    /// With `revoke_old_after` `None`, revoke this long before the old lease's expiry
    /// (default 1 s).
    pub revoke_margin: Duration,
    /// The first retry delay after a failure (default 500 ms), doubled at each failure.
    pub backoff_initial: Duration,
    /// The longest retry delay (default 30 s). While the lease is valid, retries are also
    /// bounded by the time left, but never shorter than `backoff_initial`.
    pub backoff_max: Duration,
    /// A call to the source taking longer than this fails as Unavailable (default 10 s).
    pub call_timeout: Duration,
    /// Events buffered per subscriber before the slowest misses some (default 1024).
    pub event_capacity: usize,
}

impl Default for LeaseConfig {
    fn default() -> Self {
        LeaseConfig {
            renew_fraction: 2.0 / 3.0,
            jitter: 0.1,
            increment: None,
            reissue_fraction: 0.85,
            reissue_lead: Duration::from_secs(1),
            revoke_old_after: None,
            revoke_margin: Duration::from_secs(1),
            backoff_initial: Duration::from_millis(500),
            backoff_max: Duration::from_secs(30),
            call_timeout: Duration::from_secs(10),
            event_capacity: 1024,
        }
    }
}
