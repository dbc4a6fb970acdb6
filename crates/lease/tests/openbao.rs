//! The scheduler against a real OpenBao and PostgreSQL: renewals, rotation at max ttl,
//! revocation of the old lease, bounded retries while the server is stopped, and a token
//! with a short max ttl kept alive by re-login so its child lease lives on.

#![cfg(feature = "vault")]

mod common;

use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use ironsecrets_core::{Backend, CredentialRequest, LeasedCredential};
use ironsecrets_lease::{DynamicSource, LeaseConfig, LeaseEvent, LeaseManager, VaultTokenSource};
use ironsecrets_testkit::services::database::{DatabaseEngine, POSTGRES_CREATION};
use ironsecrets_testkit::services::openbao::OpenBao;
use ironsecrets_testkit::services::postgres::Postgres;
use ironsecrets_vault::database::{PASSWORD, USERNAME};
use ironsecrets_vault::{KvVersion, Login, VaultClient, VaultConfig};
use tokio::time::{Instant, sleep};

use common::{Counting, events, record, until};

const MOUNT: &str = "db-engine";
const SEC: Duration = Duration::from_secs(1);

/// OpenBao with the database engine on PostgreSQL and role `app`, opened as `token`
/// (root when `None`) with a 2 s request timeout.
struct Servers {
    bao: OpenBao,
    pg: Postgres,
    backend: Backend,
}

impl Servers {
    async fn start(default_ttl: Duration, max_ttl: Duration) -> Servers {
        let bao = OpenBao::start();
        let pg = Postgres::start();
        let engine = DatabaseEngine::enable(&bao, MOUNT);
        engine.connect_postgres("pg", &pg);
        engine.dynamic_role("app", "pg", &[POSTGRES_CREATION], &[], default_ttl, max_ttl);
        let root = open(&bao, Some(bao.root_token())).await;
        Servers {
            bao,
            pg,
            backend: root,
        }
    }

    fn source(&self, backend: &Backend) -> DynamicSource {
        DynamicSource::new(
            backend.clone(),
            CredentialRequest::Database {
                mount: MOUNT.into(),
                role: "app".into(),
            },
        )
    }

    /// Whether `credential` can log in to PostgreSQL.
    fn logs_in(&self, credential: &LeasedCredential) -> bool {
        let (user, password) = login(credential);
        self.pg
            .try_psql_as(&user, &password, "postgres", "SELECT 1")
            .is_ok()
    }
}

async fn open(bao: &OpenBao, token: Option<&str>) -> Backend {
    let mount = bao.enable_kv(2);
    ironsecrets_vault::open(VaultConfig {
        address: bao.addr(),
        token: token.map(Into::into),
        mount,
        kv_version: KvVersion::V2,
        timeout: 2 * SEC,
        ..VaultConfig::default()
    })
    .await
    .unwrap()
}

fn client(backend: &Backend) -> VaultClient {
    backend
        .native::<ironsecrets_vault::VaultClient>()
        .unwrap()
        .clone()
}

fn login(credential: &LeasedCredential) -> (String, String) {
    let field = |name| {
        credential
            .data
            .get(name)
            .unwrap()
            .expose_str()
            .unwrap()
            .to_owned()
    };
    (field(USERNAME), field(PASSWORD))
}

#[tokio::test]
async fn renews_then_rotates_at_max_ttl_and_revokes_the_old_lease() {
    let servers = Servers::start(3 * SEC, 8 * SEC).await;
    let manager = LeaseManager::new(LeaseConfig::default());
    let log = record(&manager);
    let mut events_rx = manager.subscribe();
    let db = manager
        .manage("db", Arc::new(servers.source(&servers.backend)))
        .await
        .unwrap();
    let first = db.current();
    assert!(servers.logs_in(&first));

    // The first lease is renewed, replaced, and revoked within its 8 s max ttl.
    until(&log, 20 * SEC, |events| {
        events.iter().any(|(_, e)| {
            matches!(e, LeaseEvent::Revoked { lease_id, .. } if *lease_id == first.lease.id)
        })
    })
    .await;
    let events = events(&log);
    let renewed_at = events
        .iter()
        .position(|(_, e)| matches!(e, LeaseEvent::Renewed { .. }))
        .expect("renewed");
    let (rotated_at, old, new) = events
        .iter()
        .enumerate()
        .find_map(|(i, (_, e))| match e {
            LeaseEvent::Rotated { old, new, .. } => Some((i, old.clone(), new.clone())),
            _ => None,
        })
        .expect("rotated");
    assert!(renewed_at < rotated_at);
    assert_eq!(old.lease.id, first.lease.id);
    assert_ne!(login(&old).0, login(&new).0, "a new user");
    assert!(
        !events
            .iter()
            .any(|(_, e)| matches!(e, LeaseEvent::Expired { .. })),
        "{events:#?}"
    );
    assert!(
        !servers.logs_in(&old),
        "the revoked credential still logs in"
    );
    assert!(servers.logs_in(&db.current()));
    // The subscription saw the same events.
    assert!(matches!(
        events_rx.try_recv().unwrap(),
        LeaseEvent::Renewed { .. }
    ));

    manager.shutdown(true).await;
    assert!(!servers.logs_in(&db.current()), "shutdown(true) revokes");
}

#[tokio::test]
async fn a_shorter_grant_triggers_reissue_not_repeated_renewals() {
    // Long enough that a renewal delayed by a busy machine still finds its lease.
    let servers = Servers::start(6 * SEC, 8 * SEC).await;
    let manager = LeaseManager::new(LeaseConfig::default());
    let log = record(&manager);
    let source = Counting::new(servers.source(&servers.backend));
    let db = manager.manage("db", source.clone()).await.unwrap();

    let rotations = |events: &[(Instant, LeaseEvent)]| {
        events
            .iter()
            .filter(|(_, e)| matches!(e, LeaseEvent::Rotated { .. }))
            .count()
    };
    until(&log, 30 * SEC, |events| rotations(events) >= 2).await;

    let renewals = source.renewals.lock().unwrap().clone();
    let mut short_grants = 0;
    for (i, (id, asked, granted)) in renewals.iter().enumerate() {
        let granted = granted.expect("every renewal succeeds");
        if granted < asked.expect("an increment is asked") {
            short_grants += 1;
            assert!(
                renewals[i + 1..].iter().all(|(later, ..)| later != id),
                "renewed again after a short grant: {renewals:?}"
            );
        }
    }
    assert!(short_grants >= 1, "{renewals:?}");
    let leases: std::collections::HashSet<_> = renewals.iter().map(|(id, ..)| id).collect();
    assert!(renewals.len() <= 2 * leases.len(), "{renewals:?}");
    assert!(servers.logs_in(&db.current()));
    manager.shutdown(true).await;
}

/// Sends `signal` to the OpenBao process (started by this test).
fn signal(bao: &OpenBao, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(bao.pid().to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} failed");
}

/// Resumes a stopped server even when the test fails.
struct Resume<'a>(&'a OpenBao);

impl Drop for Resume<'_> {
    fn drop(&mut self) {
        signal(self.0, "CONT");
    }
}

#[tokio::test]
async fn a_stopped_server_gets_few_renewals_and_renewals_resume_after() {
    let servers = Servers::start(4 * SEC, 60 * SEC).await;
    let config = LeaseConfig {
        call_timeout: 2 * SEC,
        ..LeaseConfig::default()
    };
    let manager = LeaseManager::new(config);
    let log = record(&manager);
    let source = Counting::new(servers.source(&servers.backend));
    let db = manager.manage("db", source.clone()).await.unwrap();
    until(&log, 10 * SEC, |events| {
        events
            .iter()
            .any(|(_, e)| matches!(e, LeaseEvent::Renewed { .. }))
    })
    .await;

    signal(&servers.bao, "STOP");
    let resume = Resume(&servers.bao);
    let before = source.calls.load(Ordering::SeqCst);
    let stopped_at = Instant::now();
    sleep(10 * SEC).await;
    let during = source.calls.load(Ordering::SeqCst) - before;
    drop(resume);
    let resumed_at = Instant::now();

    let events = events(&log);
    let failed = events
        .iter()
        .filter(|(at, e)| *at >= stopped_at && matches!(e, LeaseEvent::Failed { .. }))
        .count();
    assert!(during <= 6, "{during} renewals while stopped");
    assert!(failed >= 1, "{events:#?}");

    until(&log, 30 * SEC, |events| {
        events
            .iter()
            .any(|(at, e)| *at > resumed_at && matches!(e, LeaseEvent::Renewed { .. }))
    })
    .await;
    assert!(servers.logs_in(&db.current()));
    manager.shutdown(true).await;
}

#[tokio::test]
async fn a_short_lived_token_is_renewed_and_replaced_and_its_child_lives_on() {
    let servers = Servers::start(4 * SEC, 60 * SEC).await;
    let bao = &servers.bao;
    let policy = bao.log_path().with_file_name("app.hcl");
    std::fs::write(
        &policy,
        format!(
            "path \"{MOUNT}/creds/app\" {{ capabilities = [\"read\"] }}\n\
             path \"sys/leases/*\" {{ capabilities = [\"update\"] }}\n"
        ),
    )
    .unwrap();
    bao.run(&["policy", "write", "app", &policy.display().to_string()]);
    bao.run(&["auth", "enable", "userpass"]);
    bao.run(&[
        "write",
        "auth/userpass/users/app",
        "password=canary-lease-password",
        "token_policies=app",
        "token_ttl=2s",
        "token_max_ttl=6s",
    ]);

    let backend = open(bao, None).await;
    let manager = LeaseManager::new(LeaseConfig::default());
    let log = record(&manager);
    let started = Instant::now();
    let token = manager
        .manage(
            "token",
            Arc::new(VaultTokenSource::new(
                client(&backend),
                Login::userpass("app", "canary-lease-password".into()),
            )),
        )
        .await
        .unwrap();
    let first_token = token.current();
    let db = manager
        .manage_child("db", Arc::new(servers.source(&backend)), &token)
        .await
        .unwrap();

    // Well past the first token's 6 s max ttl.
    until(&log, 25 * SEC, |events| {
        events.iter().any(|(at, e)| {
            *at > started + 9 * SEC
                && matches!(e, LeaseEvent::Renewed { name, .. } if &**name == "db")
        })
    })
    .await;
    let events = events(&log);
    let of = |who: &str, what: fn(&LeaseEvent) -> bool| {
        events
            .iter()
            .filter(|(_, e)| e.name() == who && what(e))
            .count()
    };
    assert!(of("token", |e| matches!(e, LeaseEvent::Renewed { .. })) >= 1);
    assert!(of("token", |e| matches!(e, LeaseEvent::Rotated { .. })) >= 1);
    assert_eq!(
        of("db", |e| matches!(e, LeaseEvent::Expired { .. })),
        0,
        "{events:#?}"
    );
    assert_eq!(
        of("token", |e| matches!(e, LeaseEvent::Expired { .. })),
        0,
        "{events:#?}"
    );
    assert_ne!(token.current().lease.id, first_token.lease.id);
    assert!(servers.logs_in(&db.current()));
    manager.shutdown(true).await;
}
