//! Roles: Admin does everything, Agent reads values under its prefixes, Viewer never
//! reads values; every denial is PermissionDenied and audited.

mod common;

use common::{master, new_store, options};
use ironsecrets_core::{ErrorKind, KeyOptions, PutOptions, SecretStore, Transit, VersionSelector};
use ironsecrets_local::{Grant, LocalStore, Role};

async fn as_principal(store: &LocalStore, principal: &str) -> LocalStore {
    LocalStore::open(store.file(), &master(), options(principal))
        .await
        .unwrap()
}

async fn granted(store: &LocalStore, principal: &str, role: Role, prefixes: &[&str]) -> LocalStore {
    store
        .grant(Grant {
            principal: principal.into(),
            role,
            prefixes: prefixes.iter().map(|p| p.to_string()).collect(),
        })
        .await
        .unwrap();
    as_principal(store, principal).await
}

async fn seeded() -> (tempfile::TempDir, LocalStore) {
    let (dir, store) = new_store().await;
    for path in ["app/db", "app/api", "ops/root"] {
        store
            .put(path, "secret".into(), PutOptions::default())
            .await
            .unwrap();
    }
    (dir, store)
}

#[tokio::test]
async fn an_agent_reads_only_under_its_prefixes() {
    let (_dir, admin) = seeded().await;
    let agent = granted(&admin, "agent-1", Role::Agent, &["app/"]).await;
    assert_eq!(
        agent
            .get("app/db", VersionSelector::Latest)
            .await
            .unwrap()
            .value
            .expose(),
        b"secret"
    );
    let err = agent
        .get("ops/root", VersionSelector::Latest)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert!(err.to_string().contains("agent-1"), "{err}");
    assert_eq!(agent.list("").await.unwrap(), ["app/api", "app/db"]);
    let err = agent
        .put("app/db", "x".into(), PutOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    let err = agent.audit_verify().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
}

#[tokio::test]
async fn a_viewer_sees_metadata_but_never_values() {
    let (_dir, admin) = seeded().await;
    let viewer = granted(&admin, "auditor", Role::Viewer, &[]).await;
    assert_eq!(viewer.list("app/").await.unwrap(), ["app/api", "app/db"]);
    viewer.metadata("ops/root").await.unwrap();
    let err = viewer
        .get("app/db", VersionSelector::Latest)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert!(err.message().contains("may not read secret values"));
    for denied in [
        viewer.delete("app/db", &[]).await.unwrap_err(),
        viewer.purge("app/db").await.unwrap_err(),
        viewer.encrypt("k", b"x", None).await.unwrap_err(),
        viewer
            .create_key("k", KeyOptions::default())
            .await
            .unwrap_err(),
    ] {
        assert_eq!(denied.kind(), ErrorKind::PermissionDenied, "{denied}");
    }
}

#[tokio::test]
async fn an_unknown_principal_can_do_nothing() {
    let (_dir, admin) = seeded().await;
    let stranger = as_principal(&admin, "mallory").await;
    let err = stranger.list("").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    assert!(err.message().contains("has no role"));
}

#[tokio::test]
async fn denials_are_audited_and_revoking_a_grant_takes_effect() {
    let (_dir, admin) = seeded().await;
    let agent = granted(&admin, "agent-1", Role::Agent, &["app/"]).await;
    agent
        .get("ops/root", VersionSelector::Latest)
        .await
        .unwrap_err();
    let last = admin.audit_tail(1).await.unwrap();
    assert_eq!(
        (
            last[0].principal.as_str(),
            last[0].operation.as_str(),
            last[0].path.as_str(),
            last[0].result.as_str()
        ),
        ("agent-1", "get", "ops/root", "PermissionDenied")
    );
    admin.revoke_grant("agent-1").await.unwrap();
    let err = agent
        .get("app/db", VersionSelector::Latest)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied);
    let grants = admin.grants().await.unwrap();
    assert_eq!(
        grants
            .iter()
            .map(|g| g.principal.as_str())
            .collect::<Vec<_>>(),
        ["admin"]
    );
    assert!(admin.audit_verify().await.unwrap().is_intact());
}
