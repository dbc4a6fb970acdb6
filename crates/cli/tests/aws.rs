//! Runs the built `ironsecrets` binary with `--store aws-sm://…` against a real moto
//! server, credentials and endpoint as any AWS tool takes them.

use std::process::{Command, Stdio};

use ironsecrets_testkit::services::moto::Moto;

const CANARY: &str = "CANARY-aws-77c2e0";

/// What one run of the binary did.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the binary against the shared moto server.
fn run(args: &[&str]) -> Run {
    let moto = Moto::shared();
    let store = format!("aws-sm://{}?endpoint={}", Moto::REGION, moto.endpoint());
    let mut command = Command::new(env!("CARGO_BIN_EXE_ironsecrets"));
    for (name, _) in std::env::vars() {
        if name.starts_with("AWS_") || name.starts_with("IRONSECRETS_") {
            command.env_remove(name);
        }
    }
    let output = command
        .args(["--store", &store])
        .args(args)
        .env("AWS_ACCESS_KEY_ID", Moto::ACCESS_KEY_ID)
        .env("AWS_SECRET_ACCESS_KEY", Moto::SECRET_ACCESS_KEY)
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs");
    Run {
        code: output.status.code().expect("exited, not killed"),
        stdout: String::from_utf8(output.stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn ok(args: &[&str]) -> String {
    let run = run(args);
    assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
    run.stdout
}

#[test]
fn secrets_metadata_and_transit_over_aws() {
    let folder = format!("cli-{}", std::process::id());
    let db = format!("{folder}/db");
    let note = format!("{folder}/note");
    let password = format!("password={CANARY}");
    let first = ok(&[
        "put",
        &db,
        "user=app",
        &password,
        "--tag",
        "env=prod",
        "--rotate-days",
        "30",
    ]);
    assert_eq!(ok(&["get", &db, "--field", "user"]), "app");
    ok(&["put", &note, "v=one"]);
    let second = ok(&["put", &note, "v=two"]);
    assert_eq!(
        ok(&["list", &format!("{folder}/")]),
        format!("{db}\n{note}\n")
    );
    let meta: serde_json::Value =
        serde_json::from_str(&ok(&["metadata", &db, "--set-tag", "owner=ops", "--json"])).unwrap();
    assert_eq!(
        (&meta["tags"]["env"], &meta["tags"]["owner"]),
        (&"prod".into(), &"ops".into())
    );
    assert_eq!(meta["rotation"]["period"], 30 * 86_400);
    // The tags are plain AWS tags, as boto3 sees them.
    let seen = Moto::shared().boto3(
        "import boto3,sys; t=boto3.client('secretsmanager').describe_secret(SecretId=sys.argv[1])['Tags']; \
         print(sorted(x['Key'] for x in t))",
        &[&db],
    );
    assert!(
        seen.contains("'owner'") && seen.contains("'ironsecrets.rotation-period'"),
        "{seen}"
    );

    // A stale check-and-set version is Conflict (exit 5); the current one writes.
    let stale = run(&["put", &db, &password, "--cas", first.trim()]);
    assert_eq!(
        stale.code, 0,
        "the first version is still current: {}",
        stale.stderr
    );
    let refused = run(&["put", &db, &password, "--cas", first.trim()]);
    assert_eq!(refused.code, 5, "{}", refused.stderr);

    ok(&["delete", &note]);
    assert_eq!(run(&["get", &note]).code, 3);
    ok(&["undelete", &note, "--versions", second.trim()]);
    assert_eq!(ok(&["get", &note, "--field", "v"]), "two");
    assert_eq!(
        ok(&["get", &note, "--version", second.trim(), "--field", "v"]),
        "two"
    );

    let key = format!("{folder}-key");
    ok(&["transit", "create", &key]);
    let ciphertext = ok(&["transit", "encrypt", &key, CANARY]);
    assert!(ciphertext.starts_with("aws-kms:v1:"), "{ciphertext}");
    assert_eq!(ok(&["transit", "decrypt", &key, ciphertext.trim()]), CANARY);

    for args in [
        &["metadata", db.as_str()][..],
        &["list", "--json"],
        &["put", &db, &password, "--cas", "0"],
    ] {
        let run = run(args);
        assert!(
            !run.stdout.contains(CANARY) && !run.stderr.contains(CANARY),
            "{args:?}"
        );
    }
}
