//! Caching layer: keeps `get` results for a while, refreshes them ahead of expiry,
//! serves a recently expired value when the backend is briefly down, and stays bounded.
//! Every other request passes through; the store's writes invalidate their path.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use tokio::time::Instant;

use crate::{
    Capabilities, Error, Request, Response, Result, Secret, Service, Version, VersionSelector,
};

/// How [`Caching`] caches.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheConfig {
    /// How long a `get` result is served without asking the backend (default 30 s).
    /// Applies alike to latest, stage and pinned-version reads.
    pub ttl: Duration,
    /// Most entries kept; the least recently used one is evicted beyond that
    /// (default 1024). Zero disables caching.
    pub max_entries: usize,
    /// When a hit is within this long of expiry, it is served and refreshed in the
    /// background, one refresh per entry at a time (default `Some(6 s)`, a fifth of the
    /// default `ttl`; it does not follow a changed `ttl`). A window as long as `ttl`
    /// refreshes on every hit. `None` turns refresh-ahead off.
    pub refresh_ahead: Option<Duration>,
    /// How long after expiry an entry may still be served when fetching it again fails
    /// with a retryable error (Unavailable, RateLimited); after that the error is
    /// returned (default 5 min).
    pub stale_if_error: Duration,
}

impl Default for CacheConfig {
    fn default() -> Self {
        CacheConfig {
            ttl: Duration::from_secs(30),
            max_entries: 1024,
            refresh_ahead: Some(Duration::from_secs(6)),
            stale_if_error: Duration::from_secs(5 * 60),
        }
    }
}

/// A layer that caches `get` results of the service it wraps, keyed by path and version
/// selector. Every other request is passed through.
///
/// Errors are never cached. A non-retryable error on a path (NotFound after a delete
/// elsewhere, PermissionDenied) drops its cached entry, so it cannot be served stale
/// later. This client's own `put`, `delete`, `purge`, `undelete`, `destroy` and
/// `update_metadata` ([`Request::writes_secret`]) drop every entry of the path, whether the write succeeded or not
/// (a failed write may still have been applied). A fetch that overlapped any such
/// write is not cached, so an older value cannot come back. Changes made by other
/// clients show after at most `ttl`: an expired entry is served again only when the
/// backend's cheap [`crate::SecretStore::current_version`] says its version is still the one
/// selected (AWS: `DescribeSecret`); otherwise, and for backends that cannot tell, the
/// value is read again.
///
/// Concurrent misses on one key each go to the backend; only background refreshes are
/// deduplicated. Values stay [`SecretValue`]s and Debug shows no entries.
pub struct Caching {
    shared: Arc<Shared>,
}

/// What the background refresh tasks share with the layer.
struct Shared {
    inner: Arc<dyn Service>,
    config: CacheConfig,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    entries: HashMap<Key, Entry>,
    /// Keys with a background refresh in flight (at most one per key).
    refreshing: HashSet<Key>,
    /// Use counter for least-recently-used eviction.
    tick: u64,
    /// Bumped by every invalidation; a fetch that saw another value is not stored.
    generation: u64,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    path: String,
    selector: VersionSelector,
}

struct Entry {
    secret: Secret,
    expires_at: Instant,
    last_used: u64,
}

/// The outcome of looking a key up.
enum Lookup {
    /// A fresh entry; `refresh` says this caller should start a background refresh.
    Hit { secret: Secret, refresh: bool },
    /// Nothing fresh: ask the backend. `expired` is the entry that expired, which is
    /// served again if the backend says its version is still the one selected.
    Miss { expired: Option<Secret> },
}

impl State {
    fn touch(&mut self) -> u64 {
        self.tick += 1;
        self.tick
    }
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // The state stays consistent even if a holder panicked: every update is one step.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn generation(&self) -> u64 {
        self.state().generation
    }

    fn lookup(&self, key: &Key, now: Instant, can_refresh: bool) -> Lookup {
        let mut state = self.state();
        let tick = state.touch();
        let Some(entry) = state.entries.get_mut(key) else {
            return Lookup::Miss { expired: None };
        };
        if now >= entry.expires_at {
            return Lookup::Miss {
                expired: Some(entry.secret.clone()),
            };
        }
        entry.last_used = tick;
        let secret = entry.secret.clone();
        let due = self
            .config
            .refresh_ahead
            .is_some_and(|window| now + window >= entry.expires_at);
        // `insert` is false when a refresh of this key is already in flight.
        let refresh = can_refresh && due && state.refreshing.insert(key.clone());
        Lookup::Hit { secret, refresh }
    }

    /// Stores a fetched secret unless a write happened since `generation` was read.
    fn store(&self, key: Key, secret: Secret, generation: u64) {
        let max_entries = self.config.max_entries;
        let mut state = self.state();
        if state.generation != generation || max_entries == 0 {
            return;
        }
        let now = Instant::now();
        let entry = Entry {
            secret,
            expires_at: now + self.config.ttl,
            last_used: state.touch(),
        };
        state.entries.insert(key, entry);
        if state.entries.len() > max_entries {
            let stale_if_error = self.config.stale_if_error;
            state
                .entries
                .retain(|_, e| now < e.expires_at + stale_if_error);
        }
        while state.entries.len() > max_entries {
            let oldest = state
                .entries
                .iter()
                .min_by_key(|(_, e)| e.last_used)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(key) => state.entries.remove(&key),
                None => break,
            };
        }
    }

    /// After a failed fetch: the stale entry to serve instead of a retryable error, if
    /// it expired less than `stale_if_error` ago. Any other error drops the entry.
    fn stale_for(&self, key: &Key, err: &Error) -> Option<Secret> {
        let mut state = self.state();
        if !err.is_retryable() {
            state.entries.remove(key);
            return None;
        }
        let tick = state.touch();
        let now = Instant::now();
        let stale_if_error = self.config.stale_if_error;
        let entry = state.entries.get_mut(key)?;
        if now >= entry.expires_at + stale_if_error {
            state.entries.remove(key);
            return None;
        }
        entry.last_used = tick;
        tracing::warn!(
            backend = self.inner.backend(),
            operation = "get",
            path = key.path.as_str(),
            error = %err,
            "serving a stale cached secret because the backend failed"
        );
        Some(entry.secret.clone())
    }

    /// Records the outcome of a background refresh started at `generation`.
    fn finish_refresh(&self, key: &Key, result: Result<Secret>, generation: u64) {
        match result {
            Ok(secret) => self.store(key.clone(), secret, generation),
            Err(err) => {
                tracing::debug!(
                    backend = self.inner.backend(),
                    operation = "get",
                    path = key.path.as_str(),
                    error = %err,
                    "background cache refresh failed"
                );
                let mut state = self.state();
                if !err.is_retryable() && state.generation == generation {
                    state.entries.remove(key);
                }
            }
        }
    }

    /// Reads `key` from the backend; when `cached` is given and the backend can tell
    /// cheaply that its version is still the one selected
    /// ([`Request::CurrentVersion`]), returns `cached` without reading the value.
    async fn fetch(&self, key: &Key, cached: Option<Secret>) -> Result<Secret> {
        if let Some(cached) = cached
            && let Ok(Some(current)) = self.current_version(key).await
            && current == cached.version
        {
            return Ok(cached);
        }
        let request = Request::Get {
            path: key.path.clone(),
            version: key.selector.clone(),
        };
        self.inner.call(request).await?.try_into()
    }

    async fn current_version(&self, key: &Key) -> Result<Option<Version>> {
        let request = Request::CurrentVersion {
            path: key.path.clone(),
            version: key.selector.clone(),
        };
        self.inner.call(request).await?.try_into()
    }

    fn invalidate(&self, path: &str) {
        let mut state = self.state();
        state.generation += 1;
        state.entries.retain(|key, _| key.path != path);
    }
}

impl Caching {
    /// Wraps `inner`, caching as `config` says.
    pub fn new(inner: Arc<dyn Service>, config: CacheConfig) -> Self {
        Caching {
            shared: Arc::new(Shared {
                inner,
                config,
                state: Mutex::new(State::default()),
            }),
        }
    }

    /// The cache settings.
    pub fn config(&self) -> &CacheConfig {
        &self.shared.config
    }

    /// How many entries are held, expired ones kept for serve-stale included.
    pub fn len(&self) -> usize {
        self.shared.state().entries.len()
    }

    /// Whether no entries are held.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Drops every cached entry of `path`, e.g. after another client changed it.
    pub fn invalidate(&self, path: &str) {
        self.shared.invalidate(path);
    }

    /// Drops every cached entry.
    pub fn clear(&self) {
        let mut state = self.shared.state();
        state.generation += 1;
        state.entries.clear();
    }

    /// Refreshes `key` in the background; the key is already marked as refreshing.
    fn spawn_refresh(&self, handle: &tokio::runtime::Handle, key: Key, cached: Secret) {
        let generation = self.shared.generation();
        let in_flight = InFlight {
            shared: Arc::clone(&self.shared),
            key,
        };
        handle.spawn(async move {
            let InFlight { shared, key } = &in_flight;
            let result = shared.fetch(key, Some(cached)).await;
            shared.finish_refresh(key, result, generation);
        });
    }

    async fn get(&self, key: Key) -> Result<Secret> {
        // Without a Tokio runtime there is nowhere to refresh; hits are still served.
        let handle = tokio::runtime::Handle::try_current().ok();
        let expired = match self.shared.lookup(&key, Instant::now(), handle.is_some()) {
            Lookup::Hit { secret, refresh } => {
                if let (true, Some(handle)) = (refresh, &handle) {
                    self.spawn_refresh(handle, key, secret.clone());
                }
                return Ok(secret);
            }
            Lookup::Miss { expired } => expired,
        };
        let generation = self.shared.generation();
        match self.shared.fetch(&key, expired).await {
            Ok(secret) => {
                self.shared.store(key, secret.clone(), generation);
                Ok(secret)
            }
            Err(err) => self.shared.stale_for(&key, &err).ok_or(err),
        }
    }
}

/// A background refresh of `key`; unmarks the key when done, cancelled or panicked.
struct InFlight {
    shared: Arc<Shared>,
    key: Key,
}

impl Drop for InFlight {
    fn drop(&mut self) {
        self.shared.state().refreshing.remove(&self.key);
    }
}

impl fmt::Debug for Caching {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Caching")
            .field("backend", &self.shared.inner.backend())
            .field("config", &self.shared.config)
            .field("entries", &self.len())
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Service for Caching {
    fn backend(&self) -> &'static str {
        self.shared.inner.backend()
    }

    fn capabilities(&self) -> Capabilities {
        self.shared.inner.capabilities()
    }

    async fn call(&self, request: Request) -> Result<Response> {
        match request {
            Request::Get { path, version } => {
                let key = Key {
                    path,
                    selector: version,
                };
                self.get(key).await.map(Response::Secret)
            }
            write if write.writes_secret() => {
                // Dropped whatever the outcome: a failed write may still have been applied.
                let path = write.target();
                let result = self.shared.inner.call(write).await;
                self.shared.invalidate(&path);
                result
            }
            other => self.shared.inner.call(other).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::time::advance;

    use super::*;
    use crate::layers::test_store::{TestStore, Viewed};
    use crate::{ErrorKind, MetadataUpdate, PutOptions, SecretStore};

    const CANARY: &str = "canary-0d4e8b";
    const LATEST: VersionSelector = VersionSelector::Latest;

    fn caching(inner: &Arc<TestStore>, config: CacheConfig) -> Viewed<Caching> {
        Viewed::new(|service| Caching::new(service, config), inner)
    }

    fn no_refresh() -> CacheConfig {
        CacheConfig {
            refresh_ahead: None,
            ..CacheConfig::default()
        }
    }

    async fn read(store: &Viewed<Caching>, path: &str, version: VersionSelector) -> String {
        let secret = store.get(path, version).await.unwrap();
        secret.value.expose_str().unwrap().to_owned()
    }

    #[tokio::test(start_paused = true)]
    async fn hit_avoids_inner_calls() {
        let inner = TestStore::new();
        inner.seed("app/db", "v1");
        let store = caching(&inner, CacheConfig::default());
        assert_eq!(read(&store, "app/db", LATEST).await, "v1");
        assert_eq!(read(&store, "app/db", LATEST).await, "v1");
        assert_eq!(inner.calls("get"), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn expired_entry_is_kept_while_its_version_is_current() {
        let inner = TestStore::new();
        inner.report_current_versions();
        inner.seed("app/db", "v1");
        let store = caching(&inner, no_refresh());
        let past_ttl = CacheConfig::default().ttl + Duration::from_secs(1);
        assert_eq!(read(&store, "app/db", LATEST).await, "v1");
        advance(past_ttl).await;
        assert_eq!(read(&store, "app/db", LATEST).await, "v1");
        assert_eq!(
            inner.calls("get"),
            1,
            "an unchanged version is not read again"
        );
        assert_eq!(inner.calls("current_version"), 1);
        inner.seed("app/db", "v2");
        advance(past_ttl).await;
        assert_eq!(read(&store, "app/db", LATEST).await, "v2");
        assert_eq!(inner.calls("get"), 2, "a new version is read");
    }

    #[tokio::test(start_paused = true)]
    async fn latest_and_pinned_versions_are_cached_separately() {
        let inner = TestStore::new();
        inner.seed("app/db", "v1");
        inner.seed("app/db", "v2");
        let store = caching(&inner, CacheConfig::default());
        for _ in 0..2 {
            assert_eq!(read(&store, "app/db", LATEST).await, "v2");
            assert_eq!(read(&store, "app/db", 1.into()).await, "v1");
        }
        assert_eq!(inner.calls("get"), 2);
        assert_eq!(store.layer.len(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn entries_expire_after_ttl() {
        let inner = TestStore::new();
        inner.seed("app/db", "v1");
        let store = caching(&inner, no_refresh());
        read(&store, "app/db", LATEST).await;
        inner.seed("app/db", "v2");
        advance(Duration::from_secs(29)).await;
        assert_eq!(read(&store, "app/db", LATEST).await, "v1");
        assert_eq!(inner.calls("get"), 1);
        advance(Duration::from_secs(1)).await;
        assert_eq!(read(&store, "app/db", LATEST).await, "v2");
        assert_eq!(inner.calls("get"), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn refresh_ahead_serves_the_old_value_and_refreshes_in_background() {
        let inner = TestStore::new();
        inner.seed("app/db", "v1");
        let store = caching(&inner, CacheConfig::default());
        read(&store, "app/db", LATEST).await;
        inner.seed("app/db", "v2");
        inner.set_get_latency(Duration::from_secs(1));

        // 25 s into a 30 s ttl with a 6 s refresh-ahead window.
        advance(Duration::from_secs(25)).await;
        let start = Instant::now();
        for _ in 0..3 {
            assert_eq!(read(&store, "app/db", LATEST).await, "v1");
            tokio::task::yield_now().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO, "hits never wait");
        assert_eq!(inner.calls("get"), 2, "one refresh in flight per key");

        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(read(&store, "app/db", LATEST).await, "v2");
        assert_eq!(inner.calls("get"), 2);
        // The refreshed entry got a new ttl: still a hit past the old expiry.
        advance(Duration::from_secs(10)).await;
        assert_eq!(read(&store, "app/db", LATEST).await, "v2");
        assert_eq!(inner.calls("get"), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn background_refresh_that_finds_nothing_drops_the_entry() {
        let inner = TestStore::new();
        inner.seed("app/db", "v1");
        let store = caching(&inner, CacheConfig::default());
        read(&store, "app/db", LATEST).await;
        inner.purge("app/db").await.unwrap(); // another client
        advance(Duration::from_secs(25)).await;
        assert_eq!(read(&store, "app/db", LATEST).await, "v1");
        tokio::task::yield_now().await;
        let err = store.get("app/db", LATEST).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
    }

    #[tokio::test(start_paused = true)]
    async fn stale_is_served_on_unavailable_within_the_window_then_the_error() {
        let inner = TestStore::new();
        inner.seed("app/db", "v1");
        let store = caching(&inner, no_refresh());
        read(&store, "app/db", LATEST).await;

        advance(Duration::from_secs(31)).await;
        inner.fail_next(1, ErrorKind::Unavailable);
        assert_eq!(read(&store, "app/db", LATEST).await, "v1");
        inner.fail_next(1, ErrorKind::RateLimited);
        assert_eq!(read(&store, "app/db", LATEST).await, "v1");
        assert_eq!(inner.calls("get"), 3);

        // 30 s ttl + 5 min window have passed.
        advance(Duration::from_secs(5 * 60)).await;
        inner.fail_next(1, ErrorKind::Unavailable);
        let err = store.get("app/db", LATEST).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unavailable);
        assert_eq!(err.message(), "injected failure 3");
        assert!(store.layer.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn not_found_after_expiry_drops_the_stale_entry() {
        let inner = TestStore::new();
        inner.seed("app/db", "v1");
        let store = caching(&inner, no_refresh());
        read(&store, "app/db", LATEST).await;
        inner.purge("app/db").await.unwrap(); // another client
        advance(Duration::from_secs(31)).await;
        let err = store.get("app/db", LATEST).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        inner.fail_next(1, ErrorKind::Unavailable);
        let err = store.get("app/db", LATEST).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unavailable);
    }

    #[tokio::test(start_paused = true)]
    async fn evicts_the_least_recently_used_entry_at_max_entries() {
        let inner = TestStore::new();
        for path in ["a", "b", "c"] {
            inner.seed(path, path);
        }
        let config = CacheConfig {
            max_entries: 2,
            ..CacheConfig::default()
        };
        let store = caching(&inner, config);
        read(&store, "a", LATEST).await;
        read(&store, "b", LATEST).await;
        read(&store, "a", LATEST).await; // a is now more recent than b
        read(&store, "c", LATEST).await; // evicts b
        assert_eq!(store.layer.len(), 2);
        assert_eq!(inner.calls("get"), 3);
        read(&store, "a", LATEST).await;
        read(&store, "c", LATEST).await;
        assert_eq!(inner.calls("get"), 3);
        read(&store, "b", LATEST).await;
        assert_eq!(inner.calls("get"), 4);
        assert_eq!(store.layer.len(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn zero_max_entries_disables_caching() {
        let inner = TestStore::new();
        inner.seed("app/db", "v1");
        let config = CacheConfig {
            max_entries: 0,
            ..CacheConfig::default()
        };
        let store = caching(&inner, config);
        read(&store, "app/db", LATEST).await;
        read(&store, "app/db", LATEST).await;
        assert_eq!(inner.calls("get"), 2);
        assert!(store.layer.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn own_put_invalidates_every_entry_of_the_path() {
        let inner = TestStore::new();
        inner.seed("app/db", "v1");
        inner.seed("app/other", "o1");
        let store = caching(&inner, CacheConfig::default());
        read(&store, "app/db", LATEST).await;
        read(&store, "app/db", 1.into()).await;
        read(&store, "app/other", LATEST).await;

        store
            .put("app/db", "v2".into(), PutOptions::default())
            .await
            .unwrap();
        assert_eq!(store.layer.len(), 1, "only app/other is left");
        assert_eq!(read(&store, "app/db", LATEST).await, "v2");
        assert_eq!(read(&store, "app/other", LATEST).await, "o1");
        assert_eq!(inner.calls("get"), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn every_own_write_invalidates_even_when_it_fails() {
        let inner = TestStore::new();
        let store = caching(&inner, CacheConfig::default());
        for op in 0..6 {
            inner.seed("app/db", "v");
            read(&store, "app/db", LATEST).await;
            assert_eq!(store.layer.len(), 1);
            let _ = match op {
                0 => store.delete("app/db", &[]).await,
                1 => store.purge("app/db").await,
                2 => store.undelete("app/db", &[]).await,
                3 => store.destroy("app/db", &[]).await,
                4 => store
                    .update_metadata("app/db", MetadataUpdate::default())
                    .await
                    .map(drop),
                _ => {
                    inner.fail_next(1, ErrorKind::Unavailable);
                    store
                        .put("app/db", "w".into(), PutOptions::default())
                        .await
                        .map(drop)
                }
            };
            assert!(store.layer.is_empty(), "operation {op}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_fetch_overlapping_an_own_write_is_not_cached() {
        let inner = TestStore::new();
        inner.seed("app/db", "v1");
        inner.set_get_latency(Duration::from_secs(1));
        let store = Arc::new(caching(&inner, CacheConfig::default()));
        let reader = tokio::spawn({
            let store = store.clone();
            async move { store.get("app/db", LATEST).await }
        });
        tokio::task::yield_now().await;
        store
            .put("app/db", "v2".into(), PutOptions::default())
            .await
            .unwrap();
        reader.await.unwrap().unwrap();
        assert!(store.layer.is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn errors_are_not_cached() {
        let inner = TestStore::new();
        let store = caching(&inner, CacheConfig::default());
        let err = store.get("app/db", LATEST).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        inner.seed("app/db", "v1");
        assert_eq!(read(&store, "app/db", LATEST).await, "v1");

        inner.fail_next(1, ErrorKind::Unavailable);
        let err = store.get("app/new", LATEST).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unavailable);
        inner.seed("app/new", "n1");
        assert_eq!(read(&store, "app/new", LATEST).await, "n1");
        assert_eq!(inner.calls("get"), 4);
    }

    #[tokio::test(start_paused = true)]
    async fn unsupported_and_pass_through_come_from_the_inner_store() {
        let inner = TestStore::new();
        inner.seed("app/db", "v1");
        let store = caching(&inner, CacheConfig::default());
        for err in [
            store.undelete("app/db", &[]).await.unwrap_err(),
            store.destroy("app/db", &[]).await.unwrap_err(),
        ] {
            assert_eq!(err.kind(), ErrorKind::Unsupported);
            assert_eq!(err.backend(), Some("test"));
        }
        assert_eq!(store.list("app/").await.unwrap(), ["app/db"]);
        store.metadata("app/db").await.unwrap();
        assert_eq!((inner.calls("list"), inner.calls("metadata")), (1, 1));
        assert_eq!(store.backend(), "test");
    }

    #[tokio::test(start_paused = true)]
    async fn debug_never_shows_a_value() {
        let inner = TestStore::new();
        inner.seed("app/db", CANARY);
        let store = caching(&inner, CacheConfig::default());
        read(&store, "app/db", LATEST).await;
        let shown = format!("{:?}", store.layer);
        assert!(shown.contains("Caching"));
        assert!(shown.contains("entries: 1"));
        assert!(!shown.contains(CANARY));
    }
}
