//! The SQLite schema, versioned with `PRAGMA user_version` and applied in order.

use rusqlite::Connection;

use crate::db::db_error;

/// Each entry migrates from version `index` to `index + 1`.
const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    "
    CREATE TABLE header (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        store_id BLOB NOT NULL,
        kdf TEXT NOT NULL,
        salt BLOB NOT NULL,
        max_versions INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        audit_head BLOB
    );
    CREATE TABLE data_keys (
        id INTEGER PRIMARY KEY,
        wrapped BLOB NOT NULL
    );
    CREATE TABLE principals (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        prefixes TEXT NOT NULL
    );
    CREATE TABLE secrets (
        path TEXT PRIMARY KEY,
        current_version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        max_versions INTEGER,
        tags TEXT NOT NULL,
        rotation TEXT
    );
    CREATE TABLE versions (
        path TEXT NOT NULL REFERENCES secrets(path) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        deleted_at TEXT,
        destroyed INTEGER NOT NULL DEFAULT 0,
        key_id INTEGER NOT NULL,
        sealed BLOB,
        PRIMARY KEY (path, version)
    );
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        time TEXT NOT NULL,
        principal TEXT NOT NULL,
        operation TEXT NOT NULL,
        path TEXT NOT NULL,
        result TEXT NOT NULL,
        client TEXT,
        mac BLOB NOT NULL
    );
    CREATE TABLE transit_keys (
        name TEXT PRIMARY KEY,
        key_type TEXT NOT NULL,
        min_decryption_version INTEGER NOT NULL,
        exportable INTEGER NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE transit_key_versions (
        name TEXT NOT NULL REFERENCES transit_keys(name) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        sealed BLOB NOT NULL,
        PRIMARY KEY (name, version)
    );
    ",
    // 2: authenticated metadata. Every row that decides what a read returns gets a MAC,
    // secrets get a random id and their first kept version, transit keys their latest
    // version, and the header the store-wide state (write counter and row digest) and its
    // own MAC. The first open with the master key fills them in (see `state::migrate`).
    "
    ALTER TABLE header ADD COLUMN writes INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE header ADD COLUMN digest BLOB;
    ALTER TABLE header ADD COLUMN mac BLOB;
    ALTER TABLE secrets ADD COLUMN secret_id BLOB;
    ALTER TABLE secrets ADD COLUMN first_version INTEGER;
    ALTER TABLE secrets ADD COLUMN mac BLOB;
    ALTER TABLE versions ADD COLUMN mac BLOB;
    ALTER TABLE principals ADD COLUMN mac BLOB;
    ALTER TABLE transit_keys ADD COLUMN latest_version INTEGER;
    ALTER TABLE transit_keys ADD COLUMN mac BLOB;
    ALTER TABLE transit_key_versions ADD COLUMN mac BLOB;
    ",
];

/// The schema version this build writes.
pub const CURRENT: u32 = MIGRATIONS.len() as u32;

/// Brings the schema up to date; refuses a store written by a newer build.
pub fn migrate(conn: &mut Connection) -> ironsecrets_core::Result<()> {
    let found: u32 = conn
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .map_err(db_error)?;
    if found > CURRENT {
        return Err(ironsecrets_core::Error::config(format!(
            "the store has schema version {found}, newer than this build's {CURRENT}; upgrade ironsecrets"
        )));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        let tx = conn.transaction().map_err(db_error)?;
        tx.execute_batch(sql).map_err(db_error)?;
        tx.pragma_update(None, "user_version", index as u32 + 1)
            .map_err(db_error)?;
        tx.commit().map_err(db_error)?;
    }
    Ok(())
}
