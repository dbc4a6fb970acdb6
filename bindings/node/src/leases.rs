//! `LeaseManager` and `ManagedLease`: the lease crate's one-task renewal and rotation.
//! Events reach JavaScript through a weak thread-safe function, so a manager never keeps
//! the process alive; `index.js` turns them into an EventEmitter and an async iterator.

use std::sync::Arc;

use ironsecrets::Client as CoreClient;
use ironsecrets::LeasedCredential as CoreCredential;
use ironsecrets_lease::{
    DynamicSource, EventStream, LeaseConfig, LeaseEvent as CoreEvent, LeaseManager as CoreManager,
    ManagedLease as CoreManaged,
};
use napi::Env;
use napi::bindgen_prelude::{Function, PromiseRaw, Undefined};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use tokio::sync::{Mutex, watch};

use crate::client::{CallOptions, Client, signal};
use crate::convert::maybe_seconds;
use crate::runtime::{promise, within_runtime};
use crate::types::{CredentialRequest, Lease, LeasedCredential};

/// When to renew and re-issue, and how to retry (seconds and fractions of the TTL).
#[napi(object, object_to_js = false)]
pub struct LeaseManagerOptions {
    /// Renew at this fraction of the TTL (default 2/3).
    pub renew_fraction: Option<f64>,
    /// Re-issue at this fraction of the max TTL (default 0.85).
    pub reissue_fraction: Option<f64>,
    /// Re-issue at least this many seconds before the end (default 1).
    pub reissue_lead: Option<f64>,
    /// Revoke a replaced lease after this many seconds (default: keep until expiry).
    pub revoke_old_after: Option<f64>,
    /// Seconds before the first retry after a failure, doubled at each failure (default
    /// 0.5).
    pub backoff_initial: Option<f64>,
    /// The longest retry delay in seconds (default 30).
    pub backoff_max: Option<f64>,
    /// Seconds one backend call may take (default 10).
    pub call_timeout: Option<f64>,
}

/// `stop` / `shutdown`: whether to revoke (default true).
#[napi(object, object_to_js = false)]
pub struct StopOptions {
    /// Whether to revoke (default `true`).
    pub revoke: Option<bool>,
}

fn revoke(options: Option<StopOptions>) -> bool {
    options.and_then(|options| options.revoke).unwrap_or(true)
}

/// Something that happened to a managed lease.
#[napi(object, object_from_js = false)]
pub struct LeaseEvent {
    /// `'renewed'`, `'rotated'`, `'failed'`, `'expired'`, `'revoked'` or `'other'`.
    pub kind: &'static str,
    /// The managed lease's name.
    pub name: String,
    /// The renewed or new lease.
    pub lease: Option<Lease>,
    /// The revoked lease's id.
    pub lease_id: Option<String>,
    /// `failed`: the error's kind name.
    pub error_kind: Option<&'static str>,
    /// `failed`: what went wrong (never a secret).
    pub message: Option<String>,
    /// `failed`: seconds until the next attempt.
    pub retry_in: Option<f64>,
}

impl From<&CoreEvent> for LeaseEvent {
    fn from(event: &CoreEvent) -> Self {
        let mut out = LeaseEvent {
            kind: "other",
            name: event.name().to_owned(),
            lease: None,
            lease_id: None,
            error_kind: None,
            message: None,
            retry_in: None,
        };
        match event {
            CoreEvent::Renewed { lease, .. } => {
                out.kind = "renewed";
                out.lease = Some(Lease::from(lease.clone()));
            }
            CoreEvent::Rotated { new, .. } => {
                out.kind = "rotated";
                out.lease = Some(Lease::from(new.lease.clone()));
            }
            CoreEvent::Failed {
                kind,
                message,
                retry_in,
                ..
            } => {
                out.kind = "failed";
                out.error_kind = Some(kind.name());
                out.message = Some(message.clone());
                out.retry_in = Some(retry_in.as_secs_f64());
            }
            CoreEvent::Expired { .. } => out.kind = "expired",
            CoreEvent::Revoked { lease_id, .. } => {
                out.kind = "revoked";
                out.lease_id = Some(lease_id.clone());
            }
            _ => {}
        }
        out
    }
}

/// Keeps leases alive from one background task.
#[napi]
pub struct LeaseManager {
    inner: Arc<CoreManager>,
    client: CoreClient,
}

#[napi]
impl LeaseManager {
    /// A manager issuing through `client`.
    #[napi(constructor)]
    pub fn new(
        env: &Env,
        client: &Client,
        options: Option<LeaseManagerOptions>,
    ) -> napi::Result<Self> {
        let defaults = LeaseConfig::default();
        let config = match options {
            None => defaults,
            Some(options) => LeaseConfig {
                renew_fraction: options.renew_fraction.unwrap_or(defaults.renew_fraction),
                reissue_fraction: options
                    .reissue_fraction
                    .unwrap_or(defaults.reissue_fraction),
                reissue_lead: maybe_seconds(env, options.reissue_lead)?
                    .unwrap_or(defaults.reissue_lead),
                revoke_old_after: maybe_seconds(env, options.revoke_old_after)?
                    .or(defaults.revoke_old_after),
                backoff_initial: maybe_seconds(env, options.backoff_initial)?
                    .unwrap_or(defaults.backoff_initial),
                backoff_max: maybe_seconds(env, options.backoff_max)?
                    .unwrap_or(defaults.backoff_max),
                call_timeout: maybe_seconds(env, options.call_timeout)?
                    .unwrap_or(defaults.call_timeout),
                ..defaults
            },
        };
        let inner = within_runtime(|| Arc::new(CoreManager::new(config)));
        Ok(LeaseManager {
            inner,
            client: client.core().clone(),
        })
    }

    /// Issues the credential and keeps it alive.
    #[napi(ts_return_type = "Promise<ManagedLease>")]
    pub fn manage<'env>(
        &self,
        env: &'env Env,
        name: String,
        request: CredentialRequest,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, ManagedLease>> {
        let manager = Arc::clone(&self.inner);
        let source = Arc::new(DynamicSource::new(
            self.client.backend().clone(),
            request.to_core(env)?,
        ));
        promise(env, signal(options), async move {
            let lease = manager.manage(name, source.clone()).await?;
            Ok(ManagedLease::new(lease, source))
        })
    }

    /// Calls `listener` with every event from now on, without keeping the process
    /// alive.
    #[napi]
    pub fn on_event(&self, listener: Function<LeaseEvent, ()>) -> napi::Result<()> {
        let listener: ThreadsafeFunction<LeaseEvent, (), LeaseEvent, napi::Status, false, true> =
            listener
                .build_threadsafe_function()
                .callee_handled::<false>()
                .weak::<true>()
                .build()?;
        within_runtime(|| {
            self.inner.on_event(move |event| {
                listener.call(
                    LeaseEvent::from(event),
                    ThreadsafeFunctionCallMode::NonBlocking,
                );
            });
        });
        Ok(())
    }

    /// Every managed lease's events from now on, pulled with `next()`.
    #[napi]
    pub fn events(&self) -> LeaseEvents {
        LeaseEvents::from(EventStream::all(&self.inner))
    }

    /// Stops every lease, revoking them unless `{ revoke: false }`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn shutdown<'env>(
        &self,
        env: &'env Env,
        options: Option<StopOptions>,
    ) -> napi::Result<PromiseRaw<'env, Undefined>> {
        let manager = Arc::clone(&self.inner);
        let revoke = revoke(options);
        promise(env, None, async move {
            manager.shutdown(revoke).await;
            Ok(())
        })
    }
}

/// One lease the manager keeps alive.
#[napi]
pub struct ManagedLease {
    inner: CoreManaged,
    /// What issued it, to revoke its old leases (for `Generations`).
    source: Arc<DynamicSource>,
    /// Marks the credentials `changed` has returned.
    seen: Arc<Mutex<watch::Receiver<Arc<CoreCredential>>>>,
}

impl ManagedLease {
    fn new(inner: CoreManaged, source: Arc<DynamicSource>) -> Self {
        let seen = Arc::new(Mutex::new(inner.watch()));
        ManagedLease {
            inner,
            source,
            seen,
        }
    }

    /// The core lease and its source.
    pub fn core(&self) -> (&CoreManaged, &Arc<DynamicSource>) {
        (&self.inner, &self.source)
    }
}

#[napi]
impl ManagedLease {
    /// The name it is managed under.
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.inner.name().to_owned()
    }

    /// The current credential.
    #[napi]
    pub fn current(&self) -> LeasedCredential {
        LeasedCredential::from(self.inner.current().as_ref())
    }

    /// The current lease.
    #[napi]
    pub fn lease(&self) -> Lease {
        Lease::from(self.inner.lease())
    }

    /// The next credential; `null` once the lease is stopped.
    #[napi(ts_return_type = "Promise<LeasedCredential | null>")]
    pub fn changed<'env>(
        &self,
        env: &'env Env,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, Option<LeasedCredential>>> {
        let seen = Arc::clone(&self.seen);
        promise(env, signal(options), async move {
            let mut seen = seen.lock().await;
            if seen.changed().await.is_err() {
                return Ok(None);
            }
            let credential = Arc::clone(&seen.borrow_and_update());
            Ok(Some(LeasedCredential::from(credential.as_ref())))
        })
    }

    /// This lease's events from now on, pulled with `next()`; they end once it is
    /// stopped.
    #[napi]
    pub fn events(&self) -> LeaseEvents {
        LeaseEvents::from(EventStream::of(&self.inner))
    }

    /// Issues a new credential now.
    #[napi]
    pub fn rotate(&self) {
        self.inner.rotate();
    }

    /// Stops keeping the lease alive, revoking it unless `{ revoke: false }`.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn stop<'env>(
        &self,
        env: &'env Env,
        options: Option<StopOptions>,
    ) -> napi::Result<PromiseRaw<'env, Undefined>> {
        let lease = self.inner.clone();
        let revoke = revoke(options);
        promise(env, None, async move {
            lease.stop(revoke).await;
            Ok(())
        })
    }
}

/// A stream of lease events (`index.js` makes it an async iterator). A pending `next()`
/// keeps the process alive, as a pending read does.
#[napi]
pub struct LeaseEvents {
    stream: Arc<Mutex<EventStream>>,
}

impl From<EventStream> for LeaseEvents {
    fn from(stream: EventStream) -> Self {
        LeaseEvents {
            stream: Arc::new(Mutex::new(stream)),
        }
    }
}

#[napi]
impl LeaseEvents {
    /// The next event; `null` at the end of the stream.
    #[napi(ts_return_type = "Promise<LeaseEvent | null>")]
    pub fn next<'env>(
        &self,
        env: &'env Env,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, Option<LeaseEvent>>> {
        let stream = Arc::clone(&self.stream);
        promise(env, signal(options), async move {
            Ok(stream
                .lock()
                .await
                .next()
                .await
                .as_ref()
                .map(LeaseEvent::from))
        })
    }
}
