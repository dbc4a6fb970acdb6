//! ironsecrets: one API for secrets, leases, dynamic credentials and encryption as a
//! service, over the backends compiled in (one cargo feature each; `local` and `vault` by
//! default, `aws`, `azure` and `gcp` on request).
//!
//! ```no_run
//! # async fn demo() -> ironsecrets::Result<()> {
//! let client = ironsecrets::Client::from_uri("local:///tmp/app-secrets.db").await?;
//! client.put("app/db/password", "hunter2").await?;
//! let secret = client.get("app/db/password").await?;
//! assert_eq!(secret.value.expose(), b"hunter2");
//! # Ok(()) }
//! ```
//!
//! A [`Client`] opens from a URI ([`Client::from_uri`], with more options
//! [`Client::from_uri_with`]), from a scheme and key/value [`Options`] ([`Client::open`],
//! what the bindings use) or from a backend's typed options ([`Client::connect`]); the
//! environment only fills in what is not given. Every call goes through the layer stack
//! ([`Stack`]: error context, retry, and a cache on request).
#![deny(missing_docs)]

mod client;
pub mod delivery;
mod engines;
#[cfg(feature = "local")]
mod local_store;
mod open;
mod rotation_report;
#[cfg(feature = "vault")]
mod vault_engines;

pub use client::Client;
pub use engines::{CredentialClient, LeaseClient, TransitClient};
#[cfg(feature = "aws")]
pub use ironsecrets_aws as aws;
#[cfg(feature = "azure")]
pub use ironsecrets_azure as azure;
pub use ironsecrets_core::*;
#[cfg(feature = "gcp")]
pub use ironsecrets_gcp as gcp;
/// Lease renewal and rotation: the manager [`delivery::Watcher`] holds credentials with.
pub use ironsecrets_lease as lease;
#[cfg(feature = "local")]
pub use ironsecrets_local as local;
#[cfg(feature = "vault")]
pub use ironsecrets_vault as vault;
pub use open::{STORE_ENV, default_store_uri, registry};
pub use rotation_report::RotationEntry;
#[cfg(feature = "vault")]
pub use vault_engines::VaultEngines;
