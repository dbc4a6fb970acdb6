//! Faults against a real OpenBao: sealed mid-run (Unavailable, then the same client
//! works again after unseal), killed (Unavailable at once), frozen (Unavailable when the
//! request timeout runs out, then the same client works again once it resumes). Every
//! call is wrapped in a generous hang guard; none of them is a timing assertion.

mod common;

use std::process::Command;
use std::time::Duration;

use ironsecrets_core::{Backend, ErrorKind, PutOptions, Result, Secret, VersionSelector};
use ironsecrets_testkit::services::openbao::OpenBao;
use ironsecrets_vault::{HealthStatus, KvVersion, VaultClient};

/// The request timeout of the clients under test.
const TIMEOUT: Duration = Duration::from_secs(2);

/// Far beyond any timeout here: only catches a hang.
const HANG_GUARD: Duration = Duration::from_secs(60);

/// A backend for a fresh KV v2 mount holding `app/db`, with a short request timeout.
async fn backend(bao: &OpenBao) -> Backend {
    let (mount, _) = common::fresh_mount(bao, KvVersion::V2).await;
    let mut config = common::config(bao, &mount, KvVersion::V2);
    config.timeout = TIMEOUT;
    let backend = ironsecrets_vault::open(config).await.unwrap();
    backend
        .store()
        .put("app/db", "fault-value".into(), PutOptions::default())
        .await
        .unwrap();
    backend
}

/// Reads `app/db`, failing the test if the call hangs.
async fn read(backend: &Backend) -> Result<Secret> {
    tokio::time::timeout(
        HANG_GUARD,
        backend.store().get("app/db", VersionSelector::Latest),
    )
    .await
    .expect("the call hung past the hang guard")
}

/// Sends `signal` to the server process (ours, started by this test).
fn signal(bao: &OpenBao, signal: &str) {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(bao.pid().to_string())
        .status()
        .expect("run kill");
    assert!(status.success(), "kill -{signal} failed");
}

#[tokio::test]
async fn sealed_mid_run_is_unavailable_and_the_same_client_recovers_after_unseal() {
    let bao = OpenBao::start();
    let backend = backend(&bao).await;
    let client = backend.native::<VaultClient>().unwrap().clone();
    assert_eq!(read(&backend).await.unwrap().value.expose(), b"fault-value");

    bao.seal();
    let err = read(&backend).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.is_retryable());
    assert!(
        err.message().to_ascii_lowercase().contains("sealed"),
        "{err}"
    );
    assert_eq!(client.health().await.unwrap().status, HealthStatus::Sealed);
    let err = backend
        .store()
        .put("app/db", "while-sealed".into(), PutOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");

    bao.unseal();
    assert_eq!(client.health().await.unwrap().status, HealthStatus::Active);
    // The same backend and client, no reconnect: the data is all there.
    assert_eq!(read(&backend).await.unwrap().value.expose(), b"fault-value");
    backend
        .store()
        .put("app/db", "after-unseal".into(), PutOptions::default())
        .await
        .unwrap();
    assert_eq!(
        read(&backend).await.unwrap().value.expose(),
        b"after-unseal"
    );
}

#[tokio::test]
async fn a_killed_server_is_unavailable_and_the_call_returns() {
    let bao = OpenBao::start();
    let backend = backend(&bao).await;
    // A pooled keep-alive connection to the server exists now.
    read(&backend).await.unwrap();
    let address = bao.addr();
    // Dropping the server SIGKILLs it and waits for it to exit.
    drop(bao);
    for _ in 0..2 {
        let err = read(&backend).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
        assert!(err.is_retryable());
        assert!(err.message().contains(&address), "{err}");
    }
}

#[tokio::test]
async fn a_frozen_server_is_unavailable_after_the_timeout_and_the_client_recovers() {
    let bao = OpenBao::start();
    let backend = backend(&bao).await;
    read(&backend).await.unwrap();

    signal(&bao, "STOP");
    let outcome = read(&backend).await;
    signal(&bao, "CONT");
    let err = outcome.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.is_retryable());
    assert!(err.message().contains("no answer"), "{err}");
    assert!(err.message().contains("2s"), "{err}");

    // Resumed: the same backend reads again.
    assert_eq!(read(&backend).await.unwrap().value.expose(), b"fault-value");
}
