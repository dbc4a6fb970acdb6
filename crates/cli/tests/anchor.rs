//! `audit anchor` and `audit verify --anchor`: a restored older copy of a store passes a
//! plain verify but not the anchored one.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const MASTER_KEY: &str = "correct horse battery staple";

/// Every variable the binary reads, removed so nothing leaks in from the environment.
const OUR_VARS: &[&str] = &[
    "IRONSECRETS_STORE",
    "IRONSECRETS_MASTER_KEY",
    "IRONSECRETS_PRINCIPAL",
    "IRONSECRETS_BUNDLE_PASSPHRASE",
];

fn run(file: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ironsecrets"));
    for var in OUR_VARS {
        command.env_remove(var);
    }
    command
        .args(args)
        .env("IRONSECRETS_STORE", format!("local://{}", file.display()))
        .env("IRONSECRETS_MASTER_KEY", MASTER_KEY)
        .output()
        .expect("the binary runs")
}

fn ok(file: &Path, args: &[&str]) -> String {
    let out = run(file, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn store() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("store.db");
    ok(&file, &["init"]);
    (dir, file)
}

#[test]
fn a_restored_copy_passes_verify_but_fails_against_the_anchor() {
    let (dir, file) = store();
    ok(&file, &["put", "app/db", "password=old"]);
    let copy = dir.path().join("copy.db");
    std::fs::copy(&file, &copy).unwrap();
    ok(&file, &["put", "app/db", "password=new"]);
    let anchor = ok(&file, &["audit", "anchor"]);
    let anchor = anchor.trim();
    let (seq, mac) = anchor.split_once(':').expect("<seq>:<mac>");
    assert!(seq.parse::<u64>().is_ok(), "{anchor}");
    assert_eq!(mac.len(), 64, "{anchor}");
    assert!(ok(&file, &["audit", "verify", "--anchor", anchor]).contains("intact"));

    std::fs::copy(&copy, &file).unwrap();
    assert!(ok(&file, &["audit", "verify"]).contains("intact"));
    let rolled_back = run(&file, &["audit", "verify", "--anchor", anchor]);
    assert_eq!(rolled_back.status.code(), Some(13));
    let stderr = String::from_utf8_lossy(&rolled_back.stderr);
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(stderr.contains("does not match the anchor"), "{stderr}");
    assert!(stderr.contains("rolled back"), "{stderr}");
}

#[test]
fn an_edited_store_fails_verify_with_integrity() {
    let (_dir, file) = store();
    ok(&file, &["put", "app/db", "password=v1"]);
    let conn = rusqlite::Connection::open(&file).unwrap();
    conn.execute(
        "UPDATE secrets SET updated_at = '2020-01-01T00:00:00.000000Z'",
        [],
    )
    .unwrap();
    drop(conn);
    let out = run(&file, &["audit", "verify"]);
    assert_eq!(out.status.code(), Some(13));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("app/db"), "{stderr}");
    assert!(stderr.contains("was edited"), "{stderr}");
}

#[test]
fn a_malformed_anchor_is_invalid_input() {
    let (_dir, file) = store();
    let out = run(&file, &["audit", "verify", "--anchor", "12:nothex"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("<row number>:<64 hex digits>"), "{stderr}");
}
