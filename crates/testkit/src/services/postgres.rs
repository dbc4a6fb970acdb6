//! A throwaway PostgreSQL server for integration tests.
//!
//! [`Postgres::start`] makes a new cluster in a fresh temp dir with `initdb` (superuser
//! [`Postgres::superuser`] with a random password, `scram-sha-256` for every connection),
//! runs `postgres` on a free port on 127.0.0.1 with its unix socket inside the temp dir,
//! and returns once the server accepts connections. Dropping the value stops the server
//! (`pg_ctl stop -m immediate`) and deletes the dir. Every call makes an independent
//! server, so tests and test binaries can run in parallel.
//!
//! ```no_run
//! use ironsecrets_testkit::services::postgres::Postgres;
//!
//! let pg = Postgres::start();
//! pg.psql("CREATE TABLE t (a int); INSERT INTO t VALUES (1);");
//! assert_eq!(pg.psql("SELECT a FROM t"), "1");
//! // hand `pg.admin_url()` to a client, or `pg.vault_connection_url()` to Vault's
//! // database secrets engine with `pg.superuser()` / `pg.password()`.
//! ```
//!
//! The binaries come from Debian's `postgresql` package (`/usr/lib/postgresql/<major>/bin`,
//! newest major first), else from `PATH`. PostgreSQL refuses to run as root, so when the
//! tests run as root the server runs as the `postgres` system user (created by the
//! package), or `nobody` if that is missing; otherwise as the current user. The server is
//! tuned for tests, not durability: `fsync`, `synchronous_commit` and `full_page_writes`
//! are off. Its log is [`Postgres::log_path`]; a failed start panics with the log's tail.
//!
//! If the test process dies without dropping the server (killed, or the value lives in a
//! `static`), a small watchdog process stops the server and deletes the dir.

use std::fmt;
use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Instant;

use super::process::{
    Failure, INSTALL_HINT, POLL_INTERVAL, RunAs, START_TIMEOUT, Watchdog, chown, find_binary,
    free_port, log_tail, make_temp_dir, random_hex, run_with_stdin, server_command, start_retrying,
};

/// The bootstrap superuser's name.
const SUPERUSER: &str = "admin";

/// A running throwaway PostgreSQL server; stopped and deleted on drop.
pub struct Postgres {
    bins: Bins,
    run_as: Option<RunAs>,
    dir: PathBuf,
    data: PathBuf,
    log: PathBuf,
    port: u16,
    password: String,
    child: Child,
    watchdog: Watchdog,
}

impl Postgres {
    /// Creates and starts a new server, blocking until it accepts connections (about
    /// 1.5 s on a 2-core machine, most of it `initdb`).
    ///
    /// # Panics
    /// If the PostgreSQL binaries are missing (with the command that installs them), or
    /// the cluster cannot be created or started (with the tail of its log).
    pub fn start() -> Postgres {
        let bins = Bins::find();
        let run_as = RunAs::for_server(&["postgres", "nobody"]);
        start_retrying("PostgreSQL", || Postgres::try_start(&bins, run_as.as_ref()))
    }

    /// One attempt: a new dir, cluster and port.
    fn try_start(bins: &Bins, run_as: Option<&RunAs>) -> Result<Postgres, Failure> {
        let dir = make_temp_dir("postgres", run_as);
        let mut watchdog = Watchdog::for_dir("QUIT", &dir);
        let data = dir.join("data");
        let log = dir.join("postgres.log");
        let password = random_hex(16);

        let pwfile = dir.join("pwfile");
        {
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&pwfile)
                .unwrap_or_else(|e| panic!("write {}: {e}", pwfile.display()));
            writeln!(f, "{password}").expect("write the password file");
        }
        if let Some(user) = run_as {
            chown(&pwfile, user);
        }
        let init = watchdog.output_of(
            server_command(&bins.initdb, run_as, &dir)
                .arg("-D")
                .arg(&data)
                .arg("-U")
                .arg(SUPERUSER)
                .arg(format!("--pwfile={}", pwfile.display()))
                .args([
                    "--auth=scram-sha-256",
                    "--encoding=UTF8",
                    "--locale=C",
                    "--no-sync",
                ]),
        );
        let init_failure = match init {
            Ok(out) if out.status.success() => None,
            Ok(out) => Some(format!(
                "initdb failed ({}):\n{}\n{}",
                out.status,
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            )),
            Err(e) => Some(format!(
                "could not run {}: {e}; {INSTALL_HINT}",
                bins.initdb.display()
            )),
        };
        if let Some(message) = init_failure {
            watchdog.disarm();
            let _ = fs::remove_dir_all(&dir);
            return Err(Failure::Other(message));
        }
        let _ = fs::remove_file(&pwfile);

        let port = free_port();
        let log_file =
            fs::File::create(&log).unwrap_or_else(|e| panic!("create {}: {e}", log.display()));
        let spawned = server_command(&bins.postgres, run_as, &dir)
            .arg("-D")
            .arg(&data)
            .arg("-p")
            .arg(port.to_string())
            .arg("-k")
            .arg(&dir)
            .args([
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
                "-c",
                "shared_buffers=32MB",
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
                    bins.postgres.display()
                )));
            }
        };
        watchdog.watch(child.id());
        let mut pg = Postgres {
            bins: bins.clone(),
            run_as: run_as.cloned(),
            dir,
            data,
            log,
            port,
            password,
            child,
            watchdog,
        };
        match pg.wait_ready() {
            Ok(()) => Ok(pg),
            Err(exited) => {
                let tail = log_tail(&pg.log, 40);
                drop(pg);
                if exited && tail.contains("Address already in use") {
                    Err(Failure::PortTaken)
                } else {
                    let how = if exited { "exited" } else { "timed out" };
                    Err(Failure::Other(format!(
                        "PostgreSQL did not start on 127.0.0.1:{port} ({how}); log tail:\n{tail}"
                    )))
                }
            }
        }
    }

    /// Waits until the server says it is ready (status line of `postmaster.pid`, which is
    /// how `pg_ctl start -w` knows; `pg_isready` if that file is unreadable). `Err(true)`
    /// if the server exited, `Err(false)` on timeout.
    fn wait_ready(&mut self) -> Result<(), bool> {
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Err(true);
            }
            let ready = match fs::read_to_string(self.data.join("postmaster.pid")) {
                // Line 8 is the postmaster's status: "starting", "ready", "stopping".
                Ok(pid_file) => pid_file.lines().nth(7).is_some_and(|l| l.trim() == "ready"),
                Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => self.pg_isready(),
                Err(_) => false,
            };
            if ready {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(false);
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// Whether `pg_isready` says this port accepts connections.
    fn pg_isready(&self) -> bool {
        Command::new(&self.bins.pg_isready)
            .args(["-q", "-t", "2", "-h", "127.0.0.1", "-d", "postgres"])
            .arg("-p")
            .arg(self.port.to_string())
            .arg("-U")
            .arg(SUPERUSER)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    }

    /// The TCP port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The superuser's name.
    pub fn superuser(&self) -> &str {
        SUPERUSER
    }

    /// The superuser's password (random hex, safe in URLs).
    pub fn password(&self) -> &str {
        &self.password
    }

    /// `postgres://<superuser>:<password>@127.0.0.1:<port>/postgres`.
    pub fn admin_url(&self) -> String {
        self.url_for(SUPERUSER, &self.password, "postgres")
    }

    /// `postgres://<user>:<password>@127.0.0.1:<port>/<database>`; `user` and `password`
    /// are used as given, so percent-encode them if they need it.
    pub fn url_for(&self, user: &str, password: &str, database: &str) -> String {
        format!(
            "postgres://{user}:{password}@127.0.0.1:{}/{database}",
            self.port
        )
    }

    /// The `connection_url` for Vault's / OpenBao's `postgresql-database-plugin`, with the
    /// `{{username}}` / `{{password}}` templates; pass [`superuser`](Self::superuser) and
    /// [`password`](Self::password) as `username` / `password` in the same config call.
    pub fn vault_connection_url(&self) -> String {
        format!(
            "postgresql://{{{{username}}}}:{{{{password}}}}@127.0.0.1:{}/postgres?sslmode=disable",
            self.port
        )
    }

    /// The server's log file (inside the temp dir, deleted on drop).
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// Runs `sql` (one or more statements) through `psql` as the superuser on database
    /// `postgres`, stopping at the first error, and returns its stdout: rows only
    /// (no headers or command tags), columns separated by `|`, trailing newline removed.
    ///
    /// # Panics
    /// If `psql` fails, with its stderr.
    pub fn psql(&self, sql: &str) -> String {
        self.try_psql_as(SUPERUSER, &self.password, "postgres", sql)
            .unwrap_or_else(|e| panic!("psql failed: {e}"))
    }

    /// Like [`psql`](Self::psql) but as `user` with `password` on `database`, returning
    /// psql's stderr as the error instead of panicking (e.g. to show that a revoked
    /// credential can no longer log in).
    pub fn try_psql_as(
        &self,
        user: &str,
        password: &str,
        database: &str,
        sql: &str,
    ) -> Result<String, String> {
        let mut cmd = Command::new(&self.bins.psql);
        cmd.args([
            "-X",
            "-q",
            "-A",
            "-t",
            "-w",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
        ])
        .arg("-p")
        .arg(self.port.to_string())
        .arg("-U")
        .arg(user)
        .arg("-d")
        .arg(database)
        .args(["-f", "-"])
        .env("PGPASSWORD", password)
        .env("PGCONNECT_TIMEOUT", "10")
        .env_remove("PGSERVICE")
        .env_remove("PGOPTIONS");
        run_with_stdin(cmd, sql)
    }

    /// Stops the server and waits for it to exit.
    fn stop(&mut self) {
        self.watchdog.disarm();
        if let Ok(Some(_)) = self.child.try_wait() {
            return;
        }
        let stopped = server_command(&self.bins.pg_ctl, self.run_as.as_ref(), &self.dir)
            .args(["stop", "-m", "immediate", "-w", "-t", "10", "-D"])
            .arg(&self.data)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !stopped {
            let _ = self.child.kill();
        }
        let _ = self.child.wait();
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        self.stop();
        let _ = fs::remove_dir_all(&self.dir);
    }
}

impl fmt::Debug for Postgres {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Postgres")
            .field("port", &self.port)
            .field("superuser", &SUPERUSER)
            .field("password", &"[REDACTED]")
            .field("dir", &self.dir)
            .finish()
    }
}

/// Paths of the PostgreSQL programs used.
#[derive(Clone)]
struct Bins {
    initdb: PathBuf,
    postgres: PathBuf,
    pg_ctl: PathBuf,
    pg_isready: PathBuf,
    psql: PathBuf,
}

impl Bins {
    /// Debian's `/usr/lib/postgresql/<major>/bin` (newest major with `initdb`), else `PATH`.
    fn find() -> Bins {
        let mut debian: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
            .into_iter()
            .flatten()
            .flatten()
            .filter_map(|e| {
                let major = e.file_name().to_str()?.parse().ok()?;
                let bin = e.path().join("bin");
                bin.join("initdb").is_file().then_some((major, bin))
            })
            .collect();
        debian.sort();
        let dirs: Vec<PathBuf> = debian.into_iter().rev().map(|(_, d)| d).take(1).collect();
        let find = |name: &str| {
            find_binary(&[name], &dirs)
                .unwrap_or_else(|| panic!("PostgreSQL's `{name}` not found; {INSTALL_HINT}"))
        };
        Bins {
            initdb: find("initdb"),
            postgres: find("postgres"),
            pg_ctl: find("pg_ctl"),
            pg_isready: find("pg_isready"),
            psql: find("psql"),
        }
    }
}
