//! `run`, `render`, `scan`, `mcp` and `agent` through the built binary: on a local
//! store, on a real OpenBao with PostgreSQL dynamic credentials, and on moto's Secrets
//! Manager.

mod agent;
mod consul_template;

use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use ironsecrets_testkit::services::database::{DatabaseEngine, POSTGRES_CREATION};
use ironsecrets_testkit::services::moto::Moto;
use ironsecrets_testkit::services::openbao::OpenBao;
use ironsecrets_testkit::services::postgres::Postgres;

const MASTER_KEY: &str = "delivery-test-master-key";
const CANARY: &str = "CANARY-delivery-5be1f0";

/// A local store with `app/pw` = CANARY and `app/db` = {username, password}, and a
/// working directory for config files and templates.
struct Local {
    dir: tempfile::TempDir,
}

impl Local {
    fn new() -> Local {
        let local = Local {
            dir: tempfile::tempdir().unwrap(),
        };
        local.ok(&["init"]);
        local.ok_stdin(&["put", "app/pw", "-"], CANARY);
        local.ok(&["put", "app/db", "username=alice", "password=db-pass-9f3e"]);
        local
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn store(&self) -> String {
        format!("local://{}", self.path("store.db").display())
    }

    /// The binary in the work directory with a clean environment plus the store's.
    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ironsecrets"));
        command.env_clear();
        for name in ["PATH", "HOME", "LANG"] {
            if let Some(value) = std::env::var_os(name) {
                command.env(name, value);
            }
        }
        command
            .current_dir(self.dir.path())
            .env("IRONSECRETS_STORE", self.store())
            .env("IRONSECRETS_MASTER_KEY", MASTER_KEY)
            .args(args)
            .stdin(Stdio::null());
        command
    }

    fn ok(&self, args: &[&str]) -> String {
        finished(self.command(args).output().unwrap(), 0)
    }

    fn ok_stdin(&self, args: &[&str], stdin: &str) {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), stdin.as_bytes()).unwrap();
        finished(child.wait_with_output().unwrap(), 0);
    }
}

/// Asserts the exit code; returns stdout.
fn finished(output: Output, code: i32) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    String::from_utf8(output.stdout).unwrap()
}

/// Asserts a failure with `code` reported as one `error:` line (plus hints) containing
/// `says`, and that no secret value is in it.
fn fails(output: Output, code: i32, says: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(code), "stderr: {stderr}");
    let mut lines = stderr.lines();
    let first = lines.next().unwrap_or_default();
    assert!(
        first.starts_with("error: ") && first.contains(says),
        "{stderr}"
    );
    assert!(lines.all(|l| l.starts_with("hint: ")), "{stderr}");
    assert!(
        !stderr.contains(CANARY) && !stderr.contains("db-pass-9f3e"),
        "{stderr}"
    );
}

#[test]
fn run_resolves_references_and_masks_every_form_of_the_values() {
    let local = Local::new();
    let script = r#"
        printf 'pw=%s user=%s pass=%s\n' "$PW" "$U" "$P"
        printf '%s' "$PW" | base64
        printf 'url=%s\n' "$ENCODED"
        # the value split across two writes
        printf 'split=CANARY-deli'; sleep 0.3; printf 'very-5be1f0 end\n'
        echo "stderr=$P" >&2
        exit 7
    "#;
    let encoded = CANARY.replace('-', "%2D");
    let output = local
        .command(&["run", "--", "sh", "-c", script])
        .env("PW", "isec:///app/pw")
        .env("U", "isec:///app/db#username")
        .env("P", "isec:///app/db#password")
        .env("ENCODED", &encoded)
        .output()
        .unwrap();
    let stdout = finished(output.clone(), 7);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stdout,
        "pw=[REDACTED] user=[REDACTED] pass=[REDACTED]\n[REDACTED]\nurl=[REDACTED]\nsplit=[REDACTED] end\n"
    );
    assert_eq!(stderr, "stderr=[REDACTED]\n");
    assert!(!encoded.contains(CANARY) && STANDARD.encode(CANARY) != CANARY);

    // --no-mask execs the command: the value reaches the output, the code is the child's.
    let output = local
        .command(&[
            "run",
            "--no-mask",
            "--",
            "sh",
            "-c",
            "printf %s \"$PW\"; exit 4",
        ])
        .env("PW", "isec:///app/pw")
        .output()
        .unwrap();
    assert_eq!(finished(output, 4), CANARY);
    // A variable that is not a reference passes through untouched.
    let output = local
        .command(&["run", "--", "sh", "-c", "printf %s \"$PLAIN\""])
        .env("PLAIN", "not-a-reference")
        .output()
        .unwrap();
    assert_eq!(finished(output, 0), "not-a-reference");
}

#[test]
fn run_reads_env_files_and_reports_a_bad_line_without_its_text() {
    let local = Local::new();
    std::fs::write(
        local.path("app.env"),
        "# comment\nexport PW=isec:///app/pw\nQUOTED=\"two words\"\nMULTI=\"a\nb\"\n",
    )
    .unwrap();
    let output = local
        .command(&[
            "run",
            "--env-file",
            "app.env",
            "--no-mask",
            "--",
            "sh",
            "-c",
            "printf '%s|%s|%s' \"$PW\" \"$QUOTED\" \"$MULTI\"",
        ])
        .output()
        .unwrap();
    assert_eq!(finished(output, 0), format!("{CANARY}|two words|a\nb"));

    std::fs::write(local.path("bad.env"), "A=1\nthis line holds db-pass-9f3e\n").unwrap();
    let output = local
        .command(&["run", "--env-file", "bad.env", "--", "true"])
        .output()
        .unwrap();
    fails(output, 8, "bad.env: line 2 is not NAME=value");
}

#[test]
fn run_mirrors_signals_and_forwards_them() {
    let local = Local::new();
    // A child killed by a signal: 128 + the signal's number.
    let output = local
        .command(&["run", "--", "sh", "-c", "kill -TERM $$"])
        .output()
        .unwrap();
    finished(output, 128 + 15);

    // A SIGTERM sent to ironsecrets reaches the child, which exits its own way.
    let mut child = local
        .command(&[
            "run",
            "--",
            "sh",
            "-c",
            "trap 'echo got-term; exit 5' TERM; echo ready; while :; do sleep 0.1; done",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut ready = [0u8; 6];
    stdout.read_exact(&mut ready).unwrap();
    assert_eq!(&ready, b"ready\n");
    let pid = nix::unistd::Pid::from_raw(child.id() as i32);
    nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGTERM).unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    assert_eq!(rest, "got-term\n");
    assert_eq!(child.wait().unwrap().code(), Some(5));
}

#[test]
fn run_scrub_removes_the_credentials_unless_allowed() {
    let local = Local::new();
    let env_of = |args: &[&str]| {
        let mut command = local.command(&[&["run"], args, &["--no-mask", "--", "env"]].concat());
        command
            .env("PW", "isec:///app/pw")
            .env("AWS_SECRET_ACCESS_KEY", "aws-secret")
            .env("VAULT_TOKEN", "vault-token");
        finished(command.output().unwrap(), 0)
    };
    let plain = env_of(&[]);
    for name in [
        "IRONSECRETS_MASTER_KEY=",
        "AWS_SECRET_ACCESS_KEY=",
        "VAULT_TOKEN=",
    ] {
        assert!(plain.contains(name), "{name}");
    }
    let scrubbed = env_of(&["--scrub", "--allow-env", "VAULT_TOKEN"]);
    assert!(scrubbed.contains(&format!("PW={CANARY}")), "{scrubbed}");
    assert!(scrubbed.contains("VAULT_TOKEN=vault-token"));
    assert!(!scrubbed.contains("IRONSECRETS_MASTER_KEY") && !scrubbed.contains("AWS_"));
}

#[test]
fn run_uses_a_pty_when_stdout_is_a_terminal() {
    let local = Local::new();
    let pty = nix::pty::openpty(None, None).unwrap();
    let mut child = local
        .command(&[
            "run",
            "--",
            "sh",
            "-c",
            "test -t 1 && test -t 2 && echo \"tty $PW\"",
        ])
        .env("PW", "isec:///app/pw")
        .stdout(Stdio::from(pty.slave.try_clone().unwrap()))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(pty.slave);
    let status = child.wait().unwrap();
    let mut master = std::fs::File::from(pty.master);
    let mut seen = Vec::new();
    let mut buffer = [0u8; 4096];
    // The pty's end reads as EIO once every writer has closed it.
    while let Ok(n) = master.read(&mut buffer) {
        if n == 0 {
            break;
        }
        seen.extend_from_slice(&buffer[..n]);
    }
    assert_eq!(status.code(), Some(0));
    let seen = String::from_utf8_lossy(&seen);
    assert!(
        seen.contains("tty [REDACTED]") && !seen.contains(CANARY),
        "{seen:?}"
    );
}

#[test]
fn run_refuses_bad_references_before_starting_anything() {
    let local = Local::new();
    let marker = local.path("started");
    let touch = format!("touch {}", marker.display());
    for (value, code, says) in [
        ("isec://127.0.0.1:8200/app/pw", 8, "PW: invalid reference"),
        ("isec:///app/missing", 3, "isec:///app/missing"),
        (
            "isec:///app/db#nope",
            3,
            "no field 'nope' (fields: password, username)",
        ),
        ("isec:///app/pw#field", 8, "not a key/value secret"),
        ("isec://prod/app/pw", 14, "no store named 'prod'"),
    ] {
        let output = local
            .command(&["run", "--", "sh", "-c", &touch])
            .env("PW", value)
            .output()
            .unwrap();
        fails(output, code, says);
        assert!(!marker.exists(), "{value} started the command");
    }
    // A named store that cannot be reached.
    std::fs::write(
        local.path("ironsecrets.toml"),
        "[stores]\ndown = \"vault://127.0.0.1:1?tls=false\"\n",
    )
    .unwrap();
    let output = local
        .command(&["run", "--", "sh", "-c", &touch])
        .env("PW", "isec://down/app/pw")
        .env("VAULT_TOKEN", "t")
        .output()
        .unwrap();
    fails(output, 10, "isec://down/app/pw");
    assert!(!marker.exists());
}

/// Writes `ironsecrets.toml` with two templates into the work directory.
fn two_templates(local: &Local, second: &str) {
    std::fs::write(
        local.path("ironsecrets.toml"),
        format!(
            "default_store = \"app\"\n[stores]\napp = \"{}\"\n\n\
             [[template]]\nsource = \"db.tmpl\"\ndestination = \"out/db.conf\"\nperms = \"0640\"\nbackup = true\n\n\
             [[template]]\nsource = \"second.tmpl\"\ndestination = \"out/second\"\n",
            local.store()
        ),
    )
    .unwrap();
    std::fs::create_dir_all(local.path("out")).unwrap();
    std::fs::write(
        local.path("db.tmpl"),
        "user={{ secret(\"isec:///app/db#username\") }}\n\
         password={{ secret(\"isec://app/app/db#password\") }}\n\
         b64={{ secret(\"isec:///app/pw\") | b64encode }}\n\
         home={{ env(\"HOME\") }}\n",
    )
    .unwrap();
    std::fs::write(local.path("second.tmpl"), second).unwrap();
}

#[test]
fn render_writes_every_template_atomically_with_its_mode() {
    let local = Local::new();
    two_templates(
        &local,
        "{{ secret(\"isec:///app/pw\") | b64encode | b64decode }}",
    );
    let out = local.ok(&["render"]);
    assert_eq!(out, "out/db.conf: written\nout/second: written\n");
    let db = std::fs::read_to_string(local.path("out/db.conf")).unwrap();
    let home = std::env::var("HOME").unwrap_or_default();
    assert_eq!(
        db,
        format!(
            "user=alice\npassword=db-pass-9f3e\nb64={}\nhome={home}\n",
            STANDARD.encode(CANARY)
        )
    );
    assert_eq!(
        std::fs::read_to_string(local.path("out/second")).unwrap(),
        CANARY
    );
    let mode = |name: &str| {
        std::fs::metadata(local.path(name))
            .unwrap()
            .permissions()
            .mode()
            & 0o7777
    };
    assert_eq!((mode("out/db.conf"), mode("out/second")), (0o640, 0o600));

    // Unchanged values: nothing is rewritten.
    let out = local.ok(&["render"]);
    assert!(
        out.contains("db.conf: unchanged") && out.contains("second: unchanged"),
        "{out}"
    );
    // A new value: the file is replaced, the old one kept as .bak.
    local.ok(&["put", "app/db", "username=bob", "password=db-pass-9f3e"]);
    local.ok(&["render"]);
    assert!(
        std::fs::read_to_string(local.path("out/db.conf"))
            .unwrap()
            .starts_with("user=bob\n")
    );
    assert_eq!(
        std::fs::read_to_string(local.path("out/db.conf.bak")).unwrap(),
        db
    );
    let leftovers: Vec<_> = std::fs::read_dir(local.path("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|name| name.starts_with(".ironsecrets-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");

    // One template given on the command line.
    std::fs::write(
        local.path("one.tmpl"),
        "{{ secret(\"isec:///app/db#username\") }}",
    )
    .unwrap();
    local.ok(&["render", "one.tmpl", "--out", "one.txt", "--perms", "0400"]);
    assert_eq!(
        std::fs::read_to_string(local.path("one.txt")).unwrap(),
        "bob"
    );
    assert_eq!(mode("one.txt"), 0o400);
}

#[test]
fn render_check_lists_references_without_reading_a_value() {
    let local = Local::new();
    two_templates(&local, "{{ secret(\"isec:///app/pw\") | b64decode }}");
    // No master key: the store cannot even be opened, and --check does not need it.
    let output = local
        .command(&["render", "--check"])
        .env_remove("IRONSECRETS_MASTER_KEY")
        .output()
        .unwrap();
    let out = finished(output, 0);
    assert!(out.contains("db.tmpl: 3 reference(s)\n  isec:///app/db#username\n  isec://app/app/db#password\n  isec:///app/pw\n"), "{out}");
    assert!(out.contains("second.tmpl: 1 reference(s)"), "{out}");
    assert!(!local.path("out/db.conf").exists());
}

#[test]
fn a_broken_template_writes_nothing() {
    let local = Local::new();
    for (second, code, says) in [
        (
            "{{ secret(\"isec:///app/db#nope\") }}",
            3,
            "no field 'nope'",
        ),
        (
            "{{ secret(\"isec:///app/missing\") }}",
            3,
            "isec:///app/missing",
        ),
        ("line one\n{% if %}", 8, "second.tmpl:2"),
        ("{{ undefined_name }}", 3, "undefined value"),
        ("{{ secret(\"isec://h:1/p\") }}", 8, "never a host"),
        (
            "{{ env(\"IRONSECRETS_NOT_SET\") }}",
            8,
            "IRONSECRETS_NOT_SET is not set",
        ),
        (
            "{{ secret(\"isec:///app/pw\") | b64decode }}",
            8,
            "not base64",
        ),
    ] {
        two_templates(&local, second);
        fails(local.command(&["render"]).output().unwrap(), code, says);
        assert!(
            !local.path("out/db.conf").exists(),
            "{second}: the first template was written"
        );
    }
    std::fs::write(local.path("ironsecrets.toml"), "[stores]\napp = 1\n").unwrap();
    fails(
        local.command(&["render"]).output().unwrap(),
        14,
        "ironsecrets.toml: ",
    );
}

#[test]
fn scan_finds_values_and_encodings_without_printing_them() {
    let local = Local::new();
    let tree = local.path("tree");
    std::fs::create_dir_all(tree.join("src")).unwrap();
    std::fs::create_dir_all(tree.join(".git")).unwrap();
    std::fs::write(tree.join("clean.txt"), "nothing here\n").unwrap();
    std::fs::write(
        tree.join("src/config.yaml"),
        // (no '+' or '/' in this one: the URL-safe form is the standard one)
        format!(
            "a: 1\ntoken: {}\npass: db-pass-9f3e\n",
            URL_SAFE_NO_PAD.encode(CANARY)
        ),
    )
    .unwrap();
    std::fs::write(tree.join(".git/objects"), CANARY).unwrap();
    let output = local.command(&["scan", "tree"]).output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert_eq!(
        stdout,
        "tree/src/config.yaml:2: value of app/pw (base64)\n\
         tree/src/config.yaml:3: value of app/db#password (plain)\n"
    );
    fails(output, 21, "2 occurrence(s)");

    let mut child = local
        .command(&["scan", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(
        &mut child.stdin.take().unwrap(),
        format!("x {CANARY}").as_bytes(),
    )
    .unwrap();
    let output = child.wait_with_output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&output.stdout),
        "(stdin):1: value of app/pw (plain)\n"
    );
    assert_eq!(
        finished(
            local.command(&["scan", "tree/clean.txt"]).output().unwrap(),
            0
        ),
        ""
    );
}

/// OpenBao with KV v2 at `secret/` and PostgreSQL dynamic credentials at `database/`.
struct VaultSetup {
    bao: OpenBao,
    pg: Postgres,
    dir: tempfile::TempDir,
}

impl VaultSetup {
    fn start() -> VaultSetup {
        let (bao, pg) = (OpenBao::start(), Postgres::start());
        let engine = DatabaseEngine::enable(&bao, "database");
        engine.connect_postgres("pg", &pg);
        let hour = Duration::from_secs(3600);
        engine.dynamic_role("app", "pg", &[POSTGRES_CREATION], &[], hour, hour);
        bao.run(&["kv", "put", "secret/app/db", "password=v1-pass"]);
        bao.run(&["kv", "put", "secret/app/db", "password=v2-pass"]);
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("ironsecrets.toml"),
            format!(
                "[stores]\nvault = \"vault://127.0.0.1:{}?tls=false&mount=secret\"\n",
                bao.port()
            ),
        )
        .unwrap();
        VaultSetup { bao, pg, dir }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ironsecrets"));
        command.env_clear();
        command
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("VAULT_TOKEN", self.bao.root_token())
            .current_dir(self.dir.path())
            .args(args)
            .stdin(Stdio::null());
        command
    }

    /// How many leases role `role` of `database/` holds.
    fn leases(&self, role: &str) -> usize {
        let out = self.bao.bao(&[
            "list",
            "-format=json",
            &format!("sys/leases/lookup/database/creds/{role}"),
        ]);
        serde_json::from_slice::<Vec<String>>(&out.stdout).map_or(0, |ids| ids.len())
    }
}

#[test]
fn dynamic_database_credentials_come_from_one_lease_per_reference_key() {
    let vault = VaultSetup::start();
    let creds = vault.dir.path().join("creds");
    let output = vault
        .command(&[
            "run",
            "--scrub",
            "--",
            "sh",
            "-c",
            &format!(
                "printf '%s %s %s %s' \"$DB_USER\" \"$DB_PASS\" \"$OLD\" \"${{VAULT_TOKEN:-none}}\" > {}; echo \"pass=$DB_PASS\"",
                creds.display()
            ),
        ])
        .env("DB_USER", "isec://vault/database/creds/app?lease=dynamic#username")
        .env("DB_PASS", "isec://vault/database/creds/app?lease=dynamic#password")
        .env("OLD", "isec://vault/app/db?version=1#password")
        .output()
        .unwrap();
    assert_eq!(finished(output, 0), "pass=[REDACTED]\n");
    let written = std::fs::read_to_string(&creds).unwrap();
    let [user, pass, old, token] = written.split(' ').collect::<Vec<_>>()[..] else {
        panic!("{written}")
    };
    assert_eq!((old, token), ("v1-pass", "none"));
    assert_eq!(
        vault.leases("app"),
        1,
        "one lease for #username and #password"
    );
    // The pair is a working login: they came from the same credential.
    let who = vault
        .pg
        .try_psql_as(user, pass, "postgres", "SELECT current_user")
        .unwrap();
    assert!(who.contains(user), "{who}");

    // The same through a template.
    std::fs::write(
        vault.dir.path().join("db.tmpl"),
        "{{ secret(\"isec://vault/database/creds/app?lease=dynamic#username\") }} \
         {{ secret(\"isec://vault/database/creds/app?lease=dynamic#password\") }} \
         {{ secret(\"isec://vault/app/db#password\") }}",
    )
    .unwrap();
    let out = vault.dir.path().join("db.out");
    finished(
        vault
            .command(&["render", "db.tmpl", "--out", out.to_str().unwrap()])
            .output()
            .unwrap(),
        0,
    );
    let rendered = std::fs::read_to_string(&out).unwrap();
    let [user, pass, current] = rendered.split(' ').collect::<Vec<_>>()[..] else {
        panic!("{rendered}")
    };
    assert_eq!(current, "v2-pass");
    assert_eq!(vault.leases("app"), 2);
    assert!(
        vault
            .pg
            .try_psql_as(user, pass, "postgres", "SELECT 1")
            .is_ok()
    );

    // A role that does not exist: one line naming the reference.
    let output = vault
        .command(&["run", "--", "true"])
        .env(
            "X",
            "isec://vault/database/creds/nope?lease=dynamic#username",
        )
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_ne!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.starts_with("error: isec://vault/database/creds/nope?lease=dynamic: "),
        "{stderr}"
    );
}

#[test]
fn run_render_and_agent_over_aws_secrets_manager() {
    let moto = Moto::shared();
    let dir = tempfile::tempdir().unwrap();
    let name = format!("delivery-{}/api", std::process::id());
    let command = |args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ironsecrets"));
        command.env_clear();
        command
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env(
                "IRONSECRETS_STORE",
                format!("aws-sm://{}?endpoint={}", Moto::REGION, moto.endpoint()),
            )
            .env("AWS_ACCESS_KEY_ID", Moto::ACCESS_KEY_ID)
            .env("AWS_SECRET_ACCESS_KEY", Moto::SECRET_ACCESS_KEY)
            .env("AWS_EC2_METADATA_DISABLED", "true")
            .current_dir(dir.path())
            .args(args)
            .stdin(Stdio::null());
        command
    };
    finished(
        command(&["put", &name, "key=aws-old-value"])
            .output()
            .unwrap(),
        0,
    );
    finished(
        command(&["put", &name, &format!("key={CANARY}")])
            .output()
            .unwrap(),
        0,
    );
    let reference = format!("isec:///{name}#key");
    let previous = format!("isec:///{name}?stage=AWSPREVIOUS#key");
    let output = command(&[
        "run",
        "--",
        "sh",
        "-c",
        "echo \"$K $P\"; printf %s \"$K\" > k.txt",
    ])
    .env("K", &reference)
    .env("P", &previous)
    .output()
    .unwrap();
    assert_eq!(finished(output, 0), "[REDACTED] [REDACTED]\n");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("k.txt")).unwrap(),
        CANARY
    );

    std::fs::write(
        dir.path().join("t.tmpl"),
        format!("{{{{ secret(\"{previous}\") }}}}"),
    )
    .unwrap();
    finished(
        command(&["render", "t.tmpl", "--out", "t.out"])
            .output()
            .unwrap(),
        0,
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("t.out")).unwrap(),
        "aws-old-value"
    );

    // The agent polls Secrets Manager: a new version is rendered, the previous stage
    // follows it.
    std::fs::write(
        dir.path().join("a.tmpl"),
        format!("{{{{ secret(\"{reference}\") }}}} {{{{ secret(\"{previous}\") }}}}"),
    )
    .unwrap();
    std::fs::write(
        dir.path().join("ironsecrets.toml"),
        "[agent]\npoll_interval = \"300ms\"\n[[template]]\nsource = \"a.tmpl\"\ndestination = \"a.out\"\n",
    )
    .unwrap();
    let mut agent = agent::Agent::spawn(command(&["agent"]), dir.path());
    let out = dir.path().join("a.out");
    let read = || std::fs::read_to_string(&out).unwrap_or_default();
    agent.wait_for("a first render", Duration::from_secs(20), |_| {
        read() == format!("{CANARY} aws-old-value")
    });
    finished(
        command(&["put", &name, "key=aws-new-value"])
            .output()
            .unwrap(),
        0,
    );
    agent.wait_for("the new version", Duration::from_secs(20), |_| {
        read() == format!("aws-new-value {CANARY}")
    });
    let stderr = agent.stderr();
    assert!(agent.stop().success());
    assert!(
        !stderr.contains(CANARY) && !stderr.contains("aws-new-value"),
        "{stderr}"
    );
}

#[test]
fn mcp_tools_work_and_no_response_holds_a_value() {
    use std::io::{BufRead, BufReader, Write};
    let local = Local::new();
    let mut child = local
        .command(&["mcp"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut call = |id: u64, method: &str, params: serde_json::Value| -> serde_json::Value {
        let request =
            serde_json::json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params});
        writeln!(stdin, "{request}").unwrap();
        if id == 1 {
            writeln!(
                stdin,
                r#"{{"jsonrpc":"2.0","method":"notifications/initialized"}}"#
            )
            .unwrap();
        }
        loop {
            let line = lines.next().expect("a response").unwrap();
            let message: serde_json::Value = serde_json::from_str(&line).unwrap();
            if message["id"] == id {
                return message;
            }
        }
    };
    let tool = |call: &mut dyn FnMut(u64, &str, serde_json::Value) -> serde_json::Value,
                id: u64,
                name: &str,
                arguments: serde_json::Value| {
        call(
            id,
            "tools/call",
            serde_json::json!({"name": name, "arguments": arguments}),
        )["result"]
            .clone()
    };
    let init = call(
        1,
        "initialize",
        serde_json::json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}),
    );
    assert_eq!(
        init["result"]["serverInfo"]["name"], "ironsecrets",
        "{init}"
    );
    let listed = call(2, "tools/list", serde_json::json!({}));
    let mut names: Vec<&str> = listed["result"]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "generate_secret",
            "list_secrets",
            "rotation_status",
            "run_command",
            "secret_metadata"
        ]
    );

    let text =
        |result: &serde_json::Value| result["content"][0]["text"].as_str().unwrap().to_owned();
    let mut responses = vec![listed.to_string()];
    let list = tool(
        &mut call,
        3,
        "list_secrets",
        serde_json::json!({"prefix": "app/"}),
    );
    assert_eq!(text(&list), r#"["app/db","app/pw"]"#);
    let meta = tool(
        &mut call,
        4,
        "secret_metadata",
        serde_json::json!({"path": "app/pw"}),
    );
    assert!(text(&meta).contains("\"versions\""), "{meta}");
    let status = tool(&mut call, 5, "rotation_status", serde_json::json!({}));
    assert!(text(&status).contains("app/pw"), "{status}");
    let generated = tool(
        &mut call,
        6,
        "generate_secret",
        serde_json::json!({"path": "gen/key", "length": 40}),
    );
    assert_eq!(generated["isError"], false, "{generated}");
    assert!(
        text(&generated).contains("\"reference\":\"isec:///gen/key\""),
        "{generated}"
    );
    let again = tool(
        &mut call,
        7,
        "generate_secret",
        serde_json::json!({"path": "gen/key"}),
    );
    assert_eq!(
        again["isError"], true,
        "an existing secret is not overwritten: {again}"
    );
    let ran = tool(
        &mut call,
        8,
        "run_command",
        serde_json::json!({
            "command": ["sh", "-c", "echo \"$X\"; printf %s \"$X\" | base64; echo \"${IRONSECRETS_MASTER_KEY:-scrubbed}\"; echo \"$G\" >&2; exit 3"],
            "env": {"X": "isec:///app/pw", "G": "isec:///gen/key"}
        }),
    );
    let ran_json: serde_json::Value = serde_json::from_str(&text(&ran)).unwrap();
    assert_eq!(ran_json["exit_code"], 3);
    assert_eq!(ran_json["stdout"], "[REDACTED]\n[REDACTED]\nscrubbed\n");
    assert_eq!(ran_json["stderr"], "[REDACTED]\n");
    let bad = tool(
        &mut call,
        9,
        "run_command",
        serde_json::json!({"command": ["true"], "env": {"X": "isec:///app/none"}}),
    );
    assert_eq!(bad["isError"], true);
    assert!(text(&bad).contains("isec:///app/none"), "{bad}");
    responses.extend(
        [list, meta, status, generated, again, ran, bad]
            .iter()
            .map(|r| r.to_string()),
    );
    drop(stdin); // the session ends when the client closes stdin
    assert!(child.wait().unwrap().success());

    let value = local.ok(&["get", "gen/key"]);
    assert_eq!(value.len(), 40);
    for response in &responses {
        for canary in [CANARY, "db-pass-9f3e", value.as_str(), MASTER_KEY] {
            assert!(!response.contains(canary), "{response}");
        }
    }
}
