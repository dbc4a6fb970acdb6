//! A schema-1 store (written by the schema-1 code: tests/fixtures/store-v1.db) is sealed
//! on its first open with the master key and reads exactly as before; afterwards edits
//! are caught like in any new store.

mod common;

use std::path::{Path, PathBuf};

use ironsecrets_core::{
    Ciphertext, ErrorKind, SecretMetadata, SecretStore, SecretValue, Transit, VersionSelector,
};
use ironsecrets_local::{AuditCheck, Grant, LocalStore, OpenOptions};
use serde_json::Value;
use tempfile::TempDir;

/// The fixture's master key.
const FIXTURE_MASTER_KEY: &str = "fixture master key (schema 1)";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

/// A private copy of the fixture store.
fn copy_of_fixture() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("store.db");
    std::fs::copy(fixture("store-v1.db"), &file).unwrap();
    (dir, file)
}

fn user_version(file: &Path) -> u32 {
    rusqlite::Connection::open(file)
        .unwrap()
        .query_row("PRAGMA user_version", [], |row| row.get(0))
        .unwrap()
}

async fn open(file: &Path, principal: &str) -> ironsecrets_core::Result<LocalStore> {
    let options = OpenOptions {
        create: false,
        ..OpenOptions::default().principal(principal)
    };
    LocalStore::open(file, &SecretValue::from(FIXTURE_MASTER_KEY), options).await
}

fn expected() -> Value {
    serde_json::from_slice(&std::fs::read(fixture("store-v1.json")).unwrap()).unwrap()
}

#[tokio::test]
async fn a_schema_1_store_reads_exactly_as_before_after_sealing() {
    let (_dir, file) = copy_of_fixture();
    assert_eq!(user_version(&file), 1);
    let store = open(&file, "admin").await.unwrap();
    assert_eq!(user_version(&file), 2);
    let expected = expected();

    let secrets = expected["secrets"].as_object().unwrap();
    assert_eq!(
        store.list("").await.unwrap(),
        secrets.keys().cloned().collect::<Vec<_>>()
    );
    for (path, want) in secrets {
        let meta = store.metadata(path).await.unwrap();
        let want_meta: SecretMetadata = serde_json::from_value(want["metadata"].clone()).unwrap();
        assert_eq!(meta, want_meta, "{path}");
        for (version, value) in want["values"].as_object().unwrap() {
            let number: u64 = version.parse().unwrap();
            let secret = store
                .get(path, VersionSelector::from(number))
                .await
                .unwrap();
            assert_eq!(secret.value.expose_str().unwrap(), value.as_str().unwrap());
        }
        for gone in &meta.versions {
            if !want["values"]
                .as_object()
                .unwrap()
                .contains_key(&gone.version.to_string())
            {
                let err = store
                    .get(path, VersionSelector::Version(gone.version.clone()))
                    .await
                    .unwrap_err();
                assert_eq!(err.kind(), ErrorKind::NotFound, "{path} {}", gone.version);
            }
        }
    }
    let err = store
        .get("ops/root", VersionSelector::from(1))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "trimmed before sealing");

    let grants: Vec<Grant> = serde_json::from_value(expected["grants"].clone()).unwrap();
    assert_eq!(store.grants().await.unwrap(), grants);
    let agent = open(&file, "agent-1").await.unwrap();
    assert!(agent.get("app/db", VersionSelector::Latest).await.is_ok());
    let denied = agent
        .get("ops/root", VersionSelector::Latest)
        .await
        .unwrap_err();
    assert_eq!(denied.kind(), ErrorKind::PermissionDenied);

    assert_eq!(
        serde_json::to_value(store.read_key("payments").await.unwrap()).unwrap(),
        expected["transit"]
    );
    for case in expected["ciphertexts"].as_array().unwrap() {
        let ciphertext = Ciphertext::new(case["ciphertext"].as_str().unwrap());
        let context = case["context"].as_str().map(str::as_bytes);
        let plain = store
            .decrypt("payments", &ciphertext, context)
            .await
            .unwrap();
        assert_eq!(
            plain.expose_str().unwrap(),
            case["plaintext"].as_str().unwrap()
        );
    }

    let report = store.audit_verify().await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert!(report.metadata_rows >= 16, "{report:?}");
    let sealed = store
        .audit_tail(50)
        .await
        .unwrap()
        .into_iter()
        .filter(|row| row.operation == "migrate")
        .count();
    assert_eq!(sealed, 1, "sealed once, audited once");
    drop((store, agent));
    let reopened = open(&file, "admin").await.unwrap();
    assert!(reopened.audit_verify().await.unwrap().is_intact());
}

#[tokio::test]
async fn edits_after_sealing_are_integrity() {
    let (_dir, file) = copy_of_fixture();
    let store = open(&file, "admin").await.unwrap();
    rusqlite::Connection::open(&file)
        .unwrap()
        .execute(
            "UPDATE secrets SET updated_at = '2030-01-01T00:00:00.000000Z' WHERE path = 'app/db'",
            [],
        )
        .unwrap();
    let err = store.metadata("app/db").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Integrity, "{err}");
    let report = store.audit_verify().await.unwrap();
    assert_eq!(report.failed, Some(AuditCheck::Metadata), "{report:?}");
    let err = open(&file, "admin").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Integrity, "{err}");
    assert!(err.to_string().contains("app/db"), "{err}");
}

#[tokio::test]
async fn stripped_seals_are_never_sealed_again() {
    let (_dir, file) = copy_of_fixture();
    drop(open(&file, "admin").await.unwrap());
    rusqlite::Connection::open(&file)
        .unwrap()
        .execute_batch(
            "UPDATE header SET mac = NULL, digest = NULL, writes = 0;
             UPDATE secrets SET mac = NULL, secret_id = NULL, first_version = NULL;
             UPDATE versions SET mac = NULL;
             UPDATE principals SET mac = NULL, role = 'admin';",
        )
        .unwrap();
    let err = open(&file, "agent-1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Integrity, "{err}");
    assert!(
        err.to_string().contains("the store header was edited"),
        "{err}"
    );
}

#[tokio::test]
async fn a_data_key_wrapped_the_old_way_again_is_refused() {
    let (_dir, file) = copy_of_fixture();
    let old_wrapping: Vec<u8> = rusqlite::Connection::open(&file)
        .unwrap()
        .query_row("SELECT wrapped FROM data_keys", [], |row| row.get(0))
        .unwrap();
    drop(open(&file, "admin").await.unwrap());
    rusqlite::Connection::open(&file)
        .unwrap()
        .execute("UPDATE data_keys SET wrapped = ?1", [old_wrapping])
        .unwrap();
    let err = open(&file, "admin").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Integrity, "{err}");
    assert!(err.to_string().contains("sealed before"), "{err}");
}

#[tokio::test]
async fn a_failed_sealing_writes_nothing_and_the_next_open_seals() {
    let (_dir, file) = copy_of_fixture();
    let query = |sql: &str| -> rusqlite::types::Value {
        rusqlite::Connection::open(&file)
            .unwrap()
            .query_row(sql, [], |row| row.get(0))
            .unwrap()
    };
    let wrapped = query("SELECT wrapped FROM data_keys");
    let audit_rows = query("SELECT COUNT(*) FROM audit");
    rusqlite::Connection::open(&file)
        .unwrap()
        .execute_batch(
            "CREATE TRIGGER no_sealing BEFORE INSERT ON audit WHEN NEW.operation = 'migrate'
             BEGIN SELECT RAISE(ABORT, 'disk full'); END;",
        )
        .unwrap();
    open(&file, "admin").await.unwrap_err();
    assert_eq!(query("SELECT wrapped FROM data_keys"), wrapped);
    assert_eq!(query("SELECT COUNT(*) FROM audit"), audit_rows);
    assert_eq!(
        query(
            "SELECT (SELECT COUNT(*) FROM secrets WHERE mac IS NOT NULL)
                  + (SELECT COUNT(*) FROM versions WHERE mac IS NOT NULL)
                  + (SELECT COUNT(*) FROM header WHERE mac IS NOT NULL)"
        ),
        rusqlite::types::Value::Integer(0),
        "no row was sealed"
    );
    rusqlite::Connection::open(&file)
        .unwrap()
        .execute_batch("DROP TRIGGER no_sealing")
        .unwrap();
    let store = open(&file, "admin").await.unwrap();
    assert!(store.audit_verify().await.unwrap().is_intact());
    assert_eq!(
        store
            .get("app/db", VersionSelector::Latest)
            .await
            .unwrap()
            .value
            .expose_str()
            .unwrap(),
        "db-password-3"
    );
}

#[tokio::test]
async fn a_wrong_master_key_seals_nothing() {
    let (_dir, file) = copy_of_fixture();
    let err = LocalStore::open(
        &file,
        &SecretValue::from("not the fixture key"),
        OpenOptions::default(),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Integrity);
    assert!(err.to_string().contains("master key is wrong"), "{err}");
    let unsealed: i64 = rusqlite::Connection::open(&file)
        .unwrap()
        .query_row(
            "SELECT COUNT(*) FROM secrets WHERE mac IS NULL",
            [],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(unsealed, 4);
}

#[tokio::test]
async fn a_store_from_a_newer_schema_is_still_refused() {
    let (_dir, file) = copy_of_fixture();
    rusqlite::Connection::open(&file)
        .unwrap()
        .pragma_update(None, "user_version", 3)
        .unwrap();
    let err = open(&file, "admin").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("newer than this build"), "{err}");
}
