//! `Client`: the surface applications and the Python and Node bindings use.

use std::sync::Arc;

use chrono::Utc;
use ironsecrets_core::{
    Backend, CacheConfig, CachingStore, Capabilities, DynamicCredentials, Leases, MetadataUpdate,
    PutOptions, Result, RetryConfig, RetryingStore, Secret, SecretMetadata, SecretStore,
    SecretValue, Transit, Version, VersionInfo, VersionSelector,
};

use crate::{RotationEntry, default_store_uri, registry};

/// A connection to one backend. Methods take owned arguments so their futures are
/// `Send + 'static` and easy to carry across an FFI boundary. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    backend: Backend,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("backend", &self.backend.name())
            .finish()
    }
}

impl Client {
    /// Opens the backend a URI names (`local:///path/store.db`, ...). An unknown scheme
    /// is a Config error listing the schemes this build has.
    pub async fn from_uri(uri: &str) -> Result<Self> {
        Ok(Client {
            backend: registry().open(uri).await?,
        })
    }

    /// Opens `$IRONSECRETS_STORE`, or the embedded store in the platform data directory.
    pub async fn from_env() -> Result<Self> {
        Self::from_uri(&default_store_uri()?).await
    }

    /// Wraps an already opened backend.
    pub fn from_backend(backend: Backend) -> Self {
        Client { backend }
    }

    /// Retries this client's store calls that fail with retryable errors.
    pub fn with_retry(self, config: RetryConfig) -> Self {
        Client {
            backend: self
                .backend
                .map_store(|store| Arc::new(RetryingStore::new(store, config))),
        }
    }

    /// Caches this client's reads (TTL, refresh-ahead, serve-stale-on-error).
    pub fn with_cache(self, config: CacheConfig) -> Self {
        Client {
            backend: self
                .backend
                .map_store(|store| Arc::new(CachingStore::new(store, config))),
        }
    }

    /// The backend, for its engines and backend-specific calls (`native::<T>()`).
    pub fn backend(&self) -> &Backend {
        &self.backend
    }

    /// The secret store.
    pub fn store(&self) -> &Arc<dyn SecretStore> {
        self.backend.store()
    }

    /// What the backend supports.
    pub fn capabilities(&self) -> Capabilities {
        self.backend.capabilities()
    }

    /// The transit engine, or Unsupported.
    pub fn transit(&self) -> Result<&Arc<dyn Transit>> {
        self.backend.transit()
    }

    /// Lease management, or Unsupported.
    pub fn leases(&self) -> Result<&Arc<dyn Leases>> {
        self.backend.leases()
    }

    /// The dynamic-credentials engine, or Unsupported.
    pub fn credentials(&self) -> Result<&Arc<dyn DynamicCredentials>> {
        self.backend.credentials()
    }

    /// Reads the newest version.
    pub async fn get(&self, path: impl Into<String>) -> Result<Secret> {
        self.get_version(path, VersionSelector::Latest).await
    }

    /// Reads a chosen version.
    pub async fn get_version(
        &self,
        path: impl Into<String>,
        version: VersionSelector,
    ) -> Result<Secret> {
        self.store().get(&path.into(), version).await
    }

    /// Writes a new version.
    pub async fn put(
        &self,
        path: impl Into<String>,
        value: impl Into<SecretValue>,
    ) -> Result<VersionInfo> {
        self.put_with(path, value, PutOptions::default()).await
    }

    /// Writes a new version with check-and-set or metadata options.
    pub async fn put_with(
        &self,
        path: impl Into<String>,
        value: impl Into<SecretValue>,
        options: PutOptions,
    ) -> Result<VersionInfo> {
        self.store().put(&path.into(), value.into(), options).await
    }

    /// Soft-deletes versions (the newest when empty).
    pub async fn delete(&self, path: impl Into<String>, versions: Vec<Version>) -> Result<()> {
        self.store().delete(&path.into(), &versions).await
    }

    /// Restores soft-deleted versions.
    pub async fn undelete(&self, path: impl Into<String>, versions: Vec<Version>) -> Result<()> {
        self.store().undelete(&path.into(), &versions).await
    }

    /// Erases versions for good.
    pub async fn destroy(&self, path: impl Into<String>, versions: Vec<Version>) -> Result<()> {
        self.store().destroy(&path.into(), &versions).await
    }

    /// Removes a secret with all versions and metadata.
    pub async fn purge(&self, path: impl Into<String>) -> Result<()> {
        self.store().purge(&path.into()).await
    }

    /// Paths under a prefix, never values.
    pub async fn list(&self, prefix: impl Into<String>) -> Result<Vec<String>> {
        self.store().list(&prefix.into()).await
    }

    /// A secret's metadata.
    pub async fn metadata(&self, path: impl Into<String>) -> Result<SecretMetadata> {
        self.store().metadata(&path.into()).await
    }

    /// Changes tags, rotation policy or max versions.
    pub async fn update_metadata(
        &self,
        path: impl Into<String>,
        update: MetadataUpdate,
    ) -> Result<SecretMetadata> {
        self.store().update_metadata(&path.into(), update).await
    }

    /// The rotation status of every secret under `prefix`, sorted by path.
    pub async fn rotation_status(&self, prefix: impl Into<String>) -> Result<Vec<RotationEntry>> {
        let now = Utc::now();
        let mut entries = Vec::new();
        for path in self.list(prefix).await? {
            entries.push(RotationEntry::of(&self.metadata(path).await?, now));
        }
        Ok(entries)
    }
}
