//! Database dynamic credentials and leases against a real OpenBao and real PostgreSQL /
//! MariaDB servers: issued credentials log in, leases look up, renew and revoke, revoked
//! credentials stop working and their database user is gone; static roles rotate.

mod common;

use std::time::Duration;

use ironsecrets_core::Operation;
use ironsecrets_core::{
    Backend, CredentialRequest, ErrorKind, LeasedCredential, Leases, SecretValue,
};
use ironsecrets_testkit::services::database::{
    MARIADB_CREATION, MARIADB_REVOCATION, POSTGRES_CREATION,
};
use ironsecrets_testkit::services::mariadb::MariaDb;
use ironsecrets_testkit::services::openbao::OpenBao;
use ironsecrets_testkit::services::postgres::Postgres;
use ironsecrets_vault::database::{LAST_VAULT_ROTATION, PASSWORD, USERNAME};
use ironsecrets_vault::{KvVersion, VaultDatabase, VaultLeases};

const HOUR: Duration = Duration::from_secs(3600);

/// An OpenBao server with the database engine at a fresh mount, the backend opened as
/// root, and the engine's admin calls.
struct Engine {
    _bao: OpenBao,
    mount: String,
    backend: Backend,
    admin: VaultDatabase,
}

impl Engine {
    async fn start() -> Engine {
        let bao = OpenBao::start();
        let mount = "db-engine".to_owned();
        bao.run(&["secrets", "enable", &format!("-path={mount}"), "database"]);
        let (_, backend) = common::fresh_mount(&bao, KvVersion::V2).await;
        let admin = VaultDatabase::new(client(&backend), mount.clone());
        Engine {
            _bao: bao,
            mount,
            backend,
            admin,
        }
    }

    /// Connection `pg` to `pg`'s server, for any role.
    async fn connect_postgres(&self, pg: &Postgres) {
        self.admin
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
    }

    async fn issue(&self, role: &str) -> LeasedCredential {
        self.backend
            .credentials()
            .unwrap()
            .issue(CredentialRequest::Database {
                mount: self.mount.clone(),
                role: role.to_owned(),
            })
            .await
            .unwrap()
    }

    async fn static_creds(&self, role: &str) -> LeasedCredential {
        self.backend
            .credentials()
            .unwrap()
            .issue(CredentialRequest::DatabaseStatic {
                mount: self.mount.clone(),
                role: role.to_owned(),
            })
            .await
            .unwrap()
    }

    fn leases(&self) -> VaultLeases {
        VaultLeases::new(client(&self.backend))
    }
}

fn client(backend: &Backend) -> ironsecrets_vault::VaultClient {
    backend
        .native::<ironsecrets_vault::VaultClient>()
        .expect("a Vault backend's native handle is its client")
        .clone()
}

/// The username and password of a credential.
fn login(credential: &LeasedCredential) -> (String, String) {
    let field = |name| {
        credential
            .data
            .get(name)
            .unwrap_or_else(|| panic!("no {name} field"))
            .expose_str()
            .unwrap()
            .to_owned()
    };
    (field(USERNAME), field(PASSWORD))
}

/// `expected` within a few seconds of slack either way (Vault rounds and time passes).
fn about(actual: Duration, expected: Duration) -> bool {
    let slack = Duration::from_secs(5);
    actual <= expected + slack && actual + slack >= expected
}

#[tokio::test]
async fn postgres_credentials_log_in_renew_and_stop_working_after_revoke() {
    let engine = Engine::start().await;
    let pg = Postgres::start();
    engine.connect_postgres(&pg).await;
    engine
        .admin
        .create_role("app", "pg", &[POSTGRES_CREATION], &[], HOUR, 2 * HOUR)
        .await
        .unwrap();

    let credential = engine.issue("app").await;
    let (user, password) = login(&credential);
    let lease = &credential.lease;
    assert!(
        lease
            .id
            .starts_with(&format!("{}/creds/app/", engine.mount)),
        "{}",
        lease.id
    );
    assert!(lease.renewable);
    assert_eq!(lease.ttl, HOUR);
    assert_eq!(
        pg.try_psql_as(&user, &password, "postgres", "SELECT current_user")
            .unwrap(),
        user
    );
    // The password never shows in Debug.
    let debug = format!("{credential:?}");
    assert!(!debug.contains(&password), "{debug}");
    assert!(debug.contains(&lease.id));

    let leases = engine.backend.leases().unwrap();
    let looked_up = leases.lookup(&lease.id).await.unwrap();
    assert_eq!(looked_up.id, lease.id);
    assert!(looked_up.renewable);
    let drift = (looked_up.expires_at() - lease.expires_at()).abs();
    assert!(drift < chrono::TimeDelta::seconds(5), "{drift}");

    // Renewal is capped by the role's max ttl (2 h from issue).
    let renewed = leases.renew(&lease.id, Some(10 * HOUR)).await.unwrap();
    assert_eq!(renewed.id, lease.id);
    assert!(
        renewed.ttl <= 2 * HOUR && about(renewed.ttl, 2 * HOUR),
        "{renewed:?}"
    );
    let shorter = leases
        .renew(&lease.id, Some(Duration::from_secs(600)))
        .await
        .unwrap();
    assert!(about(shorter.ttl, Duration::from_secs(600)), "{shorter:?}");
    assert!(shorter.issued_at >= renewed.issued_at);
    let looked_up = leases.lookup(&lease.id).await.unwrap();
    let drift = (looked_up.expires_at() - shorter.expires_at()).abs();
    assert!(drift < chrono::TimeDelta::seconds(5), "{drift}");

    leases.revoke(&lease.id).await.unwrap();
    let refused = pg
        .try_psql_as(&user, &password, "postgres", "SELECT 1")
        .unwrap_err();
    assert!(refused.contains("authentication failed"), "{refused}");
    let left = pg.psql(&format!(
        "SELECT count(*) FROM pg_roles WHERE rolname = '{user}'"
    ));
    assert_eq!(left, "0");

    // The lease is gone: Vault no longer knows it.
    let err = leases.renew(&lease.id, None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(err.operation(), Some(Operation::RenewLease));
    let err = leases.lookup(&lease.id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    // Revoking again is fine, as in Vault.
    leases.revoke(&lease.id).await.unwrap();

    // Vault's refusals of a connection never quote the password given, templated or
    // written into the URL.
    let planted = SecretValue::from(password.as_str());
    let templated = engine
        .admin
        .configure_connection(
            "planted",
            "postgresql-database-plugin",
            &pg.vault_connection_url(),
            &user,
            &planted,
            &["*"],
        )
        .await
        .unwrap_err();
    let in_url = engine
        .admin
        .configure_connection(
            "planted-url",
            "postgresql-database-plugin",
            &pg.url_for(&user, &password, "postgres"),
            "",
            &SecretValue::from(""),
            &["*"],
        )
        .await
        .unwrap_err();
    for err in [templated, in_url] {
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
        assert!(!err.to_string().contains(&password), "{err}");
        assert!(!format!("{err:?}").contains(&password), "{err:?}");
    }
}

#[tokio::test]
async fn mariadb_credentials_log_in_renew_and_stop_working_after_revoke() {
    let engine = Engine::start().await;
    let db = MariaDb::start();
    engine
        .admin
        .configure_connection(
            "maria",
            "mysql-database-plugin",
            &db.vault_connection_url(),
            db.admin_user(),
            &SecretValue::from(db.password()),
            &["reader"],
        )
        .await
        .unwrap();
    engine
        .admin
        .create_role(
            "reader",
            "maria",
            MARIADB_CREATION,
            &[MARIADB_REVOCATION],
            HOUR,
            2 * HOUR,
        )
        .await
        .unwrap();

    let credential = engine.issue("reader").await;
    let (user, password) = login(&credential);
    assert!(credential.lease.renewable);
    assert_eq!(credential.lease.ttl, HOUR);
    assert_eq!(
        db.try_sql_as(&user, &password, "SELECT CURRENT_USER()")
            .unwrap(),
        format!("{user}@%")
    );
    assert!(!format!("{credential:?}").contains(&password));

    let leases = engine.backend.leases().unwrap();
    let looked_up = leases.lookup(&credential.lease.id).await.unwrap();
    assert_eq!(looked_up.id, credential.lease.id);
    let renewed = leases
        .renew(&credential.lease.id, Some(10 * HOUR))
        .await
        .unwrap();
    assert!(
        renewed.ttl <= 2 * HOUR && about(renewed.ttl, 2 * HOUR),
        "{renewed:?}"
    );

    leases.revoke(&credential.lease.id).await.unwrap();
    let refused = db.try_sql_as(&user, &password, "SELECT 1").unwrap_err();
    assert!(refused.contains("Access denied"), "{refused}");
    assert_eq!(
        db.sql(&format!(
            "SELECT COUNT(*) FROM mysql.user WHERE user = '{user}'"
        )),
        "0"
    );
    let err = leases.lookup(&credential.lease.id).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

#[tokio::test]
async fn a_static_role_rotates_the_password_of_an_existing_user() {
    let engine = Engine::start().await;
    let pg = Postgres::start();
    pg.psql("CREATE ROLE app_static LOGIN PASSWORD 'initial-password'");
    engine.connect_postgres(&pg).await;
    engine
        .admin
        .create_static_role("static", "pg", "app_static", HOUR)
        .await
        .unwrap();

    let first = engine.static_creds("static").await;
    let (user, old_password) = login(&first);
    assert_eq!(user, "app_static");
    assert_ne!(
        old_password, "initial-password",
        "Vault rotates on creation"
    );
    assert_eq!(first.lease.id, "");
    assert!(!first.lease.renewable);
    assert!(
        first.lease.ttl <= HOUR && about(first.lease.ttl, HOUR),
        "{:?}",
        first.lease
    );
    let rotated_at = first
        .data
        .get(LAST_VAULT_ROTATION)
        .unwrap()
        .expose_str()
        .unwrap();
    chrono::DateTime::parse_from_rfc3339(rotated_at).expect("an RFC 3339 time");
    assert!(!format!("{first:?}").contains(&old_password));
    assert_eq!(
        pg.try_psql_as(&user, &old_password, "postgres", "SELECT current_user")
            .unwrap(),
        user
    );
    pg.try_psql_as(&user, "initial-password", "postgres", "SELECT 1")
        .unwrap_err();

    engine.admin.rotate_static_role("static").await.unwrap();
    let second = engine.static_creds("static").await;
    let (_, new_password) = login(&second);
    assert_ne!(new_password, old_password);
    assert_ne!(
        second.data.get(LAST_VAULT_ROTATION),
        first.data.get(LAST_VAULT_ROTATION)
    );
    pg.try_psql_as(&user, &old_password, "postgres", "SELECT 1")
        .unwrap_err();
    assert_eq!(
        pg.try_psql_as(&user, &new_password, "postgres", "SELECT current_user")
            .unwrap(),
        user
    );
}

#[tokio::test]
async fn revoke_prefix_revokes_every_credential_of_a_role() {
    let engine = Engine::start().await;
    let pg = Postgres::start();
    engine.connect_postgres(&pg).await;
    for role in ["app", "other"] {
        engine
            .admin
            .create_role(role, "pg", &[POSTGRES_CREATION], &[], HOUR, HOUR)
            .await
            .unwrap();
    }
    let issued = [
        engine.issue("app").await,
        engine.issue("app").await,
        engine.issue("other").await,
    ];
    let logins: Vec<_> = issued.iter().map(login).collect();
    for (user, password) in &logins {
        pg.try_psql_as(user, password, "postgres", "SELECT 1")
            .unwrap();
    }

    let leases = engine.leases();
    leases
        .revoke_prefix(&format!("{}/creds/app", engine.mount))
        .await
        .unwrap();
    for (user, password) in &logins[..2] {
        pg.try_psql_as(user, password, "postgres", "SELECT 1")
            .unwrap_err();
    }
    let (user, password) = &logins[2];
    pg.try_psql_as(user, password, "postgres", "SELECT 1")
        .expect("another role's credential still works");
    assert_eq!(
        leases.lookup(&issued[0].lease.id).await.unwrap_err().kind(),
        ErrorKind::NotFound
    );
    leases.lookup(&issued[2].lease.id).await.unwrap();

    let err = leases.revoke_prefix("").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
}

#[tokio::test]
async fn rotate_root_leaves_the_admin_password_to_vault_alone() {
    let engine = Engine::start().await;
    let pg = Postgres::start();
    engine.connect_postgres(&pg).await;
    engine
        .admin
        .create_role("app", "pg", &[POSTGRES_CREATION], &[], HOUR, HOUR)
        .await
        .unwrap();
    engine.admin.rotate_root("pg").await.unwrap();
    pg.try_psql_as(pg.superuser(), pg.password(), "postgres", "SELECT 1")
        .expect_err("the old admin password no longer works");
    // Vault still manages the database with the password only it knows.
    let credential = engine.issue("app").await;
    let (user, password) = login(&credential);
    pg.try_psql_as(&user, &password, "postgres", "SELECT 1")
        .unwrap();
    engine
        .backend
        .leases()
        .unwrap()
        .revoke(&credential.lease.id)
        .await
        .unwrap();
    pg.try_psql_as(&user, &password, "postgres", "SELECT 1")
        .unwrap_err();
}

#[tokio::test]
async fn a_lease_whose_revocation_fails_is_expired_not_renewable() {
    let engine = Engine::start().await;
    let pg = Postgres::start();
    engine.connect_postgres(&pg).await;
    // A revocation statement that always fails keeps the lease around after it expires.
    engine
        .admin
        .create_role(
            "stuck",
            "pg",
            &[POSTGRES_CREATION],
            &["SELECT no_such_function('{{name}}');"],
            Duration::from_secs(2),
            Duration::from_secs(60),
        )
        .await
        .unwrap();
    let credential = engine.issue("stuck").await;
    tokio::time::sleep(Duration::from_secs(4)).await;
    let leases = engine.backend.leases().unwrap();
    let err = leases.renew(&credential.lease.id, None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::LeaseExpired, "{err}");
    let (_, password) = login(&credential);
    assert!(!err.to_string().contains(&password));
}

#[tokio::test]
async fn unknown_roles_connections_and_leases_are_not_found() {
    let engine = Engine::start().await;
    let credentials = engine.backend.credentials().unwrap();
    for request in [
        CredentialRequest::Database {
            mount: engine.mount.clone(),
            role: "nope".into(),
        },
        CredentialRequest::DatabaseStatic {
            mount: engine.mount.clone(),
            role: "nope".into(),
        },
    ] {
        let err = credentials.issue(request).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        assert_eq!(err.operation(), Some(Operation::IssueCredential));
    }
    let err = credentials
        .issue(CredentialRequest::Database {
            mount: engine.mount.clone(),
            role: "../sys".into(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let err = engine.admin.rotate_static_role("nope").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    let err = engine.admin.rotate_root("nope").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");

    let leases = engine.backend.leases().unwrap();
    let unknown = format!("{}/creds/nope/abc", engine.mount);
    let err = leases.renew(&unknown, None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(err.path(), Some(unknown.as_str()));
    let err = leases.lookup(&unknown).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    leases.revoke(&unknown).await.unwrap();
    assert!(engine.backend.capabilities().leases);
    assert!(engine.backend.capabilities().dynamic_credentials);
}
