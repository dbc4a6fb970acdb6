//! The embedded store's own operations (roles, audit, master key), from a client.

use ironsecrets_core::{Error, Result};
use ironsecrets_local::LocalStore;

use crate::Client;

impl Client {
    /// The embedded store of a `local://` client, for its roles, audit trail and master
    /// key; Unsupported for other backends.
    pub fn local(&self) -> Result<LocalStore> {
        self.native::<LocalStore>().cloned().ok_or_else(|| {
            Error::unsupported_feature(self.name(), "the embedded store's own operations")
        })
    }
}
