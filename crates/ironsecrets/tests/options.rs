//! One options path for every backend compiled in: the same refusals whatever the
//! scheme, before any connection is made, and errors that never echo a value.

use ironsecrets::{Client, ErrorKind, Operation, Options, registry};

const CANARY: &str = "canary-opt-73e1";

async fn config_error(uri: &str, options: Options) -> String {
    let err = Client::from_uri_with(uri, options)
        .await
        .err()
        .unwrap_or_else(|| panic!("{uri} opened"));
    assert_eq!(err.kind(), ErrorKind::Config, "{uri}: {err}");
    assert_eq!(err.operation(), Some(Operation::Open), "{uri}: {err}");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains(CANARY), "{uri}: {shown}");
    err.message().to_owned()
}

#[tokio::test]
async fn every_scheme_refuses_credentials_in_the_uri_and_unknown_options() {
    let registry = registry();
    let schemes = registry.schemes();
    assert!(
        schemes.contains(&"local") && schemes.contains(&"vault"),
        "{schemes:?}"
    );
    for scheme in schemes {
        let credentials = registry.credential_options(scheme).unwrap();
        for name in credentials {
            let uri = format!("{scheme}://h?{name}={CANARY}");
            let message = config_error(&uri, Options::new()).await;
            assert!(
                message.contains(&format!("'{name}' is a credential")),
                "{uri}: {message}"
            );
        }
        let uri = format!("{scheme}://user:{CANARY}@h");
        let message = config_error(&uri, Options::new()).await;
        assert!(
            message.contains("must not carry credentials"),
            "{uri}: {message}"
        );

        let uri = format!("{scheme}://h?no_such_option=1");
        let message = config_error(&uri, Options::new()).await;
        assert!(
            message.contains("unknown option 'no_such_option'")
                && message.contains("known options:"),
            "{uri}: {message}"
        );
        let from_options = Client::open(scheme, Options::new().with("no_such_option", CANARY))
            .await
            .err()
            .unwrap();
        assert_eq!(from_options.kind(), ErrorKind::Config);
        assert!(
            from_options
                .message()
                .contains("unknown option 'no_such_option'")
        );
        assert!(!from_options.to_string().contains(CANARY));

        let uri = format!("{scheme}://h?a=1&a=2");
        let message = config_error(&uri, Options::new()).await;
        assert!(message.contains("'a' is given twice"), "{uri}: {message}");
    }
}

#[tokio::test]
async fn local_options_open_a_store_without_touching_the_environment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typed.db");
    let options = Options::new()
        .with("path", path.as_path())
        .with("master_key", CANARY)
        .with("principal", "app")
        .with("kdf_memory_kib", 64u32)
        .with("kdf_iterations", 1u32)
        .with("kdf_parallelism", 1u32);
    let client = Client::open("local", options.clone()).await.unwrap();
    client.put("app/token", "abc").await.unwrap();
    assert_eq!(client.local().unwrap().principal(), "app");
    // The same store through a URI plus options; a wrong key is Integrity.
    let uri = format!("local://{}", path.display());
    let as_app = || Options::new().with("principal", "app");
    let again = Client::from_uri_with(&uri, as_app().with("master_key", CANARY))
        .await
        .unwrap();
    assert_eq!(again.get("app/token").await.unwrap().value.expose(), b"abc");
    let wrong = Client::from_uri_with(&uri, as_app().with("master_key", "not it"))
        .await
        .unwrap_err();
    assert_eq!(wrong.kind(), ErrorKind::Integrity);
    // create=false refuses a missing file instead of making an empty store.
    let missing = format!("local://{}/missing.db", dir.path().display());
    let err = Client::from_uri_with(
        &missing,
        Options::new()
            .with("master_key", CANARY)
            .with("create", false),
    )
    .await
    .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.message().contains("ironsecrets init"), "{err}");
    assert!(!dir.path().join("missing.db").exists());
}

#[tokio::test]
async fn transit_calls_pass_the_layer_stack() {
    let dir = tempfile::tempdir().unwrap();
    let options = Options::new()
        .with("path", dir.path().join("t.db").as_path())
        .with("master_key", CANARY)
        .with("kdf_memory_kib", 64u32)
        .with("kdf_iterations", 1u32)
        .with("kdf_parallelism", 1u32);
    let client = Client::open("local", options).await.unwrap();
    let transit = client.transit();
    // Spawnable as they are: owned arguments, 'static futures.
    let created = tokio::spawn(transit.create_key("k", Default::default()));
    created.await.unwrap().unwrap();
    let ciphertext = tokio::spawn(transit.encrypt("k", CANARY, None))
        .await
        .unwrap()
        .unwrap();
    let plain = transit.decrypt("k", ciphertext, None).await.unwrap();
    assert_eq!(plain.expose(), CANARY.as_bytes());
    // The context layer names backend, operation and key on transit errors too.
    let err = transit.rotate_key("missing-key").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    assert_eq!(err.backend(), Some("local"));
    assert_eq!(err.operation(), Some(Operation::RotateKey));
    assert_eq!(err.path(), Some("missing-key"));
    // An engine the backend lacks answers each call with Unsupported.
    let err = client.leases().lookup("lease-1").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert_eq!(err.operation(), Some(Operation::LookupLease));
}
