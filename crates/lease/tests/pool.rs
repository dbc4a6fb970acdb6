//! `RotatingPool` against a real OpenBao with PostgreSQL and MariaDB: a query loop at
//! about 200 queries/s across several rotations loses no query, leaves no session of a
//! revoked user, and every old lease is revoked. The same pool follows a static role
//! whose password OpenBao rotates on its own schedule, and keeps serving while OpenBao is
//! killed and restarted.

#![cfg(all(feature = "vault", feature = "sqlx-postgres", feature = "sqlx-mysql"))]

mod common;

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ironsecrets_core::{Backend, CredentialRequest, ErrorKind};
use ironsecrets_lease::{
    ConnectOptions, DynamicSource, LeaseConfig, LeaseEvent, LeaseManager, LeaseSource,
    ManagedLease, RotatingDatabase, RotatingPool, RotationStats,
};
use ironsecrets_testkit::services::database::{
    DatabaseEngine, MARIADB_CREATION, MARIADB_REVOCATION, POSTGRES_CREATION,
};
use ironsecrets_testkit::services::mariadb::MariaDb;
use ironsecrets_testkit::services::openbao::OpenBao;
use ironsecrets_testkit::services::postgres::Postgres;
use ironsecrets_vault::database::{PASSWORD, USERNAME};
use ironsecrets_vault::{KvVersion, VaultConfig};
use sqlx::mysql::MySqlConnectOptions;
use sqlx::pool::PoolOptions;
use sqlx::postgres::PgConnectOptions;
use tokio::time::{Instant, sleep};

use common::{Counting, Log, record, until};

const MOUNT: &str = "db-engine";
const SEC: Duration = Duration::from_secs(1);

/// An OpenBao with the database engine at [`MOUNT`], and a backend opened as root.
struct Rig {
    bao: OpenBao,
    backend: Backend,
}

impl Rig {
    async fn start() -> Rig {
        Rig::on(OpenBao::start()).await
    }

    async fn on(bao: OpenBao) -> Rig {
        DatabaseEngine::enable(&bao, MOUNT);
        let backend = ironsecrets_vault::open(VaultConfig {
            address: bao.addr(),
            token: Some(bao.root_token().into()),
            mount: bao.enable_kv(2),
            kv_version: KvVersion::V2,
            timeout: 2 * SEC,
            ..VaultConfig::default()
        })
        .await
        .unwrap();
        Rig { bao, backend }
    }

    /// The database engine's set-up calls.
    fn engine(&self) -> DatabaseEngine<'_> {
        DatabaseEngine::at(&self.bao, MOUNT)
    }

    /// A manager (the pool, not the manager, revokes old leases) managing `request`, and
    /// the old credentials of each rotation as (lease id, username, password).
    async fn manage(&self, request: CredentialRequest) -> Managed {
        let source = Arc::new(DynamicSource::new(self.backend.clone(), request));
        self.manage_source(source).await
    }

    async fn manage_source(&self, source: Arc<dyn LeaseSource>) -> Managed {
        let manager = LeaseManager::new(LeaseConfig {
            revoke_old_after: Some(600 * SEC),
            call_timeout: 2 * SEC,
            ..LeaseConfig::default()
        });
        let log = record(&manager);
        let rotated: Rotations = Arc::default();
        let sink = Arc::clone(&rotated);
        manager.on_event(move |event| {
            if let LeaseEvent::Rotated { old, .. } = event {
                let field = |name| old.data.get(name).unwrap().expose_str().unwrap().to_owned();
                sink.lock()
                    .unwrap()
                    .push((old.lease.id.clone(), field(USERNAME), field(PASSWORD)));
            }
        });
        let lease = manager.manage("db", Arc::clone(&source)).await.unwrap();
        Managed {
            manager,
            source,
            lease,
            rotated,
            log,
        }
    }
}

type Rotations = Arc<Mutex<Vec<(String, String, String)>>>;

struct Managed {
    manager: LeaseManager,
    source: Arc<dyn LeaseSource>,
    lease: ManagedLease,
    rotated: Rotations,
    log: Log,
}

fn dynamic_role() -> CredentialRequest {
    CredentialRequest::Database {
        mount: MOUNT.into(),
        role: "app".into(),
    }
}

/// 4 workers × one query every 20 ms ≈ 200 queries/s for `duration`; asserts that no
/// query failed and returns how many succeeded.
async fn load<F, Fut>(duration: Duration, query: F) -> u64
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<(), sqlx::Error>> + Send,
{
    let ok = Arc::new(AtomicU64::new(0));
    let errors: Arc<Mutex<Vec<String>>> = Arc::default();
    let end = Instant::now() + duration;
    let mut workers = Vec::new();
    for _ in 0..4 {
        let (query, ok, errors) = (query.clone(), ok.clone(), errors.clone());
        workers.push(tokio::spawn(async move {
            let mut next = Instant::now();
            while Instant::now() < end {
                match query().await {
                    Ok(()) => {
                        ok.fetch_add(1, Ordering::Relaxed);
                    }
                    Err(err) => errors.lock().unwrap().push(err.to_string()),
                }
                next += Duration::from_millis(20);
                tokio::time::sleep_until(next).await;
            }
        }));
    }
    for worker in workers {
        worker.await.unwrap();
    }
    let errors = errors.lock().unwrap();
    assert!(
        errors.is_empty(),
        "{} failed queries: {errors:?}",
        errors.len()
    );
    ok.load(Ordering::Relaxed)
}

/// Waits until no old generation is draining, then checks that every rotation's old
/// lease was revoked once drained (none at the deadline).
async fn assert_all_drained<DB: RotatingDatabase>(
    pool: &RotatingPool<DB>,
    rotations: usize,
) -> RotationStats {
    let deadline = Instant::now() + 10 * SEC;
    let stats = loop {
        let stats = pool.stats();
        if stats.draining == 0 {
            break stats;
        }
        assert!(Instant::now() < deadline, "{stats:?}");
        sleep(SEC / 10).await;
    };
    // Rotations go on while this waits (a static role's password keeps changing):
    // every generation before the current one, at least those seen, was drained.
    assert!(stats.generation >= rotations as u64, "{stats:?}");
    assert_eq!(stats.revoked_drained, stats.generation, "{stats:?}");
    assert_eq!(stats.revoked_at_deadline, 0, "{stats:?}");
    stats
}

/// Every old lease is gone from the server.
async fn assert_revoked(backend: &Backend, rotated: &[(String, String, String)]) {
    let leases = backend.leases().unwrap();
    for (id, _, _) in rotated {
        let err = leases.lookup(id).await.expect_err("old lease still exists");
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    }
}

/// An 8-connection pool on `managed`'s lease (the pool revokes its old leases).
async fn open_pool<DB: RotatingDatabase>(
    managed: &Managed,
    base: ConnectOptions<DB>,
) -> RotatingPool<DB> {
    RotatingPool::connect(
        managed.lease.clone(),
        Arc::clone(&managed.source),
        base,
        PoolOptions::<DB>::new()
            .max_connections(8)
            .acquire_timeout(5 * SEC),
    )
    .await
    .unwrap()
}

/// At least three rotations happened, each old generation drained and its lease revoked
/// on the server; the old credentials and the pool's stats.
/// The old credentials of every rotation the pool has seen. Event callbacks run on their
/// own task, so the record may trail the pool by a moment: wait for it to catch up.
async fn rotations_seen<DB: RotatingDatabase>(
    managed: &Managed,
    pool: &RotatingPool<DB>,
) -> Vec<(String, String, String)> {
    let deadline = Instant::now() + 5 * SEC;
    loop {
        let rotated = managed.rotated.lock().unwrap().clone();
        if rotated.len() as u64 >= pool.stats().generation || Instant::now() >= deadline {
            return rotated;
        }
        sleep(SEC / 20).await;
    }
}

async fn assert_rotated_and_revoked<DB: RotatingDatabase>(
    rig: &Rig,
    managed: &Managed,
    pool: &RotatingPool<DB>,
) -> (Vec<(String, String, String)>, RotationStats) {
    let rotated = rotations_seen(managed, pool).await;
    assert!(rotated.len() >= 3, "{} rotations", rotated.len());
    let stats = assert_all_drained(pool, rotated.len()).await;
    assert_revoked(&rig.backend, &rotated).await;
    (rotated, stats)
}

fn quoted_users(rotated: &[(String, String, String)]) -> String {
    let users: Vec<String> = rotated.iter().map(|(_, u, _)| format!("'{u}'")).collect();
    users.join(",")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_pool_rotates_under_load_without_failed_queries() {
    let rig = Rig::start().await;
    let pg = Postgres::start();
    configure_postgres(&rig, &pg).await;
    rig.engine()
        .dynamic_role("app", "pg", &[POSTGRES_CREATION], &[], 3 * SEC, 6 * SEC);
    let managed = rig.manage(dynamic_role()).await;
    let pool = open_pool::<sqlx::Postgres>(&managed, pg_options(&pg)).await;

    let sql = pool.pool().clone();
    let ok = load(20 * SEC, move || {
        let sql = sql.clone();
        async move {
            let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(&sql).await?;
            assert_eq!(one, 1);
            Ok(())
        }
    })
    .await;
    assert!(ok >= 3000, "only {ok} queries");

    let (rotated, stats) = assert_rotated_and_revoked(&rig, &managed, &pool).await;
    let sessions = pg.psql(&format!(
        "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' \
         AND (usename IS NULL OR usename IN ({}))",
        quoted_users(&rotated)
    ));
    assert_eq!(sessions, "0", "sessions of revoked roles remain");
    eprintln!("{ok} queries, {} rotations, {stats:?}", rotated.len());

    pool.close().await;
    managed.manager.shutdown(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn mariadb_pool_rotates_under_load_without_failed_queries() {
    let rig = Rig::start().await;
    let db = MariaDb::start();
    rig.engine().connect_mariadb("maria", &db);
    rig.engine().dynamic_role(
        "app",
        "maria",
        MARIADB_CREATION,
        &[MARIADB_REVOCATION],
        3 * SEC,
        6 * SEC,
    );
    let managed = rig.manage(dynamic_role()).await;
    let pool = open_pool::<sqlx::MySql>(
        &managed,
        MySqlConnectOptions::new().host("127.0.0.1").port(db.port()),
    )
    .await;

    let sql = pool.pool().clone();
    let ok = load(20 * SEC, move || {
        let sql = sql.clone();
        async move {
            let one: i64 = sqlx::query_scalar("SELECT 1").fetch_one(&sql).await?;
            assert_eq!(one, 1);
            Ok(())
        }
    })
    .await;
    assert!(ok >= 3000, "only {ok} queries");

    let (rotated, stats) = assert_rotated_and_revoked(&rig, &managed, &pool).await;
    let users = quoted_users(&rotated);
    let sessions = db.sql(&format!(
        "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER IN ({users})"
    ));
    assert_eq!(sessions, "0", "sessions of revoked users remain");
    let accounts = db.sql(&format!(
        "SELECT COUNT(*) FROM mysql.user WHERE User IN ({users})"
    ));
    assert_eq!(accounts, "0", "revoked users still exist");
    eprintln!("{ok} queries, {} rotations, {stats:?}", rotated.len());

    pool.close().await;
    managed.manager.shutdown(true).await;
}

/// A static role keeps its user; OpenBao replaces the password every 5 s. The manager
/// notices each new password (an unchanged one is not a rotation), the pool moves its
/// connections over, and no query fails.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_pool_follows_a_static_role_without_failed_queries() {
    let rig = Rig::start().await;
    let pg = Postgres::start();
    configure_postgres(&rig, &pg).await;
    pg.psql("CREATE ROLE static_app WITH LOGIN PASSWORD 'before-vault'");
    rig.engine()
        .static_role("static", "pg", "static_app", 5 * SEC);
    let managed = rig
        .manage(CredentialRequest::DatabaseStatic {
            mount: MOUNT.into(),
            role: "static".into(),
        })
        .await;
    let pool = open_pool::<sqlx::Postgres>(&managed, pg_options(&pg)).await;

    let sql = pool.pool().clone();
    let ok = load(22 * SEC, move || {
        let sql = sql.clone();
        async move {
            let user: String = sqlx::query_scalar("SELECT current_user::text")
                .fetch_one(&sql)
                .await?;
            assert_eq!(user, "static_app");
            Ok(())
        }
    })
    .await;
    assert!(ok >= 3000, "only {ok} queries");

    let rotated = rotations_seen(&managed, &pool).await;
    assert!(rotated.len() >= 2, "{} rotations", rotated.len());
    let mut passwords: Vec<&str> = rotated.iter().map(|(_, _, p)| p.as_str()).collect();
    passwords.dedup();
    assert_eq!(
        passwords.len(),
        rotated.len(),
        "a rotation kept the password"
    );
    for (id, user, password) in &rotated {
        assert!(id.is_empty(), "a static credential has no lease id");
        assert_eq!(user, "static_app");
        let login = pg.try_psql_as(user, password, "postgres", "SELECT 1");
        assert!(login.is_err(), "a replaced password still logs in");
    }
    let stats = assert_all_drained(&pool, rotated.len()).await;
    eprintln!("{ok} queries, {} rotations, {stats:?}", rotated.len());

    pool.close().await;
    managed.manager.shutdown(false).await;
}

/// OpenBao (with file storage) is killed while the pool serves and restarted 8 s later:
/// queries go on over the connections already open, the manager calls the dead server
/// only a few times (backing off), and after the restart it renews the same lease and a
/// rotation moves the pool to a new credential.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_pool_keeps_serving_while_openbao_is_killed_and_restarted() {
    let mut rig = Rig::on(OpenBao::start_persistent()).await;
    let pg = Postgres::start();
    configure_postgres(&rig, &pg).await;
    rig.engine()
        .dynamic_role("app", "pg", &[POSTGRES_CREATION], &[], 12 * SEC, 120 * SEC);
    let request = DynamicSource::new(rig.backend.clone(), dynamic_role());
    let source = Counting::new(request);
    let managed = rig.manage_source(source.clone()).await;
    let lease = managed.lease.clone();
    let first_id = lease.lease().id;
    let pool = open_pool::<sqlx::Postgres>(&managed, pg_options(&pg)).await;
    let sql = pool.pool().clone();
    let queries = tokio::spawn(load(18 * SEC, move || {
        let sql = sql.clone();
        async move {
            let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(&sql).await?;
            assert_eq!(one, 1);
            Ok(())
        }
    }));

    sleep(SEC).await;
    rig.bao.kill();
    let before = source.calls.load(Ordering::SeqCst);
    sleep(8 * SEC).await;
    let while_down = source.calls.load(Ordering::SeqCst) - before;
    let down_renewals = source.renewals.lock().unwrap().len();
    tokio::task::block_in_place(|| rig.bao.restart());
    let restarted_at = Instant::now();

    // A renewal of the same lease succeeds after the restart.
    until(&managed.log, 15 * SEC, |events| {
        events.iter().any(|(at, event)| {
            *at > restarted_at
                && matches!(event, LeaseEvent::Renewed { lease, .. } if lease.id == first_id)
        })
    })
    .await;
    let renewals = source.renewals.lock().unwrap().clone();
    assert!(
        renewals[..down_renewals]
            .iter()
            .all(|(_, _, granted)| granted.is_none()),
        "a renewal succeeded while the server was down: {renewals:?}"
    );
    assert!(
        while_down >= 1,
        "no renewal was tried while the server was down"
    );
    assert!(
        while_down <= 5,
        "{while_down} renewal calls in 8 s of downtime"
    );

    // A rotation after the restart issues a new credential and the pool moves to it.
    lease.rotate();
    until(&managed.log, 15 * SEC, |events| {
        events
            .iter()
            .any(|(_, event)| matches!(event, LeaseEvent::Rotated { .. }))
    })
    .await;
    let ok = queries.await.unwrap();
    assert!(ok >= 2500, "only {ok} queries");
    let rotated = rotations_seen(&managed, &pool).await;
    let stats = assert_all_drained(&pool, rotated.len()).await;
    assert_revoked(&rig.backend, &rotated).await;
    eprintln!("{ok} queries, {while_down} renewal calls while down, {stats:?}");

    pool.close().await;
    managed.manager.shutdown(true).await;
}

async fn configure_postgres(rig: &Rig, pg: &Postgres) {
    rig.engine().connect_postgres("pg", pg);
}

fn pg_options(pg: &Postgres) -> PgConnectOptions {
    PgConnectOptions::new()
        .host("127.0.0.1")
        .port(pg.port())
        .database("postgres")
}
