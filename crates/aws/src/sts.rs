//! [`StsCredentials`]: STS `AssumeRole` as [`DynamicCredentials`].
//!
//! `CredentialRequest::Cloud { mount, role, ttl }` assumes the role ARN `role` with the
//! session name `mount` (`ironsecrets` when empty) for `ttl` (AWS's default of one hour
//! when `None`; 15 minutes to the role's maximum). The credential's fields are
//! `access_key_id`, `secret_access_key`, `session_token` and `expiration` (RFC 3339).
//! STS credentials cannot be renewed or revoked one by one: the lease is not renewable
//! and has no id, its ttl runs to the credentials' expiry, so a lease manager re-issues
//! before then.

use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sts::Client;
use chrono::Utc;
use ironsecrets_core::{
    CredentialRequest, DynamicCredentials, Error, Lease, LeasedCredential, Result, SecretMap,
};

use crate::errors;
use crate::store::BACKEND;
use crate::time::utc;

/// The session name used when the request's `mount` is empty.
const DEFAULT_SESSION: &str = "ironsecrets";

/// STS `AssumeRole` as [`DynamicCredentials`]; see the module docs.
#[derive(Clone, Debug)]
pub struct StsCredentials {
    client: Client,
}

impl StsCredentials {
    /// Credentials from an SDK client.
    pub fn new(client: Client) -> Self {
        StsCredentials { client }
    }
}

#[async_trait]
impl DynamicCredentials for StsCredentials {
    async fn issue(&self, request: CredentialRequest) -> Result<LeasedCredential> {
        let CredentialRequest::Cloud { mount, role, ttl } = request else {
            return Err(Error::unsupported_feature(
                BACKEND,
                "credentials other than Cloud (STS AssumeRole)",
            ));
        };
        let session = if mount.is_empty() {
            DEFAULT_SESSION
        } else {
            mount.as_str()
        };
        let duration = ttl
            .map(|t| i32::try_from(t.as_secs()))
            .transpose()
            .map_err(|_| Error::invalid_input("the requested ttl is too long"))?;
        let issued_at = Utc::now();
        let out = self
            .client
            .assume_role()
            .role_arn(&role)
            .role_session_name(session)
            .set_duration_seconds(duration)
            .send()
            .await
            .map_err(|e| errors::from_sdk("STS", e))?;
        let creds = out
            .credentials()
            .ok_or_else(|| Error::unexpected("STS returned no credentials"))?;
        let expires_at = utc(Some(creds.expiration()));
        let mut data = SecretMap::new();
        data.insert("access_key_id", creds.access_key_id());
        data.insert("secret_access_key", creds.secret_access_key());
        data.insert("session_token", creds.session_token());
        data.insert("expiration", expires_at.to_rfc3339());
        Ok(LeasedCredential {
            lease: Lease {
                id: String::new(),
                ttl: (expires_at - issued_at).to_std().unwrap_or(Duration::ZERO),
                renewable: false,
                issued_at,
            },
            data,
        })
    }
}
