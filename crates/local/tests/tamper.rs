//! Metadata at rest is authenticated: with write access to the file but no master key,
//! an edit, a dropped row, a swap or a replayed older row is Integrity on the next read
//! or, at the latest, on the next open and in `audit verify`; and a failed call writes
//! nothing.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{new_store, raw, reopen, snapshot};
use ironsecrets_core::{
    Error, ErrorKind, KeyOptions, MetadataUpdate, PutOptions, RotationPolicy, SecretStore, Transit,
    Version, VersionSelector,
};
use ironsecrets_local::{AuditCheck, Grant, LocalStore, Role};
use rusqlite::types::Value;

/// A store with three versions of `app/db` (tags and a rotation policy), one of
/// `app/api`, an agent, and a transit key at version 2.
async fn seeded() -> (tempfile::TempDir, LocalStore) {
    let (dir, store) = new_store().await;
    for i in 1..=3 {
        store
            .put("app/db", format!("db-{i}").into(), PutOptions::default())
            .await
            .unwrap();
    }
    store
        .update_metadata(
            "app/db",
            MetadataUpdate {
                tags: Some(BTreeMap::from([("team".into(), "payments".into())])),
                rotation: Some(Some(RotationPolicy {
                    period: Duration::from_secs(30 * 86_400),
                    remind_before: Duration::from_secs(7 * 86_400),
                })),
                max_versions: None,
            },
        )
        .await
        .unwrap();
    store
        .put("app/api", "api-1".into(), PutOptions::default())
        .await
        .unwrap();
    store
        .grant(Grant {
            principal: "agent-1".into(),
            role: Role::Agent,
            prefixes: vec!["app/".into()],
        })
        .await
        .unwrap();
    store
        .create_key("payments", KeyOptions::default())
        .await
        .unwrap();
    store.rotate_key("payments").await.unwrap();
    (dir, store)
}

#[track_caller]
fn assert_integrity(err: Error, says: &str) {
    assert_eq!(err.kind(), ErrorKind::Integrity, "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(text.contains(says), "expected '{says}' in {text}");
}

/// The next open is refused, and `audit verify` on the open handle names the problem
/// as a metadata failure.
async fn assert_found_by_open_and_verify(store: &LocalStore, says: &str) {
    let err = reopen(store, "admin").await.unwrap_err();
    assert_integrity(err, says);
    let report = store.audit_verify().await.unwrap();
    assert!(!report.is_intact(), "{report:?}");
    assert_eq!(report.failed, Some(AuditCheck::Metadata), "{report:?}");
    assert_eq!(
        report.first_broken, None,
        "the audit chain itself is intact"
    );
    let reason = report.reason.unwrap();
    assert!(reason.contains(says), "expected '{says}' in {reason}");
}

/// A write touching the tampered rows fails and leaves every row as it was.
async fn assert_write_refused(store: &LocalStore, says: &str) {
    let before = snapshot(store);
    let err = store
        .put("app/db", "db-4".into(), PutOptions::default())
        .await
        .unwrap_err();
    assert_integrity(err, says);
    assert_eq!(snapshot(store), before, "the failed put wrote something");
}

fn rows(store: &LocalStore, sql: &str) -> Vec<Vec<Value>> {
    let conn = raw(store);
    let mut stmt = conn.prepare(sql).unwrap();
    let columns = stmt.column_count();
    stmt.query_map([], |row| (0..columns).map(|i| row.get(i)).collect())
        .unwrap()
        .collect::<rusqlite::Result<_>>()
        .unwrap()
}

fn insert_rows(store: &LocalStore, table: &str, rows: &[Vec<Value>]) {
    let conn = raw(store);
    for row in rows {
        let marks = vec!["?"; row.len()].join(", ");
        conn.execute(
            &format!("INSERT INTO {table} VALUES ({marks})"),
            rusqlite::params_from_iter(row),
        )
        .unwrap();
    }
}

#[tokio::test]
async fn a_rolled_back_secret_is_integrity() {
    let (_dir, store) = seeded().await;
    raw(&store)
        .execute_batch(
            "DELETE FROM versions WHERE path = 'app/db' AND version = 3;
             UPDATE secrets SET current_version = 2 WHERE path = 'app/db';",
        )
        .unwrap();
    let err = store
        .get("app/db", VersionSelector::Latest)
        .await
        .unwrap_err();
    assert_eq!(err.path(), Some("app/db"));
    assert_integrity(err, "was edited");
    assert_integrity(store.metadata("app/db").await.unwrap_err(), "was edited");
    assert_integrity(store.list("app/").await.unwrap_err(), "app/db");
    assert_write_refused(&store, "was edited").await;
    assert_found_by_open_and_verify(&store, "app/db").await;
}

#[tokio::test]
async fn edited_times_or_rotation_policy_are_integrity() {
    for edit in [
        "UPDATE secrets SET updated_at = '2020-01-01T00:00:00.000000Z' WHERE path = 'app/db'",
        "UPDATE secrets SET created_at = '2020-01-01T00:00:00.000000Z' WHERE path = 'app/db'",
        "UPDATE secrets SET rotation = NULL WHERE path = 'app/db'",
        "UPDATE secrets SET rotation = '{\"period\":315360000,\"remind_before\":0}' WHERE path = 'app/db'",
        "UPDATE secrets SET tags = '{}' WHERE path = 'app/db'",
        "UPDATE secrets SET max_versions = 1 WHERE path = 'app/db'",
    ] {
        let (_dir, store) = seeded().await;
        raw(&store).execute(edit, []).unwrap();
        let err = store.metadata("app/db").await.unwrap_err();
        assert_eq!(err.path(), Some("app/db"), "{edit}");
        assert_integrity(err, "was edited");
        assert_write_refused(&store, "was edited").await;
        assert_found_by_open_and_verify(&store, "app/db").await;
    }
}

#[tokio::test]
async fn an_edited_version_row_is_integrity() {
    let (_dir, store) = seeded().await;
    raw(&store)
        .execute(
            "UPDATE versions SET created_at = '2020-01-01T00:00:00.000000Z'
             WHERE path = 'app/db' AND version = 3",
            [],
        )
        .unwrap();
    let err = store
        .get("app/db", VersionSelector::Latest)
        .await
        .unwrap_err();
    assert_integrity(err, "the row of version 3 was edited");
    assert_integrity(
        store.metadata("app/db").await.unwrap_err(),
        "the row of version 3 was edited",
    );
    let before = snapshot(&store);
    assert_integrity(
        store.delete("app/db", &[]).await.unwrap_err(),
        "the row of version 3 was edited",
    );
    assert_eq!(snapshot(&store), before);
    assert_found_by_open_and_verify(&store, "the row of version 3 was edited").await;
}

#[tokio::test]
async fn a_dropped_version_row_is_integrity() {
    let (_dir, store) = seeded().await;
    raw(&store)
        .execute(
            "DELETE FROM versions WHERE path = 'app/db' AND version = 2",
            [],
        )
        .unwrap();
    let err = store
        .get("app/db", VersionSelector::from(2))
        .await
        .unwrap_err();
    assert_integrity(
        err,
        "version 2 is within the versions kept but its row is missing",
    );
    assert_integrity(
        store.metadata("app/db").await.unwrap_err(),
        "its row is missing",
    );
    let before = snapshot(&store);
    assert_integrity(
        store
            .destroy("app/db", &[Version::from(2)])
            .await
            .unwrap_err(),
        "its row is missing",
    );
    assert_integrity(
        store.purge("app/db").await.unwrap_err(),
        "its row is missing",
    );
    assert_eq!(snapshot(&store), before);
    assert_eq!(
        store
            .get("app/db", VersionSelector::Latest)
            .await
            .unwrap()
            .value
            .expose(),
        b"db-3",
        "versions whose rows are intact still read"
    );
    assert_found_by_open_and_verify(&store, "a version row is missing").await;
}

#[tokio::test]
async fn an_edited_role_or_prefix_list_is_integrity() {
    for edit in [
        "UPDATE principals SET role = 'admin' WHERE name = 'agent-1'",
        "UPDATE principals SET prefixes = '[\"\"]' WHERE name = 'agent-1'",
    ] {
        let (_dir, admin) = seeded().await;
        let agent = reopen(&admin, "agent-1").await.unwrap();
        raw(&admin).execute(edit, []).unwrap();
        let err = agent
            .get("app/db", VersionSelector::Latest)
            .await
            .unwrap_err();
        assert_integrity(err, "the role of principal 'agent-1' was edited");
        assert_integrity(
            admin.grants().await.unwrap_err(),
            "principal 'agent-1' was edited",
        );
        let before = snapshot(&admin);
        let err = admin
            .grant(Grant {
                principal: "agent-1".into(),
                role: Role::Viewer,
                prefixes: Vec::new(),
            })
            .await
            .unwrap_err();
        assert_integrity(err, "agent-1");
        assert_eq!(snapshot(&admin), before);
        assert_found_by_open_and_verify(&admin, "principal 'agent-1'").await;
    }
}

#[tokio::test]
async fn swapped_secret_rows_are_integrity() {
    let (_dir, store) = seeded().await;
    raw(&store)
        .execute_batch(
            "PRAGMA foreign_keys = OFF;
             UPDATE secrets SET path = 'swap' WHERE path = 'app/db';
             UPDATE secrets SET path = 'app/db' WHERE path = 'app/api';
             UPDATE secrets SET path = 'app/api' WHERE path = 'swap';",
        )
        .unwrap();
    for path in ["app/db", "app/api"] {
        let err = store.get(path, VersionSelector::Latest).await.unwrap_err();
        assert_eq!(err.path(), Some(path));
        assert_integrity(err, "was edited");
    }
    assert_found_by_open_and_verify(&store, "was edited").await;
}

#[tokio::test]
async fn swapped_version_rows_are_integrity() {
    let (_dir, store) = seeded().await;
    raw(&store)
        .execute_batch(
            "UPDATE versions SET version = 99 WHERE path = 'app/db' AND version = 2;
             UPDATE versions SET version = 2 WHERE path = 'app/db' AND version = 3;
             UPDATE versions SET version = 3 WHERE path = 'app/db' AND version = 99;",
        )
        .unwrap();
    let err = store
        .get("app/db", VersionSelector::Latest)
        .await
        .unwrap_err();
    assert_integrity(err, "the row of version 3 was edited");
    assert_found_by_open_and_verify(&store, "app/db").await;
}

#[tokio::test]
async fn a_replayed_older_copy_of_a_secret_is_found_by_open_and_verify() {
    let (_dir, store) = seeded().await;
    let old_secret = rows(&store, "SELECT * FROM secrets WHERE path = 'app/db'");
    let old_versions = rows(&store, "SELECT * FROM versions WHERE path = 'app/db'");
    store
        .put("app/db", "db-4".into(), PutOptions::default())
        .await
        .unwrap();
    raw(&store)
        .execute_batch(
            "DELETE FROM versions WHERE path = 'app/db';
             DELETE FROM secrets WHERE path = 'app/db';",
        )
        .unwrap();
    insert_rows(&store, "secrets", &old_secret);
    insert_rows(&store, "versions", &old_versions);
    assert_found_by_open_and_verify(
        &store,
        "the store state does not match its sealed digest: a row was removed or replaced with an older copy",
    )
    .await;
    store
        .put("app/other", "x".into(), PutOptions::default())
        .await
        .unwrap();
    assert_found_by_open_and_verify(&store, "does not match its sealed digest").await;
}

#[tokio::test]
async fn a_replayed_secret_row_alone_is_integrity_on_read() {
    let (_dir, store) = seeded().await;
    let old_secret = rows(&store, "SELECT * FROM secrets WHERE path = 'app/db'");
    store
        .put("app/db", "db-4".into(), PutOptions::default())
        .await
        .unwrap();
    raw(&store)
        .execute_batch(
            "PRAGMA foreign_keys = OFF;
             DELETE FROM secrets WHERE path = 'app/db';",
        )
        .unwrap();
    insert_rows(&store, "secrets", &old_secret);
    assert_eq!(
        store
            .get("app/db", VersionSelector::Latest)
            .await
            .unwrap()
            .value
            .expose(),
        b"db-3",
        "the replayed row is authentic on its own; the next open finds the replay"
    );
    let err = store.metadata("app/db").await.unwrap_err();
    assert_integrity(
        err,
        "a row for version 4 lies outside the versions kept (1 to 3)",
    );
    assert_found_by_open_and_verify(&store, "outside the versions kept").await;
}

#[tokio::test]
async fn a_deleted_secret_is_found_by_open_and_verify() {
    let (_dir, store) = seeded().await;
    raw(&store)
        .execute_batch(
            "DELETE FROM versions WHERE path = 'app/api';
             DELETE FROM secrets WHERE path = 'app/api';",
        )
        .unwrap();
    assert_found_by_open_and_verify(&store, "does not match its sealed digest").await;
}

#[tokio::test]
async fn a_replayed_grant_is_found_by_open_and_verify() {
    let (_dir, store) = seeded().await;
    let old = rows(&store, "SELECT * FROM principals WHERE name = 'agent-1'");
    store.revoke_grant("agent-1").await.unwrap();
    insert_rows(&store, "principals", &old);
    assert_found_by_open_and_verify(&store, "does not match its sealed digest").await;
}

#[tokio::test]
async fn rows_of_a_purged_secret_do_not_fit_its_successor() {
    let (_dir, store) = seeded().await;
    let old_first = rows(
        &store,
        "SELECT * FROM versions WHERE path = 'app/api' AND version = 1",
    );
    store.purge("app/api").await.unwrap();
    store
        .put("app/api", "new-1".into(), PutOptions::default())
        .await
        .unwrap();
    raw(&store)
        .execute("DELETE FROM versions WHERE path = 'app/api'", [])
        .unwrap();
    insert_rows(&store, "versions", &old_first);
    let err = store
        .get("app/api", VersionSelector::Latest)
        .await
        .unwrap_err();
    assert_integrity(err, "the row of version 1 was edited");
}

#[tokio::test]
async fn an_edited_header_is_found_by_open_and_verify_and_refuses_writes() {
    let (_dir, store) = seeded().await;
    raw(&store)
        .execute("UPDATE header SET max_versions = 1", [])
        .unwrap();
    let err = reopen(&store, "admin").await.unwrap_err();
    assert_integrity(err, "the store header was edited");
    assert_eq!(
        store.metadata("app/db").await.unwrap().max_versions,
        Some(10),
        "the open handle keeps the limit it authenticated"
    );
    assert_write_refused(&store, "the store header was edited").await;
    let report = store.audit_verify().await.unwrap();
    assert_eq!(report.failed, Some(AuditCheck::Metadata), "{report:?}");
    assert!(
        report
            .reason
            .unwrap()
            .contains("the store header was edited")
    );
    let again = store.audit_verify().await.unwrap();
    assert_eq!(
        again.failed,
        Some(AuditCheck::Metadata),
        "reads never seal an edited header again"
    );
}

#[tokio::test]
async fn a_lowered_min_decryption_version_is_integrity() {
    let (_dir, store) = seeded().await;
    let old = store.encrypt("payments", b"x", None).await.unwrap();
    store.rotate_key("payments").await.unwrap();
    store
        .set_min_decryption_version("payments", 3)
        .await
        .unwrap();
    raw(&store)
        .execute(
            "UPDATE transit_keys SET min_decryption_version = 1 WHERE name = 'payments'",
            [],
        )
        .unwrap();
    let err = store.decrypt("payments", &old, None).await.unwrap_err();
    assert_integrity(err, "transit key 'payments' was edited");
    assert_integrity(
        store.list_keys().await.unwrap_err(),
        "transit key 'payments' was edited",
    );
    let before = snapshot(&store);
    assert_integrity(
        store.rotate_key("payments").await.unwrap_err(),
        "transit key 'payments' was edited",
    );
    assert_eq!(snapshot(&store), before);
    assert_found_by_open_and_verify(&store, "transit key 'payments'").await;
}

#[tokio::test]
async fn a_dropped_newest_transit_key_version_is_integrity() {
    let (_dir, store) = seeded().await;
    let older = store.encrypt("payments", b"x", None).await.unwrap();
    raw(&store)
        .execute(
            "DELETE FROM transit_key_versions WHERE name = 'payments' AND version = 2",
            [],
        )
        .unwrap();
    let err = store.encrypt("payments", b"y", None).await.unwrap_err();
    assert_integrity(err, "version 2 of transit key 'payments' is missing");
    assert_integrity(
        store.decrypt("payments", &older, None).await.unwrap_err(),
        "version 2 of transit key 'payments' is missing",
    );
    assert_found_by_open_and_verify(&store, "transit key 'payments' is missing").await;
    store.rotate_key("payments").await.unwrap();
    assert_found_by_open_and_verify(&store, "a version row of transit key 'payments' is missing")
        .await;
}

#[tokio::test]
async fn an_edited_transit_key_version_is_integrity() {
    let (_dir, store) = seeded().await;
    raw(&store)
        .execute(
            "UPDATE transit_key_versions SET created_at = '2020-01-01T00:00:00+00:00'
             WHERE name = 'payments' AND version = 2",
            [],
        )
        .unwrap();
    let err = store.encrypt("payments", b"y", None).await.unwrap_err();
    assert_integrity(err, "version 2 of transit key 'payments' was edited");
    assert_found_by_open_and_verify(&store, "version 2 of transit key 'payments'").await;
}

#[tokio::test]
async fn an_older_header_put_back_with_older_rows_is_refused_at_open() {
    let (_dir, store) = seeded().await;
    let old_header = rows(&store, "SELECT * FROM header");
    let old_secret = rows(&store, "SELECT * FROM secrets WHERE path = 'app/db'");
    let old_versions = rows(&store, "SELECT * FROM versions WHERE path = 'app/db'");
    store
        .put("app/db", "db-4".into(), PutOptions::default())
        .await
        .unwrap();
    raw(&store)
        .execute_batch(
            "PRAGMA foreign_keys = OFF;
             DELETE FROM versions WHERE path = 'app/db';
             DELETE FROM secrets WHERE path = 'app/db';
             DELETE FROM header;",
        )
        .unwrap();
    insert_rows(&store, "header", &old_header);
    insert_rows(&store, "secrets", &old_secret);
    insert_rows(&store, "versions", &old_versions);
    let err = reopen(&store, "admin").await.unwrap_err();
    assert_integrity(err, "the audit trail does not end at its sealed head");
    let report = store.audit_verify().await.unwrap();
    assert_eq!(report.failed, Some(AuditCheck::Chain), "{report:?}");
}

#[tokio::test]
async fn a_cut_audit_tail_is_never_sealed_again() {
    let (_dir, store) = seeded().await;
    raw(&store)
        .execute(
            "DELETE FROM audit WHERE seq = (SELECT MAX(seq) FROM audit)",
            [],
        )
        .unwrap();
    store.get("app/db", VersionSelector::Latest).await.unwrap();
    store
        .put("app/db", "db-4".into(), PutOptions::default())
        .await
        .unwrap();
    let report = store.audit_verify().await.unwrap();
    assert_eq!(report.failed, Some(AuditCheck::Chain), "{report:?}");
    assert_integrity(
        reopen(&store, "admin").await.unwrap_err(),
        "does not end at its sealed head",
    );
    assert_integrity(
        store.audit_anchor().await.unwrap_err(),
        "does not end at its sealed head",
    );
}
