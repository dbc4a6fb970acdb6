//! `RotationStats`: what a [`Generations`](super::Generations) has done so far.

/// What a [`Generations`](super::Generations) (and the pool on it) has done so far.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RotationStats {
    /// The current credential's generation (0 for the first credential).
    pub generation: u64,
    /// Connections opened (tickets given).
    pub opened: u64,
    /// Connections retired because their credential was replaced (tickets of an old
    /// generation dropped before it was done with).
    pub retired: u64,
    /// Connection attempts refused because the credential changed while connecting.
    pub refused_stale: u64,
    /// Old leases revoked once their last connection was closed (or, without a lease,
    /// done with once it was closed).
    pub revoked_drained: u64,
    /// Old leases revoked at their deadline with connections still open (not counted as
    /// retired: closed by the driver on an error, or still busy).
    pub revoked_at_deadline: u64,
    /// Revocations that failed (retried until the lease ends).
    pub revoke_failures: u64,
    /// Old generations not done with yet (connections to close, or a revocation to
    /// finish).
    pub draining: u64,
}
