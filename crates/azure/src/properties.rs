//! Key Vault's own properties of a secret version, beyond what [`SecretStore`](ironsecrets_core::SecretStore) covers.

use azure_core::time::OffsetDateTime;
use azure_security_keyvault_secrets::models::SecretAttributes;
use chrono::{DateTime, Utc};

/// A change to a version's Key Vault properties; `None` fields stay as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PropertiesUpdate {
    /// The content type (a free-form hint such as `text/plain`).
    pub content_type: Option<String>,
    /// Whether the version can be read (a disabled version is PermissionDenied on `get`).
    pub enabled: Option<bool>,
    /// When the version expires.
    pub expires: Option<DateTime<Utc>>,
    /// When the version becomes usable.
    pub not_before: Option<DateTime<Utc>>,
}

impl PropertiesUpdate {
    pub(crate) fn attributes(&self) -> SecretAttributes {
        SecretAttributes {
            enabled: self.enabled,
            expires: self.expires.and_then(to_offset),
            not_before: self.not_before.and_then(to_offset),
            ..SecretAttributes::default()
        }
    }
}

fn to_offset(t: DateTime<Utc>) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp(t.timestamp()).ok()
}
