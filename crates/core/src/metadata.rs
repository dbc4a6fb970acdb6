//! Secret metadata: versions, timestamps, tags and rotation policy.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::RotationPolicy;

/// A version identifier. Numbered backends (local, Vault, GCP) use decimal numbers;
/// AWS and Azure use opaque ids.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Version(String);

impl Version {
    /// A version from its id as the backend spells it.
    pub fn new(id: impl Into<String>) -> Self {
        Version(id.into())
    }

    /// The id as the backend spells it.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The version number, for numbered backends.
    pub fn number(&self) -> Option<u64> {
        self.0.parse().ok()
    }
}

impl From<u64> for Version {
    fn from(n: u64) -> Self {
        Version(n.to_string())
    }
}

impl From<&str> for Version {
    fn from(s: &str) -> Self {
        Version(s.to_owned())
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whether a version's value can be read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum VersionState {
    /// Readable.
    Active,
    /// Soft-deleted at the given time; can be undeleted.
    Deleted {
        /// When it was deleted.
        at: DateTime<Utc>,
    },
    /// Its value is gone for good.
    Destroyed,
}

/// One version of a secret, without its value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionInfo {
    /// The version's id.
    pub version: Version,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// Whether it can be read.
    #[serde(flatten)]
    pub state: VersionState,
    /// Stage labels (AWS `AWSCURRENT`, ...); empty elsewhere.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<String>,
}

/// Everything about a secret except its values. Safe to print and serialize.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretMetadata {
    /// The secret's path.
    pub path: String,
    /// The newest version.
    pub current_version: Version,
    /// When the secret was first written.
    pub created_at: DateTime<Utc>,
    /// When the newest version was written.
    pub updated_at: DateTime<Utc>,
    /// Versions kept, oldest first.
    pub versions: Vec<VersionInfo>,
    /// How many versions are kept; `None` for the backend's default.
    pub max_versions: Option<u32>,
    /// Free-form tags.
    pub tags: BTreeMap<String, String>,
    /// The rotation policy, if one is set.
    pub rotation: Option<RotationPolicy>,
}

impl SecretMetadata {
    /// When the secret's value last changed: the newest version's write time.
    pub fn last_rotated(&self) -> DateTime<Utc> {
        self.updated_at
    }
}

/// A change to a secret's metadata; `None` fields are left as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MetadataUpdate {
    /// Replace all tags with these.
    pub tags: Option<BTreeMap<String, String>>,
    /// Set (`Some(Some)`) or clear (`Some(None)`) the rotation policy.
    pub rotation: Option<Option<RotationPolicy>>,
    /// Change how many versions are kept.
    pub max_versions: Option<u32>,
}
