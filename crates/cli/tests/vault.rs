//! Runs the built `ironsecrets` binary with `--store vault://…` against a real OpenBao
//! dev server (its default `secret/` KV v2 mount, and `transit/`).

use std::process::{Command, Stdio};

use ironsecrets_testkit::services::openbao::OpenBao;

const CANARY: &str = "CANARY-vault-3d9a71";

/// What one run of the binary did.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

impl Run {
    fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}): {}", self.stdout))
    }

    /// Asserts a failure with `code`, reported as one `error:` line (plus hints).
    fn fails_with(&self, code: i32) -> &Self {
        assert_eq!(self.code, code, "stderr: {}", self.stderr);
        let mut lines = self.stderr.lines();
        assert!(lines.next().unwrap_or_default().starts_with("error: "));
        assert!(lines.all(|l| l.starts_with("hint: ")), "{}", self.stderr);
        self
    }
}

/// The binary aimed at one OpenBao server with one token.
struct Cli<'a> {
    bao: &'a OpenBao,
    token: String,
}

impl<'a> Cli<'a> {
    fn new(bao: &'a OpenBao) -> Self {
        let token = bao.root_token().to_owned();
        Cli { bao, token }
    }

    fn run_stdin(&self, args: &[&str], stdin: Option<&str>) -> Run {
        let store = format!(
            "vault://127.0.0.1:{}?tls=false&mount=secret",
            self.bao.port()
        );
        let mut command = Command::new(env!("CARGO_BIN_EXE_ironsecrets"));
        for (name, _) in std::env::vars() {
            if name.starts_with("VAULT_") || name.starts_with("IRONSECRETS_") {
                command.env_remove(name);
            }
        }
        command
            .args(["--store", &store])
            .args(args)
            .env("VAULT_TOKEN", &self.token)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("the binary runs");
        let input = stdin.unwrap_or_default().as_bytes().to_vec();
        std::io::Write::write_all(&mut child.stdin.take().unwrap(), &input).unwrap();
        let output = child.wait_with_output().unwrap();
        Run {
            code: output.status.code().expect("exited, not killed"),
            stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    fn run(&self, args: &[&str]) -> Run {
        self.run_stdin(args, None)
    }

    /// Runs and asserts success; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let run = self.run(args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        run.stdout
    }
}

#[test]
fn secrets_metadata_and_status_over_vault() {
    let bao = OpenBao::start();
    let cli = Cli::new(&bao);
    let password = format!("password={CANARY}");
    let put = ["put", "app/db", "user=app", &password, "--tag", "env=prod"];
    assert_eq!(
        cli.ok(&[&put[..], &["--rotate-days", "30"]].concat()),
        "1\n"
    );
    assert_eq!(cli.ok(&["get", "app/db", "--field", "user"]), "app");
    let json = cli
        .run(&["get", "app/db", "--json", "--field", "user"])
        .json();
    assert_eq!(
        (&json["value"], &json["version"]),
        (&"app".into(), &"1".into())
    );
    cli.run_stdin(&["put", "app/note", "-"], Some("one"));
    assert_eq!(
        cli.run_stdin(&["put", "app/note", "-"], Some("two")).code,
        0
    );
    assert_eq!(cli.ok(&["list"]), "app/db\napp/note\n");
    assert_eq!(cli.run(&["list", "app/", "--json"]).json()[1], "app/note");

    let versions = cli.run(&["versions", "app/note", "--json"]).json();
    assert_eq!(versions.as_array().unwrap().len(), 2, "{versions}");
    let meta = cli
        .run(&["metadata", "app/db", "--set-tag", "owner=ops", "--json"])
        .json();
    assert_eq!(
        (&meta["tags"]["env"], &meta["tags"]["owner"]),
        (&"prod".into(), &"ops".into())
    );
    assert_eq!(meta["rotation"]["period"], 30 * 86_400);
    // Tags live in custom_metadata, where the Vault CLI sees them too.
    let seen = bao.run(&["kv", "metadata", "get", "secret/app/db"]);
    assert!(seen.contains("owner:ops"), "{seen}");
    let status = cli.ok(&["status"]);
    assert_eq!(status.matches("Healthy").count(), 2, "{status}");
    assert_eq!(cli.run(&["status", "--check"]).code, 0);

    cli.ok(&["delete", "app/note"]);
    cli.run(&["get", "app/note"]).fails_with(3);
    cli.ok(&["undelete", "app/note", "--versions", "2"]);
    assert_eq!(cli.ok(&["get", "app/note"]), "two");
    cli.run(&["put", "app/note", "x=1", "--cas", "1"])
        .fails_with(5);

    // The canary appears only in what `get` prints.
    let runs = [
        cli.run(&["list", "--json"]),
        cli.run(&["metadata", "app/db"]),
        cli.run(&["versions", "app/db"]),
        cli.run(&["status", "--json"]),
        cli.run(&["put", "app/db", &password, "--cas", "7"]),
        cli.run(&["get", "app/db", "--field", "nope"]),
    ];
    for run in &runs {
        assert!(!run.stdout.contains(CANARY) && !run.stderr.contains(CANARY));
    }
    assert_eq!(cli.ok(&["get", "app/db", "--field", "password"]), CANARY);
}

#[test]
fn transit_local_only_commands_and_a_wrong_token() {
    let bao = OpenBao::start();
    bao.run(&["secrets", "enable", "transit"]);
    let mut cli = Cli::new(&bao);
    cli.ok(&["transit", "create", "payments"]);
    assert_eq!(cli.ok(&["transit", "keys"]), "payments\n");
    let ciphertext = cli.ok(&["transit", "encrypt", "payments", CANARY]);
    assert!(ciphertext.starts_with("vault:v1:"), "{ciphertext}");
    assert!(!ciphertext.contains(CANARY));
    let plain = cli.ok(&["transit", "decrypt", "payments", ciphertext.trim()]);
    assert_eq!(plain, CANARY);

    for command in [&["audit", "verify"][..], &["role", "list"]] {
        let run = cli.run(command);
        run.fails_with(9);
        assert_eq!(run.stderr.lines().count(), 1, "{}", run.stderr);
    }

    cli.token = "s.not-a-real-token".to_owned();
    let denied = cli.run(&["list"]);
    // OpenBao answers an unknown token with a bare 403 "permission denied" (no
    // "invalid token" as Vault adds), so the mapping gives PermissionDenied.
    denied.fails_with(6);
    assert!(
        !denied.stderr.contains("not-a-real-token"),
        "{}",
        denied.stderr
    );
}
