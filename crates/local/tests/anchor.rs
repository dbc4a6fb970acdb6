//! Whole-file rollback: a copy of the store from earlier is consistent in itself, so only
//! an anchor kept outside the file shows that it is not the store that was anchored.

mod common;

use common::{new_store, reopen};
use ironsecrets_core::{ErrorKind, PutOptions, SecretStore, VersionSelector};
use ironsecrets_local::{AuditAnchor, AuditCheck, Grant, LocalStore, Role};

async fn put(store: &LocalStore, value: &str) {
    store
        .put("app/db", value.into(), PutOptions::default())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_restored_older_copy_passes_verify_but_not_the_anchor() {
    let (dir, store) = new_store().await;
    put(&store, "old password").await;
    let file = store.file().to_owned();
    drop(store);
    let copy = dir.path().join("copy.db");
    std::fs::copy(&file, &copy).unwrap();

    let store = reopen_file(&file).await;
    put(&store, "new password").await;
    store.revoke_grant("nobody").await.unwrap_err();
    let anchor = store.audit_anchor().await.unwrap();
    let report = store.audit_verify_anchored(&anchor).await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    drop(store);

    std::fs::copy(&copy, &file).unwrap();
    let rolled_back = reopen_file(&file).await;
    let report = rolled_back.audit_verify().await.unwrap();
    assert!(
        report.is_intact(),
        "the copy is consistent in itself: {report:?}"
    );
    let report = rolled_back.audit_verify_anchored(&anchor).await.unwrap();
    assert_eq!(report.failed, Some(AuditCheck::Anchor), "{report:?}");
    let reason = report.reason.unwrap();
    assert!(
        reason.contains(&format!(
            "audit row {} named by the anchor is missing",
            anchor.seq
        )),
        "{reason}"
    );
    assert!(reason.contains("rolled back"), "{reason}");
    assert_eq!(
        rolled_back
            .get("app/db", VersionSelector::Latest)
            .await
            .unwrap()
            .value
            .expose(),
        b"old password",
    );
}

#[tokio::test]
async fn a_rolled_back_copy_written_again_does_not_match_the_anchor() {
    let (dir, store) = new_store().await;
    let file = store.file().to_owned();
    drop(store);
    let copy = dir.path().join("copy.db");
    std::fs::copy(&file, &copy).unwrap();
    let store = reopen_file(&file).await;
    put(&store, "a").await;
    let anchor = store.audit_anchor().await.unwrap();
    drop(store);
    std::fs::copy(&copy, &file).unwrap();
    let store = reopen_file(&file).await;
    for value in ["b", "c", "d"] {
        put(&store, value).await;
    }
    let report = store.audit_verify_anchored(&anchor).await.unwrap();
    assert_eq!(report.failed, Some(AuditCheck::Anchor), "{report:?}");
    assert!(
        report.reason.unwrap().contains("differs from the anchor"),
        "the row exists again, with another MAC"
    );
}

#[tokio::test]
async fn the_anchor_is_the_newest_row_and_round_trips_as_text() {
    let (_dir, store) = new_store().await;
    put(&store, "v").await;
    let anchor = store.audit_anchor().await.unwrap();
    let tail = store.audit_tail(2).await.unwrap();
    assert_eq!(tail[0].operation, "put");
    assert_eq!(
        anchor.seq, tail[0].seq,
        "the anchor names the row before its own"
    );
    assert_eq!(tail[1].operation, "audit-anchor");
    let text = anchor.to_string();
    assert_eq!(text.parse::<AuditAnchor>().unwrap(), anchor);
    assert!(text.starts_with(&format!("{}:", anchor.seq)));
    store.audit_verify_anchored(&anchor).await.unwrap();
    assert_eq!(
        store.audit_tail(1).await.unwrap()[0].operation,
        "audit-verify"
    );
}

#[tokio::test]
async fn anchors_are_for_admins_only() {
    let (_dir, store) = new_store().await;
    let anchor = store.audit_anchor().await.unwrap();
    store
        .grant(Grant {
            principal: "viewer".into(),
            role: Role::Viewer,
            prefixes: Vec::new(),
        })
        .await
        .unwrap();
    let viewer = reopen(&store, "viewer").await.unwrap();
    for err in [
        viewer.audit_anchor().await.unwrap_err(),
        viewer.audit_verify_anchored(&anchor).await.unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    }
}

async fn reopen_file(file: &std::path::Path) -> LocalStore {
    LocalStore::open(file, &common::master(), common::options("admin"))
        .await
        .unwrap()
}
