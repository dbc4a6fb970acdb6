//! Export and import of a whole store.

mod common;

use common::{FAST_KDF, new_store};
use ironsecrets_core::{
    ErrorKind, MetadataUpdate, PutOptions, RotationPolicy, SecretStore, SecretValue,
    VersionSelector,
};
use ironsecrets_local::bundle;
use std::collections::BTreeMap;

fn passphrase() -> SecretValue {
    SecretValue::from("bundle passphrase")
}

#[tokio::test]
async fn a_store_moves_with_versions_tags_and_policy() {
    let (_a, source) = new_store().await;
    source
        .put("app/db", "v1".into(), PutOptions::default())
        .await
        .unwrap();
    let tags = BTreeMap::from([("team".to_string(), "payments".to_string())]);
    let with_meta = PutOptions {
        metadata: MetadataUpdate {
            tags: Some(tags.clone()),
            rotation: Some(Some(RotationPolicy::days(30, 7))),
            max_versions: Some(5),
        },
        ..Default::default()
    };
    source.put("app/db", "v2".into(), with_meta).await.unwrap();
    source
        .put(
            "bin",
            SecretValue::new(vec![0u8, 255, 7]),
            PutOptions::default(),
        )
        .await
        .unwrap();
    let bytes = bundle::export(&source, &passphrase(), FAST_KDF)
        .await
        .unwrap();
    assert!(
        !bytes.windows(2).any(|w| w == b"v2"),
        "bundle must be encrypted"
    );

    let (_b, target) = new_store().await;
    let summary = bundle::import(&target, &bytes, &passphrase())
        .await
        .unwrap();
    assert_eq!((summary.secrets, summary.versions), (2, 3));
    assert_eq!(
        target
            .get("app/db", VersionSelector::from(1))
            .await
            .unwrap()
            .value
            .expose(),
        b"v1"
    );
    assert_eq!(
        target
            .get("app/db", VersionSelector::Latest)
            .await
            .unwrap()
            .value
            .expose(),
        b"v2"
    );
    assert_eq!(
        target
            .get("bin", VersionSelector::Latest)
            .await
            .unwrap()
            .value
            .expose(),
        [0u8, 255, 7]
    );
    let meta = target.metadata("app/db").await.unwrap();
    assert_eq!(meta.tags, tags);
    assert_eq!(meta.rotation, Some(RotationPolicy::days(30, 7)));
    assert_eq!(meta.max_versions, Some(5));
}

#[tokio::test]
async fn a_wrong_passphrase_or_altered_bundle_is_refused() {
    let (_a, source) = new_store().await;
    source
        .put("k", "v".into(), PutOptions::default())
        .await
        .unwrap();
    let bytes = bundle::export(&source, &passphrase(), FAST_KDF)
        .await
        .unwrap();
    let (_b, target) = new_store().await;
    let err = bundle::import(&target, &bytes, &SecretValue::from("wrong"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Integrity);
    let mut altered = bytes.clone();
    let last = altered.len() - 1;
    altered[last] ^= 1;
    let err = bundle::import(&target, &altered, &passphrase())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Integrity);
    let err = bundle::import(&target, b"garbage", &passphrase())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(target.list("").await.unwrap().is_empty());
}

#[tokio::test]
async fn an_import_that_would_overwrite_writes_nothing() {
    let (_a, source) = new_store().await;
    source
        .put("a", "1".into(), PutOptions::default())
        .await
        .unwrap();
    source
        .put("b", "2".into(), PutOptions::default())
        .await
        .unwrap();
    let bytes = bundle::export(&source, &passphrase(), FAST_KDF)
        .await
        .unwrap();
    let (_b, target) = new_store().await;
    target
        .put("b", "existing".into(), PutOptions::default())
        .await
        .unwrap();
    let err = bundle::import(&target, &bytes, &passphrase())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict);
    assert_eq!(err.path(), Some("b"));
    assert_eq!(target.list("").await.unwrap(), ["b"]);
}
