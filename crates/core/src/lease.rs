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
    /// The current credentials of a database static role (rotated by the backend; the
    /// lease's ttl is the time until the next rotation and it has no id to renew).
    DatabaseStatic {
        /// Engine mount (Vault: `database`).
        mount: String,
        /// Static role name.
        role: String,
    },
    /// A one-time SSH password for `username` on host `ip`.
    SshOtp {
        /// Engine mount (Vault: `ssh`).
        mount: String,
        /// Role name.
        role: String,
        /// The target host's IP address.
        ip: String,
        /// The login name; the role's default when `None`.
        username: Option<String>,
    },
    /// An SSH certificate for `public_key`, signed by the engine's CA.
    SshSignedKey {
        /// Engine mount (Vault: `ssh`).
        mount: String,
        /// Role name.
        role: String,
        /// The OpenSSH public key to sign.
        public_key: String,
        /// Principals (user names or host names) the certificate is valid for.
        valid_principals: Vec<String>,
        /// A host certificate rather than a user certificate.
        host: bool,
        /// Requested lifetime.
        ttl: Option<Duration>,
    },
    /// An X.509 certificate and private key issued by a PKI role.
    PkiCertificate {
        /// Engine mount (Vault: `pki`).
        mount: String,
        /// Role name.
        role: String,
        /// The certificate's common name.
        common_name: String,
        /// Subject alternative names (DNS names or IPs).
        alt_names: Vec<String>,
        /// Requested lifetime.
        ttl: Option<Duration>,
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

impl CredentialRequest {
    /// `mount/role`: the role the request names, for errors and traces (no secret).
    pub fn role_path(&self) -> String {
        let (mount, role) = match self {
            CredentialRequest::Database { mount, role }
            | CredentialRequest::DatabaseStatic { mount, role }
            | CredentialRequest::SshOtp { mount, role, .. }
            | CredentialRequest::SshSignedKey { mount, role, .. }
            | CredentialRequest::PkiCertificate { mount, role, .. }
            | CredentialRequest::Cloud { mount, role, .. } => (mount, role),
        };
        format!("{}/{role}", mount.trim_end_matches('/'))
    }
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
