//! The embedded ironsecrets store: one SQLite file, values sealed with AES-256-GCM under a
//! data key that is wrapped by a master key derived with Argon2id, roles per principal,
//! and an HMAC-chained audit trail written in the same transaction as each operation.
//!
//! ```no_run
//! # async fn demo() -> ironsecrets_core::Result<()> {
//! use ironsecrets_core::{SecretStore, SecretValue, PutOptions, VersionSelector};
//! use ironsecrets_local::{LocalStore, OpenOptions};
//!
//! let master = SecretValue::from("correct horse battery staple");
//! let store = LocalStore::open("app.db", &master, OpenOptions::default()).await?;
//! store.put("app/db/password", "hunter2".into(), PutOptions::default()).await?;
//! let secret = store.get("app/db/password", VersionSelector::Latest).await?;
//! assert_eq!(secret.value.expose(), b"hunter2");
//! # Ok(()) }
//! ```
#![deny(missing_docs)]

mod anchor;
mod audit;
pub mod bundle;
mod crypto;
mod ctx;
mod db;
mod header;
mod kdf;
mod keyring;
mod mac;
mod options;
mod principals;
mod rbac;
mod schema;
mod secrets;
mod state;
mod store;
mod transit;
mod transit_keys;
mod uri;
mod verify;

pub use anchor::AuditAnchor;
pub use audit::AuditEntry;
pub use kdf::KdfParams;
pub use options::{MASTER_KEY_ENV, OpenOptions, PRINCIPAL_ENV};
pub use rbac::{Grant, Role};
pub use store::LocalStore;
pub use uri::{open_uri, store_file};
pub use verify::{AuditCheck, AuditReport};
