//! `VaultLeases`: renew, revoke and look up leases through `sys/leases`, and the lease
//! fields of Vault's response envelope that every leased answer carries.
//!
//! vaultrs has no `sys/leases` endpoints; they are sent as [`ApiRequest`]s through the
//! same [`VaultClient::call`] as every vaultrs request.

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ironsecrets_core::{Error, ErrorKind, Lease, Leases, Operation, Result, validate_prefix};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::VaultClient;
use crate::client::{ApiRequest, Reply};
use crate::errors::context;

/// Lease management on a Vault / OpenBao server (`sys/leases`). Debug shows the server
/// address only.
///
/// Vault's answers, as OpenBao gives them, and what they become:
///
/// | call | Vault says | kind |
/// |---|---|---|
/// | renew of an unknown, revoked or already expired-and-removed lease | 400 `lease not found` | NotFound |
/// | lookup of such a lease | 400 `invalid lease` | NotFound |
/// | renew of a lease past its expiry, not yet removed (e.g. its revocation is failing) | 400 `lease expired` | LeaseExpired |
/// | renew of a lease whose revocation failed for good | 400 `lease is expired and has failed previous revocation attempts` | LeaseExpired |
/// | renew of a non-renewable lease | 400 `lease is not renewable` | InvalidInput |
/// | revoke of an unknown or already revoked lease | 204 | success |
#[derive(Clone, Debug)]
pub struct VaultLeases {
    client: VaultClient,
}

/// The lease fields at the top of Vault's response envelope (`lease_id`,
/// `lease_duration` in seconds, `renewable`), present on every leased answer.
#[derive(Deserialize)]
pub(crate) struct LeaseFields {
    #[serde(default)]
    lease_id: String,
    #[serde(default)]
    lease_duration: u64,
    #[serde(default)]
    renewable: bool,
}

impl LeaseFields {
    /// The lease as granted just now.
    pub(crate) fn granted(self) -> Lease {
        Lease {
            id: self.lease_id,
            ttl: Duration::from_secs(self.lease_duration),
            renewable: self.renewable,
            issued_at: Utc::now(),
        }
    }
}

/// `data` of a `sys/leases/lookup` answer.
#[derive(Deserialize)]
struct LookupData {
    id: String,
    issue_time: DateTime<Utc>,
    expire_time: Option<DateTime<Utc>>,
    last_renewal: Option<DateTime<Utc>>,
    #[serde(default)]
    renewable: bool,
    #[serde(default)]
    ttl: i64,
}

impl VaultLeases {
    /// Lease management on `client`'s server.
    pub fn new(client: VaultClient) -> Self {
        VaultLeases { client }
    }

    /// The client the requests are sent with.
    pub fn client(&self) -> &VaultClient {
        &self.client
    }

    /// Revokes every lease whose id starts with `prefix`, e.g. `database/creds/app` for
    /// every credential issued by that role (`sys/leases/revoke-prefix`; needs `sudo`).
    /// An empty prefix, which would revoke everything, is refused.
    pub async fn revoke_prefix(&self, prefix: &str) -> Result<()> {
        let revoked = async {
            let trimmed = prefix.trim_end_matches('/');
            if trimmed.is_empty() {
                return Err(Error::invalid_input(
                    "an empty prefix would revoke every lease; name a mount or role",
                ));
            }
            validate_prefix(prefix)?;
            self.send(&format!("revoke-prefix/{trimmed}"), json!({}))
                .await
                .map(drop)
        };
        revoked
            .await
            .map_err(context(Operation::RevokeLeasePrefix, prefix))
    }

    /// `PUT sys/leases/<action>` (sent as POST, which Vault treats alike) with a body
    /// holding lease ids and increments only.
    async fn send(&self, action: &str, body: Value) -> Result<Reply> {
        let request = ApiRequest::post(format!("sys/leases/{action}"), body);
        self.client.call(request).await.map_err(lease_error)
    }

    async fn renew_lease(&self, lease_id: &str, increment: Option<Duration>) -> Result<Lease> {
        let mut body = json!({ "lease_id": lease_id });
        if let Some(increment) = increment {
            body["increment"] = json!(increment.as_secs());
        }
        let reply = self.send("renew", body).await?;
        reply.json::<LeaseFields>().map(LeaseFields::granted)
    }

    async fn lookup_lease(&self, lease_id: &str) -> Result<Lease> {
        let reply = self.send("lookup", json!({ "lease_id": lease_id })).await?;
        let data: LookupData = reply.data()?;
        let issued_at = data.last_renewal.unwrap_or(data.issue_time);
        let ttl = match data.expire_time {
            Some(expires) => (expires - issued_at).to_std().unwrap_or_default(),
            None => Duration::from_secs(data.ttl.max(0).unsigned_abs()),
        };
        Ok(Lease {
            id: data.id,
            ttl,
            renewable: data.renewable,
            issued_at,
        })
    }
}

/// Vault's 400 answers about a lease mapped to the kinds [`VaultLeases`] lists; other
/// errors unchanged.
fn lease_error(err: Error) -> Error {
    if err.kind() != ErrorKind::InvalidInput {
        return err;
    }
    let said = err.message();
    let kind = if said.starts_with("lease not found") || said.starts_with("invalid lease") {
        ErrorKind::NotFound
    } else if said.starts_with("lease expired") || said.starts_with("lease is expired") {
        ErrorKind::LeaseExpired
    } else {
        return err;
    };
    Error::new(kind, said)
}

#[async_trait]
impl Leases for VaultLeases {
    /// `sys/leases/renew`. The lease returned has the ttl Vault granted (capped by the
    /// role's max ttl, possibly shorter than `increment`) from now.
    async fn renew(&self, lease_id: &str, increment: Option<Duration>) -> Result<Lease> {
        self.renew_lease(lease_id, increment).await
    }

    /// `sys/leases/revoke`, waiting for the revocation to finish. Revoking an unknown or
    /// already revoked lease succeeds, as in Vault.
    async fn revoke(&self, lease_id: &str) -> Result<()> {
        self.send("revoke", json!({ "lease_id": lease_id }))
            .await
            .map(drop)
    }

    /// `sys/leases/lookup`. `issued_at` is the latest renewal (else the issue time) and
    /// `ttl` runs from there to Vault's expire time, so `expires_at()` is that time.
    async fn lookup(&self, lease_id: &str) -> Result<Lease> {
        self.lookup_lease(lease_id).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mapped(message: &str) -> ErrorKind {
        lease_error(Error::invalid_input(format!("{message} (HTTP 400)"))).kind()
    }

    #[test]
    fn vaults_lease_answers_map_to_kinds() {
        assert_eq!(mapped("lease not found"), ErrorKind::NotFound);
        assert_eq!(mapped("invalid lease"), ErrorKind::NotFound);
        assert_eq!(mapped("lease expired"), ErrorKind::LeaseExpired);
        assert_eq!(
            mapped("lease is expired and has failed previous revocation attempts"),
            ErrorKind::LeaseExpired
        );
        assert_eq!(mapped("lease is not renewable"), ErrorKind::InvalidInput);
        let denied = lease_error(Error::new(ErrorKind::PermissionDenied, "lease not found"));
        assert_eq!(denied.kind(), ErrorKind::PermissionDenied);
    }
}
