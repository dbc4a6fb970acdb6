//! Retrying layer: re-runs calls that failed with a retryable error, with full-jitter
//! exponential backoff, honouring the server's Retry-After, for a bounded number of
//! attempts. The one place ironsecrets retries: provider SDKs' own retries are off.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use rand::Rng;

use crate::{Capabilities, Request, Response, Result, Service};

/// How [`Retrying`] retries.
///
/// The wait before retry `n` (1-based) is a uniformly random duration between zero and
/// `min(max_backoff, initial_backoff * 2^(n-1))` ("full jitter"). When the error carries
/// [`crate::Error::retry_after`], the wait is at least that long, but a server-requested
/// wait is clamped to `max_retry_after` so a misbehaving server cannot stall the caller.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryConfig {
    /// Total attempts, the first one included (default 4). Zero is treated as one.
    pub max_attempts: u32,
    /// Upper bound of the first jittered wait (default 50 ms).
    pub initial_backoff: Duration,
    /// Upper bound of any jittered wait (default 2 s).
    pub max_backoff: Duration,
    /// Longest server-requested (Retry-After) wait honoured; longer requests are clamped
    /// to this (default 10 s).
    pub max_retry_after: Duration,
}

impl Default for RetryConfig {
    fn default() -> Self {
        RetryConfig {
            max_attempts: 4,
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_secs(2),
            max_retry_after: Duration::from_secs(10),
        }
    }
}

impl RetryConfig {
    /// The largest jittered wait before retry `retry` (1-based).
    fn backoff_ceiling(&self, retry: u32) -> Duration {
        let factor = 2u32.saturating_pow(retry.saturating_sub(1));
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }

    /// The wait before retry `retry` (1-based), given the server's Retry-After, if any.
    fn delay(&self, retry: u32, retry_after: Option<Duration>) -> Duration {
        let ceiling = self.backoff_ceiling(retry);
        let jittered = rand::thread_rng().gen_range(Duration::ZERO..=ceiling);
        match retry_after {
            Some(after) => jittered.max(after.min(self.max_retry_after)),
            None => jittered,
        }
    }
}

/// A layer that retries the retryable errors ([`crate::Error::is_retryable`]: by default
/// Unavailable and RateLimited) of the service it wraps.
///
/// Non-retryable errors (NotFound, Conflict, PermissionDenied, Unsupported, ...) are
/// returned after one attempt; once [`RetryConfig::max_attempts`] is reached the last
/// error is returned unchanged.
///
/// A request that is not idempotent ([`Request::is_idempotent`]: a `put` without
/// check-and-set, a key rotation, issuing credentials) is retried only when the error
/// says it certainly had no effect ([`crate::Error::was_not_applied`]: the connection
/// was refused, the local store was locked); otherwise a lost reply could make a retry
/// write twice. A `put` with check-and-set is retried: if an earlier attempt did reach
/// the server, the retry fails the condition (Conflict) instead of writing twice.
pub struct Retrying {
    inner: Arc<dyn Service>,
    config: RetryConfig,
}

impl Retrying {
    /// Wraps `inner`, retrying as `config` says.
    pub fn new(inner: Arc<dyn Service>, config: RetryConfig) -> Self {
        Retrying { inner, config }
    }

    /// The retry settings.
    pub fn config(&self) -> &RetryConfig {
        &self.config
    }
}

impl fmt::Debug for Retrying {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Retrying")
            .field("backend", &self.inner.backend())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

#[async_trait]
impl Service for Retrying {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    /// Runs `request` until it succeeds, fails for good, or runs out of attempts.
    async fn call(&self, request: Request) -> Result<Response> {
        let max_attempts = self.config.max_attempts.max(1);
        let idempotent = request.is_idempotent();
        let mut attempt = 1;
        loop {
            let err = match self.inner.call(request.clone()).await {
                Err(err) if err.is_retryable() && attempt < max_attempts => err,
                result => return result,
            };
            let operation = request.operation().name();
            if !idempotent && !err.was_not_applied() {
                tracing::debug!(
                    backend = self.inner.backend(),
                    operation,
                    error_kind = %err.kind(),
                    "not retrying a request that may have been applied"
                );
                return Err(err);
            }
            let delay = self.config.delay(attempt, err.retry_after());
            tracing::debug!(
                backend = self.inner.backend(),
                operation,
                attempt,
                max_attempts,
                delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                error_kind = %err.kind(),
                "retrying after a transient error"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use tokio::time::Instant;

    use super::*;
    use crate::layers::test_store::{TestStore, Viewed};
    use crate::{Cas, ErrorKind, PutOptions, Version, VersionSelector};

    const CANARY: &str = "canary-5e1b2d";

    fn retrying(inner: &Arc<TestStore>) -> Viewed<Retrying> {
        retrying_with(inner, RetryConfig::default())
    }

    fn retrying_with(inner: &Arc<TestStore>, config: RetryConfig) -> Viewed<Retrying> {
        Viewed::new(|service| Retrying::new(service, config), inner)
    }

    #[tokio::test(start_paused = true)]
    async fn retries_transient_errors_then_succeeds() {
        let inner = TestStore::new();
        inner.seed("app/db", "v1");
        inner.fail_next(2, ErrorKind::Unavailable);
        let store = retrying(&inner);
        let secret = store.get("app/db", VersionSelector::Latest).await.unwrap();
        assert_eq!(secret.value.expose(), b"v1");
        assert_eq!(inner.calls("get"), 3);
    }

    #[tokio::test(start_paused = true)]
    async fn gives_up_after_max_attempts_with_the_last_error() {
        let inner = TestStore::new();
        inner.seed("app/db", "v1");
        inner.fail_next(10, ErrorKind::RateLimited);
        let store = retrying(&inner);
        let err = store
            .get("app/db", VersionSelector::Latest)
            .await
            .unwrap_err();
        assert_eq!(inner.calls("get"), 4);
        assert_eq!(err.kind(), ErrorKind::RateLimited);
        assert_eq!(err.message(), "injected failure 4");
        assert_eq!(err.backend(), Some("test"));
    }

    #[tokio::test(start_paused = true)]
    async fn zero_max_attempts_still_makes_one_attempt() {
        let inner = TestStore::new();
        inner.fail_next(1, ErrorKind::Unavailable);
        let config = RetryConfig {
            max_attempts: 0,
            ..RetryConfig::default()
        };
        let store = retrying_with(&inner, config);
        let err = store.list("").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unavailable);
        assert_eq!(inner.calls("list"), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn does_not_retry_not_found_or_conflict() {
        let inner = TestStore::new();
        inner.seed("app/db", "v1");
        let store = retrying(&inner);

        let err = store
            .get("app/missing", VersionSelector::Latest)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(inner.calls("get"), 1);

        let options = PutOptions {
            cas: Some(Cas::MustNotExist),
            ..PutOptions::default()
        };
        let err = store.put("app/db", "v2".into(), options).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Conflict);
        assert_eq!(inner.calls("put"), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn non_retryable_injected_error_returns_after_one_attempt() {
        let inner = TestStore::new();
        inner.fail_next(3, ErrorKind::PermissionDenied);
        let store = retrying(&inner);
        let start = Instant::now();
        let err = store.metadata("app/db").await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        assert_eq!(inner.calls("metadata"), 1);
        assert_eq!(start.elapsed(), Duration::ZERO);
    }

    #[tokio::test(start_paused = true)]
    async fn honours_retry_after() {
        let inner = TestStore::new();
        inner.seed("app/db", "v1");
        inner.fail_next_with_retry_after(1, ErrorKind::RateLimited, Duration::from_secs(3));
        let store = retrying(&inner);
        let start = Instant::now();
        store.get("app/db", VersionSelector::Latest).await.unwrap();
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_secs(3), "{elapsed:?}");
        assert!(elapsed < Duration::from_millis(3100), "{elapsed:?}");
        assert_eq!(inner.calls("get"), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn clamps_a_huge_retry_after_to_max_retry_after() {
        let inner = TestStore::new();
        inner.seed("app/db", "v1");
        inner.fail_next_with_retry_after(1, ErrorKind::RateLimited, Duration::from_secs(3600));
        let store = retrying(&inner);
        let start = Instant::now();
        store.get("app/db", VersionSelector::Latest).await.unwrap();
        let elapsed = start.elapsed();
        assert!(elapsed >= Duration::from_secs(10), "{elapsed:?}");
        assert!(elapsed < Duration::from_secs(11), "{elapsed:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn total_backoff_is_bounded_by_max_backoff() {
        let inner = TestStore::new();
        inner.fail_next(100, ErrorKind::Unavailable);
        let config = RetryConfig {
            max_attempts: 10,
            initial_backoff: Duration::from_millis(50),
            max_backoff: Duration::from_millis(200),
            ..RetryConfig::default()
        };
        let store = retrying_with(&inner, config);
        let start = Instant::now();
        store.list("").await.unwrap_err();
        assert_eq!(inner.calls("list"), 10);
        assert!(start.elapsed() <= Duration::from_millis(9 * 200));
    }

    #[test]
    fn backoff_ceiling_doubles_up_to_max_backoff() {
        let config = RetryConfig::default();
        let ceilings: Vec<_> = (1..=8).map(|n| config.backoff_ceiling(n)).collect();
        let ms = |n| Duration::from_millis(n);
        assert_eq!(ceilings, [50, 100, 200, 400, 800, 1600, 2000, 2000].map(ms));
        assert_eq!(config.backoff_ceiling(u32::MAX), ms(2000));
        for retry in 1..=8 {
            assert!(config.delay(retry, None) <= config.backoff_ceiling(retry));
        }
    }

    #[tokio::test(start_paused = true)]
    async fn cas_put_is_retried_and_writes_once() {
        let inner = TestStore::new();
        inner.fail_next(1, ErrorKind::Unavailable);
        let store = retrying(&inner);
        let options = PutOptions {
            cas: Some(Cas::MustNotExist),
            ..PutOptions::default()
        };
        let info = store.put("app/db", "v1".into(), options).await.unwrap();
        assert_eq!(info.version, Version::from(1));
        assert_eq!(inner.calls("put"), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn put_without_cas_is_not_retried_unless_nothing_was_applied() {
        let inner = TestStore::new();
        let store = retrying(&inner);
        inner.fail_next(1, ErrorKind::Unavailable);
        let err = store
            .put("app/db", "v1".into(), PutOptions::default())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unavailable);
        assert_eq!(inner.calls("put"), 1, "an ambiguous failure is not retried");

        inner.fail_next_not_applied(2, ErrorKind::Unavailable);
        let info = store
            .put("app/db", "v1".into(), PutOptions::default())
            .await
            .unwrap();
        assert_eq!(info.version, Version::from(1));
        assert_eq!(
            inner.calls("put"),
            4,
            "a failure that applied nothing is retried"
        );
    }

    /// A service that fails its first `failures` calls, whatever they are.
    struct Flaky {
        failures: std::sync::atomic::AtomicUsize,
        calls: std::sync::atomic::AtomicUsize,
    }

    #[async_trait]
    impl Service for Flaky {
        fn backend(&self) -> &'static str {
            "flaky"
        }

        fn capabilities(&self) -> Capabilities {
            Capabilities::default()
        }

        async fn call(&self, _request: Request) -> Result<Response> {
            use std::sync::atomic::Ordering::SeqCst;
            self.calls.fetch_add(1, SeqCst);
            let failing = self
                .failures
                .fetch_update(SeqCst, SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if failing {
                return Err(crate::Error::new(ErrorKind::Unavailable, "flaky"));
            }
            Ok(Response::Done(()))
        }
    }

    #[tokio::test(start_paused = true)]
    async fn engine_requests_are_retried_unless_they_could_apply_twice() {
        use std::sync::atomic::Ordering::SeqCst;
        let cases = [
            (
                Request::Encrypt {
                    name: "k".into(),
                    plaintext: CANARY.into(),
                    context: None,
                },
                3,
            ),
            (
                Request::RenewLease {
                    lease_id: "l".into(),
                    increment: None,
                },
                3,
            ),
            (Request::RotateKey { name: "k".into() }, 1),
            (
                Request::Issue {
                    request: crate::CredentialRequest::Database {
                        mount: "database".into(),
                        role: "app".into(),
                    },
                },
                1,
            ),
        ];
        for (request, expected_calls) in cases {
            let flaky = Arc::new(Flaky {
                failures: 2.into(),
                calls: 0.into(),
            });
            let layer = Retrying::new(flaky.clone(), RetryConfig::default());
            let operation = request.operation();
            let outcome = layer.call(request).await;
            assert_eq!(flaky.calls.load(SeqCst), expected_calls, "{operation}");
            assert_eq!(outcome.is_ok(), expected_calls == 3, "{operation}");
        }
    }

    #[tokio::test(start_paused = true)]
    async fn unsupported_comes_from_the_inner_store() {
        let inner = TestStore::new();
        let store = retrying(&inner);
        for err in [
            store.undelete("app/db", &[]).await.unwrap_err(),
            store.destroy("app/db", &[]).await.unwrap_err(),
        ] {
            assert_eq!(err.kind(), ErrorKind::Unsupported);
            assert_eq!(err.backend(), Some("test"));
        }
        assert_eq!(store.backend(), "test");
        assert!(store.capabilities().check_and_set);
    }

    #[tokio::test(start_paused = true)]
    async fn debug_never_shows_a_value() {
        let inner = TestStore::new();
        let store = retrying(&inner);
        store
            .put("app/db", CANARY.into(), PutOptions::default())
            .await
            .unwrap();
        store.get("app/db", VersionSelector::Latest).await.unwrap();
        let shown = format!("{:?}", store.layer);
        assert!(shown.contains("Retrying"));
        assert!(!shown.contains(CANARY));
    }
}
