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
//!
//! # What is authenticated
//!
//! Values are sealed with AES-256-GCM, bound (associated data) to the store id, data key
//! id, path and version. Everything else in the file that decides what a read returns or
//! reports is authenticated too, with HMAC-SHA256 under a metadata key derived (HKDF,
//! "ironsecrets metadata v1", salt = store id) from the first data key:
//!
//! - each secret row: path, a random id made when the path is first written, the kept
//!   version range `[first, current]` (versions are always contiguous: trimming removes
//!   the oldest, delete and destroy keep the row), times, `max_versions`, tags, rotation
//!   policy;
//! - each version row: path, the secret's id, version, times, destroyed flag, data key id
//!   and a hash of the sealed value, so rows of a purged secret do not fit its successor;
//! - each principal (name, role, prefixes), transit key (with its latest version) and
//!   transit key version;
//! - the header (store id, KDF parameters, salt, default `max_versions`, creation time,
//!   audit head) together with the store-wide state: a counter of write transactions and
//!   the XOR of every row MAC, updated with `old ^ new` in each write's own transaction.
//!
//! Each call checks the header and its caller's principal row, and each operation the
//! rows it reads (a version inside the kept range without a row is Integrity). The digest
//! catches what a row MAC cannot, a deleted row or an older copy of a row put back: open
//! and [`LocalStore::audit_verify`] recompute it from every row (O(rows)), and open also
//! checks that the audit trail ends at the sealed head. An edited header or a cut trail
//! is never sealed again; writes on an edited header are refused. A copy of the whole file from
//! earlier is consistent in itself: [`LocalStore::audit_anchor`] gives an [`AuditAnchor`]
//! to keep elsewhere, and [`LocalStore::audit_verify_anchored`] finds such a rollback.
//!
//! A schema-1 store (before this) is sealed as it is on its first open with the master
//! key, in one transaction, and its data keys are re-wrapped with a new label, so a store
//! whose seals were stripped is refused rather than sealed again.
#![deny(missing_docs)]

mod anchor;
mod audit;
pub mod bundle;
mod config;
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
mod verify;

pub use anchor::AuditAnchor;
pub use audit::AuditEntry;
pub use config::{LocalOptions, store_file};
pub use kdf::KdfParams;
pub use options::{MASTER_KEY_ENV, OpenOptions, PRINCIPAL_ENV};
pub use rbac::{Grant, Role};
pub use store::LocalStore;
pub use verify::{AuditCheck, AuditReport};
