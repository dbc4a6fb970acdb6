//! `VaultEngines`: a Vault / OpenBao client's own engines beyond the common traits, as
//! typed handles (whatever the KV version of the mount the client opened).

use std::future::Future;
use std::time::Duration;

use ironsecrets_core::{Error, Result};
use ironsecrets_vault::{
    Health, Login, TokenInfo, TokenLease, VaultClient, VaultCloud, VaultDatabase, VaultLeases,
    VaultPki, VaultSsh, VaultTotp, VaultTransit,
};

use crate::Client;

/// The engines of a Vault / OpenBao backend: PKI, SSH, TOTP, database administration,
/// cloud credentials, transit batches and export, lease prefixes, logins and health.
/// Cheap to clone; each engine handle is too, and takes the client's token (including
/// one a [`login`](VaultEngines::login) swapped in).
#[derive(Clone, Debug)]
pub struct VaultEngines {
    client: VaultClient,
}

impl Client {
    /// The Vault engines of a `vault://` client; Unsupported for other backends.
    pub fn vault(&self) -> Result<VaultEngines> {
        self.native::<VaultClient>()
            .map(|client| VaultEngines {
                client: client.clone(),
            })
            .ok_or_else(|| Error::unsupported_feature(self.name(), "Vault engines"))
    }
}

impl VaultEngines {
    /// The underlying client (every engine shares it).
    pub fn client(&self) -> &VaultClient {
        &self.client
    }

    /// The PKI engine at `mount`.
    pub fn pki(&self, mount: impl Into<String>) -> VaultPki {
        VaultPki::new(self.client.clone(), mount)
    }

    /// The SSH engine at `mount`.
    pub fn ssh(&self, mount: impl Into<String>) -> VaultSsh {
        VaultSsh::new(self.client.clone(), mount)
    }

    /// The TOTP engine at `mount`.
    pub fn totp(&self, mount: impl Into<String>) -> VaultTotp {
        VaultTotp::new(self.client.clone(), mount)
    }

    /// The database engine at `mount` (connections, roles, rotation).
    pub fn database(&self, mount: impl Into<String>) -> VaultDatabase {
        VaultDatabase::new(self.client.clone(), mount)
    }

    /// The cloud secrets engine (AWS, Azure or GCP) at `mount`.
    pub fn cloud(&self, mount: impl Into<String>) -> VaultCloud {
        VaultCloud::new(self.client.clone(), mount)
    }

    /// The transit engine at `mount`, with Vault's batches, export and import options.
    pub fn transit(&self, mount: impl Into<String>) -> VaultTransit {
        VaultTransit::new(self.client.clone(), mount)
    }

    /// `sys/leases`, with revocation by prefix.
    pub fn leases(&self) -> VaultLeases {
        VaultLeases::new(self.client.clone())
    }

    /// Logs in and makes the client (and every handle on it) use the new token.
    pub fn login(&self, login: Login) -> impl Future<Output = Result<TokenLease>> + Send + 'static {
        let client = self.client.clone();
        async move { client.login(&login).await }
    }

    /// Renews the client's own token.
    pub fn renew_self(
        &self,
        increment: Option<Duration>,
    ) -> impl Future<Output = Result<TokenLease>> + Send + 'static {
        let client = self.client.clone();
        async move { client.renew_self(increment).await }
    }

    /// Describes the client's own token.
    pub fn lookup_self(&self) -> impl Future<Output = Result<TokenInfo>> + Send + 'static {
        let client = self.client.clone();
        async move { client.lookup_self().await }
    }

    /// The server's health (sealed, standby, version).
    pub fn health(&self) -> impl Future<Output = Result<Health>> + Send + 'static {
        let client = self.client.clone();
        async move { client.health().await }
    }
}
