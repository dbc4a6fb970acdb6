//! SQLite helpers every module shares.

use ironsecrets_core::{Error, ErrorKind, Result};
use rusqlite::Connection;

/// Maps a SQLite error: a lock held too long is Unavailable (retryable), the rest Unexpected.
pub fn db_error(err: rusqlite::Error) -> Error {
    use rusqlite::ErrorCode::{DatabaseBusy, DatabaseLocked};
    match err.sqlite_error_code() {
        // The transaction did not commit: nothing was applied, a retry is safe.
        Some(DatabaseBusy | DatabaseLocked) => Error::new(
            ErrorKind::Unavailable,
            "the store is locked by another writer; try again",
        )
        .with_not_applied(),
        _ => Error::unexpected(format!("SQLite: {err}")),
    }
    .with_source(err)
}

/// Runs `sql` (no parameters) and hands each row, as `read` makes it, to `each`; stops at
/// the first error.
pub fn scan<T>(
    conn: &Connection,
    sql: &str,
    read: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    mut each: impl FnMut(T) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare_cached(sql).map_err(db_error)?;
    let mut rows = stmt.query([]).map_err(db_error)?;
    while let Some(row) = rows.next().map_err(db_error)? {
        each(read(row).map_err(db_error)?)?;
    }
    Ok(())
}
