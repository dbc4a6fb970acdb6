//! `RotatingPool` against a real OpenBao and PostgreSQL: a query loop at about 200
//! queries/s across several rotations loses no query, leaves no session of a revoked
//! role, and every old lease is revoked.

#![cfg(all(feature = "vault", feature = "sqlx-postgres"))]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ironsecrets_core::{Backend, CredentialRequest, ErrorKind, SecretValue};
use ironsecrets_lease::{
    DynamicSource, LeaseConfig, LeaseEvent, LeaseManager, LeaseSource, RotatingPool,
};
use ironsecrets_testkit::services::openbao::OpenBao;
use ironsecrets_testkit::services::postgres::Postgres;
use ironsecrets_vault::database::USERNAME;
use ironsecrets_vault::{KvVersion, VaultConfig, VaultDatabase};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio::time::{Instant, sleep};

const MOUNT: &str = "db-engine";
const CREATE: &str = "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' \
                      VALID UNTIL '{{expiration}}';";
const SEC: Duration = Duration::from_secs(1);

async fn open(bao: &OpenBao) -> Backend {
    let mount = bao.enable_kv(2);
    ironsecrets_vault::open(VaultConfig {
        address: bao.addr(),
        token: Some(bao.root_token().into()),
        mount,
        kv_version: KvVersion::V2,
        timeout: 2 * SEC,
        ..VaultConfig::default()
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_pool_rotates_under_load_without_failed_queries() {
    let bao = OpenBao::start();
    let pg = Postgres::start();
    bao.run(&["secrets", "enable", &format!("-path={MOUNT}"), "database"]);
    let backend = open(&bao).await;
    let client = backend
        .native::<ironsecrets_vault::Kv2Store>()
        .unwrap()
        .client()
        .clone();
    let admin = VaultDatabase::new(client, MOUNT.to_owned());
    admin
        .configure_connection(
            "pg",
            "postgresql-database-plugin",
            &pg.vault_connection_url(),
            pg.superuser(),
            &SecretValue::from(pg.password()),
            &["*"],
        )
        .await
        .unwrap();
    admin
        .create_role("app", "pg", &[CREATE], &[], 3 * SEC, 6 * SEC)
        .await
        .unwrap();

    // The pool, not the manager, revokes old leases.
    let manager = LeaseManager::new(LeaseConfig {
        revoke_old_after: Some(600 * SEC),
        ..LeaseConfig::default()
    });
    let rotated: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let sink = Arc::clone(&rotated);
    manager.on_event(move |event| {
        if let LeaseEvent::Rotated { old, .. } = event {
            let user = old.data.get(USERNAME).unwrap().expose_str().unwrap();
            sink.lock()
                .unwrap()
                .push((old.lease.id.clone(), user.to_owned()));
        }
    });
    let source: Arc<dyn LeaseSource> = Arc::new(DynamicSource::new(
        backend.clone(),
        CredentialRequest::Database {
            mount: MOUNT.into(),
            role: "app".into(),
        },
    ));
    let lease = manager.manage("db", Arc::clone(&source)).await.unwrap();
    let base = PgConnectOptions::new()
        .host("127.0.0.1")
        .port(pg.port())
        .database("postgres");
    let pool = RotatingPool::connect(
        lease,
        source,
        base,
        PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(5 * SEC),
    )
    .await
    .unwrap();

    // 4 workers × one query every 20 ms ≈ 200 queries/s for 20 s.
    let ok = Arc::new(AtomicU64::new(0));
    let failed = Arc::new(AtomicU64::new(0));
    let errors: Arc<Mutex<Vec<String>>> = Arc::default();
    let end = Instant::now() + 20 * SEC;
    let mut workers = Vec::new();
    for _ in 0..4 {
        let pool = pool.pool().clone();
        let (ok, failed, errors) = (ok.clone(), failed.clone(), errors.clone());
        workers.push(tokio::spawn(async move {
            let mut next = Instant::now();
            while Instant::now() < end {
                match sqlx::query_scalar::<_, i32>("SELECT 1")
                    .fetch_one(&pool)
                    .await
                {
                    Ok(1) => ok.fetch_add(1, Ordering::Relaxed),
                    other => {
                        errors.lock().unwrap().push(format!("{other:?}"));
                        failed.fetch_add(1, Ordering::Relaxed)
                    }
                };
                next += Duration::from_millis(20);
                tokio::time::sleep_until(next).await;
            }
        }));
    }
    for worker in workers {
        worker.await.unwrap();
    }
    let ok = ok.load(Ordering::Relaxed);
    let failed = failed.load(Ordering::Relaxed);
    assert_eq!(failed, 0, "{:?}", errors.lock().unwrap());
    assert!(ok >= 3000, "only {ok} queries");

    // Every rotation drained and revoked.
    let deadline = Instant::now() + 10 * SEC;
    while pool.stats().draining > 0 {
        assert!(Instant::now() < deadline, "{:?}", pool.stats());
        sleep(SEC / 10).await;
    }
    let stats = pool.stats();
    let rotated = rotated.lock().unwrap().clone();
    assert!(rotated.len() >= 3, "{} rotations; {stats:?}", rotated.len());
    // Old generations still draining at the last check may be the latest rotation only.
    assert!(
        stats.revoked_drained + stats.revoked_at_deadline >= rotated.len() as u64,
        "{stats:?}"
    );
    assert_eq!(stats.revoked_at_deadline, 0, "{stats:?}");
    let leases = backend.leases().unwrap();
    for (id, _) in &rotated {
        let err = leases.lookup(id).await.expect_err("old lease still exists");
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    }
    let users: Vec<String> = rotated.iter().map(|(_, u)| format!("'{u}'")).collect();
    let sessions = pg.psql(&format!(
        "SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend' \
         AND (usename IS NULL OR usename IN ({}))",
        users.join(",")
    ));
    assert_eq!(sessions, "0", "sessions of revoked roles remain");
    eprintln!("{ok} queries, {} rotations, {stats:?}", rotated.len());

    pool.close().await;
    manager.shutdown(true).await;
}
