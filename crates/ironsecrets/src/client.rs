//! `Client`: the surface applications and the Python and Node bindings use.

use std::future::Future;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use ironsecrets_core::{
    Backend, BackendOptions, CacheConfig, Capabilities, Cas, Error, MetadataUpdate, Options,
    PutOptions, Request, Response, Result, RetryConfig, Secret, SecretMap, SecretMetadata,
    SecretValue, Service, Stack, Version, VersionInfo, VersionSelector,
};

use crate::{
    CredentialClient, LeaseClient, RotationEntry, TransitClient, default_store_uri, registry,
};

/// A connection to one backend, behind the layer stack (error context and retry by
/// default; a cache on request). Cheap to clone: clones share the connection and the
/// cache.
///
/// Every method takes owned arguments and returns a `Send + 'static` future, so a call
/// can be spawned or carried across an FFI boundary as it is. Engines are typed handles
/// ([`Client::transit`], [`Client::leases`], [`Client::credentials`], and per backend
/// `vault()`, `local()`, `aws()`); a backend without an engine answers its calls with
/// Unsupported.
#[derive(Clone)]
pub struct Client {
    /// The backend as opened, so the stack can be rebuilt.
    raw: Backend,
    stack: Stack,
    service: Arc<dyn Service>,
    layered: Backend,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("backend", &self.raw.name())
            .field("stack", &self.stack)
            .finish()
    }
}

/// Runs `request` on `service` and reads its response as a `T`.
pub(crate) fn call<T>(
    service: &Arc<dyn Service>,
    request: Request,
) -> impl Future<Output = Result<T>> + Send + 'static
where
    T: TryFrom<Response, Error = Error> + Send + 'static,
{
    let service = Arc::clone(service);
    async move { service.call(request).await?.try_into() }
}

impl Client {
    /// Opens the backend a URI names (`local:///path/store.db`,
    /// `vault://127.0.0.1:8200?mount=secret`, ...). An unknown scheme is a Config error
    /// listing the schemes this build has.
    pub async fn from_uri(uri: &str) -> Result<Self> {
        Self::from_uri_with(uri, Options::new()).await
    }

    /// Opens the backend a URI names with more options on top of the URI's (an option in
    /// both is a Config error; credentials go here, never in the URI).
    pub async fn from_uri_with(uri: &str, options: Options) -> Result<Self> {
        Ok(Self::from_backend(registry().open_uri(uri, options).await?))
    }

    /// Opens a store that must exist already: a local store file that is missing is a
    /// Config error pointing at `ironsecrets init` rather than a new empty store.
    pub async fn open_existing(uri: &str) -> Result<Self> {
        #[allow(unused_mut)]
        let mut options = Options::new();
        #[cfg(feature = "local")]
        if ironsecrets_core::StoreUri::parse(uri)?.scheme()
            == <ironsecrets_local::LocalOptions as BackendOptions>::SCHEME
        {
            options = options.with("create", false);
        }
        Client::from_uri_with(uri, options).await
    }

    /// Opens backend `scheme` (`local`, `vault`, `aws-sm`, ...) with key/value options
    /// (the form the bindings pass).
    pub async fn open(scheme: &str, options: Options) -> Result<Self> {
        Ok(Self::from_backend(registry().open(scheme, options).await?))
    }

    /// Opens a backend from its typed options (`LocalOptions`, `VaultOptions`, ...).
    pub async fn connect(options: impl BackendOptions) -> Result<Self> {
        Ok(Self::from_backend(options.open().await?))
    }

    /// Opens `$IRONSECRETS_STORE`, or the embedded store in the platform data directory.
    pub async fn from_env() -> Result<Self> {
        Self::from_uri(&default_store_uri()?).await
    }

    /// Wraps an opened backend in the default layer stack.
    pub fn from_backend(backend: Backend) -> Self {
        Self::stacked(backend, Stack::default())
    }

    fn stacked(raw: Backend, stack: Stack) -> Self {
        let service = stack.service(&raw);
        let layered = Backend::over(Arc::clone(&service), &raw);
        Client {
            raw,
            stack,
            service,
            layered,
        }
    }

    /// The same backend behind `stack` instead (a fresh cache, if it has one).
    pub fn with_stack(self, stack: Stack) -> Self {
        Self::stacked(self.raw, stack)
    }

    /// Retries transient errors as `config` says (replacing the default retry policy).
    pub fn with_retry(self, config: RetryConfig) -> Self {
        let stack = Stack {
            retry: Some(config),
            ..self.stack.clone()
        };
        self.with_stack(stack)
    }

    /// Caches reads (TTL, refresh-ahead, serve-stale-on-error).
    pub fn with_cache(self, config: CacheConfig) -> Self {
        let stack = Stack {
            cache: Some(config),
            ..self.stack.clone()
        };
        self.with_stack(stack)
    }

    /// The layers this client applies.
    pub fn stack(&self) -> &Stack {
        &self.stack
    }

    /// The backend behind the layer stack, as typed traits ([`Backend::store`],
    /// [`Backend::transit`], ...), for code written against them (the conformance
    /// suite, the lease manager, bundles).
    pub fn backend(&self) -> &Backend {
        &self.layered
    }

    /// The backend's short name (`local`, `vault`, `aws`, `azure`, `gcp`).
    pub fn name(&self) -> &'static str {
        self.raw.name()
    }

    /// What the backend supports.
    pub fn capabilities(&self) -> Capabilities {
        self.raw.capabilities()
    }

    /// The transit engine (Unsupported on each call if the backend has none).
    pub fn transit(&self) -> TransitClient {
        TransitClient::new(Arc::clone(&self.service))
    }

    /// Lease renewal, revocation and lookup (Unsupported on each call if the backend
    /// has none).
    pub fn leases(&self) -> LeaseClient {
        LeaseClient::new(Arc::clone(&self.service))
    }

    /// Dynamic credentials (Unsupported on each call if the backend has none).
    pub fn credentials(&self) -> CredentialClient {
        CredentialClient::new(Arc::clone(&self.service))
    }

    /// The backend's native handle, if it is a `T`.
    pub(crate) fn native<T: std::any::Any + Send + Sync>(&self) -> Option<&T> {
        self.raw.native::<T>()
    }

    /// Reads the newest version.
    pub fn get(
        &self,
        path: impl Into<String>,
    ) -> impl Future<Output = Result<Secret>> + Send + 'static {
        self.get_version(path, VersionSelector::Latest)
    }

    /// Reads a chosen version (by id or, on AWS, by stage).
    pub fn get_version(
        &self,
        path: impl Into<String>,
        version: VersionSelector,
    ) -> impl Future<Output = Result<Secret>> + Send + 'static {
        let path = path.into();
        call(&self.service, Request::Get { path, version })
    }

    /// Writes a new version.
    pub fn put(
        &self,
        path: impl Into<String>,
        value: impl Into<SecretValue>,
    ) -> impl Future<Output = Result<VersionInfo>> + Send + 'static {
        self.put_with(path, value, PutOptions::default())
    }

    /// Writes a new version with check-and-set or metadata options.
    pub fn put_with(
        &self,
        path: impl Into<String>,
        value: impl Into<SecretValue>,
        options: PutOptions,
    ) -> impl Future<Output = Result<VersionInfo>> + Send + 'static {
        let (path, value) = (path.into(), value.into());
        call(
            &self.service,
            Request::Put {
                path,
                value,
                options,
            },
        )
    }

    /// Changes some fields of a key/value secret as a new version: reads the newest
    /// version, sets the fields of `set`, drops those named in `remove`, and writes the
    /// result with check-and-set against the version read (where the backend has it), so
    /// a concurrent change is a Conflict, never lost. InvalidInput if the secret is not a
    /// key/value map.
    pub fn patch(
        &self,
        path: impl Into<String>,
        set: SecretMap,
        remove: Vec<String>,
    ) -> impl Future<Output = Result<VersionInfo>> + Send + 'static {
        let client = self.clone();
        let path = path.into();
        async move {
            let current = client.get(path.clone()).await?;
            let mut fields = SecretMap::from_value(&current.value)?;
            for name in &remove {
                fields.remove(name);
            }
            for (name, value) in set.iter() {
                fields.insert(name, value.clone());
            }
            let cas = client
                .capabilities()
                .store
                .check_and_set
                .then_some(Cas::CurrentVersion(current.version));
            let options = PutOptions {
                cas,
                ..PutOptions::default()
            };
            client.put_with(path, fields.to_value()?, options).await
        }
    }

    /// Soft-deletes versions (the newest when empty).
    pub fn delete(
        &self,
        path: impl Into<String>,
        versions: Vec<Version>,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let path = path.into();
        call(&self.service, Request::Delete { path, versions })
    }

    /// Restores soft-deleted versions (the newest when empty).
    pub fn undelete(
        &self,
        path: impl Into<String>,
        versions: Vec<Version>,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let path = path.into();
        call(&self.service, Request::Undelete { path, versions })
    }

    /// Erases versions for good (the newest when empty).
    pub fn destroy(
        &self,
        path: impl Into<String>,
        versions: Vec<Version>,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let path = path.into();
        call(&self.service, Request::Destroy { path, versions })
    }

    /// Removes a secret with all versions and metadata.
    pub fn purge(
        &self,
        path: impl Into<String>,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let path = path.into();
        call(&self.service, Request::Purge { path })
    }

    /// Paths under a prefix (recursive, sorted), never values.
    pub fn list(
        &self,
        prefix: impl Into<String>,
    ) -> impl Future<Output = Result<Vec<String>>> + Send + 'static {
        let prefix = prefix.into();
        call(&self.service, Request::List { prefix })
    }

    /// A secret's metadata: versions, timestamps, tags, rotation policy.
    pub fn metadata(
        &self,
        path: impl Into<String>,
    ) -> impl Future<Output = Result<SecretMetadata>> + Send + 'static {
        let path = path.into();
        call(&self.service, Request::Metadata { path })
    }

    /// A secret's versions, oldest first (its metadata's version list).
    pub fn versions(
        &self,
        path: impl Into<String>,
    ) -> impl Future<Output = Result<Vec<VersionInfo>>> + Send + 'static {
        let metadata = self.metadata(path);
        async move { Ok(metadata.await?.versions) }
    }

    /// Changes tags, rotation policy or max versions.
    pub fn update_metadata(
        &self,
        path: impl Into<String>,
        update: MetadataUpdate,
    ) -> impl Future<Output = Result<SecretMetadata>> + Send + 'static {
        let path = path.into();
        call(&self.service, Request::UpdateMetadata { path, update })
    }

    /// The rotation status of every secret under `prefix`, sorted by path.
    pub fn rotation_status(
        &self,
        prefix: impl Into<String>,
    ) -> impl Future<Output = Result<Vec<RotationEntry>>> + Send + 'static {
        self.rotation_status_at(prefix, Utc::now())
    }

    /// The rotation status of every secret under `prefix` as it will be (or was) at
    /// `now`, sorted by path: what will have expired by a date.
    pub fn rotation_status_at(
        &self,
        prefix: impl Into<String>,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<RotationEntry>>> + Send + 'static {
        let client = self.clone();
        let listed = self.list(prefix);
        async move {
            let mut entries = Vec::new();
            for path in listed.await? {
                entries.push(RotationEntry::of(&client.metadata(path).await?, now));
            }
            Ok(entries)
        }
    }
}
