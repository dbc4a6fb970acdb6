//! `Kv2Store::patch` (Vault's JSON merge patch on `<mount>/data/<path>`) against a real
//! OpenBao server.

mod common;

use ironsecrets_core::Operation;
use ironsecrets_core::{ErrorKind, PutOptions, SecretMap, SecretStore, Version, VersionSelector};
use ironsecrets_testkit::services::openbao::OpenBao;
use ironsecrets_vault::{Kv2Store, KvPatch, KvVersion};

/// A fresh KV v2 mount on `bao` as a `Kv2Store`.
async fn store(bao: &OpenBao) -> Kv2Store {
    let (mount, _) = common::fresh_mount(bao, KvVersion::V2).await;
    let client =
        ironsecrets_vault::VaultClient::connect(&common::config(bao, &mount, KvVersion::V2))
            .await
            .unwrap();
    Kv2Store::new(client, mount)
}

fn map(fields: &[(&str, &str)]) -> SecretMap {
    fields.iter().copied().collect()
}

async fn read(store: &Kv2Store, path: &str) -> SecretMap {
    let secret = store.get(path, VersionSelector::Latest).await.unwrap();
    SecretMap::from_value(&secret.value).unwrap()
}

#[tokio::test]
async fn patch_merges_fields_into_a_new_version() {
    let bao = OpenBao::start();
    let store = store(&bao).await;
    let first = map(&[("user", "app"), ("password", "old-pw"), ("host", "db")]);
    store
        .put("app/db", first.to_value().unwrap(), PutOptions::default())
        .await
        .unwrap();

    let patched = store
        .patch(
            "app/db",
            map(&[("password", "new-pw"), ("port", "5432")]),
            None,
        )
        .await
        .unwrap();
    assert_eq!(patched.version, Version::from(2u64));
    assert_eq!(
        read(&store, "app/db").await,
        map(&[
            ("user", "app"),
            ("password", "new-pw"),
            ("host", "db"),
            ("port", "5432")
        ])
    );
    let old = store
        .get("app/db", VersionSelector::Version(Version::from(1u64)))
        .await
        .unwrap();
    assert_eq!(SecretMap::from_value(&old.value).unwrap(), first);

    // A null in the merge patch removes the field; the others stay.
    let removed = store
        .patch(
            "app/db",
            KvPatch::new().remove("host").set("user", "svc"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(removed.version, Version::from(3u64));
    assert_eq!(
        read(&store, "app/db").await,
        map(&[("user", "svc"), ("password", "new-pw"), ("port", "5432")])
    );

    // The other Vault clients see the same fields.
    let seen = bao.run(&[
        "kv",
        "get",
        "-format=json",
        &format!("{}/app/db", store.mount()),
    ]);
    assert!(
        seen.contains("\"port\": \"5432\"") && !seen.contains("\"host\""),
        "{seen}"
    );
}

#[tokio::test]
async fn patching_a_text_value_adds_fields_beside_it() {
    let bao = OpenBao::start();
    let store = store(&bao).await;
    store
        .put("note", "hello".into(), PutOptions::default())
        .await
        .unwrap();
    store
        .patch("note", KvPatch::new().set("extra", "1"), None)
        .await
        .unwrap();
    assert_eq!(
        read(&store, "note").await,
        map(&[("value", "hello"), ("extra", "1")])
    );
    // Removing the added field leaves exactly `value`: the text again.
    store
        .patch("note", KvPatch::new().remove("extra"), None)
        .await
        .unwrap();
    let secret = store.get("note", VersionSelector::Latest).await.unwrap();
    assert_eq!(secret.value.expose(), b"hello");
}

#[tokio::test]
async fn patch_checks_and_sets_and_refuses_missing_paths() {
    let bao = OpenBao::start();
    let store = store(&bao).await;
    store
        .put(
            "k",
            map(&[("a", "1")]).to_value().unwrap(),
            PutOptions::default(),
        )
        .await
        .unwrap();
    store.patch("k", map(&[("b", "2")]), None).await.unwrap();

    let stale = store
        .patch("k", map(&[("c", "3")]), Some(Version::from(1u64)))
        .await
        .unwrap_err();
    assert_eq!(stale.kind(), ErrorKind::Conflict, "{stale}");
    assert_eq!(read(&store, "k").await, map(&[("a", "1"), ("b", "2")]));
    let current = store
        .patch("k", map(&[("c", "3")]), Some(Version::from(2u64)))
        .await
        .unwrap();
    assert_eq!(current.version, Version::from(3u64));

    let missing = store
        .patch("nothing/here", map(&[("a", "1")]), None)
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound, "{missing}");
    assert_eq!(missing.operation(), Some(Operation::Patch));

    store.delete("k", &[]).await.unwrap();
    let deleted = store
        .patch("k", map(&[("d", "4")]), None)
        .await
        .unwrap_err();
    assert_eq!(deleted.kind(), ErrorKind::NotFound, "{deleted}");

    let empty = store.patch("k", KvPatch::new(), None).await.unwrap_err();
    assert_eq!(empty.kind(), ErrorKind::InvalidInput, "{empty}");
}
