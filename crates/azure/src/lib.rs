//! The Azure Key Vault backend of ironsecrets, on the Azure SDK for Rust
//! (`azure_security_keyvault_secrets`, `azure_identity`).
//!
//! ```no_run
//! # async fn demo() -> ironsecrets_core::Result<()> {
//! use ironsecrets_core::{PutOptions, VersionSelector};
//!
//! // AZURE_KEYVAULT_URL plus a service principal, managed identity or the Azure CLI.
//! let backend = ironsecrets_azure::open(ironsecrets_azure::AzureConfig::from_env()?).await?;
//! let store = backend.store();
//! store.put("app/db/password", "hunter2".into(), PutOptions::default()).await?;
//! let secret = store.get("app/db/password", VersionSelector::Latest).await?;
//! assert_eq!(secret.value.expose(), b"hunter2");
//! # Ok(()) }
//! ```
//!
//! # Opening
//! `azure-kv://myvault` (`https://myvault.vault.azure.net/`), `azure-kv://host[:port]`
//! (a full vault URL, https), or `azure-kv://` with `AZURE_KEYVAULT_URL`. The credential
//! is a service principal (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`),
//! else managed identity (`IDENTITY_ENDPOINT` / `MSI_ENDPOINT` set), else the Azure CLI or
//! Azure Developer CLI; `credential=` forces one. `ca=/path/ca.pem` trusts only that CA
//! (for an emulator); TLS is never unverified. All of it: [`AzureOptions`]. The SDK's own
//! retries are off: the layer stack retries.
//!
//! # Names
//! Key Vault names allow only `[0-9a-zA-Z-]{1,127}` and ignore case; paths are mapped
//! reversibly as [`names`] documents (`app/db_password` is `app-sdb-upassword`). A path
//! whose name would be too long is InvalidInput.
//!
//! # Values, tags and versions
//! UTF-8 values are stored as they are; other bytes as base64, marked by a reserved tag.
//! Tags and the rotation policy are Key Vault tags (see [`tags`]), at most 15 per secret
//! including ironsecrets' own. Behaviour per operation: [`secrets`]; errors: [`errors`].
//!
//! # Not supported
//! Check-and-set, `max_versions`, deleting or destroying single versions, and version
//! stages: [`Capabilities`](ironsecrets_core::Capabilities) says so. The keys engine
//! (`Transit`) is not wired yet.
#![deny(missing_docs)]

mod client;
mod config;
#[cfg(feature = "emulator")]
pub mod emulator;
pub mod errors;
pub mod names;
mod properties;
pub mod secrets;
pub mod tags;

use std::sync::Arc;

pub use client::Clients;
pub use config::{AzureConfig, AzureOptions, CredentialChoice, CredentialSource, VAULT_URL_ENV};
use ironsecrets_core::{Backend, Result};
pub use properties::PropertiesUpdate;
pub use secrets::AzureSecretStore;

/// The backend's short name.
pub const BACKEND: &str = "azure";

/// Opens a vault: builds the SDK clients; no request is sent until the first call.
pub async fn open(config: AzureConfig) -> Result<Backend> {
    let clients = Clients::new(&config)?;
    Ok(Backend::new(Arc::new(AzureSecretStore::new(clients))))
}
