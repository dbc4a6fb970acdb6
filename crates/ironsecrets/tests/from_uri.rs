//! Opening stores by URI and from the environment. One test in this binary, because it
//! sets process environment variables.

use ironsecrets::{Client, ErrorKind, RotationStatus};

#[tokio::test]
async fn uris_open_the_right_backend_and_errors_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    // SAFETY: this binary runs this one test, so no other thread reads the environment.
    unsafe {
        std::env::remove_var("IRONSECRETS_MASTER_KEY");
        std::env::set_var(
            "IRONSECRETS_STORE",
            format!("local://{}/env.db", dir.path().display()),
        );
    }
    let err = Client::from_env().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(
        err.to_string()
            .contains("IRONSECRETS_MASTER_KEY is not set"),
        "{err}"
    );

    unsafe { std::env::set_var("IRONSECRETS_MASTER_KEY", "uri test key") };
    let client = Client::from_env().await.unwrap();
    assert_eq!(client.backend().name(), "local");
    assert!(client.capabilities().transit.is_some());
    client.put("app/token", "abc").await.unwrap();
    let again = Client::from_uri(&format!("local://{}/env.db", dir.path().display()))
        .await
        .unwrap();
    assert_eq!(again.get("app/token").await.unwrap().value.expose(), b"abc");
    let status = again.rotation_status("app/").await.unwrap();
    assert_eq!(status.len(), 1);
    assert_eq!(status[0].status, RotationStatus::Healthy);
    assert!(status[0].default_policy);

    let err = Client::from_uri("nosuch://x").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    assert!(err.to_string().contains("local://"), "{err}");
    let Err(err) = again.leases().revoke("lease-1").await else {
        panic!("the local backend has no leases")
    };
    assert_eq!(err.kind(), ErrorKind::Unsupported);
    assert!(err.to_string().contains("local"));
}
