//! `GenerationsConfig`: when old credentials are revoked.

use std::time::Duration;

/// How [`Generations`](super::Generations) retires old credentials.
#[derive(Clone, Debug)]
pub struct GenerationsConfig {
    /// An old lease is revoked this long before it would end, even with tickets left
    /// (default 500 ms).
    pub revoke_margin: Duration,
    /// How long tickets of a replaced credential without a lease id (a static role's
    /// replaced password: nothing to revoke, its sessions stay valid) may stay open
    /// (default 60 s); also the bound for a lease that never ends.
    pub unleased_drain: Duration,
    /// A revocation taking longer than this fails (default 5 s).
    pub revoke_timeout: Duration,
    /// The wait before a failed revocation is tried again (default 250 ms); retries go on
    /// until the old lease ends.
    pub retry_delay: Duration,
}

impl Default for GenerationsConfig {
    fn default() -> Self {
        GenerationsConfig {
            revoke_margin: Duration::from_millis(500),
            unleased_drain: Duration::from_secs(60),
            revoke_timeout: Duration::from_secs(5),
            retry_delay: Duration::from_millis(250),
        }
    }
}
