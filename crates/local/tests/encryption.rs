//! Values at rest: sealed, bound to their row, unlocked only by the right master key.

mod common;

use common::{master, new_store, options, raw};
use ironsecrets_core::{ErrorKind, PutOptions, SecretStore, SecretValue, VersionSelector};
use ironsecrets_local::{KdfParams, LocalStore, OpenOptions};

const CANARY: &str = "canary-value-5b1e0d";

#[tokio::test]
async fn values_are_not_stored_in_the_clear() {
    let (_dir, store) = new_store().await;
    store
        .put("app/key", CANARY.into(), PutOptions::default())
        .await
        .unwrap();
    drop(raw(&store).execute("PRAGMA wal_checkpoint(FULL)", []));
    let bytes = std::fs::read(store.file()).unwrap();
    let wal = std::fs::read(store.file().with_extension("db-wal")).unwrap_or_default();
    for haystack in [bytes, wal] {
        assert!(
            !haystack
                .windows(CANARY.len())
                .any(|w| w == CANARY.as_bytes())
        );
    }
}

#[tokio::test]
async fn a_tampered_ciphertext_is_an_integrity_error() {
    let (_dir, store) = new_store().await;
    store
        .put("app/key", "v".into(), PutOptions::default())
        .await
        .unwrap();
    let conn = raw(&store);
    let mut sealed: Vec<u8> = conn
        .query_row(
            "SELECT sealed FROM versions WHERE path = 'app/key'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let last = sealed.len() - 1;
    sealed[last] ^= 0x40;
    conn.execute(
        "UPDATE versions SET sealed = ?1 WHERE path = 'app/key'",
        [sealed],
    )
    .unwrap();
    let err = store
        .get("app/key", VersionSelector::Latest)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Integrity);
    assert_eq!(err.path(), Some("app/key"));
}

#[tokio::test]
async fn a_blob_swapped_to_another_row_or_version_fails() {
    let (_dir, store) = new_store().await;
    store
        .put("a", "value-a".into(), PutOptions::default())
        .await
        .unwrap();
    store
        .put("b", "value-b".into(), PutOptions::default())
        .await
        .unwrap();
    store
        .put("b", "value-b2".into(), PutOptions::default())
        .await
        .unwrap();
    let conn = raw(&store);
    conn.execute(
        "UPDATE versions SET sealed = (SELECT sealed FROM versions WHERE path = 'a') WHERE path = 'b' AND version = 1",
        [],
    )
    .unwrap();
    let err = store.get("b", VersionSelector::from(1)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Integrity);
    conn.execute(
        "UPDATE versions SET sealed = (SELECT sealed FROM versions WHERE path = 'b' AND version = 2) WHERE path = 'b' AND version = 1",
        [],
    )
    .unwrap();
    let err = store.get("b", VersionSelector::from(1)).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Integrity);
    assert_eq!(
        store
            .get("b", VersionSelector::Latest)
            .await
            .unwrap()
            .value
            .expose(),
        b"value-b2"
    );
}

#[tokio::test]
async fn a_wrong_master_key_is_refused_clearly() {
    let (dir, store) = new_store().await;
    drop(store);
    let err = LocalStore::open(
        dir.path().join("store.db"),
        &SecretValue::from("not the key"),
        options("admin"),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Integrity);
    assert!(err.to_string().contains("master key is wrong"), "{err}");
    assert!(!err.to_string().contains("not the key"));
}

#[tokio::test]
async fn an_empty_master_key_or_missing_store_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = LocalStore::open(
        dir.path().join("s.db"),
        &SecretValue::from(""),
        options("admin"),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let no_create = OpenOptions {
        create: false,
        ..options("admin")
    };
    let err = LocalStore::open(dir.path().join("absent.db"), &master(), no_create)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("ironsecrets init"), "{err}");
}

#[tokio::test]
async fn a_file_that_is_not_a_store_is_a_config_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("junk.db");
    std::fs::write(
        &file,
        b"this is not sqlite at all, just some text padding it out",
    )
    .unwrap();
    let err = LocalStore::open(&file, &master(), options("admin"))
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::Config | ErrorKind::Unexpected),
        "{err:?}"
    );
}

#[tokio::test]
async fn master_key_rotation_rewraps_without_reencrypting() {
    let (dir, store) = new_store().await;
    store
        .put("app/key", "kept".into(), PutOptions::default())
        .await
        .unwrap();
    let before: Vec<u8> = raw(&store)
        .query_row("SELECT sealed FROM versions", [], |r| r.get(0))
        .unwrap();
    let new_key = SecretValue::from("the new master key");
    store
        .rotate_master_key(&new_key, common::FAST_KDF)
        .await
        .unwrap();
    drop(store);
    let file = dir.path().join("store.db");
    let err = LocalStore::open(&file, &master(), options("admin"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Integrity);
    let reopened = LocalStore::open(&file, &new_key, options("admin"))
        .await
        .unwrap();
    let after: Vec<u8> = raw(&reopened)
        .query_row("SELECT sealed FROM versions", [], |r| r.get(0))
        .unwrap();
    assert_eq!(before, after, "values must not be re-encrypted");
    let value = reopened
        .get("app/key", VersionSelector::Latest)
        .await
        .unwrap();
    assert_eq!(value.value.expose(), b"kept");
}

#[tokio::test]
async fn default_kdf_parameters_are_stored_in_the_header() {
    let dir = tempfile::tempdir().unwrap();
    let options = OpenOptions::default();
    let store = LocalStore::open(dir.path().join("s.db"), &master(), options)
        .await
        .unwrap();
    let kdf: String = raw(&store)
        .query_row("SELECT kdf FROM header", [], |r| r.get(0))
        .unwrap();
    let stored: KdfParams = serde_json::from_str(&kdf).unwrap();
    assert_eq!(
        stored,
        KdfParams {
            memory_kib: 65536,
            iterations: 3,
            parallelism: 4
        }
    );
    let salt: Vec<u8> = raw(&store)
        .query_row("SELECT salt FROM header", [], |r| r.get(0))
        .unwrap();
    assert_eq!(salt.len(), 16);
}

#[tokio::test]
async fn the_canary_never_shows_in_debug_or_errors() {
    let (_dir, store) = new_store().await;
    store
        .put("app/key", CANARY.into(), PutOptions::default())
        .await
        .unwrap();
    let secret = store.get("app/key", VersionSelector::Latest).await.unwrap();
    assert!(!format!("{secret:?} {store:?}").contains(CANARY));
    let err = store
        .put(
            "app/key",
            CANARY.into(),
            PutOptions {
                cas: Some(ironsecrets_core::Cas::MustNotExist),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert!(!format!("{err} {err:?}").contains(CANARY));
}
