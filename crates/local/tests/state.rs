//! Every legitimate operation keeps the sealed state valid: after a long mixed sequence
//! from two handles `audit verify` is intact and a new open succeeds; each write counts
//! once, reads never write the state.

mod common;

use std::collections::BTreeMap;

use common::{master, new_store, options, raw, reopen};
use ironsecrets_core::{
    KeyOptions, KeyType, MetadataUpdate, PutOptions, RotationPolicy, SecretStore, SecretValue,
    Transit, Version, VersionSelector,
};
use ironsecrets_local::{Grant, LocalStore, Role};

fn rows_in_file(store: &LocalStore) -> u64 {
    raw(store)
        .query_row(
            "SELECT (SELECT COUNT(*) FROM secrets) + (SELECT COUNT(*) FROM versions)
                  + (SELECT COUNT(*) FROM principals) + (SELECT COUNT(*) FROM transit_keys)
                  + (SELECT COUNT(*) FROM transit_key_versions)",
            [],
            |row| row.get(0),
        )
        .unwrap()
}

async fn assert_intact(store: &LocalStore) {
    let report = store.audit_verify().await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert_eq!(report.metadata_rows, rows_in_file(store), "{report:?}");
}

#[tokio::test]
async fn a_long_mixed_sequence_keeps_the_state_valid() {
    let (dir, first) = new_store().await;
    let second = reopen(&first, "admin").await.unwrap();
    let limited = MetadataUpdate {
        max_versions: Some(3),
        ..Default::default()
    };
    for i in 0..8 {
        let (store, other) = if i % 2 == 0 {
            (&first, &second)
        } else {
            (&second, &first)
        };
        let path = format!("app/s{}", i % 3);
        store
            .put(
                &path,
                format!("v{i}").into(),
                PutOptions {
                    cas: None,
                    metadata: if i == 2 {
                        limited.clone()
                    } else {
                        Default::default()
                    },
                },
            )
            .await
            .unwrap();
        other
            .put("app/shared", format!("{i}").into(), PutOptions::default())
            .await
            .unwrap();
    }
    first.delete("app/shared", &[]).await.unwrap();
    second.undelete("app/shared", &[]).await.unwrap();
    first
        .delete("app/shared", &[Version::from(2), Version::from(3)])
        .await
        .unwrap();
    second
        .destroy("app/shared", &[Version::from(2)])
        .await
        .unwrap();
    first
        .update_metadata(
            "app/shared",
            MetadataUpdate {
                tags: Some(BTreeMap::from([("owner".into(), "ops".into())])),
                rotation: Some(Some(RotationPolicy::default())),
                max_versions: Some(2),
            },
        )
        .await
        .unwrap();
    assert_eq!(
        second.metadata("app/shared").await.unwrap().versions.len(),
        2,
        "trimmed to the new limit"
    );
    second.purge("app/s1").await.unwrap();
    first
        .put("app/s1", "reborn".into(), PutOptions::default())
        .await
        .unwrap();
    first
        .grant(Grant {
            principal: "agent".into(),
            role: Role::Agent,
            prefixes: vec!["app/".into()],
        })
        .await
        .unwrap();
    second
        .grant(Grant {
            principal: "agent".into(),
            role: Role::Viewer,
            prefixes: Vec::new(),
        })
        .await
        .unwrap();
    first
        .grant(Grant {
            principal: "temp".into(),
            role: Role::Admin,
            prefixes: Vec::new(),
        })
        .await
        .unwrap();
    second.revoke_grant("temp").await.unwrap();
    first
        .create_key("payments", KeyOptions::default())
        .await
        .unwrap();
    second.rotate_key("payments").await.unwrap();
    first.rotate_key("payments").await.unwrap();
    second
        .set_min_decryption_version("payments", 2)
        .await
        .unwrap();
    first
        .import_key("imported", KeyType::Ed25519, SecretValue::new([7u8; 32]))
        .await
        .unwrap();
    let signature = second.sign("imported", b"data").await.unwrap();
    assert!(first.verify("imported", b"data", &signature).await.unwrap());
    let ciphertext = first.encrypt("payments", b"pan", None).await.unwrap();
    let new_master = SecretValue::from("the next master key");
    second
        .rotate_master_key(&new_master, common::FAST_KDF)
        .await
        .unwrap();
    assert_eq!(
        first
            .decrypt("payments", &ciphertext, None)
            .await
            .unwrap()
            .expose(),
        b"pan"
    );
    assert_intact(&first).await;
    assert_intact(&second).await;

    drop((first, second));
    let file = dir.path().join("store.db");
    let reopened = LocalStore::open(&file, &new_master, options("admin"))
        .await
        .unwrap();
    assert_intact(&reopened).await;
    assert_eq!(
        reopened
            .get("app/s1", VersionSelector::Latest)
            .await
            .unwrap()
            .value
            .expose(),
        b"reborn"
    );
    LocalStore::open(&file, &master(), options("admin"))
        .await
        .unwrap_err();
}

#[tokio::test]
async fn each_write_counts_once_and_reads_write_no_state() {
    let (_dir, store) = new_store().await;
    store
        .put("app/k", "1".into(), PutOptions::default())
        .await
        .unwrap();
    let writes = || async { store.audit_verify().await.unwrap().writes };
    let digest = || -> Vec<u8> {
        raw(&store)
            .query_row("SELECT digest FROM header", [], |row| row.get(0))
            .unwrap()
    };
    let before = (writes().await, digest());
    store.get("app/k", VersionSelector::Latest).await.unwrap();
    store.metadata("app/k").await.unwrap();
    store.list("").await.unwrap();
    store.grants().await.unwrap();
    store
        .get("missing", VersionSelector::Latest)
        .await
        .unwrap_err();
    assert_eq!(
        (writes().await, digest()),
        before,
        "reads changed the state"
    );
    store
        .put("app/k", "2".into(), PutOptions::default())
        .await
        .unwrap();
    assert_eq!(writes().await, before.0 + 1);
    assert_ne!(digest(), before.1);
    store
        .put(
            "app/k",
            "3".into(),
            PutOptions {
                cas: Some(ironsecrets_core::Cas::MustNotExist),
                ..Default::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(
        writes().await,
        before.0 + 1,
        "a failed write counts nothing"
    );
}
