//! `Client` and `AsyncClient`: the facade's client, with the secret operations.

use std::time::Duration;

use chrono::{DateTime, Utc};
use ironsecrets::{CacheConfig, Cas, Client, MetadataUpdate, PutOptions, RetryConfig, VersionInfo};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyMapping};

use crate::convert::{self, Seconds, VersionArg};
use crate::flavor::{both_flavors, handle_class};
use crate::types::{self, PyRotationPolicy, PySecret, PySecretMetadata, PyVersionInfo};

handle_class!(
    /// A connection to one backend, behind error context and retries; every call blocks
    /// with the GIL released.
    PyClient(Client),
    "Client"
);

handle_class!(
    /// A connection to one backend for asyncio: every call is an awaitable.
    PyAsyncClient(Client),
    "AsyncClient"
);

/// The core's answer to `put` as the Python object.
fn version_info(info: VersionInfo) -> PyVersionInfo {
    PyVersionInfo::from(info)
}

/// `cas=0`: must not exist; `cas=N`: version N must be the newest.
fn cas(version: Option<VersionArg>) -> Option<Cas> {
    version.map(|VersionArg(version)| match version.number() {
        Some(0) => Cas::MustNotExist,
        _ => Cas::CurrentVersion(version),
    })
}

both_flavors!(PyClient / PyAsyncClient, {
    /// Opens the backend a URI names, with the backend's options as keywords.
    #[staticmethod]
    #[pyo3(signature = (uri, **options))]
    fn from_uri<'py>(
        py: Python<'py>,
        uri: String,
        options: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = convert::options(options)?;
        flavor::run(py, async move {
            Ok(Self::from(Client::from_uri_with(&uri, options).await?))
        })
    }

    /// Opens `$IRONSECRETS_STORE`, or the default embedded store.
    #[staticmethod]
    fn from_env(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
        flavor::run(py, async move { Ok(Self::from(Client::from_env().await?)) })
    }

    /// Opens backend `scheme` with key/value options.
    #[staticmethod]
    #[pyo3(signature = (scheme, **options))]
    fn open<'py>(
        py: Python<'py>,
        scheme: String,
        options: Option<&Bound<'py, PyDict>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = convert::options(options)?;
        flavor::run(py, async move {
            Ok(Self::from(Client::open(&scheme, options).await?))
        })
    }

    /// The same connection with another retry policy (`max_attempts=1`: none).
    #[pyo3(signature = (max_attempts = 4, initial_backoff = Seconds(Duration::from_millis(50)), max_backoff = Seconds(Duration::from_secs(2))))]
    fn with_retry(
        &self,
        max_attempts: u32,
        initial_backoff: Seconds,
        max_backoff: Seconds,
    ) -> PyResult<Self> {
        let config = RetryConfig {
            max_attempts,
            initial_backoff: initial_backoff.0,
            max_backoff: max_backoff.0,
            ..RetryConfig::default()
        };
        Ok(Self::from(self.handle()?.clone().with_retry(config)))
    }

    /// The same connection with reads cached for `ttl`.
    #[pyo3(signature = (ttl, max_entries = 10_000))]
    fn with_cache(&self, ttl: Seconds, max_entries: usize) -> PyResult<Self> {
        let config = CacheConfig {
            ttl: ttl.0,
            max_entries,
            ..CacheConfig::default()
        };
        Ok(Self::from(self.handle()?.clone().with_cache(config)))
    }

    /// The backend's short name.
    #[getter]
    fn name(&self) -> PyResult<&'static str> {
        Ok(self.handle()?.name())
    }

    /// What the backend supports.
    fn capabilities<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        crate::capabilities::to_python(py, &self.handle()?.capabilities())
    }

    /// The transit engine.
    #[getter]
    fn transit(&self) -> PyResult<flavor::Transit> {
        Ok(flavor::Transit::from(self.handle()?.transit()))
    }

    /// Lease renewal, revocation and lookup.
    #[getter]
    fn leases(&self) -> PyResult<flavor::Leases> {
        Ok(flavor::Leases::from(self.handle()?.leases()))
    }

    /// Dynamic credentials.
    #[getter]
    fn credentials(&self) -> PyResult<flavor::Credentials> {
        Ok(flavor::Credentials::from(self.handle()?.credentials()))
    }

    /// The Vault / OpenBao engines; UnsupportedError for other backends.
    fn vault(&self, py: Python<'_>) -> PyResult<flavor::Vault> {
        let engines = self
            .handle()?
            .vault()
            .map_err(|err| crate::errors::to_py(py, err))?;
        Ok(flavor::Vault::from(engines))
    }

    /// Reads the newest version, or a chosen version or stage.
    #[pyo3(signature = (path, version = None, *, stage = None))]
    fn get<'py>(
        &self,
        py: Python<'py>,
        path: String,
        version: Option<VersionArg>,
        stage: Option<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let read = self
            .handle()?
            .get_version(path, convert::selector(version, stage)?);
        flavor::run(py, async move { read.await.map(PySecret::from) })
    }

    /// Reads a chosen version.
    fn get_version<'py>(
        &self,
        py: Python<'py>,
        path: String,
        version: VersionArg,
    ) -> PyResult<Bound<'py, PyAny>> {
        let read = self
            .handle()?
            .get_version(path, convert::selector(Some(version), None)?);
        flavor::run(py, async move { read.await.map(PySecret::from) })
    }

    /// Writes a new version (a mapping is written as a key/value secret).
    #[pyo3(signature = (path, value, *, cas = None, tags = None, rotation = None, max_versions = None))]
    fn put<'py>(
        &self,
        py: Python<'py>,
        path: String,
        value: &Bound<'py, PyAny>,
        cas: Option<VersionArg>,
        tags: Option<std::collections::BTreeMap<String, String>>,
        rotation: Option<PyRotationPolicy>,
        max_versions: Option<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = PutOptions {
            cas: self::cas(cas),
            metadata: MetadataUpdate {
                tags,
                rotation: rotation.map(|policy| Some(policy.0)),
                max_versions,
            },
        };
        let write = self
            .handle()?
            .put_with(path, convert::put_value(value)?, options);
        flavor::run(py, async move { write.await.map(version_info) })
    }

    /// Changes some fields of a key/value secret as a new version.
    #[pyo3(signature = (path, set = None, remove = Vec::new()))]
    fn patch<'py>(
        &self,
        py: Python<'py>,
        path: String,
        set: Option<&Bound<'py, PyMapping>>,
        remove: Vec<String>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let set = match set {
            Some(mapping) => convert::fields(mapping)?,
            None => ironsecrets::SecretMap::new(),
        };
        let write = self.handle()?.patch(path, set, remove);
        flavor::run(py, async move { write.await.map(version_info) })
    }

    /// Paths under a prefix (recursive, sorted), never values.
    #[pyo3(signature = (prefix = ""))]
    fn list<'py>(&self, py: Python<'py>, prefix: &str) -> PyResult<Bound<'py, PyAny>> {
        flavor::run(py, self.handle()?.list(prefix.to_owned()))
    }

    /// Soft-deletes versions (the newest when none are given).
    #[pyo3(signature = (path, versions = Vec::new()))]
    fn delete<'py>(
        &self,
        py: Python<'py>,
        path: String,
        versions: Vec<VersionArg>,
    ) -> PyResult<Bound<'py, PyAny>> {
        flavor::run(py, self.handle()?.delete(path, convert::versions(versions)))
    }

    /// Restores soft-deleted versions (the newest when none are given).
    #[pyo3(signature = (path, versions = Vec::new()))]
    fn undelete<'py>(
        &self,
        py: Python<'py>,
        path: String,
        versions: Vec<VersionArg>,
    ) -> PyResult<Bound<'py, PyAny>> {
        flavor::run(
            py,
            self.handle()?.undelete(path, convert::versions(versions)),
        )
    }

    /// Erases versions for good (the newest when none are given).
    #[pyo3(signature = (path, versions = Vec::new()))]
    fn destroy<'py>(
        &self,
        py: Python<'py>,
        path: String,
        versions: Vec<VersionArg>,
    ) -> PyResult<Bound<'py, PyAny>> {
        flavor::run(
            py,
            self.handle()?.destroy(path, convert::versions(versions)),
        )
    }

    /// Removes a secret with all versions and metadata.
    fn purge<'py>(&self, py: Python<'py>, path: String) -> PyResult<Bound<'py, PyAny>> {
        flavor::run(py, self.handle()?.purge(path))
    }

    /// A secret's versions, oldest first.
    fn versions<'py>(&self, py: Python<'py>, path: String) -> PyResult<Bound<'py, PyAny>> {
        let read = self.handle()?.versions(path);
        flavor::run(py, async move { read.await.map(types::version_infos) })
    }

    /// A secret's metadata.
    fn metadata<'py>(&self, py: Python<'py>, path: String) -> PyResult<Bound<'py, PyAny>> {
        let read = self.handle()?.metadata(path);
        flavor::run(py, async move { read.await.map(PySecretMetadata::from) })
    }

    /// Changes tags, rotation policy or max versions.
    #[pyo3(signature = (path, *, tags = None, rotation = None, clear_rotation = false, max_versions = None))]
    fn update_metadata<'py>(
        &self,
        py: Python<'py>,
        path: String,
        tags: Option<std::collections::BTreeMap<String, String>>,
        rotation: Option<PyRotationPolicy>,
        clear_rotation: bool,
        max_versions: Option<u32>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let rotation = match (rotation, clear_rotation) {
            (Some(_), true) => {
                return Err(pyo3::exceptions::PyValueError::new_err(
                    "give a rotation policy or clear_rotation=True, not both",
                ));
            }
            (Some(policy), false) => Some(Some(policy.0)),
            (None, true) => Some(None),
            (None, false) => None,
        };
        let update = MetadataUpdate {
            tags,
            rotation,
            max_versions,
        };
        let write = self.handle()?.update_metadata(path, update);
        flavor::run(py, async move { write.await.map(PySecretMetadata::from) })
    }

    /// The rotation status of every secret under `prefix` (at `at`, default now).
    #[pyo3(signature = (prefix = "", at = None))]
    fn rotation_status<'py>(
        &self,
        py: Python<'py>,
        prefix: &str,
        at: Option<DateTime<Utc>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let read = self
            .handle()?
            .rotation_status_at(prefix.to_owned(), at.unwrap_or_else(Utc::now));
        flavor::run(py, async move { read.await.map(types::rotation_entries) })
    }

    fn __repr__(&self) -> PyResult<String> {
        Ok(format!("<ironsecrets client of {}>", self.handle()?.name()))
    }
});
