//! Shared set-up for the local store's tests.
#![allow(dead_code)]

use ironsecrets_core::SecretValue;
use ironsecrets_local::{KdfParams, LocalStore, OpenOptions};
use tempfile::TempDir;

/// A cheap Argon2id setting so tests do not spend seconds per store; the default
/// parameters are exercised by the bench and by `default_kdf_parameters_are_stored`.
pub const FAST_KDF: KdfParams = KdfParams {
    memory_kib: 64,
    iterations: 1,
    parallelism: 1,
};

pub fn master() -> SecretValue {
    SecretValue::from("test master key")
}

pub fn options(principal: &str) -> OpenOptions {
    OpenOptions {
        kdf: FAST_KDF,
        ..OpenOptions::default().principal(principal)
    }
}

/// A new store in a temporary directory, opened as `admin`.
pub async fn new_store() -> (TempDir, LocalStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path().join("store.db"), &master(), options("admin"))
        .await
        .unwrap();
    (dir, store)
}

/// A raw SQLite connection to a store's file, for tampering.
pub fn raw(store: &LocalStore) -> rusqlite::Connection {
    rusqlite::Connection::open(store.file()).unwrap()
}
