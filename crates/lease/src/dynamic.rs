//! `DynamicSource`: a backend's dynamic credentials as a [`LeaseSource`].

use std::fmt;
use std::time::Duration;

use async_trait::async_trait;
use ironsecrets_core::{Backend, CredentialRequest, Lease, LeasedCredential, Result};

use crate::LeaseSource;

/// Issues `request` from the backend's [`DynamicCredentials`](ironsecrets_core::DynamicCredentials)
/// engine and renews and revokes through its [`Leases`](ironsecrets_core::Leases). Works
/// for any backend that has both engines; one that lacks either answers Unsupported. Give
/// it a client's `backend()` (behind the layer stack), so renewals and revocations are
/// retried like any call and issuing is not retried blindly.
///
/// A lease without an id (e.g. a database static role's current password) cannot be
/// renewed or revoked: renew answers InvalidInput, so the manager re-issues it when 85 %
/// of its window has passed, and revoke does nothing.
#[derive(Clone)]
pub struct DynamicSource {
    /// The backend issuing and renewing.
    pub backend: Backend,
    /// What to issue.
    pub request: CredentialRequest,
}

impl DynamicSource {
    /// A source issuing `request` from `backend`.
    pub fn new(backend: Backend, request: CredentialRequest) -> Self {
        DynamicSource { backend, request }
    }
}

impl fmt::Debug for DynamicSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DynamicSource")
            .field("backend", &self.backend.name())
            .field("request", &self.request)
            .finish()
    }
}

#[async_trait]
impl LeaseSource for DynamicSource {
    async fn issue(&self) -> Result<LeasedCredential> {
        self.backend
            .credentials()?
            .issue(self.request.clone())
            .await
    }

    async fn renew(&self, lease: &Lease, increment: Option<Duration>) -> Result<Lease> {
        if lease.id.is_empty() {
            return Err(ironsecrets_core::Error::invalid_input(
                "the lease has no id and cannot be renewed",
            ));
        }
        self.backend.leases()?.renew(&lease.id, increment).await
    }

    async fn revoke(&self, lease: &Lease) -> Result<()> {
        if lease.id.is_empty() {
            return Ok(());
        }
        self.backend.leases()?.revoke(&lease.id).await
    }
}
