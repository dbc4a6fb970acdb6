//! What needs no server: the Azure backend refuses every operation it does not declare
//! before any request (here to a closed loopback port), and unreachable is Unavailable.
//! The declared direction runs against Lowkey Vault (`lowkey_vault.rs`).

use std::net::TcpListener;

use ironsecrets_azure::{AzureOptions, CredentialSource};
use ironsecrets_core::{ErrorKind, Options, PutOptions, Stack, VersionSelector};

fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address").port()
}

async fn backend() -> ironsecrets_core::Backend {
    let options: AzureOptions = Options::new()
        .with("vault", format!("127.0.0.1:{}", closed_port()))
        .with("credential", "developer")
        .parse()
        .expect("options");
    let config = options.resolve(|_| None).expect("config");
    assert!(matches!(config.credential, CredentialSource::Developer));
    let raw = ironsecrets_azure::open(config).await.expect("clients");
    Stack {
        retry: None,
        ..Stack::default()
    }
    .apply(&raw)
}

#[tokio::test]
async fn undeclared_operations_are_refused_before_any_request() {
    let backend = backend().await;
    ironsecrets_testkit::undeclared_refused_before_any_request(&backend, "offline/")
        .await
        .unwrap();
}

#[tokio::test]
async fn declared_operations_reach_for_the_server() {
    let backend = backend().await;
    let store = backend.store();
    for err in [
        store
            .put("app/x", "v".into(), PutOptions::default())
            .await
            .unwrap_err(),
        store
            .get("app/x", VersionSelector::Latest)
            .await
            .unwrap_err(),
    ] {
        assert_ne!(err.kind(), ErrorKind::Unsupported, "{err}");
        assert_eq!(err.backend(), Some("azure"));
    }
}
