//! The token a client holds: `TokenLease` (what a login or renewal grants),
//! `TokenInfo` (what `lookup-self` says), and the token method's self calls.

use std::time::Duration;

use chrono::{DateTime, Utc};
use ironsecrets_core::{Error, Lease, Operation, Result, SecretValue};
use serde::Deserialize;
use vaultrs::api::token::requests::{LookupTokenSelfRequest, RenewTokenSelfRequest};

use crate::VaultClient;
use crate::client::Reply;
use crate::errors::{self, BACKEND};

/// A token as a login or renewal granted it. Debug shows `[REDACTED]` for the token.
///
/// `lease.id` is the token's accessor (tokens have no lease id; the accessor names the
/// token without being it), `lease.ttl` the time to live granted from `lease.issued_at`
/// (zero for a token that never expires, such as root), `lease.renewable` whether
/// [`VaultClient::renew_self`] can extend it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenLease {
    /// The token itself, as sent in `X-Vault-Token`.
    pub token: SecretValue,
    /// The token's accessor (empty for batch tokens, which have none).
    pub accessor: String,
    /// The policies the token carries, identity policies included.
    pub policies: Vec<String>,
    /// Its lease: accessor, ttl, renewable, issue time.
    pub lease: Lease,
    /// The identity entity the login mapped to, when any.
    pub entity_id: Option<String>,
}

/// The `auth` block of a login or renewal answer.
#[derive(Deserialize)]
struct AuthBlock {
    /// Moved straight into a [`SecretValue`] (no copy is left behind).
    client_token: String,
    #[serde(default)]
    accessor: String,
    #[serde(default)]
    policies: Vec<String>,
    #[serde(default)]
    lease_duration: u64,
    #[serde(default)]
    renewable: bool,
    #[serde(default)]
    entity_id: String,
}

impl TokenLease {
    /// The token lease in a login or renewal answer's `auth` block.
    pub(crate) fn from_reply(reply: &Reply) -> Result<TokenLease> {
        #[derive(Deserialize)]
        struct Envelope {
            auth: Option<AuthBlock>,
        }
        let auth = reply
            .json::<Envelope>()?
            .auth
            .ok_or_else(errors::unreadable_answer)?;
        Ok(TokenLease {
            token: SecretValue::from(auth.client_token),
            lease: Lease {
                id: auth.accessor.clone(),
                ttl: Duration::from_secs(auth.lease_duration),
                renewable: auth.renewable,
                issued_at: Utc::now(),
            },
            accessor: auth.accessor,
            policies: auth.policies,
            entity_id: Some(auth.entity_id).filter(|id| !id.is_empty()),
        })
    }
}

/// What `auth/token/lookup-self` says about the client's token (never the token itself).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenInfo {
    /// The token's accessor.
    pub accessor: String,
    /// Its display name (e.g. `approle`, `userpass-alice`, `root`).
    pub display_name: String,
    /// The login path that created it (e.g. `auth/approle/login`).
    pub path: String,
    /// The token's own policies.
    pub policies: Vec<String>,
    /// Its lease now: id the accessor, ttl the time left from `issued_at` (now), zero
    /// for a token that never expires.
    pub lease: Lease,
    /// When it expires for good, if it does.
    pub expire_time: Option<DateTime<Utc>>,
    /// The cap on renewals, when one is set.
    pub explicit_max_ttl: Option<Duration>,
    /// Uses left (0: unlimited).
    pub num_uses: u64,
    /// The identity entity, when any.
    pub entity_id: Option<String>,
}

/// `lookup-self`'s `data`, without the `id` field (the token itself, never read).
#[derive(Deserialize)]
struct LookupData {
    #[serde(default)]
    accessor: String,
    #[serde(default)]
    display_name: String,
    #[serde(default)]
    path: String,
    #[serde(default)]
    policies: Vec<String>,
    #[serde(default)]
    ttl: u64,
    #[serde(default)]
    renewable: Option<bool>,
    expire_time: Option<String>,
    #[serde(default)]
    explicit_max_ttl: u64,
    #[serde(default)]
    num_uses: u64,
    #[serde(default)]
    entity_id: String,
}

impl VaultClient {
    /// Describes the client's token (`auth/token/lookup-self`). An invalid or expired
    /// token is PermissionDenied or Unauthenticated as Vault says.
    pub async fn lookup_self(&self) -> Result<TokenInfo> {
        let looked_up = async {
            let data: LookupData = self.call(LookupTokenSelfRequest {}).await?.data()?;
            let expire_time = match data.expire_time.as_deref() {
                None | Some("") => None,
                Some(text) => Some(
                    DateTime::parse_from_rfc3339(text)
                        .map_err(|_| errors::unreadable_answer())?
                        .with_timezone(&Utc),
                ),
            };
            Ok::<_, Error>(TokenInfo {
                lease: Lease {
                    id: data.accessor.clone(),
                    ttl: Duration::from_secs(data.ttl),
                    renewable: data.renewable.unwrap_or(false),
                    issued_at: Utc::now(),
                },
                accessor: data.accessor,
                display_name: data.display_name,
                path: data.path,
                policies: data.policies,
                expire_time,
                explicit_max_ttl: Some(Duration::from_secs(data.explicit_max_ttl))
                    .filter(|d| !d.is_zero()),
                num_uses: data.num_uses,
                entity_id: Some(data.entity_id).filter(|id| !id.is_empty()),
            })
        };
        looked_up
            .await
            .map_err(|e| e.context(BACKEND, Operation::LookupSelf, "auth/token"))
    }

    /// Extends the client's token by `increment` (the token's default ttl when `None`;
    /// Vault may grant less, up to its max ttl) via `auth/token/renew-self`, and returns
    /// the lease as granted. A token that is not renewable is InvalidInput with Vault's
    /// message.
    pub async fn renew_self(&self, increment: Option<Duration>) -> Result<TokenLease> {
        let renewed = async {
            let request = RenewTokenSelfRequest {
                increment: increment.map(|i| format!("{}s", i.as_secs())),
            };
            TokenLease::from_reply(&self.call(request).await?)
        };
        renewed
            .await
            .map_err(|e| e.context(BACKEND, Operation::RenewSelf, "auth/token"))
    }
}
