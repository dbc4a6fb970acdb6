//! What an operation sees inside its transaction.

use rusqlite::Connection;

use crate::keyring::Keyring;
use crate::rbac::Grant;

/// The transaction's connection, the store's keys and the caller's grant.
pub struct Ctx<'a> {
    pub conn: &'a Connection,
    pub keys: &'a Keyring,
    pub grant: &'a Grant,
    pub default_max_versions: u32,
}
