//! The Google Cloud Secret Manager backend of ironsecrets, on Google's official
//! `google-cloud-secretmanager-v1` client (HTTP/JSON).
//!
//! Open it with `gcp-sm://my-project` (or `gcp-sm://` and `GOOGLE_CLOUD_PROJECT`);
//! credentials are Application Default Credentials. For an emulator:
//! `gcp-sm://test-project?endpoint=http://127.0.0.1:8080&credentials=anonymous`.
//!
//! Paths map reversibly to secret ids ([`names`]), tags and rotation policy live in
//! annotations ([`annotations`]), versions are GCP's numbered versions ([`GcpStore`]).
#![deny(missing_docs)]

pub mod annotations;
mod client;
mod config;
mod errors;
pub mod names;
mod store;
mod versions;

pub use client::connect;
pub use config::{GcpConfig, GcpCredentials, GcpOptions, PROJECT_ENV};
pub use errors::map_error;
pub use store::{GcpStore, MAX_VALUE_LEN};

use std::sync::Arc;

use ironsecrets_core::{Backend, Result};

/// A backend for `config`: the secret store (GCP has no transit or leases here).
pub async fn open(config: GcpConfig) -> Result<Backend> {
    Ok(Backend::new(Arc::new(GcpStore::connect(&config).await?)))
}
