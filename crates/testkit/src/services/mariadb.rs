//! A throwaway MariaDB server for integration tests.
//!
//! [`MariaDb::start`] fills a fresh temp dir with `mariadb-install-db`, runs `mariadbd` on
//! a free port bound to 127.0.0.1 (unix socket inside the temp dir, grant tables on), and
//! returns once the admin user can log in. The admin user ([`MariaDb::admin_user`], random
//! [`MariaDb::password`]) is `'admin'@'%'` with `ALL PRIVILEGES ON *.* WITH GRANT OPTION`,
//! so it can create and drop users and grant them anything — what Vault's / OpenBao's
//! `mysql-database-plugin` needs. `root` remains only as `root@localhost` over the private
//! unix socket. Dropping the value kills the server and deletes the dir. Every call makes
//! an independent server, so tests and test binaries can run in parallel.
//!
//! ```no_run
//! use ironsecrets_testkit::services::mariadb::MariaDb;
//!
//! let db = MariaDb::start();
//! db.sql("CREATE DATABASE app; CREATE TABLE app.t (a int); INSERT INTO app.t VALUES (1);");
//! assert_eq!(db.sql("SELECT a FROM app.t"), "1");
//! // `db.dsn()` is the Go-style DSN Vault's mysql plugin takes; `db.vault_connection_url()`
//! // is the templated form to pair with `username` / `password` in the plugin config.
//! ```
//!
//! The binaries come from Debian's `mariadb-server` package (`/usr/sbin/mariadbd`,
//! `/usr/bin/mariadb-install-db`, `/usr/bin/mariadb`), else from `PATH`. When the tests run
//! as root the server runs as the `mysql` system user (created by the package), or
//! `nobody` if that is missing; otherwise as the current user. `--no-defaults` keeps
//! `/etc/mysql` out of it, and `--tmpdir` is the private dir (a starting MariaDB deletes
//! every `#sql*` file in its tmpdir, which breaks servers bootstrapping beside it). The server is tuned for tests, not durability (small buffer pool
//! and redo log, no flush at commit, no doublewrite, no native AIO). Its log is
//! [`MariaDb::log_path`]; a failed start panics with the log's tail.
//!
//! If the test process dies without dropping the server (killed, or the value lives in a
//! `static`), a small watchdog process kills the server and deletes the dir.

use std::fmt;
use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Instant;

use super::process::{
    Failure, INSTALL_HINT, POLL_INTERVAL, RunAs, START_TIMEOUT, Watchdog, chown, find_binary,
    free_port, log_tail, make_temp_dir, random_hex, run_with_stdin, server_command, start_retrying,
};

/// The admin user's name.
const ADMIN: &str = "admin";

/// Server options shared by `mariadb-install-db` (which passes them to its bootstrap
/// server) and `mariadbd`: small, fast, and no io_uring (which needs locked memory that
/// containers and parallel servers may not have).
const TUNING: &[&str] = &[
    "--skip-name-resolve",
    "--innodb-buffer-pool-size=32M",
    "--innodb-log-file-size=16M",
    "--innodb-use-native-aio=OFF",
];

/// A running throwaway MariaDB server; killed and deleted on drop.
pub struct MariaDb {
    bins: Bins,
    dir: PathBuf,
    log: PathBuf,
    port: u16,
    password: String,
    child: Child,
    watchdog: Watchdog,
}

impl MariaDb {
    /// Creates and starts a new server, blocking until the admin user can log in (about
    /// 1 s on a 2-core machine, half of it `mariadb-install-db`).
    ///
    /// # Panics
    /// If the MariaDB binaries are missing (with the command that installs them), or the
    /// data dir cannot be created or the server started (with the tail of its log).
    pub fn start() -> MariaDb {
        let bins = Bins::find();
        let run_as = RunAs::for_server(&["mysql", "nobody"]);
        start_retrying("MariaDB", || MariaDb::try_start(&bins, run_as.as_ref()))
    }

    /// One attempt: a new dir, data dir and port.
    fn try_start(bins: &Bins, run_as: Option<&RunAs>) -> Result<MariaDb, Failure> {
        let dir = make_temp_dir("mariadb", run_as);
        let mut watchdog = Watchdog::for_dir("KILL", &dir);
        let data = dir.join("data");
        let log = dir.join("mariadb.log");
        let password = random_hex(16);

        let install = watchdog.output_of(
            server_command(&bins.install_db, run_as, &dir)
                .arg("--no-defaults")
                .arg(format!("--datadir={}", data.display()))
                .args(["--auth-root-authentication-method=normal", "--skip-test-db"])
                // A private tmpdir: a starting server deletes every `#sql*` file in its
                // tmpdir, which breaks other servers bootstrapping in a shared /tmp.
                .arg(format!("--tmpdir={}", dir.display()))
                .args(TUNING),
        );
        let install_failure = match install {
            Ok(out) if out.status.success() => None,
            Ok(out) => Some(format!(
                "mariadb-install-db failed ({}):\n{}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )),
            Err(e) => Some(format!(
                "could not run {}: {e}; {INSTALL_HINT}",
                bins.install_db.display()
            )),
        };
        if let Some(message) = install_failure {
            watchdog.disarm();
            let _ = fs::remove_dir_all(&dir);
            return Err(Failure::Other(message));
        }

        // Run once at start-up, before clients are accepted.
        let init_file = dir.join("init.sql");
        {
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&init_file)
                .unwrap_or_else(|e| panic!("write {}: {e}", init_file.display()));
            write!(
                f,
                "CREATE USER '{ADMIN}'@'%' IDENTIFIED BY '{password}';\n\
                 GRANT ALL PRIVILEGES ON *.* TO '{ADMIN}'@'%' WITH GRANT OPTION;\n\
                 DROP USER IF EXISTS 'root'@'127.0.0.1', 'root'@'::1';\n"
            )
            .expect("write the init file");
        }
        if let Some(user) = run_as {
            chown(&init_file, user);
        }

        let port = free_port();
        let log_file =
            fs::File::create(&log).unwrap_or_else(|e| panic!("create {}: {e}", log.display()));
        let spawned = server_command(&bins.mariadbd, run_as, &dir)
            .arg("--no-defaults")
            .arg(format!("--datadir={}", data.display()))
            .arg(format!("--port={port}"))
            .arg("--bind-address=127.0.0.1")
            .arg(format!("--socket={}", dir.join("mariadb.sock").display()))
            .arg(format!("--pid-file={}", dir.join("mariadbd.pid").display()))
            .arg(format!("--tmpdir={}", dir.display())) // see above
            .arg(format!("--init-file={}", init_file.display()))
            .args(TUNING)
            .args([
                "--innodb-flush-log-at-trx-commit=0",
                "--innodb-doublewrite=0",
            ])
            .stdout(log_file.try_clone().expect("clone the log file handle"))
            .stderr(log_file)
            .spawn();
        let child = match spawned {
            Ok(child) => child,
            Err(e) => {
                watchdog.disarm();
                let _ = fs::remove_dir_all(&dir);
                return Err(Failure::Other(format!(
                    "could not run {}: {e}; {INSTALL_HINT}",
                    bins.mariadbd.display()
                )));
            }
        };
        watchdog.watch(child.id());
        let mut db = MariaDb {
            bins: bins.clone(),
            dir,
            log,
            port,
            password,
            child,
            watchdog,
        };
        match db.wait_ready() {
            Ok(()) => {
                let _ = fs::remove_file(&init_file);
                Ok(db)
            }
            Err(exited) => {
                let tail = log_tail(&db.log, 40);
                drop(db);
                if exited && tail.contains("Address already in use") {
                    Err(Failure::PortTaken)
                } else {
                    let how = if exited { "exited" } else { "timed out" };
                    Err(Failure::Other(format!(
                        "MariaDB did not start on 127.0.0.1:{port} ({how}); log tail:\n{tail}"
                    )))
                }
            }
        }
    }

    /// Polls a `SELECT 1` as the admin user (only this server knows its random password).
    /// `Err(true)` if the server exited, `Err(false)` on timeout.
    fn wait_ready(&mut self) -> Result<(), bool> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Err(true);
            }
            if self.port_is_listening()
                && self.try_sql_as(ADMIN, &self.password, "SELECT 1").is_ok()
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(false);
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// Cheap check before spawning a client.
    fn port_is_listening(&self) -> bool {
        super::process::port_accepts(self.port)
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The admin user's name (`'admin'@'%'`).
    pub fn admin_user(&self) -> &str {
        ADMIN
    }

    /// The admin user's password (random hex, safe in URLs and DSNs).
    pub fn password(&self) -> &str {
        &self.password
    }

    /// The admin DSN in Go's `go-sql-driver/mysql` form, as Vault's mysql plugin takes it:
    /// `admin:<password>@tcp(127.0.0.1:<port>)/`.
    pub fn dsn(&self) -> String {
        format!("{ADMIN}:{}@tcp(127.0.0.1:{})/", self.password, self.port)
    }

    /// The `connection_url` for Vault's / OpenBao's `mysql-database-plugin`, with the
    /// `{{username}}` / `{{password}}` templates:
    /// `{{username}}:{{password}}@tcp(127.0.0.1:<port>)/`; pass
    /// [`admin_user`](Self::admin_user) and [`password`](Self::password) as `username` /
    /// `password` in the same config call.
    pub fn vault_connection_url(&self) -> String {
        format!(
            "{{{{username}}}}:{{{{password}}}}@tcp(127.0.0.1:{})/",
            self.port
        )
    }

    /// `mysql://admin:<password>@127.0.0.1:<port>/` (e.g. for sqlx).
    pub fn admin_url(&self) -> String {
        self.url_for(ADMIN, &self.password, "")
    }

    /// `mysql://<user>:<password>@127.0.0.1:<port>/<database>` (`database` may be empty);
    /// `user` and `password` are used as given, so percent-encode them if they need it.
    pub fn url_for(&self, user: &str, password: &str, database: &str) -> String {
        format!(
            "mysql://{user}:{password}@127.0.0.1:{}/{database}",
            self.port
        )
    }

    /// The server's log file (inside the temp dir, deleted on drop).
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Runs `sql` (one or more `;`-separated statements) through the `mariadb` client as
    /// the admin user over TCP, stopping at the first error, and returns its stdout: rows
    /// only (no column names), columns separated by tabs, trailing newline removed.
    ///
    /// # Panics
    /// If the client fails, with its stderr.
    pub fn sql(&self, sql: &str) -> String {
        self.try_sql_as(ADMIN, &self.password, sql)
            .unwrap_or_else(|e| panic!("mariadb failed: {e}"))
    }

    /// Like [`sql`](Self::sql) but as `user` with `password`, returning the client's stderr
    /// as the error instead of panicking (e.g. to show that a revoked credential can no
    /// longer log in).
    pub fn try_sql_as(&self, user: &str, password: &str, sql: &str) -> Result<String, String> {
        let mut cmd = Command::new(&self.bins.client);
        cmd.arg("--no-defaults")
            .args([
                "--protocol=TCP",
                "--host=127.0.0.1",
                "--batch",
                "--skip-column-names",
            ])
            .args(["--connect-timeout=10"])
            .arg(format!("--port={}", self.port))
            .arg(format!("--user={user}"))
            // The client reads the password from MYSQL_PWD, so it is not on a command line.
            .env("MYSQL_PWD", password);
        run_with_stdin(cmd, sql)
    }
}

impl Drop for MariaDb {
    fn drop(&mut self) {
        self.watchdog.disarm();
        // The data is thrown away, so there is nothing a clean shutdown would save.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

impl fmt::Debug for MariaDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MariaDb")
            .field("port", &self.port)
            .field("admin_user", &ADMIN)
            .field("password", &"[REDACTED]")
            .field("dir", &self.dir)
            .finish()
    }
}

/// Paths of the MariaDB programs used.
#[derive(Clone)]
struct Bins {
    install_db: PathBuf,
    mariadbd: PathBuf,
    client: PathBuf,
}

impl Bins {
    fn find() -> Bins {
        let dirs: Vec<PathBuf> = ["/usr/sbin", "/usr/bin", "/usr/libexec", "/usr/local/sbin"]
            .iter()
            .map(PathBuf::from)
            .collect();
        let find = |names: &[&str]| {
            find_binary(names, &dirs)
                .unwrap_or_else(|| panic!("MariaDB's `{}` not found; {INSTALL_HINT}", names[0]))
        };
        Bins {
            install_db: find(&["mariadb-install-db", "mysql_install_db"]),
            mariadbd: find(&["mariadbd", "mysqld"]),
            client: find(&["mariadb", "mysql"]),
        }
    }
}
