//! SQLite helpers every module shares.

use ironsecrets_core::{Error, ErrorKind};

/// Maps a SQLite error: a lock held too long is Unavailable (retryable), the rest Unexpected.
pub fn db_error(err: rusqlite::Error) -> Error {
    use rusqlite::ErrorCode::{DatabaseBusy, DatabaseLocked};
    match err.sqlite_error_code() {
        Some(DatabaseBusy | DatabaseLocked) => Error::new(
            ErrorKind::Unavailable,
            "the store is locked by another writer; try again",
        ),
        _ => Error::unexpected(format!("SQLite: {err}")),
    }
    .with_source(err)
}
