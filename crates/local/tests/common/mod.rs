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

/// Opens `store`'s file again as `principal`, as a new process would.
pub async fn reopen(store: &LocalStore, principal: &str) -> ironsecrets_core::Result<LocalStore> {
    LocalStore::open(store.file(), &master(), options(principal)).await
}

/// Every metadata row and the header's sealed state, as text, to show a failed call
/// wrote nothing (the audit trail and its head are left out: failures are audited).
pub fn snapshot(store: &LocalStore) -> Vec<String> {
    let conn = raw(store);
    let mut out = Vec::new();
    for sql in [
        "SELECT * FROM secrets ORDER BY path",
        "SELECT * FROM versions ORDER BY path, version",
        "SELECT * FROM principals ORDER BY name",
        "SELECT * FROM transit_keys ORDER BY name",
        "SELECT * FROM transit_key_versions ORDER BY name, version",
        "SELECT * FROM data_keys ORDER BY id",
        "SELECT store_id, kdf, salt, max_versions, created_at, writes, digest FROM header",
    ] {
        let mut stmt = conn.prepare(sql).unwrap();
        let columns = stmt.column_count();
        let rows = stmt
            .query_map([], |row| {
                (0..columns)
                    .map(|i| {
                        row.get::<_, rusqlite::types::Value>(i)
                            .map(|v| format!("{v:?}"))
                    })
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .unwrap();
        for row in rows {
            out.push(format!("{sql}: {}", row.unwrap().join(", ")));
        }
    }
    out
}
