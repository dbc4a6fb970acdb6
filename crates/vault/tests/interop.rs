//! Other Vault clients and ironsecrets see the same secrets: values written by the `bao`
//! CLI read through ironsecrets and the other way round, and tags / rotation policy in
//! `custom_metadata` as the raw HTTP API shows them.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ironsecrets_core::{
    MetadataUpdate, PutOptions, RotationPolicy, SecretMap, SecretValue, VersionSelector,
};
use ironsecrets_testkit::services::openbao::OpenBao;
use ironsecrets_vault::KvVersion;
use serde_json::{Value, json};

#[tokio::test]
async fn tags_and_rotation_policy_are_plain_custom_metadata() {
    let bao = OpenBao::start();
    let (mount, backend) = common::fresh_mount(&bao, KvVersion::V2).await;
    let options = PutOptions {
        metadata: MetadataUpdate {
            tags: Some(BTreeMap::from([("owner".to_owned(), "team-a".to_owned())])),
            rotation: Some(Some(RotationPolicy::days(30, 7))),
            max_versions: Some(5),
        },
        ..PutOptions::default()
    };
    backend
        .store()
        .put("app/db", "pw".into(), options)
        .await
        .unwrap();
    // What another client sees through the HTTP API.
    let raw: Value = serde_json::from_str(&bao.run(&[
        "read",
        "-format=json",
        &format!("{mount}/metadata/app/db"),
    ]))
    .unwrap();
    assert_eq!(
        raw["data"]["custom_metadata"],
        json!({
            "owner": "team-a",
            "ironsecrets.rotation-period": "2592000",
            "ironsecrets.rotation-remind-before": "604800",
        })
    );
    assert_eq!(raw["data"]["max_versions"], 5);

    // And what another client writes, we read.
    bao.run(&[
        "kv",
        "metadata",
        "put",
        "-custom-metadata=owner=ops",
        "-custom-metadata=ironsecrets.rotation-period=86400s",
        &format!("{mount}/app/db"),
    ]);
    let meta = backend.store().metadata("app/db").await.unwrap();
    assert_eq!(meta.tags, BTreeMap::from([("owner".into(), "ops".into())]));
    let policy = meta.rotation.expect("a rotation policy");
    assert_eq!(policy.period, Duration::from_secs(86400));
    assert_eq!(
        policy.remind_before,
        RotationPolicy::default().remind_before
    );
}

#[tokio::test]
async fn secrets_written_by_the_bao_cli_read_through_ironsecrets() {
    let bao = OpenBao::start();
    for kv in [KvVersion::V2, KvVersion::V1] {
        let (mount, backend) = common::fresh_mount(&bao, kv).await;
        let store = backend.store();
        bao.run(&["kv", "put", &format!("{mount}/one"), "value=hunter2"]);
        let one = store.get("one", VersionSelector::Latest).await.unwrap();
        assert_eq!(one.value.expose(), b"hunter2", "{kv:?}");
        bao.run(&[
            "kv",
            "put",
            &format!("{mount}/db"),
            "username=app",
            "password=pä55",
        ]);
        let db = store.get("db", VersionSelector::Latest).await.unwrap();
        let map = SecretMap::from_value(&db.value).unwrap();
        assert_eq!(map.get("username").unwrap().expose(), b"app");
        assert_eq!(map.get("password").unwrap().expose_str().unwrap(), "pä55");
        assert_eq!(store.list("").await.unwrap(), ["db", "one"], "{kv:?}");
    }
}

#[tokio::test]
async fn secrets_written_by_ironsecrets_read_through_the_bao_cli() {
    let bao = OpenBao::start();
    for kv in [KvVersion::V2, KvVersion::V1] {
        let (mount, backend) = common::fresh_mount(&bao, kv).await;
        let store = backend.store();
        let field = |path: &str, name: &str| {
            bao.run(&[
                "kv",
                "get",
                &format!("-field={name}"),
                &format!("{mount}/{path}"),
            ])
        };
        store
            .put("text", "correct horse".into(), PutOptions::default())
            .await
            .unwrap();
        assert_eq!(field("text", "value"), "correct horse", "{kv:?}");

        let map: SecretMap = [("username", "app"), ("password", "pw")]
            .into_iter()
            .collect();
        store
            .put("map", map.to_value().unwrap(), PutOptions::default())
            .await
            .unwrap();
        assert_eq!(field("map", "username"), "app");
        assert_eq!(field("map", "password"), "pw");

        let bytes: Vec<u8> = (0..=255).collect();
        store
            .put(
                "binary",
                SecretValue::new(bytes.clone()),
                PutOptions::default(),
            )
            .await
            .unwrap();
        assert_eq!(field("binary", "encoding"), "base64");
        assert_eq!(STANDARD.decode(field("binary", "value")).unwrap(), bytes);
    }
}

#[tokio::test]
async fn a_namespace_scopes_the_mount() {
    let bao = OpenBao::start();
    bao.run(&["namespace", "create", "team-ns"]);
    bao.run(&[
        "secrets",
        "enable",
        "-namespace=team-ns",
        "-path=kv",
        "-version=2",
        "kv",
    ]);
    let mut config = common::config(&bao, "kv", KvVersion::V2);
    config.namespace = Some("team-ns".to_owned());
    let backend = ironsecrets_vault::open(config.clone()).await.unwrap();
    backend
        .store()
        .put("app/key", "in-namespace".into(), PutOptions::default())
        .await
        .unwrap();
    let seen = bao.run(&[
        "kv",
        "get",
        "-namespace=team-ns",
        "-field=value",
        "kv/app/key",
    ]);
    assert_eq!(seen, "in-namespace");
    // Outside the namespace there is no such mount.
    config.namespace = None;
    let outside = ironsecrets_vault::open(config).await.unwrap();
    assert!(
        outside
            .store()
            .get("app/key", VersionSelector::Latest)
            .await
            .is_err()
    );
}
