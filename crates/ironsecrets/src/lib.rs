//! ironsecrets: one API for secrets, leases, dynamic credentials and encryption as a
//! service, over the backends compiled in (one cargo feature each; `local` and `vault` by
//! default, `aws` on request).
//!
//! ```no_run
//! # async fn demo() -> ironsecrets::Result<()> {
//! let client = ironsecrets::Client::from_uri("local:///tmp/app-secrets.db").await?;
//! client.put("app/db/password", "hunter2").await?;
//! let secret = client.get("app/db/password").await?;
//! assert_eq!(secret.value.expose(), b"hunter2");
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod client;
mod registry;
mod rotation_report;

pub use client::Client;
#[cfg(feature = "aws")]
pub use ironsecrets_aws as aws;
#[cfg(feature = "azure")]
pub use ironsecrets_azure as azure;
pub use ironsecrets_core::*;
#[cfg(feature = "gcp")]
pub use ironsecrets_gcp as gcp;
#[cfg(feature = "local")]
pub use ironsecrets_local as local;
#[cfg(feature = "vault")]
pub use ironsecrets_vault as vault;
pub use registry::{STORE_ENV, default_store_uri, registry};
pub use rotation_report::RotationEntry;
