//! What an operation sees inside its transaction.

use std::cell::RefCell;

use rusqlite::Connection;

use crate::header::Header;
use crate::keyring::Keyring;
use crate::mac::RowMac;
use crate::rbac::Grant;

/// The transaction's connection, the store's keys, the caller's grant, and the header
/// loaded (and checked) when the transaction began, sealed again when it commits.
pub struct Ctx<'a> {
    pub conn: &'a Connection,
    pub keys: &'a Keyring,
    pub grant: &'a Grant,
    pub default_max_versions: u32,
    pub header: &'a RefCell<Header>,
}

impl Ctx<'_> {
    /// Records that a row's MAC changed from `old` to `new` (`None`: no row), so the
    /// state digest sealed at commit covers the change.
    pub fn replaced(&self, old: Option<&RowMac>, new: Option<&RowMac>) {
        self.header.borrow_mut().replaced(old, new);
    }
}
