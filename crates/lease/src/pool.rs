//! `RotatingPool`: an sqlx pool whose connections follow a [`ManagedLease`]'s rotations.
//!
//! New connections always use the newest credential; a connection opened on an older one
//! is retired when it comes back to the pool (or is found idle), never while a query runs
//! on it; once no connection of an old credential is left — or just before its lease
//! would end — the old lease is revoked.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use ironsecrets_core::{Lease, LeasedCredential};
use sqlx::pool::{PoolConnectionMetadata, PoolOptions};
use sqlx::{Connection, Database, Pool};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, timeout};

use crate::{LeaseSource, ManagedLease, RotationStats};

/// The credential field holding the user name.
pub const USERNAME: &str = "username";
/// The credential field holding the password.
pub const PASSWORD: &str = "password";

/// How often the pool's task checks for drained generations and sweeps idle connections.
const TICK: Duration = Duration::from_millis(50);
/// An old lease is revoked this long before it would end, even if connections remain.
const REVOKE_MARGIN: Duration = Duration::from_millis(500);
/// How long filling the pool waits for each connection.
const FILL_TIMEOUT: Duration = Duration::from_secs(1);
/// How long connections of a replaced credential without a lease may take to return.
const UNLEASED_DRAIN: Duration = Duration::from_secs(60);
/// A revocation taking longer than this is abandoned for this tick.
const REVOKE_TIMEOUT: Duration = Duration::from_secs(5);

/// The connect options of a database's connections.
pub type ConnectOptions<DB> = <<DB as Database>::Connection as Connection>::Options;

/// A database [`RotatingPool`] works with: how to put a credential into connect options
/// and how to ask a connection which user it logged in as.
pub trait RotatingDatabase: Database {
    /// `base` with `username` and `password`.
    fn with_credentials(
        base: &ConnectOptions<Self>,
        username: &str,
        password: &str,
    ) -> ConnectOptions<Self>;

    /// The user `conn` logged in as (one query, once per new connection).
    fn current_user(
        conn: &mut Self::Connection,
    ) -> futures_util::future::BoxFuture<'_, Result<String, sqlx::Error>>;
}

#[cfg(feature = "sqlx-postgres")]
impl RotatingDatabase for sqlx::Postgres {
    fn with_credentials(
        base: &sqlx::postgres::PgConnectOptions,
        username: &str,
        password: &str,
    ) -> sqlx::postgres::PgConnectOptions {
        base.clone().username(username).password(password)
    }

    fn current_user(
        conn: &mut sqlx::PgConnection,
    ) -> futures_util::future::BoxFuture<'_, Result<String, sqlx::Error>> {
        Box::pin(async move {
            sqlx::query_scalar::<_, String>("SELECT current_user::text")
                .fetch_one(conn)
                .await
        })
    }
}

#[cfg(feature = "sqlx-mysql")]
impl RotatingDatabase for sqlx::MySql {
    fn with_credentials(
        base: &sqlx::mysql::MySqlConnectOptions,
        username: &str,
        password: &str,
    ) -> sqlx::mysql::MySqlConnectOptions {
        base.clone().username(username).password(password)
    }

    fn current_user(
        conn: &mut sqlx::MySqlConnection,
    ) -> futures_util::future::BoxFuture<'_, Result<String, sqlx::Error>> {
        Box::pin(async move {
            sqlx::query_scalar::<_, String>(
                "SELECT CAST(SUBSTRING_INDEX(CURRENT_USER(), '@', 1) AS CHAR)",
            )
            .fetch_one(conn)
            .await
        })
    }
}

/// State shared by the hooks and the task.
struct State {
    generation: u64,
    username: String,
    /// Open connections by (time accepted, sequence) -> generation. A connection is found
    /// again from its age: sqlx records its creation right after `after_connect`.
    conns: BTreeMap<(Instant, u64), u64>,
    seq: u64,
    stats: RotationStats,
}

struct Shared {
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether the connection with `meta` may stay; retires (forgets) it if not.
    fn keep(&self, meta: &PoolConnectionMetadata) -> bool {
        let now = Instant::now();
        let created = now.checked_sub(meta.age).unwrap_or(now);
        let mut state = self.lock();
        let found = state
            .conns
            .range(..=(created, u64::MAX))
            .next_back()
            .map(|(key, generation)| (*key, *generation));
        match found {
            Some((key, generation)) if generation < state.generation => {
                state.conns.remove(&key);
                state.stats.retired += 1;
                false
            }
            _ => true,
        }
    }

    fn open_in(&self, generation: u64) -> usize {
        self.lock()
            .conns
            .values()
            .filter(|g| **g == generation)
            .count()
    }
}

/// An old credential waiting for its connections to close.
struct Draining {
    generation: u64,
    lease: Lease,
    deadline: Instant,
}

/// An sqlx [`Pool`] on a [`ManagedLease`]'s credential (fields [`USERNAME`] and
/// [`PASSWORD`], e.g. a Vault / OpenBao database role), following its rotations:
///
/// - each rotation ([`ManagedLease::watch`] changes) sets the pool's connect options to
///   the new credential, so new connections use it; a connection whose login raced the
///   rotation (it logged in as the old user) is refused in `after_connect` and sqlx
///   reconnects with the new options;
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
    shared: Arc<Shared>,
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
        let mut credentials = lease.watch();
        let first = credentials.borrow_and_update().clone();
        let (username, password) = fields(&first)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                generation: 0,
                username: username.clone(),
                conns: BTreeMap::new(),
                seq: 0,
                stats: RotationStats::default(),
            }),
        });
        let on_connect = Arc::clone(&shared);
        let on_acquire = Arc::clone(&shared);
        let on_release = Arc::clone(&shared);
        let options = options
            .idle_timeout(None)
            .max_lifetime(None)
            .after_connect(move |conn, _meta| {
                let shared = Arc::clone(&on_connect);
                Box::pin(async move {
                    let user = DB::current_user(conn).await?;
                    let mut state = shared.lock();
                    if user != state.username {
                        state.stats.refused_stale += 1;
                        return Err(sqlx::Error::Protocol(
                            "the credential was rotated while connecting".into(),
                        ));
                    }
                    state.seq += 1;
                    let key = (Instant::now(), state.seq);
                    let generation = state.generation;
                    state.conns.insert(key, generation);
                    state.stats.opened += 1;
                    Ok(())
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
            Arc::clone(&shared),
            lease,
            credentials,
            source,
            base,
        ));
        Ok(RotatingPool { pool, shared, task })
    }

    /// The pool: use it as any sqlx pool (it is cheap to clone).
    pub fn pool(&self) -> &Pool<DB> {
        &self.pool
    }

    /// What the pool has done so far.
    pub fn stats(&self) -> RotationStats {
        self.shared.lock().stats
    }

    /// Stops following rotations and closes the pool (waiting for connections in use).
    /// Old leases still draining are not revoked here; the manager's shutdown does that.
    pub async fn close(self) {
        self.task.abort();
        self.pool.close().await;
    }
}

impl<DB: RotatingDatabase> Drop for RotatingPool<DB> {
    fn drop(&mut self) {
        self.task.abort();
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

fn fields(credential: &LeasedCredential) -> Result<(String, String), sqlx::Error> {
    let field = |name: &str| {
        credential
            .data
            .get(name)
            .and_then(|value| value.expose_str().ok())
            .map(str::to_owned)
            .ok_or_else(|| {
                sqlx::Error::Configuration(
                    format!("the credential has no text field `{name}`").into(),
                )
            })
    };
    Ok((field(USERNAME)?, field(PASSWORD)?))
}

/// When an old generation's lease is revoked even with connections left: just before it
/// ends. A credential without a lease id (a static role's replaced password) has nothing
/// to revoke and its sessions stay valid, so its connections get [`UNLEASED_DRAIN`].
fn drain_deadline(lease: &Lease) -> Instant {
    if lease.id.is_empty() {
        return Instant::now() + UNLEASED_DRAIN;
    }
    ends_at(lease)
        .checked_sub(REVOKE_MARGIN)
        .unwrap_or_else(Instant::now)
}

/// The instant `lease` ends, at the latest.
fn ends_at(lease: &Lease) -> Instant {
    let left = (lease.expires_at() - chrono::Utc::now())
        .to_std()
        .unwrap_or_default();
    Instant::now() + left
}

/// The pool's task: follows rotations, sweeps idle connections of old generations,
/// revokes drained leases.
async fn run<DB: RotatingDatabase>(
    pool: Pool<DB>,
    shared: Arc<Shared>,
    lease: ManagedLease,
    mut credentials: watch::Receiver<Arc<LeasedCredential>>,
    source: Arc<dyn LeaseSource>,
    base: ConnectOptions<DB>,
) {
    let mut current = lease.lease();
    let mut draining: Vec<Draining> = Vec::new();
    fill(&pool).await;
    loop {
        tokio::select! {
            changed = credentials.changed() => {
                if changed.is_err() {
                    // The manager is gone: keep the current credential.
                    return;
                }
                let new = credentials.borrow_and_update().clone();
                let Ok((username, password)) = fields(&new) else {
                    tracing::warn!(lease = %lease.name(), "rotated credential lacks username/password; pool keeps the old one");
                    continue;
                };
                let old_generation = {
                    let mut state = shared.lock();
                    let old = state.generation;
                    state.generation += 1;
                    state.username = username.clone();
                    state.stats.generation = state.generation;
                    pool.set_connect_options(DB::with_credentials(&base, &username, &password));
                    old
                };
                let old_lease = std::mem::replace(&mut current, new.lease.clone());
                draining.push(Draining {
                    generation: old_generation,
                    deadline: drain_deadline(&old_lease),
                    lease: old_lease,
                });
                tracing::debug!(lease = %lease.name(), generation = old_generation + 1, "pool rotated");
            }
            _ = sleep(TICK) => {}
        }
        // Follow renewals of the current lease (for its deadline once it is replaced).
        let latest = lease.lease();
        if latest.id == current.id {
            current = latest;
        }
        if draining.is_empty() {
            continue;
        }
        sweep(&pool, &shared, &draining).await;
        let now = Instant::now();
        let mut still = Vec::new();
        for old in draining.drain(..) {
            let open = shared.open_in(old.generation);
            if open > 0 && now < old.deadline {
                still.push(old);
                continue;
            }
            let result = timeout(REVOKE_TIMEOUT, source.revoke(&old.lease)).await;
            let mut state = shared.lock();
            match result {
                Ok(Ok(())) => {
                    if open == 0 {
                        state.stats.revoked_drained += 1;
                    } else {
                        state.stats.revoked_at_deadline += 1;
                        tracing::warn!(lease = %lease.name(), open, "old lease revoked with connections still open");
                    }
                    // Forget connections of this generation that were closed elsewhere.
                    state.conns.retain(|_, g| *g != old.generation);
                }
                _ => {
                    state.stats.revoke_failures += 1;
                    tracing::warn!(lease = %lease.name(), "revoking an old lease failed");
                    if Instant::now() < ends_at(&old.lease) {
                        drop(state);
                        still.push(old);
                    }
                }
            }
        }
        draining = still;
        shared.lock().stats.draining = draining.len() as u64;
        if draining.is_empty() {
            fill(&pool).await;
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
/// old generations are closed; returns the kept ones. Only runs while an old generation
/// still has connections.
async fn sweep<DB: RotatingDatabase>(pool: &Pool<DB>, shared: &Shared, draining: &[Draining]) {
    if draining
        .iter()
        .all(|old| shared.open_in(old.generation) == 0)
    {
        return;
    }
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
