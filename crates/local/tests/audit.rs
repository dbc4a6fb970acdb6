//! The audit trail: one row per call, and any edit, deletion, reordering or cut is found.

mod common;

use common::{new_store, raw};
use ironsecrets_core::{PutOptions, SecretStore, VersionSelector};
use ironsecrets_local::LocalStore;

async fn store_with_history() -> (tempfile::TempDir, LocalStore) {
    let (dir, store) = new_store().await;
    for i in 0..4 {
        store
            .put("app/k", format!("v{i}").into(), PutOptions::default())
            .await
            .unwrap();
    }
    store.get("app/k", VersionSelector::Latest).await.unwrap();
    (dir, store)
}

#[tokio::test]
async fn every_call_writes_a_row_with_principal_operation_path_and_result() {
    let (_dir, store) = store_with_history().await;
    store
        .get("missing", VersionSelector::Latest)
        .await
        .unwrap_err();
    let rows = store.audit_tail(3).await.unwrap();
    let summary: Vec<_> = rows
        .iter()
        .map(|r| {
            (
                r.principal.as_str(),
                r.operation.as_str(),
                r.path.as_str(),
                r.result.as_str(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("admin", "put", "app/k", "ok"),
            ("admin", "get", "app/k", "ok"),
            ("admin", "get", "missing", "NotFound")
        ]
    );
    assert!(rows[0].client.as_deref().unwrap().starts_with("pid:"));
    let report = store.audit_verify().await.unwrap();
    assert!(report.is_intact(), "{report:?}");
    assert!(report.rows >= 8);
}

#[tokio::test]
async fn an_edited_row_is_reported() {
    let (_dir, store) = store_with_history().await;
    raw(&store)
        .execute(
            "UPDATE audit SET principal = 'someone-else' WHERE seq = 3",
            [],
        )
        .unwrap();
    let report = store.audit_verify().await.unwrap();
    assert_eq!(report.first_broken, Some(3), "{report:?}");
}

#[tokio::test]
async fn a_deleted_row_is_reported() {
    let (_dir, store) = store_with_history().await;
    raw(&store)
        .execute("DELETE FROM audit WHERE seq = 2", [])
        .unwrap();
    let report = store.audit_verify().await.unwrap();
    assert_eq!(report.first_broken, Some(2), "{report:?}");
    assert!(report.reason.unwrap().contains("missing"));
}

#[tokio::test]
async fn reordered_rows_are_reported() {
    let (_dir, store) = store_with_history().await;
    let conn = raw(&store);
    conn.execute_batch(
        "UPDATE audit SET seq = -1 WHERE seq = 2;
         UPDATE audit SET seq = 2 WHERE seq = 3;
         UPDATE audit SET seq = 3 WHERE seq = -1;",
    )
    .unwrap();
    let report = store.audit_verify().await.unwrap();
    assert_eq!(report.first_broken, Some(2), "{report:?}");
}

#[tokio::test]
async fn a_cut_tail_is_reported() {
    let (_dir, store) = store_with_history().await;
    raw(&store)
        .execute(
            "DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)",
            [],
        )
        .unwrap();
    let report = store.audit_verify().await.unwrap();
    assert!(report.first_broken.is_some(), "{report:?}");
    assert!(report.reason.unwrap().contains("removed"));
}

#[tokio::test]
async fn the_operation_fails_when_its_audit_row_cannot_be_written() {
    let (_dir, store) = new_store().await;
    raw(&store)
        .execute_batch(
            "CREATE TRIGGER no_audit BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'audit disk full'); END;",
        )
        .unwrap();
    store
        .put("app/k", "v".into(), PutOptions::default())
        .await
        .unwrap_err();
    raw(&store).execute_batch("DROP TRIGGER no_audit").unwrap();
    let err = store
        .get("app/k", VersionSelector::Latest)
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        ironsecrets_core::ErrorKind::NotFound,
        "the put must have been rolled back"
    );
}
