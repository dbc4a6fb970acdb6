//! Two processes writing one store: check-and-set loses no update, and a writer that
//! finds the store locked waits instead of failing.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use ironsecrets::local::{KdfParams, LocalStore, OpenOptions};
use ironsecrets::{PutOptions, SecretStore, SecretValue};

const MASTER_KEY: &str = "two process test key";
const INCREMENTS: u32 = 15;

fn ironsecrets(store: &Path, args: &[&str], stdin: Option<&str>) -> std::process::Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ironsecrets"))
        .args(args)
        .env("IRONSECRETS_STORE", format!("local://{}", store.display()))
        .env("IRONSECRETS_MASTER_KEY", MASTER_KEY)
        .env_remove("IRONSECRETS_PRINCIPAL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    child.wait_with_output().unwrap()
}

/// One process's worth of increments, each a `get --json` then a `put --cas`, retried
/// on Conflict (exit 5) or Unavailable (exit 10).
fn increment_loop(store: &Path) {
    let mut done = 0;
    while done < INCREMENTS {
        let read = ironsecrets(store, &["get", "counter", "--json"], None);
        assert!(
            read.status.success(),
            "{}",
            String::from_utf8_lossy(&read.stderr)
        );
        let json: serde_json::Value = serde_json::from_slice(&read.stdout).unwrap();
        let n: u32 = json["value"].as_str().unwrap().parse().unwrap();
        let version = json["version"]
            .as_str()
            .map(str::to_owned)
            .unwrap_or_else(|| json["version"].to_string());
        let next = (n + 1).to_string();
        let write = ironsecrets(
            store,
            &["put", "counter", "-", "--cas", &version],
            Some(&next),
        );
        match write.status.code() {
            Some(0) => done += 1,
            Some(5 | 10) => continue,
            other => panic!(
                "put exited {other:?}: {}",
                String::from_utf8_lossy(&write.stderr)
            ),
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn two_processes_incrementing_with_cas_lose_no_update() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("shared.db");
    let options = OpenOptions {
        kdf: KdfParams {
            memory_kib: 64,
            iterations: 1,
            parallelism: 1,
        },
        ..OpenOptions::default()
    };
    let store = LocalStore::open(&file, &SecretValue::from(MASTER_KEY), options)
        .await
        .unwrap();
    store
        .put("counter", "0".into(), PutOptions::default())
        .await
        .unwrap();

    let writers: Vec<_> = (0..2)
        .map(|_| {
            let file = file.clone();
            std::thread::spawn(move || increment_loop(&file))
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    let last = store.get("counter", Default::default()).await.unwrap();
    assert_eq!(
        last.value.expose_str().unwrap(),
        (2 * INCREMENTS).to_string()
    );
    assert!(store.audit_verify().await.unwrap().is_intact());
}
