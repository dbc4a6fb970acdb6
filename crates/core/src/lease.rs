//! Leases and dynamic credentials.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{Result, SecretMap};

/// A lease on a secret or credential: it ends after `ttl` unless renewed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lease {
    /// The backend's lease id (not secret).
    pub id: String,
    /// Time to live from `issued_at`.
    pub ttl: Duration,
    /// Whether `renew` can extend it.
    pub renewable: bool,
    /// When the lease (or its latest renewal) was granted.
    pub issued_at: DateTime<Utc>,
}

impl Lease {
    /// When the lease ends unless renewed.
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.issued_at + chrono::TimeDelta::from_std(self.ttl).unwrap_or(chrono::TimeDelta::MAX)
    }
}

/// Credentials with the lease that governs them. The fields (username, password, key,
/// certificate, ...) are secret values, redacted in Debug.
#[derive(Clone, Debug)]
pub struct LeasedCredential {
    /// The lease to renew or revoke.
    pub lease: Lease,
    /// The credential's fields.
    pub data: SecretMap,
}

/// What credentials to issue. Each variant names the engine mount and role.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CredentialRequest {
    /// Database username and password from a role.
    Database {
        /// Engine mount (Vault: `database`).
        mount: String,
        /// Role name.
        role: String,
    },
    /// Cloud credentials (AWS STS, Vault aws/azure/gcp engines).
    Cloud {
        /// Engine mount or provider.
        mount: String,
        /// Role name or ARN.
        role: String,
        /// Requested lifetime.
        ttl: Option<Duration>,
    },
}

/// Renew, revoke and look up leases.
#[async_trait]
pub trait Leases: Send + Sync + 'static {
    /// Extends a lease by `increment` (the backend's default when `None`); returns the
    /// lease as granted, which may be shorter than asked.
    async fn renew(&self, lease_id: &str, increment: Option<Duration>) -> Result<Lease>;

    /// Ends a lease now; its credentials stop working.
    async fn revoke(&self, lease_id: &str) -> Result<()>;

    /// The lease's current state.
    async fn lookup(&self, lease_id: &str) -> Result<Lease>;
}

/// Issues short-lived credentials.
#[async_trait]
pub trait DynamicCredentials: Send + Sync + 'static {
    /// Issues new credentials under a new lease.
    async fn issue(&self, request: CredentialRequest) -> Result<LeasedCredential>;
}
