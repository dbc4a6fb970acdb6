//! `Generations`: the lease crate's driver-neutral half of a rotating pool, which the
//! `ironsecrets/pg` pool (in JavaScript) follows.

use std::sync::{Arc, Mutex as SyncMutex, PoisonError};

use ironsecrets::Error as CoreError;
use ironsecrets_lease::{
    Drained as CoreDrained, Generation as CoreGeneration, Generations as CoreGenerations,
    GenerationsConfig, RotationStats as CoreStats, Ticket as CoreTicket,
};
use napi::Env;
use napi::bindgen_prelude::{Function, PromiseRaw};
use napi::threadsafe_function::{ThreadsafeFunction, ThreadsafeFunctionCallMode};
use napi_derive::napi;
use tokio::sync::{Mutex, broadcast};
use tokio::task::AbortHandle;

use crate::client::{CallOptions, signal};
use crate::convert::maybe_seconds;
use crate::leases::ManagedLease;
use crate::runtime::{promise, within_runtime};
use crate::types::LeasedCredential;

/// One credential of a managed lease, numbered from 0.
#[napi(object, object_from_js = false)]
pub struct Generation {
    /// The generation number (0 for the first credential).
    pub number: u32,
    /// The credential.
    pub credential: LeasedCredential,
}

impl From<CoreGeneration> for Generation {
    fn from(generation: CoreGeneration) -> Self {
        Generation {
            number: number(generation.number),
            credential: LeasedCredential::from(generation.credential.as_ref()),
        }
    }
}

fn number(generation: u64) -> u32 {
    u32::try_from(generation).unwrap_or(u32::MAX)
}

/// What a `Generations` has done so far.
#[napi(object, object_from_js = false)]
pub struct RotationStats {
    /// The current credential's generation (0 for the first).
    pub generation: u32,
    /// Connections opened (tickets given).
    pub opened: u32,
    /// Connections retired because their credential was replaced.
    pub retired: u32,
    /// Connection attempts refused because the credential changed while connecting.
    pub refused_stale: u32,
    /// Old leases revoked once their last connection was closed.
    pub revoked_drained: u32,
    /// Old leases revoked at their deadline with connections still open.
    pub revoked_at_deadline: u32,
    /// Revocations that failed (retried until the lease ends).
    pub revoke_failures: u32,
    /// Old generations not done with yet.
    pub draining: u32,
}

impl From<CoreStats> for RotationStats {
    fn from(stats: CoreStats) -> Self {
        RotationStats {
            generation: number(stats.generation),
            opened: number(stats.opened),
            retired: number(stats.retired),
            refused_stale: number(stats.refused_stale),
            revoked_drained: number(stats.revoked_drained),
            revoked_at_deadline: number(stats.revoked_at_deadline),
            revoke_failures: number(stats.revoke_failures),
            draining: number(stats.draining),
        }
    }
}

/// An old generation is done with.
#[napi(object, object_from_js = false)]
pub struct Drained {
    /// The old generation's number.
    pub generation: u32,
    /// Whether it was cut off at the deadline rather than drained.
    pub at_deadline: bool,
    /// `false` when every revocation failed until the lease ended.
    pub revoked: bool,
}

impl From<CoreDrained> for Drained {
    fn from(drained: CoreDrained) -> Self {
        Drained {
            generation: number(drained.generation),
            at_deadline: drained.at_deadline,
            revoked: drained.revoked,
        }
    }
}

/// How long to wait before revoking a drained generation, and how long an old
/// generation without a lease may drain (seconds).
#[napi(object, object_to_js = false)]
pub struct GenerationsOptions {
    /// Seconds before an old lease would end that it is revoked, even with connections
    /// open (default 0.5).
    pub revoke_margin: Option<f64>,
    /// Seconds an old generation without a lease may keep connections open (default 60).
    pub unleased_drain: Option<f64>,
}

/// Open connections of one generation; closed with them.
#[napi]
pub struct Ticket {
    generation: u32,
    ticket: SyncMutex<Option<CoreTicket>>,
}

#[napi]
impl Ticket {
    /// The generation it was opened for.
    #[napi(getter)]
    pub fn generation(&self) -> u32 {
        self.generation
    }

    /// Whether the credential was replaced since.
    #[napi]
    pub fn is_stale(&self) -> bool {
        self.ticket
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .as_ref()
            .is_some_and(CoreTicket::is_stale)
    }

    /// The connections are closed (idempotent).
    #[napi]
    pub fn close(&self) {
        self.ticket
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
    }
}

/// The generation bookkeeping of a pool whose credential rotates.
#[napi]
pub struct Generations {
    inner: Arc<CoreGenerations>,
    drained: Arc<Mutex<broadcast::Receiver<CoreDrained>>>,
    /// The `onChange` listeners' tasks, stopped with this object.
    listeners: SyncMutex<Vec<AbortHandle>>,
}

impl Drop for Generations {
    fn drop(&mut self) {
        for listener in self
            .listeners
            .get_mut()
            .unwrap_or_else(PoisonError::into_inner)
            .drain(..)
        {
            listener.abort();
        }
    }
}

#[napi]
impl Generations {
    /// Follows `lease` from its current credential, generation 0.
    #[napi(constructor)]
    pub fn new(
        env: &Env,
        lease: &ManagedLease,
        options: Option<GenerationsOptions>,
    ) -> napi::Result<Self> {
        let defaults = GenerationsConfig::default();
        let (margin, drain) = match options {
            Some(options) => (options.revoke_margin, options.unleased_drain),
            None => (None, None),
        };
        let config = GenerationsConfig {
            revoke_margin: maybe_seconds(env, margin)?.unwrap_or(defaults.revoke_margin),
            unleased_drain: maybe_seconds(env, drain)?.unwrap_or(defaults.unleased_drain),
            ..defaults
        };
        let (managed, source) = lease.core();
        let inner = within_runtime(|| {
            CoreGenerations::new(managed.clone(), Arc::clone(source) as _, config)
        });
        let drained = Arc::new(Mutex::new(inner.subscribe()));
        Ok(Generations {
            inner: Arc::new(inner),
            drained,
            listeners: SyncMutex::new(Vec::new()),
        })
    }

    /// The current credential and its generation number.
    #[napi]
    pub fn current(&self) -> Generation {
        Generation::from(self.inner.current())
    }

    /// The current generation number (cheap: no credential is copied).
    #[napi(getter)]
    pub fn generation(&self) -> u32 {
        number(self.inner.current().number)
    }

    /// A ticket for connections opened with `generation`'s credential; ConflictError if
    /// the credential rotated meanwhile (connect again).
    #[napi]
    pub fn open(&self, env: &Env, generation: u32) -> napi::Result<Ticket> {
        match self.inner.open(u64::from(generation)) {
            Ok(ticket) => Ok(Ticket {
                generation,
                ticket: SyncMutex::new(Some(ticket)),
            }),
            Err(stale) => Err(crate::errors::to_js(
                env,
                CoreError::new(ironsecrets::ErrorKind::Conflict, stale.to_string()),
            )),
        }
    }

    /// Calls `listener` with each new generation, without keeping the process alive.
    #[napi]
    pub fn on_change(&self, listener: Function<Generation, ()>) -> napi::Result<()> {
        let listener: ThreadsafeFunction<Generation, (), Generation, napi::Status, false, true> =
            listener
                .build_threadsafe_function()
                .callee_handled::<false>()
                .weak::<true>()
                .build()?;
        let generations = Arc::clone(&self.inner);
        let task = within_runtime(|| {
            tokio::spawn(async move {
                let mut after = generations.current().number;
                while let Some(next) = generations.changed(after).await {
                    after = next.number;
                    listener.call(
                        Generation::from(next),
                        ThreadsafeFunctionCallMode::NonBlocking,
                    );
                }
            })
        });
        self.listeners
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(task.abort_handle());
        Ok(())
    }

    /// The next old generation done with (from when this object was made).
    #[napi(ts_return_type = "Promise<Drained | null>")]
    pub fn drained<'env>(
        &self,
        env: &'env Env,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, Option<Drained>>> {
        let reports = Arc::clone(&self.drained);
        promise(env, signal(options), async move {
            let mut reports = reports.lock().await;
            loop {
                match reports.recv().await {
                    Ok(drained) => return Ok(Some(Drained::from(drained))),
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return Ok(None),
                }
            }
        })
    }

    /// Whether an old generation still has open connections.
    #[napi]
    pub fn draining(&self) -> bool {
        self.inner.draining()
    }

    /// What has been done so far.
    #[napi]
    pub fn stats(&self) -> RotationStats {
        RotationStats::from(self.inner.stats())
    }

    /// Stops following the lease.
    #[napi]
    pub fn close(&self) {
        self.inner.close();
    }
}
