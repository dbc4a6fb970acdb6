//! The throwaway PostgreSQL and MariaDB servers start, answer SQL, enforce passwords, run
//! side by side, and are gone after drop.

use std::net::TcpStream;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ironsecrets_testkit::services::mariadb::MariaDb;
use ironsecrets_testkit::services::postgres::Postgres;

/// Whether anything accepts TCP connections on 127.0.0.1:`port`.
fn accepts(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(500)).is_ok()
}

/// The temp dir a server's log lives in.
fn dir_of(log: &std::path::Path) -> PathBuf {
    log.parent()
        .expect("log is inside the server's dir")
        .to_path_buf()
}

#[test]
fn postgres_round_trip_and_cleanup() {
    let started = Instant::now();
    let pg = Postgres::start();
    eprintln!(
        "postgres started in {:.2?} on port {}",
        started.elapsed(),
        pg.port()
    );

    assert!(accepts(pg.port()));
    assert_eq!(
        pg.admin_url(),
        format!(
            "postgres://admin:{}@127.0.0.1:{}/postgres",
            pg.password(),
            pg.port()
        )
    );
    assert!(
        !format!("{pg:?}").contains(pg.password()),
        "Debug shows the password"
    );

    pg.psql("CREATE TABLE t (id int PRIMARY KEY, name text); INSERT INTO t VALUES (1, 'one');");
    assert_eq!(pg.psql("SELECT id, name FROM t"), "1|one");
    assert_eq!(pg.psql("SELECT current_user"), pg.superuser());

    // Password auth over TCP: a wrong password is refused, a new role can log in.
    let wrong = pg.try_psql_as(pg.superuser(), "wrong", "postgres", "SELECT 1");
    assert!(
        wrong
            .unwrap_err()
            .contains("password authentication failed")
    );
    pg.psql("CREATE ROLE app LOGIN PASSWORD 'app-pw'; GRANT SELECT ON t TO app;");
    assert_eq!(
        pg.try_psql_as("app", "app-pw", "postgres", "SELECT name FROM t")
            .unwrap(),
        "one"
    );

    // An SQL error panics with psql's message.
    let err = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        pg.psql("SELECT * FROM no_such_table")
    }))
    .unwrap_err();
    let message = err.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(message.contains("no_such_table"), "{message}");

    let port = pg.port();
    let dir = dir_of(pg.log_path());
    assert!(dir.is_dir());
    drop(pg);
    assert!(
        !accepts(port),
        "postgres still accepts connections on {port} after drop"
    );
    assert!(!dir.exists(), "{} still exists after drop", dir.display());
}

#[test]
fn mariadb_round_trip_and_cleanup() {
    let started = Instant::now();
    let db = MariaDb::start();
    eprintln!(
        "mariadb started in {:.2?} on port {}",
        started.elapsed(),
        db.port()
    );

    assert!(accepts(db.port()));
    assert_eq!(
        db.dsn(),
        format!("admin:{}@tcp(127.0.0.1:{})/", db.password(), db.port())
    );
    assert_eq!(
        db.vault_connection_url(),
        format!(
            "{{{{username}}}}:{{{{password}}}}@tcp(127.0.0.1:{})/",
            db.port()
        )
    );
    assert!(
        !format!("{db:?}").contains(db.password()),
        "Debug shows the password"
    );

    db.sql(
        "CREATE DATABASE app; CREATE TABLE app.t (id int PRIMARY KEY, name text); \
         INSERT INTO app.t VALUES (1, 'one');",
    );
    assert_eq!(db.sql("SELECT id, name FROM app.t"), "1\tone");

    // What Vault's mysql plugin does with the admin connection: create a user with a grant,
    // log in as it, then drop it.
    let wrong = db.try_sql_as(db.admin_user(), "wrong", "SELECT 1");
    assert!(wrong.unwrap_err().contains("Access denied"));
    db.sql("CREATE USER 'v-app'@'%' IDENTIFIED BY 'app-pw'; GRANT SELECT ON app.* TO 'v-app'@'%';");
    assert_eq!(
        db.try_sql_as("v-app", "app-pw", "SELECT name FROM app.t")
            .unwrap(),
        "one"
    );
    db.sql("DROP USER 'v-app'@'%';");
    assert!(db.try_sql_as("v-app", "app-pw", "SELECT 1").is_err());
    let grants = db.sql("SHOW GRANTS");
    assert!(grants.contains("WITH GRANT OPTION"), "{grants}");
    // root is only reachable over the private unix socket.
    assert!(db.try_sql_as("root", "", "SELECT 1").is_err());

    let port = db.port();
    let dir = dir_of(db.log_path());
    assert!(dir.is_dir());
    drop(db);
    assert!(
        !accepts(port),
        "mariadb still accepts connections on {port} after drop"
    );
    assert!(!dir.exists(), "{} still exists after drop", dir.display());
}

#[test]
fn servers_are_independent() {
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(Postgres::start);
        let b = s.spawn(Postgres::start);
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_ne!(a.port(), b.port());
    assert_ne!(a.password(), b.password());
    a.psql("CREATE TABLE only_in_a (x int)");
    assert_eq!(
        b.psql("SELECT count(*) FROM pg_tables WHERE tablename = 'only_in_a'"),
        "0"
    );

    let (c, d) = std::thread::scope(|s| {
        let c = s.spawn(MariaDb::start);
        let d = s.spawn(MariaDb::start);
        (c.join().unwrap(), d.join().unwrap())
    });
    assert_ne!(c.port(), d.port());
    c.sql("CREATE DATABASE only_in_c");
    assert_eq!(d.sql("SHOW DATABASES LIKE 'only_in_c'"), "");
}

/// Set in the child process [`abandoned_servers_are_cleaned_up`] starts.
const ABANDON_ENV: &str = "IRONSECRETS_TESTKIT_ABANDON_SERVERS";

/// Runs only as that child: starts both servers, prints where they are, and exits without
/// dropping them, as a killed or `exit`ing test process would.
#[test]
fn child_abandons_servers() {
    if std::env::var_os(ABANDON_ENV).is_none() {
        return;
    }
    let pg = Postgres::start();
    let db = MariaDb::start();
    println!(
        "ABANDONED {} {} {} {}",
        pg.port(),
        dir_of(pg.log_path()).display(),
        db.port(),
        dir_of(db.log_path()).display()
    );
    std::process::exit(0);
}

#[test]
fn abandoned_servers_are_cleaned_up() {
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "child_abandons_servers",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(ABANDON_ENV, "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.split_once("ABANDONED ").map(|(_, rest)| rest))
        .unwrap_or_else(|| {
            panic!(
                "child printed no servers:\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    let fields: Vec<&str> = line.split(' ').collect();
    let servers = [
        (fields[0].parse::<u16>().unwrap(), PathBuf::from(fields[1])),
        (fields[2].parse::<u16>().unwrap(), PathBuf::from(fields[3])),
    ];
    let deadline = Instant::now() + Duration::from_secs(20);
    for (port, dir) in servers {
        while (accepts(port) || dir.exists()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(
            !accepts(port),
            "abandoned server still accepts connections on {port}"
        );
        assert!(
            !dir.exists(),
            "abandoned server's {} still exists",
            dir.display()
        );
    }
}
