//! The `ironsecrets-testkit-serve` binary (what the Python binding's tests start): it lists
//! the checks, starts and sets up the services, prints where they are as one line of
//! JSON, and stops them when its stdin closes or SIGTERM arrives.

use std::io::{BufRead, BufReader, Read};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use ironsecrets_testkit::CHECKS;
use serde_json::Value;

const SERVE: &str = env!("CARGO_BIN_EXE_ironsecrets-testkit-serve");

fn accepts(port: u16) -> bool {
    TcpStream::connect_timeout(&([127, 0, 0, 1], port).into(), Duration::from_millis(500)).is_ok()
}

/// The port of `http://127.0.0.1:<port>`.
fn port_of(address: &str) -> u16 {
    address
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no port in {address}"))
}

/// A running `serve services ...`, its stderr collected on a thread.
struct Served {
    child: Child,
    json: Value,
    stderr: JoinHandle<String>,
}

impl Served {
    fn start(args: &[&str]) -> Served {
        let started = Instant::now();
        let mut child = Command::new(SERVE)
            .arg("services")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run ironsecrets-testkit-serve");
        let mut stderr = child.stderr.take().expect("piped stderr");
        let stderr = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let mut stdout: BufReader<ChildStdout> =
            BufReader::new(child.stdout.take().expect("piped stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read the JSON line");
        if line.is_empty() {
            let status = child.wait().expect("wait");
            panic!(
                "serve printed nothing ({status}):\n{}",
                stderr.join().unwrap()
            );
        }
        let json = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        eprintln!("services {args:?} ready in {:.2?}", started.elapsed());
        // Nothing after the one line.
        let mut rest = String::new();
        std::thread::spawn(move || {
            let _ = stdout.read_to_string(&mut rest);
            assert_eq!(rest, "", "serve printed more than one line on stdout");
        });
        Served {
            child,
            json,
            stderr,
        }
    }

    /// Waits (up to 30 s) for the process to exit after being told to stop.
    fn wait(mut self) -> (ExitStatus, String) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                panic!("serve did not stop within 30 s");
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        (status, self.stderr.join().unwrap())
    }
}

/// `bao <args>` against the served OpenBao with `token`; its stdout, trimmed.
fn bao(openbao: &Value, token: &str, args: &[&str]) -> String {
    let address = openbao["address"].as_str().unwrap();
    let out = Command::new("bao")
        .args(args)
        .env("BAO_ADDR", address)
        .env("VAULT_ADDR", address)
        .env("BAO_TOKEN", token)
        .env("VAULT_TOKEN", token)
        .env_remove("BAO_NAMESPACE")
        .env_remove("VAULT_NAMESPACE")
        .stdin(Stdio::null())
        .output()
        .expect("run bao");
    assert!(
        out.status.success(),
        "bao {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn checks_lists_the_suite() {
    let out = Command::new(SERVE).arg("checks").output().unwrap();
    assert!(out.status.success(), "{out:?}");
    let expected: String = CHECKS
        .iter()
        .map(|check| match check.requires {
            Some(requirement) => format!("{}\t{}\n", check.name, requirement.name),
            None => format!("{}\n", check.name),
        })
        .collect();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), expected);
    assert!(expected.contains("round_trip_empty\tstore.empty_values\n"));
}

#[test]
fn bad_arguments_exit_2() {
    for args in [
        &[][..],
        &["services"],
        &["services", "mysql"],
        &["services", "openbao", "--db-ttl", "0"],
    ] {
        let out = Command::new(SERVE).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {out:?}");
        assert!(out.stdout.is_empty());
        assert!(String::from_utf8_lossy(&out.stderr).contains("usage:"));
    }
}

#[test]
fn openbao_and_postgres_are_set_up_and_stop_when_stdin_closes() {
    let served = Served::start(&["openbao", "postgres", "--db-ttl", "5", "--db-max-ttl", "9"]);
    let json = &served.json;
    let openbao = &json["openbao"];
    let root = openbao["token"].as_str().unwrap();
    assert_eq!(openbao["kv_mount"], "secret");
    assert_eq!(openbao["transit_mount"], "transit");

    // KV v2 and transit as root.
    bao(openbao, root, &["kv", "put", "secret/serve-test", "a=b"]);
    bao(openbao, root, &["write", "-f", "transit/keys/serve-test"]);

    // Both logins give a token that may use secret/ and transit/.
    let userpass = &openbao["userpass"];
    assert_eq!(userpass["mount"], "userpass");
    let user_token = bao(
        openbao,
        "",
        &[
            "write",
            "-field=token",
            "auth/userpass/login/py-user",
            &format!("password={}", userpass["password"].as_str().unwrap()),
        ],
    );
    let approle = &openbao["approle"];
    assert_eq!(approle["mount"], "approle");
    let role_token = bao(
        openbao,
        "",
        &[
            "write",
            "-field=token",
            "auth/approle/login",
            &format!("role_id={}", approle["role_id"].as_str().unwrap()),
            &format!("secret_id={}", approle["secret_id"].as_str().unwrap()),
        ],
    );
    for token in [&user_token, &role_token] {
        assert_eq!(
            bao(
                openbao,
                token,
                &["kv", "get", "-field=a", "secret/serve-test"]
            ),
            "b"
        );
        bao(
            openbao,
            token,
            &["write", "transit/encrypt/serve-test", "plaintext=aGVsbG8="],
        );
    }

    // Postgres, and the database roles with the ttls asked for.
    let postgres = &json["postgres"];
    let pg_port = postgres["port"].as_u64().unwrap() as u16;
    assert!(accepts(pg_port));
    assert_eq!(
        postgres["admin_url"],
        format!(
            "postgresql://{}:{}@127.0.0.1:{pg_port}/postgres",
            postgres["superuser"].as_str().unwrap(),
            postgres["password"].as_str().unwrap()
        )
    );
    let database = &json["database"];
    assert_eq!(
        (&database["role"], &database["ttl"], &database["max_ttl"]),
        (&Value::from("app"), &Value::from(5), &Value::from(9))
    );
    let creds: Value = serde_json::from_str(&bao(
        openbao,
        &role_token,
        &["read", "-format=json", "database/creds/app"],
    ))
    .unwrap();
    assert_eq!(creds["lease_duration"], 5, "{creds}");
    assert!(creds["data"]["username"].is_string());
    let long = bao(
        openbao,
        root,
        &["read", "-field=default_ttl", "database/roles/app-long"],
    );
    assert_eq!(long, "3600");

    let bao_port = port_of(openbao["address"].as_str().unwrap());
    let mut served = served;
    drop(served.child.stdin.take());
    let (status, stderr) = served.wait();
    assert!(status.success(), "{status}: {stderr}");
    assert!(stderr.contains("stdin closed"), "{stderr}");
    assert!(!accepts(bao_port), "OpenBao still up after serve stopped");
    assert!(!accepts(pg_port), "PostgreSQL still up after serve stopped");
}

#[test]
fn openbao_alone_stops_on_sigterm() {
    let served = Served::start(&["openbao"]);
    let keys: Vec<&String> = served.json.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["openbao"]);
    let port = port_of(served.json["openbao"]["address"].as_str().unwrap());
    assert!(accepts(port));
    let killed = Command::new("kill")
        .args(["-s", "TERM", &served.child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let (status, stderr) = served.wait();
    assert!(status.success(), "{status}: {stderr}");
    assert!(stderr.contains("SIGTERM"), "{stderr}");
    assert!(!accepts(port), "OpenBao still up after SIGTERM");
}

#[test]
fn a_service_that_cannot_start_fails_the_program() {
    // No `bao` on an empty PATH.
    let out = Command::new(SERVE)
        .args(["services", "openbao"])
        .env("PATH", "")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("`bao`"), "{stderr}");
}
