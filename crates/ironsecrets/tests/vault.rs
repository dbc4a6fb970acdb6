//! `Client::from_uri("vault://...")` against a real OpenBao: the facade registers the
//! `vault` scheme and the token comes from `VAULT_TOKEN`. One test in this binary,
//! because it sets process environment variables.

use ironsecrets::{Client, ErrorKind};
use ironsecrets_testkit::services::openbao::OpenBao;

#[tokio::test]
async fn vault_uri_opens_openbao_with_the_token_from_the_environment() {
    let bao = OpenBao::start();
    let mount = bao.enable_kv(2);
    // SAFETY: this binary runs this one test, so no other thread reads the environment.
    unsafe {
        for name in [
            "VAULT_NAMESPACE",
            "VAULT_CACERT",
            "VAULT_CAPATH",
            "VAULT_SKIP_VERIFY",
        ] {
            std::env::remove_var(name);
        }
        std::env::set_var("VAULT_TOKEN", bao.root_token());
    }
    let uri = format!("vault://127.0.0.1:{}?tls=false&mount={mount}", bao.port());
    let client = Client::from_uri(&uri).await.unwrap();
    assert_eq!(client.backend().name(), "vault");
    assert!(client.capabilities().store.versions);
    client.put("app/db/password", "hunter2").await.unwrap();
    let secret = client.get("app/db/password").await.unwrap();
    assert_eq!(secret.value.expose(), b"hunter2");
    let listed = client.list("app/").await.unwrap();
    assert_eq!(listed, ["app/db/password"]);

    let kv1 = bao.enable_kv(1);
    let uri = format!(
        "vault://127.0.0.1:{}?tls=false&mount={kv1}&kv=1",
        bao.port()
    );
    let client = Client::from_uri(&uri).await.unwrap();
    assert!(!client.capabilities().store.versions);
    client.put("k", "v").await.unwrap();
    assert_eq!(client.get("k").await.unwrap().value.expose(), b"v");

    let err = Client::from_uri("vault://127.0.0.1?mnt=x")
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
    let err = Client::from_uri("nosuch://x").await.unwrap_err();
    assert!(err.to_string().contains("vault://"), "{err}");
}
