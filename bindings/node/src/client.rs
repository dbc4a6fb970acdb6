//! `Client`: the facade's client, with the secret operations. Every call returns a
//! Promise and takes an optional `{ signal }`.

use std::collections::BTreeMap;

use ironsecrets::{
    CacheConfig, Cas, Client as CoreClient, MetadataUpdate, PutOptions, RetryConfig,
};
use napi::Env;
use napi::bindgen_prelude::{PromiseRaw, Undefined};
use napi_derive::napi;

use crate::convert::{self, OptionArg, PutValue, Value, VersionArg};
use crate::engines::{Credentials, Leases, Transit};
use crate::runtime::{Signal, promise};
use crate::types::{self, RotationEntry, RotationPolicy, Secret, SecretMetadata, VersionInfo};
use crate::vault::Vault;

/// A connection to one backend, behind error context and retries.
#[napi]
pub struct Client {
    inner: CoreClient,
}

impl Client {
    /// The core client.
    pub fn core(&self) -> &CoreClient {
        &self.inner
    }
}

impl From<CoreClient> for Client {
    fn from(inner: CoreClient) -> Self {
        Client { inner }
    }
}

/// `{ signal }`: an `AbortSignal` that cancels the call.
#[napi(object, object_to_js = false)]
pub struct CallOptions {
    /// Cancels the call when aborted.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<Signal>,
}

/// The signal of optional call options.
pub fn signal(options: Option<CallOptions>) -> Option<Signal> {
    options.and_then(|options| options.signal)
}

/// Which version `get` reads.
#[napi(object, object_to_js = false)]
pub struct GetOptions {
    /// A version number or id; the newest when not given.
    #[napi(ts_type = "number | string")]
    pub version: Option<VersionArg>,
    /// A stage label (`AWSCURRENT`, ...).
    pub stage: Option<String>,
    /// Cancels the call when aborted.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<Signal>,
}

/// How `put` writes.
#[napi(object, object_to_js = false)]
pub struct PutArgs {
    /// `0`: the secret must not exist; `N`: version N must be the newest.
    #[napi(ts_type = "number | string")]
    pub cas: Option<VersionArg>,
    /// Replaces all tags with these.
    pub tags: Option<BTreeMap<String, String>>,
    /// Sets the rotation policy.
    pub rotation: Option<RotationPolicy>,
    /// How many versions to keep.
    pub max_versions: Option<u32>,
    /// Cancels the call when aborted.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<Signal>,
}

/// What `updateMetadata` changes.
#[napi(object, object_to_js = false)]
pub struct MetadataArgs {
    /// Replaces all tags with these.
    pub tags: Option<BTreeMap<String, String>>,
    /// Sets the rotation policy.
    pub rotation: Option<RotationPolicy>,
    /// Removes the rotation policy.
    pub clear_rotation: Option<bool>,
    /// How many versions to keep.
    pub max_versions: Option<u32>,
    /// Cancels the call when aborted.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<Signal>,
}

/// `rotationStatus`'s time and signal.
#[napi(object, object_to_js = false)]
pub struct StatusArgs {
    /// The time to judge at; now when not given.
    pub at: Option<chrono::DateTime<chrono::Utc>>,
    /// Cancels the call when aborted.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<Signal>,
}

/// A retry policy (`maxAttempts: 1`: none); backoffs in seconds.
#[napi(object, object_to_js = false)]
pub struct RetryArgs {
    /// Total attempts, the first one included (default 4).
    pub max_attempts: Option<u32>,
    /// Upper bound, in seconds, of the first jittered wait (default 0.05).
    pub initial_backoff: Option<f64>,
    /// Upper bound, in seconds, of any jittered wait (default 2).
    pub max_backoff: Option<f64>,
}

/// A read cache: entries live `ttl` seconds.
#[napi(object, object_to_js = false)]
pub struct CacheArgs {
    /// Seconds a read is served without asking the backend.
    pub ttl: f64,
    /// Most entries kept, the least recently used evicted beyond that (default 1024; 0
    /// disables caching).
    pub max_entries: Option<u32>,
}

/// `cas: 0`: must not exist; `cas: N`: version N must be the newest.
fn cas(version: Option<VersionArg>) -> Option<Cas> {
    version.map(|VersionArg(version)| match version.number() {
        Some(0) => Cas::MustNotExist,
        _ => Cas::CurrentVersion(version),
    })
}

#[napi]
impl Client {
    /// Opens the backend a URI names; credentials go in `options`, never in the URI.
    #[napi(ts_return_type = "Promise<Client>")]
    pub fn from_uri<'env>(
        env: &'env Env,
        uri: String,
        #[napi(ts_arg_type = "Record<string, OptionValue>")] options: Option<
            BTreeMap<String, OptionArg>,
        >,
    ) -> napi::Result<PromiseRaw<'env, Client>> {
        let options = convert::options(env, options)?;
        promise(env, None, async move {
            Ok(Client::from(
                CoreClient::from_uri_with(&uri, options).await?,
            ))
        })
    }

    /// Opens `$IRONSECRETS_STORE`, or the default embedded store.
    #[napi(ts_return_type = "Promise<Client>")]
    pub fn from_env(env: &Env) -> napi::Result<PromiseRaw<'_, Client>> {
        promise(env, None, async move {
            Ok(Client::from(CoreClient::from_env().await?))
        })
    }

    /// Opens backend `scheme` (`'local'`, `'vault'`, `'aws-sm'`, ...) with options.
    #[napi(ts_return_type = "Promise<Client>")]
    pub fn open<'env>(
        env: &'env Env,
        scheme: String,
        #[napi(ts_arg_type = "Record<string, OptionValue>")] options: Option<
            BTreeMap<String, OptionArg>,
        >,
    ) -> napi::Result<PromiseRaw<'env, Client>> {
        let options = convert::options(env, options)?;
        promise(env, None, async move {
            Ok(Client::from(CoreClient::open(&scheme, options).await?))
        })
    }

    /// The same connection with another retry policy.
    #[napi]
    pub fn with_retry(&self, env: &Env, policy: Option<RetryArgs>) -> napi::Result<Client> {
        let defaults = RetryConfig::default();
        let policy = policy.unwrap_or(RetryArgs {
            max_attempts: None,
            initial_backoff: None,
            max_backoff: None,
        });
        let config = RetryConfig {
            max_attempts: policy.max_attempts.unwrap_or(defaults.max_attempts),
            initial_backoff: convert::maybe_seconds(env, policy.initial_backoff)?
                .unwrap_or(defaults.initial_backoff),
            max_backoff: convert::maybe_seconds(env, policy.max_backoff)?
                .unwrap_or(defaults.max_backoff),
            ..defaults
        };
        Ok(Client::from(self.inner.clone().with_retry(config)))
    }

    /// The same connection with reads cached.
    #[napi]
    pub fn with_cache(&self, env: &Env, cache: CacheArgs) -> napi::Result<Client> {
        let defaults = CacheConfig::default();
        let config = CacheConfig {
            ttl: convert::seconds(env, cache.ttl)?,
            max_entries: cache
                .max_entries
                .map_or(defaults.max_entries, |entries| entries as usize),
            ..defaults
        };
        Ok(Client::from(self.inner.clone().with_cache(config)))
    }

    /// The backend's short name.
    #[napi(getter)]
    pub fn name(&self) -> &'static str {
        self.inner.name()
    }

    /// What the backend supports (`store`, `transit`, `leases`, `dynamicCredentials`).
    #[napi(ts_return_type = "Capabilities")]
    pub fn capabilities(&self) -> napi::Result<serde_json::Value> {
        crate::capabilities::to_js(&self.inner.capabilities())
    }

    /// The transit engine.
    #[napi(getter)]
    pub fn transit(&self) -> Transit {
        Transit::from(self.inner.transit())
    }

    /// Lease renewal, revocation and lookup.
    #[napi(getter)]
    pub fn leases(&self) -> Leases {
        Leases::from(self.inner.leases())
    }

    /// Dynamic credentials.
    #[napi(getter)]
    pub fn credentials(&self) -> Credentials {
        Credentials::from(self.inner.credentials())
    }

    /// The Vault / OpenBao engines; UnsupportedError for other backends.
    #[napi]
    pub fn vault(&self, env: &Env) -> napi::Result<Vault> {
        self.inner
            .vault()
            .map(Vault::from)
            .map_err(|error| crate::errors::to_js(env, error))
    }

    /// Reads the newest version, or a chosen version or stage.
    #[napi(ts_return_type = "Promise<Secret>")]
    pub fn get<'env>(
        &self,
        env: &'env Env,
        path: String,
        options: Option<GetOptions>,
    ) -> napi::Result<PromiseRaw<'env, Secret>> {
        let (version, stage, signal) = match options {
            Some(options) => (options.version, options.stage, options.signal),
            None => (None, None, None),
        };
        let read = self
            .inner
            .get_version(path, convert::selector(env, version, stage)?);
        promise(env, signal, async move { read.await.map(Secret::from) })
    }

    /// Reads a chosen version.
    #[napi(ts_return_type = "Promise<Secret>")]
    pub fn get_version<'env>(
        &self,
        env: &'env Env,
        path: String,
        #[napi(ts_arg_type = "number | string")] version: VersionArg,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, Secret>> {
        let read = self
            .inner
            .get_version(path, convert::selector(env, Some(version), None)?);
        promise(
            env,
            signal(options),
            async move { read.await.map(Secret::from) },
        )
    }

    /// Writes a new version (a record is written as a key/value secret).
    #[napi(ts_return_type = "Promise<VersionInfo>")]
    pub fn put<'env>(
        &self,
        env: &'env Env,
        path: String,
        #[napi(ts_arg_type = "SecretInput | Record<string, SecretInput>")] value: PutValue,
        options: Option<PutArgs>,
    ) -> napi::Result<PromiseRaw<'env, VersionInfo>> {
        let options = options.unwrap_or(PutArgs {
            cas: None,
            tags: None,
            rotation: None,
            max_versions: None,
            signal: None,
        });
        let rotation = options
            .rotation
            .map(|policy| policy.to_core(env))
            .transpose()?;
        let put = PutOptions {
            cas: cas(options.cas),
            metadata: MetadataUpdate {
                tags: options.tags,
                rotation: rotation.map(Some),
                max_versions: options.max_versions,
            },
        };
        let write = self.inner.put_with(path, value.0, put);
        promise(env, options.signal, async move {
            write.await.map(VersionInfo::from)
        })
    }

    /// Changes some fields of a key/value secret as a new version.
    #[napi(ts_return_type = "Promise<VersionInfo>")]
    pub fn patch<'env>(
        &self,
        env: &'env Env,
        path: String,
        #[napi(ts_arg_type = "Record<string, SecretInput>")] set: Option<BTreeMap<String, Value>>,
        remove: Option<Vec<String>>,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, VersionInfo>> {
        let set = convert::fields_map(set.unwrap_or_default());
        let write = self.inner.patch(path, set, remove.unwrap_or_default());
        promise(env, signal(options), async move {
            write.await.map(VersionInfo::from)
        })
    }

    /// Paths under a prefix (recursive, sorted), never values.
    #[napi(ts_return_type = "Promise<string[]>")]
    pub fn list<'env>(
        &self,
        env: &'env Env,
        prefix: Option<String>,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, Vec<String>>> {
        promise(
            env,
            signal(options),
            self.inner.list(prefix.unwrap_or_default()),
        )
    }

    /// Soft-deletes versions (the newest when none are given).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn delete<'env>(
        &self,
        env: &'env Env,
        path: String,
        #[napi(ts_arg_type = "Array<number | string>")] versions: Option<Vec<VersionArg>>,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, Undefined>> {
        let done = self.inner.delete(path, convert::versions(versions));
        promise(env, signal(options), done)
    }

    /// Restores soft-deleted versions (the newest when none are given).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn undelete<'env>(
        &self,
        env: &'env Env,
        path: String,
        #[napi(ts_arg_type = "Array<number | string>")] versions: Option<Vec<VersionArg>>,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, Undefined>> {
        let done = self.inner.undelete(path, convert::versions(versions));
        promise(env, signal(options), done)
    }

    /// Erases versions for good (the newest when none are given).
    #[napi(ts_return_type = "Promise<void>")]
    pub fn destroy<'env>(
        &self,
        env: &'env Env,
        path: String,
        #[napi(ts_arg_type = "Array<number | string>")] versions: Option<Vec<VersionArg>>,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, Undefined>> {
        let done = self.inner.destroy(path, convert::versions(versions));
        promise(env, signal(options), done)
    }

    /// Removes a secret with all versions and metadata.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn purge<'env>(
        &self,
        env: &'env Env,
        path: String,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, Undefined>> {
        promise(env, signal(options), self.inner.purge(path))
    }

    /// A secret's versions, oldest first.
    #[napi(ts_return_type = "Promise<VersionInfo[]>")]
    pub fn versions<'env>(
        &self,
        env: &'env Env,
        path: String,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, Vec<VersionInfo>>> {
        let read = self.inner.versions(path);
        promise(env, signal(options), async move {
            read.await.map(types::version_infos)
        })
    }

    /// A secret's metadata.
    #[napi(ts_return_type = "Promise<SecretMetadata>")]
    pub fn metadata<'env>(
        &self,
        env: &'env Env,
        path: String,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, SecretMetadata>> {
        let read = self.inner.metadata(path);
        promise(env, signal(options), async move {
            read.await.map(SecretMetadata::from)
        })
    }

    /// Changes tags, rotation policy or max versions.
    #[napi(ts_return_type = "Promise<SecretMetadata>")]
    pub fn update_metadata<'env>(
        &self,
        env: &'env Env,
        path: String,
        update: MetadataArgs,
    ) -> napi::Result<PromiseRaw<'env, SecretMetadata>> {
        let rotation = match (update.rotation, update.clear_rotation.unwrap_or(false)) {
            (Some(_), true) => {
                return Err(crate::errors::invalid(
                    env,
                    "give a rotation policy or clearRotation: true, not both",
                ));
            }
            (Some(policy), false) => Some(Some(policy.to_core(env)?)),
            (None, true) => Some(None),
            (None, false) => None,
        };
        let change = MetadataUpdate {
            tags: update.tags,
            rotation,
            max_versions: update.max_versions,
        };
        let write = self.inner.update_metadata(path, change);
        promise(env, update.signal, async move {
            write.await.map(SecretMetadata::from)
        })
    }

    /// The rotation status of every secret under `prefix`.
    #[napi(ts_return_type = "Promise<RotationEntry[]>")]
    pub fn rotation_status<'env>(
        &self,
        env: &'env Env,
        prefix: Option<String>,
        options: Option<StatusArgs>,
    ) -> napi::Result<PromiseRaw<'env, Vec<RotationEntry>>> {
        let (at, signal) = match options {
            Some(options) => (options.at, options.signal),
            None => (None, None),
        };
        let read = self.inner.rotation_status_at(
            prefix.unwrap_or_default(),
            at.unwrap_or_else(chrono::Utc::now),
        );
        promise(env, signal, async move {
            read.await.map(types::rotation_entries)
        })
    }
}
