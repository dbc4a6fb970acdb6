//! `ironsecrets-testkit-serve`: the test kit's services for tests in other languages
//! (the Python binding's pytest suite), started by the same launchers the Rust tests use.
//!
//! ```text
//! ironsecrets-testkit-serve checks
//! ironsecrets-testkit-serve services openbao [postgres] [--db-ttl SECS] [--db-max-ttl SECS]
//! ```
//!
//! `checks` prints the conformance suite's checks ([`ironsecrets_testkit::CHECKS`]), one
//! per line, with the capability a check requires after a tab when it has one.
//!
//! `services` starts the named services (in parallel), sets them up, prints ONE line of
//! JSON on stdout saying where they are, then waits until its stdin reaches EOF (the
//! parent closed it, or died) or it gets SIGTERM / SIGINT, and stops them (their temp
//! dirs go). Logs go to stderr, never stdout. A service that fails to start prints why
//! (with its log's tail) on stderr and the program exits non-zero.
//!
//! - `openbao`: a dev server (KV v2 at `secret/`), transit at `transit/`, userpass at
//!   `userpass/` (user `py-user`, password `py-pass`) and approle at `approle/` (role
//!   `py-role`, its role_id and a fresh secret_id printed), both logging in with policy
//!   `py-tests`: everything under `secret/`, `transit/`, `database/` and `sys/leases/`.
//! - `postgres`: a PostgreSQL server (superuser and password printed).
//! - both: also the database engine at `database/` on that server (connection `pg`), with
//!   dynamic roles `app` (default ttl `--db-ttl`, 6 s, max ttl `--db-max-ttl`, 12 s: short
//!   so tests see rotations) and `app-long` (1 h / 1 h).
//!
//! The JSON (keys of services not asked for are absent):
//!
//! ```text
//! {"openbao": {"address", "token", "kv_mount", "transit_mount", "policy",
//!              "userpass": {"mount", "username", "password"},
//!              "approle": {"mount", "role", "role_id", "secret_id"}},
//!  "postgres": {"host", "port", "admin_url", "database", "superuser", "password"},
//!  "database": {"mount", "connection", "role", "long_role", "ttl", "max_ttl"}}
//! ```

use std::any::Any;
use std::io::{self, Read, Write};
use std::process::ExitCode;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::Duration;

use ironsecrets_testkit::CHECKS;
use ironsecrets_testkit::services::database::{DatabaseEngine, POSTGRES_CREATION};
use ironsecrets_testkit::services::openbao::OpenBao;
use ironsecrets_testkit::services::postgres::Postgres;
use serde_json::{Map, Value, json};

const USAGE: &str = "\
usage: ironsecrets-testkit-serve checks
       ironsecrets-testkit-serve services openbao|postgres... [--db-ttl SECS] [--db-max-ttl SECS]

checks    print the conformance checks, one per line: name[<TAB>required capability]
services  start the services, print one line of JSON saying where they are, and keep
          them until stdin reaches EOF or SIGTERM / SIGINT arrives
          --db-ttl SECS      default ttl of the database role `app` (default 6)
          --db-max-ttl SECS  max ttl of the database role `app` (default 12)";

/// The policy the userpass and approle logins get.
const POLICY: &str = "py-tests";
const POLICY_HCL: &str = r#"
path "secret/*" { capabilities = ["create", "read", "update", "patch", "delete", "list", "sudo"] }
path "transit/*" { capabilities = ["create", "read", "update", "patch", "delete", "list", "sudo"] }
path "database/*" { capabilities = ["create", "read", "update", "patch", "delete", "list", "sudo"] }
path "sys/leases/*" { capabilities = ["create", "read", "update", "patch", "delete", "list", "sudo"] }
"#;
const USERNAME: &str = "py-user";
const PASSWORD: &str = "py-pass";
const APPROLE: &str = "py-role";
const DB_CONNECTION: &str = "pg";
const DB_ROLE: &str = "app";
const DB_LONG_ROLE: &str = "app-long";
const DB_LONG_TTL: Duration = Duration::from_secs(3600);

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args.first().map(String::as_str) {
        Some("checks") if args.len() == 1 => print_checks(),
        Some("services") => match Services::parse(&args[1..]) {
            Ok(services) => services.serve(),
            Err(message) => usage_error(&message),
        },
        Some("help" | "-h" | "--help") => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Some(other) => usage_error(&format!("unknown command or argument `{other}`")),
        None => usage_error("no command given"),
    }
}

fn usage_error(message: &str) -> ExitCode {
    eprintln!("ironsecrets-testkit-serve: {message}\n{USAGE}");
    ExitCode::from(2)
}

/// `name` or `name\trequirement`, one check a line.
fn print_checks() -> ExitCode {
    let mut out = String::new();
    for check in CHECKS {
        out.push_str(check.name);
        if let Some(requirement) = check.requires {
            out.push('\t');
            out.push_str(requirement.name);
        }
        out.push('\n');
    }
    write_stdout(&out)
}

/// Writes `text` to stdout and flushes; a closed stdout is a failure (the parent went).
fn write_stdout(text: &str) -> ExitCode {
    let mut stdout = io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("ironsecrets-testkit-serve: write to stdout: {e}");
            ExitCode::FAILURE
        }
    }
}

/// What `services` was asked for.
#[derive(Debug, PartialEq)]
struct Services {
    openbao: bool,
    postgres: bool,
    db_ttl: u64,
    db_max_ttl: u64,
}

impl Services {
    fn parse(args: &[String]) -> Result<Services, String> {
        let mut services = Services {
            openbao: false,
            postgres: false,
            db_ttl: 6,
            db_max_ttl: 12,
        };
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((flag, value)) if flag.starts_with("--") => (flag, Some(value.to_owned())),
                _ => (arg.as_str(), None),
            };
            match flag {
                "openbao" => services.openbao = true,
                "postgres" => services.postgres = true,
                "--db-ttl" | "--db-max-ttl" => {
                    let value = inline
                        .or_else(|| args.next().cloned())
                        .ok_or_else(|| format!("{flag} needs a number of seconds"))?;
                    let secs = value
                        .parse::<u64>()
                        .ok()
                        .filter(|secs| *secs > 0)
                        .ok_or_else(|| format!("{flag}: `{value}` is not a positive number"))?;
                    if flag == "--db-ttl" {
                        services.db_ttl = secs;
                    } else {
                        services.db_max_ttl = secs;
                    }
                }
                _ => return Err(format!("unknown service or option `{arg}`")),
            }
        }
        if !services.openbao && !services.postgres {
            return Err("name at least one service: openbao, postgres".to_owned());
        }
        if services.db_ttl > services.db_max_ttl {
            return Err(format!(
                "--db-ttl {} is above --db-max-ttl {}",
                services.db_ttl, services.db_max_ttl
            ));
        }
        Ok(services)
    }

    /// Starts, sets up, prints, waits, stops.
    fn serve(self) -> ExitCode {
        signals::install();
        let Some((bao, pg)) = self.start() else {
            return ExitCode::FAILURE;
        };
        let mut doc = Map::new();
        if let Some(bao) = &bao {
            doc.insert("openbao".to_owned(), configure_openbao(bao));
        }
        if let Some(pg) = &pg {
            doc.insert("postgres".to_owned(), describe_postgres(pg));
        }
        if let (Some(bao), Some(pg)) = (&bao, &pg) {
            doc.insert("database".to_owned(), self.configure_database(bao, pg));
        }
        if signals::received() {
            eprintln!("ironsecrets-testkit-serve: signalled while starting; stopping");
            return ExitCode::FAILURE;
        }
        let line = format!("{}\n", Value::Object(doc));
        let written = write_stdout(&line);
        if written != ExitCode::SUCCESS {
            return written;
        }
        eprintln!(
            "ironsecrets-testkit-serve: ready{}{}; close stdin or send SIGTERM to stop",
            bao.as_ref()
                .map(|b| format!(", openbao at {}", b.addr()))
                .unwrap_or_default(),
            pg.as_ref()
                .map(|p| format!(", postgres on 127.0.0.1:{}", p.port()))
                .unwrap_or_default(),
        );
        let why = wait_for_stop();
        eprintln!("ironsecrets-testkit-serve: {why}; stopping the services");
        drop(bao);
        drop(pg);
        ExitCode::SUCCESS
    }

    /// Starts the services asked for side by side; `None` (the failure printed) if one
    /// did not start, after stopping the others.
    fn start(&self) -> Option<(Option<OpenBao>, Option<Postgres>)> {
        std::thread::scope(|scope| {
            let spawn = |name: &str, wanted: bool, start: fn() -> Box<dyn Any + Send>| {
                wanted.then(|| {
                    std::thread::Builder::new()
                        .name(name.to_owned())
                        .spawn_scoped(scope, start)
                        .expect("spawn a thread")
                })
            };
            let bao = spawn("openbao", self.openbao, || Box::new(OpenBao::start()));
            let pg = spawn("postgres", self.postgres, || Box::new(Postgres::start()));
            // A launcher that fails panics with its log's tail; the panic hook has
            // printed it on stderr by the time join returns.
            let bao = bao.map(|handle| handle.join());
            let pg = pg.map(|handle| handle.join());
            let failed =
                bao.as_ref().is_some_and(Result::is_err) || pg.as_ref().is_some_and(Result::is_err);
            let bao = bao.and_then(Result::ok).map(downcast::<OpenBao>);
            let pg = pg.and_then(Result::ok).map(downcast::<Postgres>);
            if failed {
                eprintln!("ironsecrets-testkit-serve: a service did not start (see above)");
                drop((bao, pg));
                None
            } else {
                Some((bao, pg))
            }
        })
    }

    /// The database engine at `database/` on `pg`, with the roles `app` and `app-long`.
    fn configure_database(&self, bao: &OpenBao, pg: &Postgres) -> Value {
        let engine = DatabaseEngine::enable(bao, "database");
        engine.connect_postgres(DB_CONNECTION, pg);
        let (ttl, max_ttl) = (
            Duration::from_secs(self.db_ttl),
            Duration::from_secs(self.db_max_ttl),
        );
        let creation = &[POSTGRES_CREATION];
        engine.dynamic_role(DB_ROLE, DB_CONNECTION, creation, &[], ttl, max_ttl);
        engine.dynamic_role(
            DB_LONG_ROLE,
            DB_CONNECTION,
            creation,
            &[],
            DB_LONG_TTL,
            DB_LONG_TTL,
        );
        json!({
            "mount": engine.mount(),
            "connection": DB_CONNECTION,
            "role": DB_ROLE,
            "long_role": DB_LONG_ROLE,
            "ttl": self.db_ttl,
            "max_ttl": self.db_max_ttl,
        })
    }
}

/// The launchers return different types; the start threads box them.
fn downcast<T: 'static>(boxed: Box<dyn Any + Send>) -> T {
    *boxed
        .downcast::<T>()
        .expect("the start thread returns its service")
}

/// Transit, the policy, userpass and approle on a fresh dev server.
fn configure_openbao(bao: &OpenBao) -> Value {
    let mounts: Value = serde_json::from_str(&bao.run(&["secrets", "list", "-format=json"]))
        .expect("`bao secrets list -format=json` prints JSON");
    let kv_version = &mounts["secret/"]["options"]["version"];
    assert_eq!(
        (mounts["secret/"]["type"].as_str(), kv_version.as_str()),
        (Some("kv"), Some("2")),
        "the dev server has no KV v2 at secret/"
    );
    bao.run(&["secrets", "enable", "-path=transit", "transit"]);
    bao.run(&[
        "write",
        &format!("sys/policies/acl/{POLICY}"),
        &format!("policy={POLICY_HCL}"),
    ]);

    bao.run(&["auth", "enable", "-path=userpass", "userpass"]);
    bao.run(&[
        "write",
        &format!("auth/userpass/users/{USERNAME}"),
        &format!("password={PASSWORD}"),
        &format!("token_policies={POLICY}"),
    ]);

    bao.run(&["auth", "enable", "-path=approle", "approle"]);
    bao.run(&[
        "write",
        &format!("auth/approle/role/{APPROLE}"),
        &format!("token_policies={POLICY}"),
    ]);
    let role_id = bao.run(&[
        "read",
        "-field=role_id",
        &format!("auth/approle/role/{APPROLE}/role-id"),
    ]);
    let secret_id = bao.run(&[
        "write",
        "-f",
        "-field=secret_id",
        &format!("auth/approle/role/{APPROLE}/secret-id"),
    ]);

    json!({
        "address": bao.addr(),
        "token": bao.root_token(),
        "kv_mount": "secret",
        "transit_mount": "transit",
        "policy": POLICY,
        "userpass": {"mount": "userpass", "username": USERNAME, "password": PASSWORD},
        "approle": {
            "mount": "approle",
            "role": APPROLE,
            "role_id": role_id.trim(),
            "secret_id": secret_id.trim(),
        },
    })
}

fn describe_postgres(pg: &Postgres) -> Value {
    // `postgresql://`, which SQLAlchemy needs (it has no `postgres://` dialect) and
    // libpq / psycopg read too; the password is hex, safe in a URL.
    let admin_url = format!(
        "postgresql://{}:{}@127.0.0.1:{}/postgres",
        pg.superuser(),
        pg.password(),
        pg.port()
    );
    json!({
        "host": "127.0.0.1",
        "port": pg.port(),
        "admin_url": admin_url,
        "database": "postgres",
        "superuser": pg.superuser(),
        "password": pg.password(),
    })
}

/// Blocks until stdin reaches EOF (or fails) or SIGTERM / SIGINT arrives; says which.
fn wait_for_stop() -> &'static str {
    let (eof_tx, eof_rx) = mpsc::channel::<()>();
    std::thread::spawn(move || {
        let mut stdin = io::stdin().lock();
        let mut buf = [0u8; 1024];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) => break,
                Ok(_) => continue,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => break,
            }
        }
        let _ = eof_tx.send(());
    });
    loop {
        if signals::received() {
            return "got SIGTERM or SIGINT";
        }
        match eof_rx.recv_timeout(Duration::from_millis(100)) {
            Ok(()) | Err(RecvTimeoutError::Disconnected) => return "stdin closed",
            Err(RecvTimeoutError::Timeout) => {}
        }
    }
}

/// SIGTERM / SIGINT set a flag the main thread polls, so the services are dropped (and
/// stopped) rather than left to their watchdogs. std has no signal API and the test kit
/// no libc dependency: `signal(2)` is declared here.
mod signals {
    use std::sync::atomic::{AtomicBool, Ordering};

    static RECEIVED: AtomicBool = AtomicBool::new(false);

    // The same numbers on Linux and macOS.
    const SIGINT: i32 = 2;
    const SIGTERM: i32 = 15;
    const SIG_DFL: usize = 0;
    const SIG_ERR: usize = usize::MAX;

    unsafe extern "C" {
        /// `sighandler_t signal(int signum, sighandler_t handler)`, a handler being a
        /// function pointer (or `SIG_DFL`), passed as an address.
        fn signal(signum: i32, handler: usize) -> usize;
    }

    extern "C" fn on_signal(signum: i32) {
        RECEIVED.store(true, Ordering::SeqCst);
        // A second one of the same signal acts as usual (ends the process; the
        // services' watchdogs clean up), should stopping hang.
        // SAFETY: signal(2) is async-signal-safe; SIG_DFL is a valid disposition.
        unsafe { signal(signum, SIG_DFL) };
    }

    /// Installs the handler for SIGTERM and SIGINT.
    pub fn install() {
        let handler = on_signal as extern "C" fn(i32) as usize;
        for signum in [SIGTERM, SIGINT] {
            // SAFETY: the handler only stores to an atomic and calls signal(2), both
            // async-signal-safe, and it lives for the whole program.
            if unsafe { signal(signum, handler) } == SIG_ERR {
                eprintln!("ironsecrets-testkit-serve: could not handle signal {signum}");
            }
        }
    }

    /// Whether SIGTERM or SIGINT has arrived.
    pub fn received() -> bool {
        RECEIVED.load(Ordering::SeqCst)
    }
}

#[cfg(test)]
mod tests {
    use super::Services;

    fn parse(args: &[&str]) -> Result<Services, String> {
        let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
        Services::parse(&args)
    }

    #[test]
    fn services_and_ttls_parse() {
        assert_eq!(
            parse(&["openbao", "postgres", "--db-ttl", "3", "--db-max-ttl=9"]),
            Ok(Services {
                openbao: true,
                postgres: true,
                db_ttl: 3,
                db_max_ttl: 9
            })
        );
        let defaults = parse(&["postgres"]).unwrap();
        assert!(!defaults.openbao && defaults.postgres);
        assert_eq!((defaults.db_ttl, defaults.db_max_ttl), (6, 12));
    }

    #[test]
    fn bad_arguments_are_refused() {
        for args in [
            &[][..],
            &["mysql"],
            &["openbao", "--db-ttl"],
            &["openbao", "--db-ttl", "0"],
            &["openbao", "--db-ttl=x"],
            &["openbao", "--db-ttl", "20"],
            &["openbao", "--verbose"],
        ] {
            assert!(parse(args).is_err(), "{args:?} parsed");
        }
    }
}
