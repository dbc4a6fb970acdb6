//! The store through the official SDK's HTTP stack, without a Secret Manager server:
//! no GCP Secret Manager REST emulator can be installed here (see the crate docs), so
//! these cover what needs no server — requests to a closed loopback port, and inputs
//! rejected before any request.

use std::net::TcpListener;
use std::time::{Duration, Instant};

use std::sync::Arc;

use ironsecrets_core::{
    Backend, ErrorKind, Operation, PutOptions, SecretStore, Stack, StoreUri, VersionSelector,
};
use ironsecrets_gcp::{GcpOptions, GcpStore};

const CANARY: &str = "CANARY-gcp-51c0e2";

/// A loopback port nothing listens on.
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    listener.local_addr().expect("local address").port()
}

/// The store at `port` behind the default layer stack, as a client has it.
async fn store_at(port: u16) -> Arc<dyn SecretStore> {
    let uri =
        format!("gcp-sm://test-project?endpoint=http://127.0.0.1:{port}&credentials=anonymous");
    let options: GcpOptions = StoreUri::parse(&uri)
        .expect("uri")
        .backend_options()
        .expect("options");
    let config = options.resolve(|_| None).expect("config");
    let store = GcpStore::connect(&config).await.expect("anonymous client");
    Arc::clone(
        Stack::default()
            .apply(&Backend::new(Arc::new(store)))
            .store(),
    )
}

#[tokio::test]
async fn undeclared_operations_are_refused_before_any_request() {
    let port = closed_port();
    let uri =
        format!("gcp-sm://test-project?endpoint=http://127.0.0.1:{port}&credentials=anonymous");
    let options: GcpOptions = StoreUri::parse(&uri).unwrap().backend_options().unwrap();
    let store = GcpStore::connect(&options.resolve(|_| None).unwrap())
        .await
        .unwrap();
    let backend = Stack::default().apply(&Backend::new(Arc::new(store)));
    ironsecrets_testkit::undeclared_refused_before_any_request(&backend, "offline/")
        .await
        .unwrap();
}

#[tokio::test]
async fn an_unreachable_server_is_unavailable_at_once_and_retryable() {
    let store = store_at(closed_port()).await;
    let started = Instant::now();
    let err = store
        .put("app/db/password", CANARY.into(), PutOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.is_retryable());
    assert_eq!(err.backend(), Some("gcp"));
    assert_eq!(err.operation(), Some(Operation::Put));
    assert_eq!(err.path(), Some("app/db/password"));
    assert!(!format!("{err} {err:?}").contains(CANARY));
    // The SDK's own retry loop is off: our retry layer decides.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    for result in [
        store.get("app/x", VersionSelector::Latest).await.map(drop),
        store.list("app/").await.map(drop),
        store.metadata("app/x").await.map(drop),
        store.purge("app/x").await,
    ] {
        assert_eq!(result.unwrap_err().kind(), ErrorKind::Unavailable);
    }
}

#[tokio::test]
async fn invalid_paths_and_versions_fail_before_any_request() {
    let store = store_at(closed_port()).await;
    let too_long = "ключ".repeat(20);
    for path in ["", "a//b", "../x", too_long.as_str()] {
        let err = store
            .put(path, CANARY.into(), PutOptions::default())
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{path:?}: {err}");
        assert!(!format!("{err:?}").contains(CANARY));
    }
    let err = store
        .get("app/x", VersionSelector::Version("latest".into()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.message().contains("numbers from 1"), "{err}");
    let too_big = vec![b'x'; ironsecrets_gcp::MAX_VALUE_LEN + 1];
    let err = store
        .put("app/big", too_big.into(), PutOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(err.message().contains("at most 65536 bytes"), "{err}");
    let err = store.list("a//").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn version_check_and_set_and_max_versions_are_unsupported() {
    let store = store_at(closed_port()).await;
    let options = PutOptions {
        cas: Some(ironsecrets_core::Cas::CurrentVersion(1.into())),
        ..PutOptions::default()
    };
    let err = store
        .put("app/x", CANARY.into(), options)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    let update = ironsecrets_core::MetadataUpdate {
        max_versions: Some(3),
        ..Default::default()
    };
    let err = store.update_metadata("app/x", update).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(!store.capabilities().check_and_set);
}
