//! The schemes this build can open, and the default store.

use ironsecrets_core::{Error, Registry, Result};

/// The environment variable naming the store URI.
pub const STORE_ENV: &str = "IRONSECRETS_STORE";

/// A registry with every backend compiled into this build.
pub fn registry() -> Registry {
    #[allow(unused_mut)]
    let mut registry = Registry::new();
    #[cfg(feature = "local")]
    registry.register("local", ironsecrets_local::open_uri);
    #[cfg(feature = "vault")]
    registry.register("vault", ironsecrets_vault::open_uri);
    #[cfg(feature = "gcp")]
    registry.register("gcp-sm", ironsecrets_gcp::open_uri);
    #[cfg(feature = "aws")]
    registry.register("aws-sm", ironsecrets_aws::open_uri);
    #[cfg(feature = "azure")]
    registry.register("azure-kv", ironsecrets_azure::open_uri);
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
