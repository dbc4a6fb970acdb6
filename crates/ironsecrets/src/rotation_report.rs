//! Where each secret stands against its rotation policy.

use chrono::{DateTime, Utc};
use ironsecrets_core::{RotationPolicy, RotationStatus, SecretMetadata};
use serde::Serialize;

/// One row of the rotation status table.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RotationEntry {
    /// The secret's path.
    pub path: String,
    /// The policy applied: the secret's own, or the default (90 days, remind 14 before).
    pub policy: RotationPolicy,
    /// Whether `policy` is the default because the secret has none.
    pub default_policy: bool,
    /// When the value last changed.
    pub last_rotated: DateTime<Utc>,
    /// Healthy, expiring soon or expired.
    pub status: RotationStatus,
}

impl RotationEntry {
    /// The entry for one secret's metadata, seen at `now`.
    pub fn of(meta: &SecretMetadata, now: DateTime<Utc>) -> Self {
        let policy = meta.rotation.unwrap_or_default();
        RotationEntry {
            path: meta.path.clone(),
            policy,
            default_policy: meta.rotation.is_none(),
            last_rotated: meta.last_rotated(),
            status: policy.status(meta.last_rotated(), now),
        }
    }
}
