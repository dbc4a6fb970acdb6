//! The schemes this build can open, and the default store.

use ironsecrets_core::{Error, Registry, Result};

/// The environment variable naming the store URI.
pub const STORE_ENV: &str = "IRONSECRETS_STORE";

/// A registry with every backend compiled into this build.
pub fn registry() -> Registry {
    #[allow(unused_mut)]
    let mut registry = Registry::new();
    #[cfg(feature = "local")]
    registry.register::<ironsecrets_local::LocalOptions>();
    #[cfg(feature = "vault")]
    registry.register::<ironsecrets_vault::VaultOptions>();
    #[cfg(feature = "gcp")]
    registry.register::<ironsecrets_gcp::GcpOptions>();
    #[cfg(feature = "aws")]
    registry.register::<ironsecrets_aws::AwsOptions>();
    #[cfg(feature = "azure")]
    registry.register::<ironsecrets_azure::AzureOptions>();
    registry
}

/// `$IRONSECRETS_STORE`, or the embedded store in the platform data directory
/// (`~/.local/share/ironsecrets/store.db` on Linux).
pub fn default_store_uri() -> Result<String> {
    if let Ok(uri) = std::env::var(STORE_ENV)
        && !uri.is_empty()
    {
        return Ok(uri);
    }
    let dir = dirs::data_dir()
        .ok_or_else(|| {
            Error::config(format!(
                "no data directory on this platform; set {STORE_ENV}"
            ))
        })?
        .join("ironsecrets");
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::config(format!("cannot create {}: {e}", dir.display())))?;
    Ok(format!("local://{}", dir.join("store.db").display()))
}
