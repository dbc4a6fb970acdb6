//! `LeaseSource`: where a managed lease comes from and how it is renewed and revoked.

use std::time::Duration;

use async_trait::async_trait;
use ironsecrets_core::{Lease, LeasedCredential, Result};

/// Issues, renews and revokes one kind of leased credential. Object safe: the manager
/// holds sources as `Arc<dyn LeaseSource>`.
///
/// Implementations: [`DynamicSource`](crate::DynamicSource) (any backend's dynamic
/// credentials) and, with the `vault` feature, [`VaultTokenSource`](crate::VaultTokenSource)
/// (the client's own auth token).
#[async_trait]
pub trait LeaseSource: Send + Sync + 'static {
    /// Issues a new credential under a new lease.
    async fn issue(&self) -> Result<LeasedCredential>;

    /// Extends `lease` by `increment` (the backend's default when `None`) and returns the
    /// lease as granted, which may be shorter than asked.
    async fn renew(&self, lease: &Lease, increment: Option<Duration>) -> Result<Lease>;

    /// Ends `lease` now. Revoking a lease that is already gone should succeed.
    async fn revoke(&self, lease: &Lease) -> Result<()>;
}
