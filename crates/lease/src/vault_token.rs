//! `VaultTokenSource`: a Vault / OpenBao client's auth token as a [`LeaseSource`].

use std::fmt;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use ironsecrets_core::{Error, ErrorKind, Lease, LeasedCredential, Result, SecretMap};
use ironsecrets_vault::{Login, VaultClient};

use crate::LeaseSource;

/// The field of the issued credential holding the token.
pub const TOKEN: &str = "token";
/// The field of the issued credential holding the token's accessor.
pub const ACCESSOR: &str = "accessor";

/// The client's token as a lease: `issue` logs in with `login` (which swaps the new token
/// into `client` and every clone of it, so every store and engine built on the client
/// uses it), `renew` is `renew-self`, `revoke` is `revoke-self`.
///
/// The lease id is the token's accessor. `renew` and `revoke` act on the client's current
/// token, so they only touch `lease` when it is that token: revoking an older token
/// (after a re-login) does nothing and lets it run out at its own expiry — revoking it
/// would revoke every lease issued under it, and the manager re-issues child leases
/// ([`LeaseManager::manage_child`](crate::LeaseManager::manage_child)) when the token
/// rotates. Renewing an older token is InvalidInput.
///
/// The credential's fields are [`TOKEN`] and [`ACCESSOR`]; Debug shows neither token nor
/// login secrets.
pub struct VaultTokenSource {
    /// The client to log in and renew with.
    pub client: VaultClient,
    /// How to log in.
    pub login: Login,
    current: Mutex<Option<String>>,
}

impl VaultTokenSource {
    /// A source logging `client` in with `login`.
    pub fn new(client: VaultClient, login: Login) -> Self {
        VaultTokenSource {
            client,
            login,
            current: Mutex::new(None),
        }
    }

    fn is_current(&self, lease: &Lease) -> bool {
        let current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        current.as_deref() == Some(lease.id.as_str())
    }
}

impl fmt::Debug for VaultTokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VaultTokenSource")
            .field("address", &self.client.address())
            .field("mount", &self.login.mount())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl LeaseSource for VaultTokenSource {
    async fn issue(&self) -> Result<LeasedCredential> {
        let token = self.client.login(&self.login).await?;
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = Some(token.accessor.clone());
        let mut data = SecretMap::new();
        data.insert(TOKEN, token.token);
        data.insert(ACCESSOR, token.accessor.as_str());
        Ok(LeasedCredential {
            lease: token.lease,
            data,
        })
    }

    async fn renew(&self, lease: &Lease, increment: Option<Duration>) -> Result<Lease> {
        if !self.is_current(lease) {
            return Err(Error::invalid_input(
                "the token is no longer the client's token and cannot be renewed",
            ));
        }
        Ok(self.client.renew_self(increment).await?.lease)
    }

    async fn revoke(&self, lease: &Lease) -> Result<()> {
        if !self.is_current(lease) {
            return Ok(());
        }
        let vault = self.client.vaultrs();
        ironsecrets_vault::vaultrs::token::revoke_self(&*vault)
            .await
            .map_err(|e| {
                // ClientError's Display may quote the request; name the kind of failure only.
                let kind = match e {
                    ironsecrets_vault::vaultrs::error::ClientError::RestClientError { .. } => {
                        ErrorKind::Unavailable
                    }
                    _ => ErrorKind::Unexpected,
                };
                Error::new(kind, "revoke-self failed")
                    .with_operation(ironsecrets_core::Operation::RevokeSelf)
            })?;
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = None;
        Ok(())
    }
}
