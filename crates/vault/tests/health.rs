//! `sys/health` as a typed status, and what a sealed server means for store calls.

mod common;

use ironsecrets_core::{ErrorKind, PutOptions, VersionSelector};
use ironsecrets_testkit::services::openbao::OpenBao;
use ironsecrets_vault::{HealthStatus, KvVersion, VaultClient};

#[tokio::test]
async fn a_dev_server_is_active_then_sealed() {
    let bao = OpenBao::start();
    let (_, backend) = common::fresh_mount(&bao, KvVersion::V2).await;
    let client = backend
        .native::<VaultClient>()
        .expect("a Vault backend's native handle is its client");
    let health = client.health().await.unwrap();
    assert_eq!(health.status, HealthStatus::Active);
    assert!(!health.version.is_empty());
    backend
        .store()
        .put("k", "v".into(), PutOptions::default())
        .await
        .unwrap();
    bao.run(&["operator", "seal"]);
    assert_eq!(client.health().await.unwrap().status, HealthStatus::Sealed);
    let err = backend
        .store()
        .get("k", VersionSelector::Latest)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.is_retryable());
}
