//! OpenBao's database secrets engine set up against a test database server: the SQL
//! templates the tests share, and the engine's connection and roles written through the
//! `bao` CLI (tests of the Vault backend's own database API use that API instead, with
//! the same templates).
//!
//! ```no_run
//! # use std::time::Duration;
//! use ironsecrets_testkit::services::database::{DatabaseEngine, POSTGRES_CREATION};
//! use ironsecrets_testkit::services::{openbao::OpenBao, postgres::Postgres};
//!
//! let (bao, pg) = (OpenBao::start(), Postgres::start());
//! let engine = DatabaseEngine::enable(&bao, "database");
//! engine.connect_postgres("pg", &pg);
//! let hour = Duration::from_secs(3600);
//! engine.dynamic_role("app", "pg", &[POSTGRES_CREATION], &[], hour, hour);
//! ```

use std::time::Duration;

use super::mariadb::MariaDb;
use super::openbao::OpenBao;
use super::postgres::Postgres;

/// The creation statement of a PostgreSQL dynamic role: a login role valid until the
/// lease's expiration.
pub const POSTGRES_CREATION: &str = "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD \
                                     '{{password}}' VALID UNTIL '{{expiration}}';";

/// The creation statements of a MariaDB / MySQL dynamic role: a user that may read.
pub const MARIADB_CREATION: &[&str] = &[
    "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';",
    "GRANT SELECT ON *.* TO '{{name}}'@'%';",
];

/// The revocation statement of a MariaDB / MySQL dynamic role.
pub const MARIADB_REVOCATION: &str = "DROP USER '{{name}}'@'%';";

/// The database secrets engine at one mount of an OpenBao server.
pub struct DatabaseEngine<'a> {
    bao: &'a OpenBao,
    mount: String,
}

impl<'a> DatabaseEngine<'a> {
    /// Enables the engine at `mount`.
    pub fn enable(bao: &'a OpenBao, mount: &str) -> Self {
        bao.run(&["secrets", "enable", &format!("-path={mount}"), "database"]);
        DatabaseEngine::at(bao, mount)
    }

    /// The engine already enabled at `mount`.
    pub fn at(bao: &'a OpenBao, mount: &str) -> Self {
        DatabaseEngine {
            bao,
            mount: mount.to_owned(),
        }
    }

    /// The mount path.
    pub fn mount(&self) -> &str {
        &self.mount
    }

    /// Connection `name` to `pg`'s server as its superuser, for every role.
    pub fn connect_postgres(&self, name: &str, pg: &Postgres) {
        self.connect(
            name,
            "postgresql-database-plugin",
            &pg.vault_connection_url(),
            pg.superuser(),
            pg.password(),
        );
    }

    /// Connection `name` to `db`'s server as its admin user, for every role.
    pub fn connect_mariadb(&self, name: &str, db: &MariaDb) {
        self.connect(
            name,
            "mysql-database-plugin",
            &db.vault_connection_url(),
            db.admin_user(),
            db.password(),
        );
    }

    fn connect(&self, name: &str, plugin: &str, url: &str, user: &str, password: &str) {
        self.bao.run(&[
            "write",
            &format!("{}/config/{name}", self.mount),
            &format!("plugin_name={plugin}"),
            &format!("connection_url={url}"),
            &format!("username={user}"),
            &format!("password={password}"),
            "allowed_roles=*",
        ]);
    }

    /// Dynamic role `role` on connection `connection`: each credential is a new user made
    /// by `creation` and dropped by `revocation` (the plugin's default when empty).
    pub fn dynamic_role(
        &self,
        role: &str,
        connection: &str,
        creation: &[&str],
        revocation: &[&str],
        ttl: Duration,
        max_ttl: Duration,
    ) {
        // The plugins split statements on ';'.
        let mut args = vec![
            "write".to_owned(),
            format!("{}/roles/{role}", self.mount),
            format!("db_name={connection}"),
            format!("creation_statements={}", creation.join(" ")),
            format!("default_ttl={}s", ttl.as_secs()),
            format!("max_ttl={}s", max_ttl.as_secs()),
        ];
        if !revocation.is_empty() {
            args.push(format!("revocation_statements={}", revocation.join(" ")));
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.bao.run(&args);
    }

    /// Static role `role` on connection `connection` for the existing database user
    /// `username`, whose password the engine replaces every `rotation_period`.
    pub fn static_role(
        &self,
        role: &str,
        connection: &str,
        username: &str,
        rotation_period: Duration,
    ) {
        self.bao.run(&[
            "write",
            &format!("{}/static-roles/{role}", self.mount),
            &format!("db_name={connection}"),
            &format!("username={username}"),
            &format!("rotation_period={}s", rotation_period.as_secs()),
        ]);
    }
}
