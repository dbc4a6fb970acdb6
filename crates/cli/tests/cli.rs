//! Runs the built `ironsecrets` binary against temporary local stores.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use tempfile::TempDir;

const MASTER_KEY: &str = "correct horse battery staple";
const CANARY: &str = "CANARY-5e1f0c9b";

/// Every variable the binary reads; each test sets what it needs and nothing leaks in
/// from the environment the tests run in.
const OUR_VARS: &[&str] = &[
    "IRONSECRETS_STORE",
    "IRONSECRETS_MASTER_KEY",
    "IRONSECRETS_PRINCIPAL",
    "IRONSECRETS_BUNDLE_PASSPHRASE",
];

/// What one run of the binary did.
struct Run {
    code: i32,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    fn stdout(&self) -> String {
        String::from_utf8(self.stdout.clone()).expect("stdout is UTF-8")
    }

    fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}): {}",
                String::from_utf8_lossy(&self.stdout)
            )
        })
    }

    /// Asserts a failure with `code` reported as one `error:` line (plus hints).
    fn fails_with(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "stderr: {}", self.stderr);
        let mut lines = self.stderr.lines();
        let first = lines.next().unwrap_or_default();
        assert!(first.starts_with("error: "), "stderr: {}", self.stderr);
        for line in lines {
            assert!(line.starts_with("hint: "), "stderr: {}", self.stderr);
        }
        self
    }
}

/// A temporary store and how to run the binary against it.
struct Store {
    dir: TempDir,
    file: PathBuf,
}

impl Store {
    /// A store that `init` has created.
    fn new() -> Self {
        let store = Store::uninitialized();
        let run = store.run(&["init"]);
        assert_eq!(run.code, 0, "init: {}", run.stderr);
        store
    }

    /// A store URI whose file does not exist yet.
    fn uninitialized() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("store.db");
        Store { dir, file }
    }

    fn uri(&self) -> String {
        format!("local://{}", self.file.display())
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_ironsecrets"));
        for var in OUR_VARS {
            command.env_remove(var);
        }
        command
            .args(args)
            .env("IRONSECRETS_STORE", self.uri())
            .env("IRONSECRETS_MASTER_KEY", MASTER_KEY);
        command
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_with(self.command(args), b"")
    }

    fn run_with(&self, mut command: Command, stdin: &[u8]) -> Run {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        child.stdin.take().unwrap().write_all(stdin).unwrap();
        let Output {
            status,
            stdout,
            stderr,
        } = child.wait_with_output().unwrap();
        Run {
            code: status.code().expect("exited, not killed"),
            stdout,
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        }
    }

    fn run_stdin(&self, args: &[&str], stdin: &[u8]) -> Run {
        self.run_with(self.command(args), stdin)
    }

    /// Runs and asserts success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        run.stdout()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn sql(&self, statement: &str) {
        let conn = rusqlite::Connection::open(&self.file).unwrap();
        let changed = conn.execute(statement, []).unwrap();
        assert!(changed > 0, "{statement} changed nothing");
    }
}

#[test]
fn init_creates_an_owner_only_store_and_never_overwrites_it() {
    let store = Store::uninitialized();
    let printed = store.ok(&["init"]);
    assert_eq!(
        PathBuf::from(printed.trim()),
        std::fs::canonicalize(&store.file).unwrap()
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&store.file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let again = store.run(&["init"]);
    again.fails_with(4);
    assert!(again.stderr.contains("already exists"), "{}", again.stderr);
}

#[test]
fn init_without_master_key_leaves_nothing_behind() {
    let store = Store::uninitialized();
    let mut command = store.command(&["init"]);
    command.env_remove("IRONSECRETS_MASTER_KEY");
    store.run_with(command, b"").fails_with(14);
    assert!(!store.file.exists());
}

#[test]
fn init_on_another_backend_is_unsupported() {
    let store = Store::uninitialized();
    store
        .run(&["--store", "vault://127.0.0.1:8200", "init"])
        .fails_with(9);
}

#[test]
fn text_from_stdin_round_trips_byte_for_byte() {
    let store = Store::new();
    let value = b"line one\nline two without newline";
    let run = store.run_stdin(&["put", "app/text", "-"], value);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout(), "1\n");
    assert_eq!(store.run(&["get", "app/text"]).stdout, value);
}

#[test]
fn key_value_secret_gives_fields() {
    let store = Store::new();
    store.ok(&["put", "app/db", "user=app", "url=postgres://h/db?x=1"]);
    assert_eq!(
        store.ok(&["get", "app/db", "--field", "url"]),
        "postgres://h/db?x=1"
    );
    let json = store
        .run(&["get", "app/db", "--json", "--field", "user"])
        .json();
    assert_eq!(json["value"], "app");
    let missing = store.run(&["get", "app/db", "--field", "password"]);
    missing.fails_with(3);
    assert!(missing.stderr.contains("url, user"), "{}", missing.stderr);
}

#[test]
fn binary_file_round_trips_and_json_uses_base64() {
    let store = Store::new();
    let bytes: Vec<u8> = (0..=255u8).rev().collect();
    let file = store.path("key.bin");
    std::fs::write(&file, &bytes).unwrap();
    let at_file = format!("@{}", file.display());
    store.ok(&["put", "app/key", &at_file]);
    assert_eq!(store.run(&["get", "app/key"]).stdout, bytes);
    let json = store.run(&["get", "app/key", "--json"]).json();
    assert_eq!(json["encoding"], "base64");
    assert_eq!(json["path"], "app/key");
    assert_eq!(json["version"], "1");
    assert!(json["created_at"].is_string());
    assert_eq!(B64.decode(json["value"].as_str().unwrap()).unwrap(), bytes);
    store
        .run(&["put", "app/key", "@/no/such/file"])
        .fails_with(3);
}

#[test]
fn a_value_must_come_in_exactly_one_form() {
    let store = Store::new();
    for args in [
        &["put", "app/x", CANARY][..],
        &["put", "app/x", "a=1", "-"],
        &["put", "app/x", "a=1", "@file"],
    ] {
        let run = store.run(args);
        run.fails_with(8);
        assert!(!run.stderr.contains(CANARY));
    }
    // No value at all is a usage error, reported by clap.
    assert_eq!(store.run(&["put", "app/x"]).code, 2);
}

#[test]
fn versions_are_listed_and_readable_by_number() {
    let store = Store::new();
    store.run_stdin(&["put", "app/v", "-"], b"first");
    store.run_stdin(&["put", "app/v", "-"], b"second");
    assert_eq!(store.ok(&["get", "app/v"]), "second");
    assert_eq!(store.ok(&["get", "app/v", "--version", "1"]), "first");
    let table = store.ok(&["versions", "app/v"]);
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("VERSION"));
    assert!(lines[2].contains("(current)") && lines[2].contains("active"));
    let json = store.run(&["versions", "app/v", "--json"]).json();
    assert_eq!(json.as_array().unwrap().len(), 2);
    assert_eq!(json[0]["state"], "active");
}

#[test]
fn check_and_set_conflicts_exit_5() {
    let store = Store::new();
    assert_eq!(
        store
            .run_stdin(&["put", "app/c", "-", "--cas", "0"], b"a")
            .code,
        0
    );
    store
        .run_stdin(&["put", "app/c", "-", "--cas", "0"], b"b")
        .fails_with(5);
    assert_eq!(
        store
            .run_stdin(&["put", "app/c", "-", "--cas", "1"], b"b")
            .stdout(),
        "2\n"
    );
    store
        .run_stdin(&["put", "app/c", "-", "--cas", "1"], b"c")
        .fails_with(5);
}

#[test]
fn a_missing_secret_exits_3_with_one_line() {
    let store = Store::new();
    let run = store.run(&["get", "app/nothing"]);
    run.fails_with(3);
    assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    assert!(run.stderr.contains("'app/nothing'"), "{}", run.stderr);
    assert!(run.stdout.is_empty());
}

#[test]
fn an_invalid_path_exits_8() {
    let store = Store::new();
    let run = store.run(&["get", "app//x"]);
    run.fails_with(8);
    assert!(run.stderr.contains("empty segment"), "{}", run.stderr);
    store.run_stdin(&["put", "../x", "-"], b"v").fails_with(8);
}

#[test]
fn a_wrong_master_key_exits_13() {
    let store = Store::new();
    let mut command = store.command(&["list"]);
    command.env("IRONSECRETS_MASTER_KEY", "not the key");
    let run = store.run_with(command, b"");
    run.fails_with(13);
    assert!(run.stderr.contains("master key is wrong"), "{}", run.stderr);
}

#[test]
fn a_missing_master_key_exits_14_with_a_hint() {
    let store = Store::new();
    let mut command = store.command(&["list"]);
    command.env_remove("IRONSECRETS_MASTER_KEY");
    let run = store.run_with(command, b"");
    run.fails_with(14);
    assert!(
        run.stderr
            .lines()
            .any(|l| l.starts_with("hint: ") && l.contains("IRONSECRETS_MASTER_KEY")),
        "{}",
        run.stderr
    );
}

#[test]
fn a_missing_store_exits_14_pointing_at_init() {
    let store = Store::uninitialized();
    let run = store.run(&["list"]);
    run.fails_with(14);
    assert!(run.stderr.contains("ironsecrets init"), "{}", run.stderr);
    assert!(!store.file.exists(), "no store is created by accident");
}

#[test]
fn delete_undelete_destroy_and_purge() {
    let store = Store::new();
    store.run_stdin(&["put", "app/d", "-"], b"one");
    store.run_stdin(&["put", "app/d", "-"], b"two");
    store.ok(&["delete", "app/d"]);
    store.run(&["get", "app/d"]).fails_with(3);
    store.ok(&["undelete", "app/d", "--versions", "2"]);
    assert_eq!(store.ok(&["get", "app/d"]), "two");
    store.ok(&["delete", "app/d", "--versions", "1,2"]);
    store.run(&["get", "app/d", "--version", "1"]).fails_with(3);
    store.ok(&["destroy", "app/d", "--versions", "1"]);
    store.ok(&["undelete", "app/d", "--versions", "1,2"]);
    assert_eq!(store.ok(&["get", "app/d"]), "two");
    let destroyed = store.run(&["get", "app/d", "--version", "1"]);
    destroyed.fails_with(3);
    assert!(
        destroyed.stderr.contains("destroyed"),
        "{}",
        destroyed.stderr
    );
    let states = store.ok(&["versions", "app/d"]);
    assert!(states.contains("destroyed"), "{states}");
    // undelete and destroy name their versions explicitly.
    assert_eq!(store.run(&["destroy", "app/d"]).code, 2);
    store.ok(&["purge", "app/d"]);
    store.run(&["metadata", "app/d"]).fails_with(3);
    assert_eq!(store.ok(&["list"]), "");
}

#[test]
fn metadata_shows_and_updates_tags_and_policy() {
    let store = Store::new();
    store.run_stdin(
        &[
            "put",
            "app/m",
            "-",
            "--tag",
            "env=prod",
            "--rotate-days",
            "30",
        ],
        b"v",
    );
    let shown = store.ok(&["metadata", "app/m"]);
    assert!(shown.contains("env=prod"), "{shown}");
    assert!(shown.contains("30d, remind 14d"), "{shown}");
    let updated = store
        .run(&[
            "metadata",
            "app/m",
            "--set-tag",
            "owner=ops",
            "--remind-days",
            "3",
            "--max-versions",
            "5",
            "--json",
        ])
        .json();
    assert_eq!(updated["tags"]["env"], "prod");
    assert_eq!(updated["tags"]["owner"], "ops");
    assert_eq!(updated["rotation"]["period"], 30 * 86_400);
    assert_eq!(updated["rotation"]["remind_before"], 3 * 86_400);
    assert_eq!(updated["max_versions"], 5);
    store
        .run(&["metadata", "app/m", "--remind-days", "31"])
        .fails_with(8);
}

#[test]
fn status_reports_healthy_and_json_parses() {
    let store = Store::new();
    store.run_stdin(&["put", "app/a", "-", "--rotate-days", "30"], b"v");
    store.run_stdin(&["put", "ops/b", "-"], b"v");
    let table = store.ok(&["status"]);
    let header = table.lines().next().unwrap();
    for column in ["PATH", "LAST ROTATED", "POLICY", "STATUS"] {
        assert!(header.contains(column), "{table}");
    }
    assert_eq!(table.matches("Healthy").count(), 2, "{table}");
    assert!(table.contains("(default)"), "{table}");
    let json = store.run(&["status", "app/", "--json"]).json();
    let rows = json.as_array().unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["path"], "app/a");
    assert_eq!(rows[0]["summary"], "Healthy");
    assert_eq!(rows[0]["default_policy"], false);
    assert_eq!(store.run(&["status", "--check"]).code, 0);
}

#[test]
fn status_check_fails_only_when_something_expired() {
    let store = Store::new();
    store.run_stdin(&["put", "app/old", "-", "--rotate-days", "30"], b"v");
    store.run_stdin(&["put", "app/new", "-"], b"v");
    // The store authenticates its timestamps, so age the secrets by judging later.
    let in_40_days =
        (chrono::Utc::now() + chrono::TimeDelta::days(40) + chrono::TimeDelta::hours(1))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    assert!(!store.ok(&["status"]).contains("Expired"));
    let table = store.ok(&["status", "--at", &in_40_days]);
    assert!(table.contains("Expired (10 days ago)"), "{table}");
    let check = store.run(&["status", "--check", "--at", &in_40_days]);
    check.fails_with(20);
    assert!(check.stderr.contains("app/old"), "{}", check.stderr);
    assert!(!check.stderr.contains("app/new"), "{}", check.stderr);
    assert!(
        check.stdout().contains("Expired"),
        "the table is still printed"
    );
}

#[test]
fn audit_verify_passes_then_names_the_tampered_row() {
    let store = Store::new();
    store.run_stdin(&["put", "app/a", "-"], b"v");
    store.ok(&["get", "app/a"]);
    let ok = store.ok(&["audit", "verify"]);
    assert!(ok.contains("intact"), "{ok}");
    let tail = store.run(&["audit", "tail", "-n", "3", "--json"]).json();
    assert_eq!(tail.as_array().unwrap().len(), 3);
    store.sql("UPDATE audit SET principal = 'mallory' WHERE seq = 2");
    let broken = store.run(&["audit", "verify"]);
    broken.fails_with(13);
    assert!(broken.stderr.contains("row 2"), "{}", broken.stderr);
}

#[test]
fn transit_encrypts_decrypts_and_rewraps() {
    let store = Store::new();
    store.ok(&["transit", "create", "payments"]);
    store.run(&["transit", "create", "payments"]).fails_with(4);
    assert_eq!(store.ok(&["transit", "keys"]), "payments\n");
    let ciphertext = store.ok(&["transit", "encrypt", "payments", "card 4242"]);
    let ciphertext = ciphertext.trim();
    assert!(ciphertext.starts_with("local:v1:"), "{ciphertext}");
    assert_eq!(
        store.ok(&["transit", "decrypt", "payments", ciphertext]),
        "card 4242"
    );
    let from_stdin = store.run_stdin(&["transit", "encrypt", "payments"], b"piped");
    let from_stdin = from_stdin.stdout();
    store.ok(&["transit", "rotate", "payments"]);
    let rewrapped = store.ok(&["transit", "rewrap", "payments", from_stdin.trim()]);
    assert!(rewrapped.starts_with("local:v2:"), "{rewrapped}");
    let run = store.run_stdin(
        &["transit", "decrypt", "payments", "-"],
        rewrapped.as_bytes(),
    );
    assert_eq!(run.stdout, b"piped");
    let mut tampered = ciphertext.to_owned();
    tampered.replace_range(tampered.len() - 4.., "AAAA");
    store
        .run(&["transit", "decrypt", "payments", &tampered])
        .fails_with(13);
}

#[test]
fn a_viewer_sees_paths_but_not_values() {
    let store = Store::new();
    store.run_stdin(&["put", "app/a", "-"], b"v");
    store.ok(&["role", "grant", "bob", "--role", "viewer"]);
    let roles = store.ok(&["role", "list"]);
    assert!(roles.contains("bob") && roles.contains("viewer"), "{roles}");
    let as_bob = |args: &[&str]| {
        let mut command = store.command(args);
        command.env("IRONSECRETS_PRINCIPAL", "bob");
        store.run_with(command, b"")
    };
    assert_eq!(as_bob(&["list"]).stdout(), "app/a\n");
    let denied = as_bob(&["get", "app/a"]);
    denied.fails_with(6);
    assert!(denied.stderr.contains("viewer"), "{}", denied.stderr);
    as_bob(&["role", "list"]).fails_with(6);
    store.ok(&["role", "revoke", "bob"]);
    as_bob(&["list"]).fails_with(6);
    store.run(&["role", "revoke", "bob"]).fails_with(3);
}

#[test]
fn export_then_import_into_a_second_store() {
    let source = Store::new();
    source.run_stdin(&["put", "app/a", "-", "--tag", "env=prod"], b"alpha");
    source.run_stdin(&["put", "app/a", "-"], b"alpha 2");
    source.ok(&["put", "app/b", "user=u", "password=p"]);
    let bundle = source.path("bundle.bin");
    let bundle_arg = bundle.to_str().unwrap();

    source.run(&["export", "--out", bundle_arg]).fails_with(14);
    let with_passphrase = |store: &Store, args: &[&str]| {
        let mut command = store.command(args);
        command.env("IRONSECRETS_BUNDLE_PASSPHRASE", "bundle passphrase");
        store.run_with(command, b"")
    };
    let exported = with_passphrase(&source, &["export", "--out", bundle_arg]);
    assert_eq!(exported.code, 0, "{}", exported.stderr);
    with_passphrase(&source, &["export", "--out", bundle_arg]).fails_with(4);
    assert_eq!(
        with_passphrase(&source, &["export", "--out", bundle_arg, "--force"]).code,
        0
    );

    let target = Store::new();
    let imported = with_passphrase(&target, &["import", bundle_arg]);
    assert_eq!(imported.code, 0, "{}", imported.stderr);
    assert!(
        imported.stdout().contains("2 secrets (3 versions)"),
        "{}",
        imported.stdout()
    );
    assert_eq!(target.ok(&["get", "app/a"]), "alpha 2");
    assert_eq!(target.ok(&["get", "app/b", "--field", "password"]), "p");
    assert!(target.ok(&["metadata", "app/a"]).contains("env=prod"));
    // A second import would overwrite: refused, nothing written.
    with_passphrase(&target, &["import", bundle_arg]).fails_with(5);

    let mut wrong = target.command(&["import", bundle_arg]);
    wrong.env("IRONSECRETS_BUNDLE_PASSPHRASE", "wrong");
    target.run_with(wrong, b"").fails_with(13);
}

#[test]
fn the_canary_value_is_printed_only_by_get() {
    let store = Store::new();
    store.ok(&["put", "app/kv", "user=app", &format!("password={CANARY}")]);
    store.run_stdin(&["put", "app/raw", "-", "--tag", "k=v"], CANARY.as_bytes());
    store.ok(&["transit", "create", "k"]);
    let bundle = store.path("b.bin");

    let mut runs = vec![
        store.run(&["list"]),
        store.run(&["list", "--json"]),
        store.run(&["metadata", "app/kv"]),
        store.run(&["metadata", "app/raw", "--json"]),
        store.run(&["versions", "app/kv"]),
        store.run(&["versions", "app/raw", "--json"]),
        store.run(&["status"]),
        store.run(&["status", "--json"]),
        store.run(&["audit", "tail"]),
        store.run(&["audit", "tail", "--json"]),
        store.run(&["audit", "verify"]),
        store.run(&["role", "list", "--json"]),
        store.run(&["get", "app/kv", "--field", "nope"]),
        store.run(&["put", "app/kv", &format!("password={CANARY}"), "--cas", "0"]),
        store.run_stdin(&["put", "app/raw", "-", "--cas", "7"], CANARY.as_bytes()),
        store.run(&["put", "bad//path", &format!("password={CANARY}")]),
        store.run_stdin(&["transit", "encrypt", "k"], CANARY.as_bytes()),
    ];
    let mut export = store.command(&["export", "--out", bundle.to_str().unwrap()]);
    export.env("IRONSECRETS_BUNDLE_PASSPHRASE", "p");
    runs.push(store.run_with(export, b""));
    for run in &runs {
        let stdout = String::from_utf8_lossy(&run.stdout);
        assert!(!stdout.contains(CANARY), "stdout: {stdout}");
        assert!(!run.stderr.contains(CANARY), "stderr: {}", run.stderr);
    }
    assert_eq!(runs[13].code, 5);
    assert_eq!(runs[14].code, 5);
    assert!(
        !std::fs::read(&bundle)
            .unwrap()
            .windows(CANARY.len())
            .any(|w| w == CANARY.as_bytes())
    );

    assert_eq!(store.ok(&["get", "app/raw"]), CANARY);
    assert_eq!(store.ok(&["get", "app/kv", "--field", "password"]), CANARY);
}

#[test]
fn help_documents_exit_codes_and_completions_generate() {
    let store = Store::uninitialized();
    let help = store.ok(&["--help"]);
    for line in [
        "Exit codes:",
        "3  NotFound",
        "13  Integrity",
        "20  RotationExpired",
    ] {
        assert!(help.contains(line), "{line}: {help}");
    }
    assert!(help.contains("IRONSECRETS_MASTER_KEY"));
    let script = store.ok(&["completions", "bash"]);
    assert!(script.contains("ironsecrets"), "{script}");
    assert!(!store.file.exists(), "completions need no store");
    assert_eq!(store.run(&["no-such-command"]).code, 2);
}
