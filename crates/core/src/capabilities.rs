//! What a backend can do, so callers (and the conformance suite) can ask first.

use serde::Serialize;

/// The optional features a backend supports. Calling an unsupported operation returns
/// [`crate::ErrorKind::Unsupported`]; it is never a silent no-op.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// Old versions can be read by id.
    pub versions: bool,
    /// `metadata` reports real versions and timestamps.
    pub metadata: bool,
    /// `delete` is soft: the secret stays listed with its metadata until `purge`.
    pub soft_delete: bool,
    /// `put` honours [`crate::Cas`].
    pub check_and_set: bool,
    /// Soft-deleted versions can be restored.
    pub undelete: bool,
    /// Versions can be destroyed for good.
    pub destroy: bool,
    /// Tags and rotation policy can be stored with a secret.
    pub tags: bool,
    /// Binary (non-UTF-8) values round-trip.
    pub binary_values: bool,
    /// A [`crate::Transit`] engine is available.
    pub transit: bool,
    /// Leases can be renewed, revoked and looked up.
    pub leases: bool,
    /// Dynamic credentials can be issued.
    pub dynamic_credentials: bool,
    /// The largest value the backend stores, in bytes, when it has a documented limit
    /// (AWS Secrets Manager: 64 KiB); `None` for no limit below 1 MiB.
    pub max_value_bytes: Option<usize>,
}
