//! Opening a [`Backend`] from a [`GcpConfig`] or a `gcp-sm://` URI.

use std::sync::Arc;

use ironsecrets_core::{Backend, BackendFuture, Result, StoreUri};

use crate::{GcpConfig, GcpStore};

/// A backend for `config`: the secret store (GCP has no transit or leases here).
pub async fn open(config: GcpConfig) -> Result<Backend> {
    Ok(Backend::new(Arc::new(GcpStore::connect(&config).await?)))
}

/// The [`ironsecrets_core::BackendFactory`] for `gcp-sm://` URIs.
pub fn open_uri(uri: StoreUri) -> BackendFuture {
    Box::pin(async move { open(GcpConfig::from_uri(&uri)?).await })
}
