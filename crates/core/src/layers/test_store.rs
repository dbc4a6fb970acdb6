//! A tiny in-memory `SecretStore` for unit-testing the layers: it counts calls per
//! operation, can fail the next N calls with a chosen kind, and can delay `get`.

use std::collections::BTreeMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;

use crate::views::View;
use crate::{
    Backend, Cas, Error, ErrorKind, MetadataUpdate, Operation, PutOptions, Result, Secret,
    SecretMetadata, SecretStore, SecretValue, Service, StoreCapabilities, Version, VersionInfo,
    VersionSelector, VersionState,
};

/// A layer over a [`TestStore`], with the store's view through it for typed calls.
pub(crate) struct Viewed<L> {
    pub(crate) layer: Arc<L>,
    store: Arc<dyn SecretStore>,
}

impl<L: Service> Viewed<L> {
    /// `wrap`s the store (as a raw backend) in a layer.
    pub(crate) fn new(wrap: impl FnOnce(Arc<dyn Service>) -> L, inner: &Arc<TestStore>) -> Self {
        let layer = Arc::new(wrap(Arc::new(Backend::new(Arc::clone(inner)))));
        let store = View::new(layer.clone());
        Viewed { layer, store }
    }
}

impl<L> Deref for Viewed<L> {
    type Target = dyn SecretStore;

    fn deref(&self) -> &Self::Target {
        self.store.as_ref()
    }
}

#[derive(Default)]
struct State {
    /// Versions of each secret, oldest first; version n is at index n - 1.
    secrets: BTreeMap<String, Vec<SecretValue>>,
    calls: BTreeMap<&'static str, usize>,
    failures_left: usize,
    failures_injected: usize,
    failure_kind: Option<ErrorKind>,
    failure_retry_after: Option<Duration>,
    failure_not_applied: bool,
    get_latency: Duration,
    /// Whether `current_version` answers (else it keeps the trait's `Ok(None)`).
    reports_current_version: bool,
}

/// In-memory store with call counters and failure injection.
#[derive(Default)]
pub(crate) struct TestStore {
    state: Mutex<State>,
}

impl TestStore {
    pub(crate) fn new() -> Arc<Self> {
        Arc::new(TestStore::default())
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap()
    }

    /// Writes a new version directly, as another client would; not counted.
    pub(crate) fn seed(&self, path: &str, value: &str) {
        let mut state = self.state();
        state
            .secrets
            .entry(path.to_owned())
            .or_default()
            .push(value.into());
    }

    /// Makes `current_version` answer with the newest version, as AWS can.
    pub(crate) fn report_current_versions(&self) {
        self.state().reports_current_version = true;
    }

    /// How many times `operation` was called (failed calls included).
    pub(crate) fn calls(&self, operation: &str) -> usize {
        self.state().calls.get(operation).copied().unwrap_or(0)
    }

    /// The next `n` calls (any operation) fail with `kind`; messages are numbered.
    pub(crate) fn fail_next(&self, n: usize, kind: ErrorKind) {
        let mut state = self.state();
        state.failures_left = n;
        state.failure_kind = Some(kind);
        state.failure_retry_after = None;
        state.failure_not_applied = false;
    }

    /// Like [`TestStore::fail_next`], with errors that say nothing was applied.
    pub(crate) fn fail_next_not_applied(&self, n: usize, kind: ErrorKind) {
        self.fail_next(n, kind);
        self.state().failure_not_applied = true;
    }

    /// Like [`TestStore::fail_next`], with a server-requested wait on each error.
    pub(crate) fn fail_next_with_retry_after(&self, n: usize, kind: ErrorKind, after: Duration) {
        self.fail_next(n, kind);
        self.state().failure_retry_after = Some(after);
    }

    /// Every `get` takes this long (virtual time under a paused clock).
    pub(crate) fn set_get_latency(&self, latency: Duration) {
        self.state().get_latency = latency;
    }

    /// Counts the call, then returns the injected failure if one is due.
    fn enter(&self, operation: &'static str) -> Result<()> {
        let mut state = self.state();
        *state.calls.entry(operation).or_default() += 1;
        if state.failures_left == 0 {
            return Ok(());
        }
        state.failures_left -= 1;
        state.failures_injected += 1;
        let kind = state.failure_kind.unwrap_or(ErrorKind::Unexpected);
        let mut err = Error::new(
            kind,
            format!("injected failure {}", state.failures_injected),
        )
        .with_backend("test");
        if let Some(after) = state.failure_retry_after {
            err = err.with_retry_after(after);
        }
        if state.failure_not_applied {
            err = err.with_not_applied();
        }
        Err(err)
    }

    fn describe(&self, path: &str) -> Result<SecretMetadata> {
        let state = self.state();
        let versions = state.secrets.get(path).ok_or_else(|| not_found(path))?;
        let now = Utc::now();
        Ok(SecretMetadata {
            path: path.to_owned(),
            current_version: Version::from(versions.len() as u64),
            created_at: now,
            updated_at: now,
            versions: (1..=versions.len()).map(TestStore::info).collect(),
            max_versions: None,
            tags: BTreeMap::new(),
            rotation: None,
        })
    }

    fn info(version: usize) -> VersionInfo {
        VersionInfo {
            version: Version::from(version as u64),
            created_at: Utc::now(),
            state: VersionState::Active,
            stages: Vec::new(),
        }
    }
}

fn not_found(path: &str) -> Error {
    Error::not_found("no such secret").context("test", Operation::Get, path)
}

#[async_trait]
impl SecretStore for TestStore {
    fn backend(&self) -> &'static str {
        "test"
    }

    fn capabilities(&self) -> StoreCapabilities {
        StoreCapabilities {
            versions: true,
            metadata: true,
            check_and_set: true,
            ..StoreCapabilities::default()
        }
    }

    async fn get(&self, path: &str, version: VersionSelector) -> Result<Secret> {
        self.enter("get")?;
        let latency = self.state().get_latency;
        if !latency.is_zero() {
            tokio::time::sleep(latency).await;
        }
        let state = self.state();
        let versions = state.secrets.get(path).ok_or_else(|| not_found(path))?;
        let number = match version {
            VersionSelector::Latest => versions.len(),
            VersionSelector::Version(v) => v.number().ok_or_else(|| not_found(path))? as usize,
            VersionSelector::Stage(_) => return Err(not_found(path)),
        };
        let value = number
            .checked_sub(1)
            .and_then(|i| versions.get(i))
            .ok_or_else(|| not_found(path))?;
        Ok(Secret {
            path: path.to_owned(),
            version: Version::from(number as u64),
            created_at: Utc::now(),
            value: value.clone(),
        })
    }

    async fn put(
        &self,
        path: &str,
        value: SecretValue,
        options: PutOptions,
    ) -> Result<VersionInfo> {
        self.enter("put")?;
        let mut state = self.state();
        let current = state.secrets.get(path).map_or(0, Vec::len);
        let conflict = match &options.cas {
            None => false,
            Some(Cas::MustNotExist) => current > 0,
            Some(Cas::CurrentVersion(v)) => v.number() != Some(current as u64),
        };
        if conflict {
            return Err(Error::new(ErrorKind::Conflict, "check-and-set failed"));
        }
        let versions = state.secrets.entry(path.to_owned()).or_default();
        versions.push(value);
        Ok(TestStore::info(versions.len()))
    }

    async fn delete(&self, path: &str, _versions: &[Version]) -> Result<()> {
        self.enter("delete")?;
        self.state().secrets.remove(path);
        Ok(())
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        self.enter("list")?;
        let state = self.state();
        Ok(state
            .secrets
            .keys()
            .filter(|p| p.starts_with(prefix))
            .cloned()
            .collect())
    }

    async fn metadata(&self, path: &str) -> Result<SecretMetadata> {
        self.enter("metadata")?;
        self.describe(path)
    }

    async fn update_metadata(&self, path: &str, _update: MetadataUpdate) -> Result<SecretMetadata> {
        self.enter("update_metadata")?;
        self.describe(path)
    }

    async fn purge(&self, path: &str) -> Result<()> {
        self.enter("purge")?;
        self.state().secrets.remove(path);
        Ok(())
    }

    async fn current_version(
        &self,
        path: &str,
        selector: &VersionSelector,
    ) -> Result<Option<Version>> {
        // Silent (no call counted, no failure consumed) unless switched on.
        if !self.state().reports_current_version {
            return Ok(None);
        }
        self.enter("current_version")?;
        let state = self.state();
        if *selector != VersionSelector::Latest {
            return Ok(None);
        }
        let versions = state.secrets.get(path).ok_or_else(|| not_found(path))?;
        Ok(Some(Version::from(versions.len() as u64)))
    }

    // undelete and destroy keep the trait's defaults: Unsupported from "test".
}
