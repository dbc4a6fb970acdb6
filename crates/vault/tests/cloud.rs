//! The cloud engines' dispatch against a real OpenBao. OpenBao has no aws, azure or gcp
//! engine, so what is live here is the path `CredentialRequest::Cloud` takes to the
//! server: the mount's engine type read from `sys/mounts`, a KV mount refused as
//! Unsupported naming its type, an empty path NotFound. The engines' answers are tested
//! against recorded Vault responses in the `cloud` module's unit tests.

mod common;

use std::time::Duration;

use ironsecrets_core::Operation;
use ironsecrets_core::{Backend, CredentialRequest, ErrorKind};
use ironsecrets_testkit::services::openbao::OpenBao;
use ironsecrets_vault::{KvVersion, VaultClient, VaultCloud};

fn cloud(mount: &str, role: &str) -> CredentialRequest {
    CredentialRequest::Cloud {
        mount: mount.to_owned(),
        role: role.to_owned(),
        ttl: Some(Duration::from_secs(900)),
    }
}

#[tokio::test]
async fn cloud_requests_reach_the_server_and_name_what_is_mounted() {
    let bao = OpenBao::start();
    let (kv, backend): (String, Backend) = common::fresh_mount(&bao, KvVersion::V2).await;
    let credentials = backend.credentials().unwrap();

    // A KV engine is mounted there: Unsupported, naming the mount and its type.
    let err = credentials.issue(cloud(&kv, "deploy")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    assert!(
        err.message()
            .contains(&format!("the mount '{kv}' is a kv engine")),
        "{err}"
    );
    assert_eq!(err.backend(), Some("vault"));

    // An engine named like a cloud one but of another type is judged by its type.
    bao.run(&["secrets", "enable", "-path=aws", "kv"]);
    let err = credentials.issue(cloud("aws", "deploy")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
    assert!(err.message().contains("'aws' is a kv engine"), "{err}");

    // Nothing mounted there: NotFound, naming the mount.
    let err = credentials
        .issue(cloud("no-such-mount", "deploy"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(
        err.message(),
        "no secrets engine is mounted at 'no-such-mount'"
    );
    assert_eq!(err.path(), Some("sys/mounts/no-such-mount"));

    // A mount path that could leave sys/mounts is refused before any request.
    let err = credentials
        .issue(cloud("../secret", "deploy"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
}

#[tokio::test]
async fn engine_detection_and_typed_calls_on_a_non_cloud_mount() {
    let bao = OpenBao::start();
    let (kv, backend) = common::fresh_mount(&bao, KvVersion::V2).await;
    let client = backend.native::<VaultClient>().unwrap().clone();
    let cloud = VaultCloud::new(client.clone(), format!("/{kv}/"));
    assert_eq!(cloud.mount(), kv);
    let err = cloud.engine().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");

    // The typed calls go straight to their paths: on a KV v2 mount nothing answers at
    // `creds/<role>`, which is NotFound.
    let err = cloud.azure_creds("deploy").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(err.operation(), Some(Operation::IssueCredential));
    // A role name that is not one path segment never reaches the server.
    let err = cloud.gcp_token("a/b").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");

    // A token that may not read sys/mounts gets PermissionDenied, not a guess.
    let token = bao.token_with_policy(
        "kv-only",
        &format!("path \"{kv}/*\" {{ capabilities = [\"read\"] }}"),
    );
    let mut config = common::config(&bao, &kv, KvVersion::V2);
    config.token = Some(token.as_str().into());
    let limited = ironsecrets_vault::VaultClient::connect(&config)
        .await
        .unwrap();
    let err = VaultCloud::new(limited, kv.as_str())
        .engine()
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
}
