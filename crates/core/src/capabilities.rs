//! What a backend can do, declared by each of its parts, so callers (and the conformance
//! suite) can ask first.
//!
//! A capability declared `true` is a promise: the operation works, and the conformance
//! suite fails the backend when it answers Unsupported. A capability declared `false`
//! means the operation answers [`crate::ErrorKind::Unsupported`] (or, for a value the
//! backend cannot hold, InvalidInput) — never a silent no-op; the suite checks that too.

use serde::Serialize;

use crate::KeyType;

/// Everything a backend supports: its secret store, and which engines it has.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Capabilities {
    /// The secret store's capabilities.
    pub store: StoreCapabilities,
    /// The transit engine's capabilities, when the backend has one.
    pub transit: Option<TransitCapabilities>,
    /// Leases can be renewed, revoked and looked up.
    pub leases: bool,
    /// Dynamic credentials can be issued.
    pub dynamic_credentials: bool,
}

impl Capabilities {
    /// Whether the backend has a transit engine whose capabilities satisfy `has`.
    pub fn transit_has(&self, has: impl FnOnce(&TransitCapabilities) -> bool) -> bool {
        self.transit.as_ref().is_some_and(has)
    }
}

/// What a [`crate::SecretStore`] supports beyond get, put, list, delete and purge.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StoreCapabilities {
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
    /// How many versions are kept can be set per secret (`max_versions`).
    pub max_versions: bool,
    /// Binary (non-UTF-8) values round-trip.
    pub binary_values: bool,
    /// An empty value round-trips (AWS Secrets Manager refuses one: InvalidInput).
    pub empty_values: bool,
    /// The largest value the backend stores, in bytes, when it has a documented limit
    /// (AWS Secrets Manager: 64 KiB); `None` for no limit below 1 MiB.
    pub max_value_bytes: Option<usize>,
}

/// What a [`crate::Transit`] engine supports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TransitCapabilities {
    /// The key types `create_key` accepts; others are Unsupported.
    pub key_types: &'static [KeyType],
    /// Ciphertexts carry the key version that made them, and rotating a key adds a
    /// version that new ciphertexts use while old ones still decrypt.
    pub versioned_ciphertexts: bool,
    /// Decryption below a minimum key version can be refused
    /// (`set_min_decryption_version`).
    pub min_decryption_version: bool,
    /// HMAC and HMAC verification with an encryption key.
    pub hmac: bool,
    /// Data keys can be generated (`generate_data_key`).
    pub data_keys: bool,
    /// Existing key material can be imported (`import_key`).
    pub import: bool,
}

impl TransitCapabilities {
    /// Whether `create_key` accepts `key_type`.
    pub fn creates(&self, key_type: KeyType) -> bool {
        self.key_types.contains(&key_type)
    }

    /// Whether signing works: some signing key type can be created.
    pub fn signs(&self) -> bool {
        self.key_types.iter().any(|t| t.signs())
    }
}
