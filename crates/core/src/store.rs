//! The `SecretStore` trait: secret CRUD with versions, metadata and check-and-set.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{
    Error, MetadataUpdate, Operation, Result, SecretMetadata, SecretValue, StoreCapabilities,
    Version, VersionInfo,
};

/// Which version of a secret to read.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
pub enum VersionSelector {
    /// The newest readable version.
    #[default]
    Latest,
    /// A specific version.
    Version(Version),
    /// A version by stage label (AWS `AWSPREVIOUS`, ...).
    Stage(String),
}

impl From<u64> for VersionSelector {
    fn from(n: u64) -> Self {
        VersionSelector::Version(Version::from(n))
    }
}

/// Check-and-set condition for `put`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Cas {
    /// Write only if the secret does not exist yet.
    MustNotExist,
    /// Write only if the newest version is this one.
    CurrentVersion(Version),
}

/// Options for [`SecretStore::put`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PutOptions {
    /// Fail with Conflict unless this condition holds.
    pub cas: Option<Cas>,
    /// Metadata changes applied in the same write.
    pub metadata: MetadataUpdate,
}

/// A secret value as read, with the version it came from.
#[derive(Clone, Debug)]
pub struct Secret {
    /// The secret's path.
    pub path: String,
    /// Which version was read.
    pub version: Version,
    /// When that version was written.
    pub created_at: DateTime<Utc>,
    /// The value (redacted in Debug).
    pub value: SecretValue,
}

/// Secret CRUD. Every backend implements it; optional operations default to
/// [`crate::ErrorKind::Unsupported`].
#[async_trait]
pub trait SecretStore: Send + Sync + 'static {
    /// The backend's short name (`local`, `vault`, `aws`, ...).
    fn backend(&self) -> &'static str;

    /// What this store supports.
    fn capabilities(&self) -> StoreCapabilities;

    /// Reads a secret's value.
    async fn get(&self, path: &str, version: VersionSelector) -> Result<Secret>;

    /// Writes a new version and returns it.
    async fn put(&self, path: &str, value: SecretValue, options: PutOptions)
    -> Result<VersionInfo>;

    /// Soft-deletes versions (the newest when `versions` is empty).
    async fn delete(&self, path: &str, versions: &[Version]) -> Result<()>;

    /// Paths under `prefix` (empty for all), sorted. Never values.
    async fn list(&self, prefix: &str) -> Result<Vec<String>>;

    /// Versions, timestamps, tags and rotation policy of a secret.
    async fn metadata(&self, path: &str) -> Result<SecretMetadata>;

    /// Changes tags, rotation policy or max versions without writing a new value.
    async fn update_metadata(&self, path: &str, update: MetadataUpdate) -> Result<SecretMetadata>;

    /// Removes a secret with all its versions and metadata, for good.
    async fn purge(&self, path: &str) -> Result<()>;

    /// Restores soft-deleted versions.
    async fn undelete(&self, path: &str, versions: &[Version]) -> Result<()> {
        let _ = (path, versions);
        Err(Error::unsupported(self.backend(), Operation::Undelete))
    }

    /// The version `selector` names right now, when the backend can tell more cheaply
    /// than a `get` (AWS: `DescribeSecret` instead of reading the value); `Ok(None)` when
    /// it cannot. The cache layer uses it to keep serving an expired entry whose
    /// version is still current instead of reading the value again.
    async fn current_version(
        &self,
        path: &str,
        selector: &VersionSelector,
    ) -> Result<Option<Version>> {
        let _ = (path, selector);
        Ok(None)
    }

    /// Erases versions' values for good, keeping their metadata.
    async fn destroy(&self, path: &str, versions: &[Version]) -> Result<()> {
        let _ = (path, versions);
        Err(Error::unsupported(self.backend(), Operation::Destroy))
    }
}
