//! `RotatingPool`: an sqlx pool whose connections follow a [`ManagedLease`]'s rotations,
//! wired onto [`Generations`].
//!
//! - `database`: what the pool needs from an sqlx database;
//! - `hooks`: each connection's ticket, found again by the connection's age.

mod database;
mod hooks;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use sqlx::Pool;
use sqlx::pool::PoolOptions;
use tokio::sync::broadcast;
use tokio::sync::broadcast::error::RecvError;
use tokio::task::JoinHandle;
use tokio::time::{sleep, timeout};

pub use database::{ConnectOptions, PASSWORD, RotatingDatabase, USERNAME};

use database::fields;
use hooks::Hooks;

use crate::{Drained, Generations, GenerationsConfig, LeaseSource, ManagedLease, RotationStats};

/// How often idle connections are swept while an old generation drains.
const TICK: Duration = Duration::from_millis(50);
/// How long filling the pool waits for each connection.
const FILL_TIMEOUT: Duration = Duration::from_secs(1);

/// An sqlx [`Pool`] on a [`ManagedLease`]'s credential (fields [`USERNAME`] and
/// [`PASSWORD`], e.g. a Vault / OpenBao database role), following its rotations. The
/// bookkeeping is a [`Generations`]; the pool's hooks only wire sqlx to it:
///
/// - each rotation sets the pool's connect options to the new credential, so new
///   connections use it; a connection whose login raced the rotation (it logged in as
///   the old user) is refused in `after_connect` and sqlx reconnects with the new options;
/// - connections of an older credential are closed when they come back to the pool
///   (`after_release`) or are taken from the idle queue (`before_acquire`); idle ones are
///   swept every 50 ms while a generation drains. A query in flight is never interrupted;
/// - the pool is kept full (`max_connections`): filled at start and each time the old
///   generations have drained, so logins happen only while the credential is fresh;
/// - when an old credential has no connection left, its lease is revoked through
///   `source`; at the latest 500 ms before the old lease ends it is revoked anyway. A
///   static role's credential has no lease: its password was replaced by the server,
///   sessions logged in with it stay valid, and its connections retire the same way.
///
/// The pool sets `after_connect`, `before_acquire` and `after_release` (replacing any set
/// on the options given) and disables `idle_timeout` and `max_lifetime`, so connections
/// are only closed through these hooks (or by sqlx on an error).
///
/// Configure the [`LeaseManager`](crate::LeaseManager) with a long
/// [`revoke_old_after`](crate::LeaseConfig::revoke_old_after) so the pool, not the
/// manager, decides when an old lease is revoked; revoking twice is harmless.
pub struct RotatingPool<DB: RotatingDatabase> {
    pool: Pool<DB>,
    hooks: Arc<Hooks>,
    task: JoinHandle<()>,
}

impl<DB: RotatingDatabase> RotatingPool<DB> {
    /// Opens the pool on `lease`'s current credential and `base` (host, port, database,
    /// TLS, ...), with `options` (max connections, acquire timeout, ...). `source` revokes
    /// old leases.
    pub async fn connect(
        lease: ManagedLease,
        source: Arc<dyn LeaseSource>,
        base: ConnectOptions<DB>,
        options: PoolOptions<DB>,
    ) -> Result<Self, sqlx::Error> {
        let name: Arc<str> = lease.name().into();
        let generations = Generations::new(lease, source, GenerationsConfig::default());
        let reports = generations.subscribe();
        let first = generations.current();
        let (username, password) = fields(&first.credential)?;
        let hooks = Arc::new(Hooks::new(generations));
        let on_connect = Arc::clone(&hooks);
        let on_acquire = Arc::clone(&hooks);
        let on_release = Arc::clone(&hooks);
        let options = options
            .idle_timeout(None)
            .max_lifetime(None)
            .after_connect(move |conn, _meta| {
                let hooks = Arc::clone(&on_connect);
                Box::pin(async move {
                    let user = DB::current_user(conn).await?;
                    hooks.connected(&user)
                })
            })
            .before_acquire(move |_conn, meta| {
                let keep = on_acquire.keep(&meta);
                Box::pin(async move { Ok(keep) })
            })
            .after_release(move |_conn, meta| {
                let keep = on_release.keep(&meta);
                Box::pin(async move { Ok(keep) })
            });
        let pool = options
            .connect_with(DB::with_credentials(&base, &username, &password))
            .await?;
        let task = tokio::spawn(run::<DB>(
            pool.clone(),
            Arc::clone(&hooks),
            base,
            first.number,
            reports,
            name,
        ));
        Ok(RotatingPool { pool, hooks, task })
    }

    /// The pool: use it as any sqlx pool (it is cheap to clone).
    pub fn pool(&self) -> &Pool<DB> {
        &self.pool
    }

    /// What the pool has done so far.
    pub fn stats(&self) -> RotationStats {
        self.hooks.generations.stats()
    }

    /// Stops following rotations and closes the pool (waiting for connections in use).
    /// Old leases still draining are not revoked here; the manager's shutdown does that.
    pub async fn close(self) {
        self.task.abort();
        self.hooks.generations.close();
        self.pool.close().await;
    }
}

impl<DB: RotatingDatabase> Drop for RotatingPool<DB> {
    /// Stops following rotations; clones of [`pool`](Self::pool) keep working on the
    /// current credential.
    fn drop(&mut self) {
        self.task.abort();
        self.hooks.generations.close();
    }
}

impl<DB: RotatingDatabase> fmt::Debug for RotatingPool<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RotatingPool")
            .field("stats", &self.stats())
            .field("size", &self.pool.size())
            .finish_non_exhaustive()
    }
}

/// The pool's task: sets the connect options of each new generation (after `seen`, the
/// one the pool was opened with), sweeps idle connections while an old generation
/// drains, and fills the pool once every old generation is done with.
async fn run<DB: RotatingDatabase>(
    pool: Pool<DB>,
    hooks: Arc<Hooks>,
    base: ConnectOptions<DB>,
    mut seen: u64,
    mut reports: broadcast::Receiver<Drained>,
    name: Arc<str>,
) {
    let generations = &hooks.generations;
    fill(&pool).await;
    loop {
        tokio::select! {
            next = generations.changed(seen) => {
                let Some(next) = next else {
                    // The lease is no longer managed: keep the current credential.
                    return;
                };
                seen = next.number;
                match fields(&next.credential) {
                    Ok((username, password)) => {
                        pool.set_connect_options(DB::with_credentials(&base, &username, &password));
                        tracing::debug!(lease = %name, generation = seen, "pool rotated");
                    }
                    Err(_) => {
                        tracing::warn!(lease = %name, "rotated credential lacks username/password; new connections keep the old one");
                    }
                }
            }
            report = reports.recv() => {
                match report {
                    Ok(Drained { generation, at_deadline: true, .. }) => hooks.forget(generation),
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return,
                }
                if generations.stats().draining == 0 {
                    fill(&pool).await;
                }
            }
            () = sleep(TICK), if generations.draining() => sweep(&pool).await,
        }
    }
}

/// Opens connections up to the pool's maximum on the current credential, taking only
/// idle and new connections. With the pool full, no login is needed later, when the
/// credential may already be stale: a static role's password is replaced by the server
/// a moment before the manager sees the new one, and a login in that moment would fail.
async fn fill<DB: RotatingDatabase>(pool: &Pool<DB>) {
    let max = pool.options().get_max_connections();
    let mut held = Vec::new();
    while pool.size() < max && held.len() < max as usize {
        match timeout(FILL_TIMEOUT, pool.acquire()).await {
            Ok(Ok(conn)) => held.push(conn),
            _ => break,
        }
    }
}

/// Takes every idle connection once, through `before_acquire`, so idle connections of
/// old generations are closed; returns the kept ones.
async fn sweep<DB: RotatingDatabase>(pool: &Pool<DB>) {
    let mut held = Vec::new();
    let rounds = pool.size() as usize;
    for _ in 0..rounds {
        if pool.num_idle() == 0 {
            break;
        }
        match timeout(TICK, pool.acquire()).await {
            Ok(Ok(conn)) => held.push(conn),
            _ => break,
        }
    }
    drop(held);
}
