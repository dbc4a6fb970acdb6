//! Auth methods against a real OpenBao: token self calls, AppRole, userpass, JWT and
//! Kubernetes logins; each login's token is swapped into the client and works, and a
//! refused login is Unauthenticated without the credential in any text.
//! (TLS certificate login needs a TLS listener: it is in `tls.rs`.)

mod common;

use std::error::Error as _;
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ironsecrets_core::Operation;
use ironsecrets_core::{Error, ErrorKind, PutOptions, SecretStore, VersionSelector};
use ironsecrets_testkit::services::openbao::OpenBao;
use ironsecrets_vault::{Kv2Store, KvVersion, Login, VaultClient, VaultConfig};
use rcgen::{KeyPair, PKCS_ECDSA_P256_SHA256, SigningKey as _};
use serde_json::json;

/// Display, Debug, message and sources of an error.
fn texts(err: &Error) -> String {
    let mut all = format!("{err}\n{err:?}\n{}", err.message());
    let mut source = err.source();
    while let Some(cause) = source {
        all.push_str(&format!("\n{cause}\n{cause:?}"));
        source = cause.source();
    }
    all
}

/// A KV v2 mount holding `app/db` = `value`, and a policy `reader` that may read it.
async fn mount_with_secret(bao: &OpenBao, value: &str) -> String {
    let (mount, root) = common::fresh_mount(bao, KvVersion::V2).await;
    root.store()
        .put("app/db", value.into(), PutOptions::default())
        .await
        .unwrap();
    let policy = bao.log_path().with_file_name("reader.hcl");
    std::fs::write(
        &policy,
        format!("path \"{mount}/data/app/*\" {{ capabilities = [\"read\"] }}"),
    )
    .unwrap();
    bao.run(&["policy", "write", "reader", &policy.display().to_string()]);
    mount
}

/// A client for `bao` with no token at all.
async fn anonymous(bao: &OpenBao) -> VaultClient {
    let config = VaultConfig {
        token: None,
        ..common::config(bao, "secret", KvVersion::V2)
    };
    VaultClient::connect(&config).await.unwrap()
}

/// Reads `app/db` on `mount` through `client`.
async fn read_secret(client: &VaultClient, mount: &str) -> Result<String, Error> {
    let store = Kv2Store::new(client.clone(), mount);
    let secret = store.get("app/db", VersionSelector::Latest).await?;
    Ok(secret.value.expose_str().unwrap().to_owned())
}

#[tokio::test]
async fn token_lookup_self_and_renew_self() {
    let bao = OpenBao::start();
    let root = VaultClient::connect(&common::config(&bao, "secret", KvVersion::V2))
        .await
        .unwrap();
    let info = root.lookup_self().await.unwrap();
    assert_eq!(info.policies, ["root"]);
    assert_eq!(info.lease.ttl, Duration::ZERO, "root never expires");
    assert_eq!(info.expire_time, None);
    assert!(!info.accessor.is_empty());
    assert!(!format!("{info:?}").contains(bao.root_token()));

    let token = bao
        .run(&[
            "token",
            "create",
            "-policy=default",
            "-ttl=10m",
            "-explicit-max-ttl=1h",
            "-field=token",
        ])
        .trim()
        .to_owned();
    let config = VaultConfig {
        token: Some(token.as_str().into()),
        ..common::config(&bao, "secret", KvVersion::V2)
    };
    let client = VaultClient::connect(&config).await.unwrap();
    let info = client.lookup_self().await.unwrap();
    assert!(info.lease.renewable);
    assert!(info.lease.ttl <= Duration::from_secs(600) && info.lease.ttl > Duration::ZERO);
    assert_eq!(info.explicit_max_ttl, Some(Duration::from_secs(3600)));
    assert!(info.expire_time.is_some());
    assert_eq!(info.policies, ["default"]);

    let renewed = client
        .renew_self(Some(Duration::from_secs(1800)))
        .await
        .unwrap();
    assert_eq!(renewed.lease.ttl, Duration::from_secs(1800));
    assert!(renewed.lease.renewable);
    assert_eq!(renewed.accessor, info.accessor);
    assert_eq!(renewed.lease.id, info.accessor);
    assert_eq!(renewed.token.expose_str().unwrap(), token);
    assert!(!format!("{renewed:?}").contains(&token));
    // Asking past the explicit max ttl is capped, not refused.
    let capped = client
        .renew_self(Some(Duration::from_secs(7200)))
        .await
        .unwrap();
    assert!(capped.lease.ttl <= Duration::from_secs(3600), "{capped:?}");
    // The default increment.
    let again = client.renew_self(None).await.unwrap();
    assert!(again.lease.ttl > Duration::ZERO);

    // Once revoked, the token is refused.
    bao.run(&["token", "revoke", &token]);
    let err = client.lookup_self().await.unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::PermissionDenied | ErrorKind::Unauthenticated
        ),
        "{err}"
    );
    assert!(!texts(&err).contains(&token));
}

#[tokio::test]
async fn a_token_that_is_not_renewable_says_so() {
    let bao = OpenBao::start();
    let token = bao
        .run(&[
            "token",
            "create",
            "-policy=default",
            "-ttl=10m",
            "-renewable=false",
            "-field=token",
        ])
        .trim()
        .to_owned();
    let config = VaultConfig {
        token: Some(token.as_str().into()),
        ..common::config(&bao, "secret", KvVersion::V2)
    };
    let client = VaultClient::connect(&config).await.unwrap();
    assert!(!client.lookup_self().await.unwrap().lease.renewable);
    let err = client.renew_self(None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert_eq!(err.operation(), Some(Operation::RenewSelf));
    assert!(!texts(&err).contains(&token));
}

#[tokio::test]
async fn approle_login_swaps_the_token_into_the_client() {
    let bao = OpenBao::start();
    let mount = mount_with_secret(&bao, "approle-value").await;
    bao.run(&["auth", "enable", "approle"]);
    bao.run(&[
        "write",
        "auth/approle/role/app",
        "token_policies=reader",
        "token_ttl=10m",
        "token_max_ttl=1h",
    ]);
    let role_id = bao
        .run(&["read", "-field=role_id", "auth/approle/role/app/role-id"])
        .trim()
        .to_owned();
    let secret_id = bao
        .run(&[
            "write",
            "-f",
            "-field=secret_id",
            "auth/approle/role/app/secret-id",
        ])
        .trim()
        .to_owned();

    let client = anonymous(&bao).await;
    let store = Kv2Store::new(client.clone(), &mount);
    let err = store
        .get("app/db", VersionSelector::Latest)
        .await
        .unwrap_err();
    assert_eq!(
        err.kind(),
        ErrorKind::Unauthenticated,
        "no token yet: {err}"
    );

    // A wrong secret id is refused and changes nothing.
    let wrong = Login::approle(role_id.clone(), "canary-wrong-secret-id".into());
    let err = client.login(&wrong).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    assert!(!err.is_retryable());
    assert_eq!(err.operation(), Some(Operation::Login));
    assert_eq!(err.path(), Some("auth/approle"));
    assert!(!texts(&err).contains("canary-wrong-secret-id"));
    assert!(!format!("{wrong:?}").contains("canary-wrong-secret-id"));

    let login = Login::approle(role_id, secret_id.as_str().into());
    assert!(!format!("{login:?}").contains(&secret_id));
    let lease = client.login(&login).await.unwrap();
    assert!(lease.policies.contains(&"reader".to_owned()), "{lease:?}");
    assert_eq!(lease.lease.ttl, Duration::from_secs(600));
    assert!(lease.lease.renewable);
    assert_eq!(lease.lease.id, lease.accessor);
    assert!(!format!("{lease:?}").contains(lease.token.expose_str().unwrap()));
    // The store built on the client before the login now reads with the new token.
    let secret = store.get("app/db", VersionSelector::Latest).await.unwrap();
    assert_eq!(secret.value.expose(), b"approle-value");
    let info = client.lookup_self().await.unwrap();
    assert_eq!(info.accessor, lease.accessor);
    assert_eq!(info.path, "auth/approle/login");
    // And the token is one the lease keeper can renew.
    let renewed = client.renew_self(None).await.unwrap();
    assert!(renewed.lease.ttl > Duration::ZERO);
}

#[tokio::test]
async fn userpass_login_on_a_custom_mount() {
    let bao = OpenBao::start();
    let mount = mount_with_secret(&bao, "userpass-value").await;
    bao.run(&["auth", "enable", "-path=people", "userpass"]);
    bao.run(&[
        "write",
        "auth/people/users/alice",
        "password=canary-correct-horse",
        "token_policies=reader",
    ]);
    let client = anonymous(&bao).await;
    let err = client
        .login(&Login::userpass("alice", "canary-battery-staple".into()).with_mount("people"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    assert!(
        err.message().contains("invalid username or password"),
        "{err}"
    );
    assert!(!texts(&err).contains("canary-battery-staple"));

    // The method is not at the default mount: refused, with a hint.
    let err = client
        .login(&Login::userpass("alice", "canary-correct-horse".into()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    assert!(err.message().contains("auth/userpass"), "{err}");
    assert!(!texts(&err).contains("canary-correct-horse"));

    let login = Login::userpass("alice", "canary-correct-horse".into()).with_mount("/people/");
    assert_eq!(login.mount(), "people");
    let lease = client.login(&login).await.unwrap();
    assert!(lease.policies.contains(&"reader".to_owned()));
    assert_eq!(
        read_secret(&client, &mount).await.unwrap(),
        "userpass-value"
    );
    assert_eq!(
        client.lookup_self().await.unwrap().path,
        "auth/people/login/alice"
    );
}

/// A JWT signed with the ECDSA P-256 `key` (ES256) carrying `claims`.
fn sign_jwt(key: &KeyPair, claims: &serde_json::Value) -> String {
    assert_eq!(key.algorithm(), &PKCS_ECDSA_P256_SHA256);
    let header = URL_SAFE_NO_PAD.encode(br#"{"alg":"ES256","typ":"JWT"}"#);
    let payload = URL_SAFE_NO_PAD.encode(claims.to_string());
    let input = format!("{header}.{payload}");
    let der = key.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(fixed_signature(&der)))
}

/// An ECDSA P-256 signature in DER (`SEQUENCE { INTEGER r, INTEGER s }`) as JWS wants
/// it: r and s as 32 big-endian bytes each.
fn fixed_signature(der: &[u8]) -> Vec<u8> {
    let mut at = 2; // SEQUENCE tag and (short) length
    let mut fixed = Vec::with_capacity(64);
    for _ in 0..2 {
        assert_eq!(der[at], 0x02, "an INTEGER");
        let len = usize::from(der[at + 1]);
        let int = &der[at + 2..at + 2 + len];
        let int = &int[int.len().saturating_sub(32)..];
        fixed.extend(std::iter::repeat_n(0, 32 - int.len()));
        fixed.extend_from_slice(int);
        at += 2 + len;
    }
    fixed
}

/// Now as a Unix time.
fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

#[tokio::test]
async fn jwt_login_with_a_locally_signed_token() {
    let bao = OpenBao::start();
    let mount = mount_with_secret(&bao, "jwt-value").await;
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let public = bao.log_path().with_file_name("jwt-public.pem");
    std::fs::write(&public, key.public_key_pem()).unwrap();
    bao.run(&["auth", "enable", "jwt"]);
    bao.run(&[
        "write",
        "auth/jwt/config",
        &format!("jwt_validation_pubkeys=@{}", public.display()),
        "bound_issuer=https://issuer.ironsecrets.test",
    ]);
    bao.run(&[
        "write",
        "auth/jwt/role/ci",
        "role_type=jwt",
        "user_claim=sub",
        "bound_audiences=ironsecrets-test",
        "token_policies=reader",
        "token_ttl=5m",
    ]);
    let claims = json!({
        "iss": "https://issuer.ironsecrets.test",
        "sub": "pipeline-42",
        "aud": "ironsecrets-test",
        "iat": now(),
        "nbf": now() - 5,
        "exp": now() + 300,
    });
    let client = anonymous(&bao).await;

    // Signed by a key Vault does not trust: refused.
    let other = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let forged = sign_jwt(&other, &claims);
    let err = client
        .login(&Login::jwt(Some("ci".into()), forged.as_str().into()))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    assert!(!texts(&err).contains(&forged));

    // The wrong audience: refused.
    let mut wrong_audience = claims.clone();
    wrong_audience["aud"] = json!("someone-else");
    let err = client
        .login(&Login::jwt(
            Some("ci".into()),
            sign_jwt(&key, &wrong_audience).into(),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");

    let jwt = sign_jwt(&key, &claims);
    let lease = client
        .login(&Login::jwt(Some("ci".into()), jwt.as_str().into()))
        .await
        .unwrap();
    assert_eq!(lease.lease.ttl, Duration::from_secs(300));
    assert!(lease.policies.contains(&"reader".to_owned()));
    assert_eq!(read_secret(&client, &mount).await.unwrap(), "jwt-value");
    let info = client.lookup_self().await.unwrap();
    assert_eq!(info.path, "auth/jwt/login");
    assert!(info.display_name.contains("pipeline-42"), "{info:?}");
}

/// A stand-in for the one Kubernetes API call OpenBao's kubernetes method makes: a
/// plain-http server on loopback answering each `TokenReview` as authenticated for
/// service account `default/app`, and handing over the reviewed tokens.
fn token_review_api() -> (std::net::SocketAddr, std::sync::mpsc::Receiver<String>) {
    use std::io::{BufRead, BufReader, Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = listener.local_addr().unwrap();
    let (reviewed, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(4) {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let (mut length, mut line, mut path) = (0, String::new(), String::new());
            while reader.read_line(&mut line).unwrap_or(0) > 0 && line.trim() != "" {
                let lower = line.to_ascii_lowercase();
                if let Some(value) = lower.strip_prefix("content-length:") {
                    length = value.trim().parse().unwrap();
                }
                if path.is_empty() {
                    path = line.split_whitespace().nth(1).unwrap_or("").to_owned();
                }
                line.clear();
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body).unwrap();
            let review: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            let _ = reviewed.send(format!(
                "{path} {}",
                review["spec"]["token"].as_str().unwrap_or("")
            ));
            let answer = json!({
                "apiVersion": "authentication.k8s.io/v1",
                "kind": "TokenReview",
                "status": {
                    "authenticated": true,
                    "user": {
                        "username": "system:serviceaccount:default:app",
                        "uid": SERVICE_ACCOUNT_UID,
                        "groups": ["system:serviceaccounts"],
                    },
                },
            })
            .to_string();
            let _ = write!(
                stream,
                "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                answer.len()
            );
        }
    });
    (address, receiver)
}

const SERVICE_ACCOUNT_UID: &str = "0b5f1c3e-5f43-4f4e-9c1b-8f6f3f0e1a11";

#[tokio::test]
async fn kubernetes_login_sends_the_service_account_token_from_its_file() {
    let bao = OpenBao::start();
    let mount = mount_with_secret(&bao, "kubernetes-value").await;
    let (api, reviewed) = token_review_api();
    let api_ca = bao.log_path().with_file_name("kubernetes-ca.pem");
    let api_cert = rcgen::generate_simple_self_signed(vec!["kubernetes".to_owned()]).unwrap();
    std::fs::write(&api_ca, api_cert.cert.pem()).unwrap();
    bao.run(&["auth", "enable", "kubernetes"]);
    bao.run(&[
        "write",
        "auth/kubernetes/config",
        &format!("kubernetes_host=http://{api}"),
        &format!("kubernetes_ca_cert=@{}", api_ca.display()),
        "disable_local_ca_jwt=true",
    ]);
    bao.run(&[
        "write",
        "auth/kubernetes/role/app",
        "bound_service_account_names=app",
        "bound_service_account_namespaces=default",
        "token_policies=reader",
        "token_ttl=20m",
    ]);
    // A service-account token as Kubernetes mounts it (OpenBao reads its claims, then
    // asks the Kubernetes API to review it).
    let key = KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256).unwrap();
    let token = sign_jwt(
        &key,
        &json!({
            "iss": "kubernetes/serviceaccount",
            "sub": "system:serviceaccount:default:app",
            "kubernetes.io/serviceaccount/namespace": "default",
            "kubernetes.io/serviceaccount/service-account.name": "app",
            "kubernetes.io/serviceaccount/service-account.uid": SERVICE_ACCOUNT_UID,
            "kubernetes.io/serviceaccount/secret.name": "app-token",
        }),
    );
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, format!("{token}\n")).unwrap();
    let client = anonymous(&bao).await;
    let login = |role: &str| Login::Kubernetes {
        mount: "kubernetes".into(),
        role: role.into(),
        token_file: token_file.clone(),
    };

    // The default file does not exist here: a Config error naming it, nothing sent.
    let err = client.login(&Login::kubernetes("app")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert!(
        err.message()
            .contains(ironsecrets_vault::KUBERNETES_TOKEN_FILE),
        "{err}"
    );

    // An unknown role.
    let err = client.login(&login("nobody")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    assert!(err.message().contains("invalid role name"), "{err}");
    assert!(!texts(&err).contains(&token));

    let lease = client.login(&login("app")).await.unwrap();
    assert!(lease.policies.contains(&"reader".to_owned()), "{lease:?}");
    assert_eq!(lease.lease.ttl, Duration::from_secs(1200));
    // OpenBao had the Kubernetes API review exactly the file's token (newline trimmed).
    let review = reviewed.recv_timeout(Duration::from_secs(10)).unwrap();
    assert_eq!(
        review,
        format!("/apis/authentication.k8s.io/v1/tokenreviews {token}")
    );
    assert_eq!(
        read_secret(&client, &mount).await.unwrap(),
        "kubernetes-value"
    );
    assert_eq!(
        client.lookup_self().await.unwrap().path,
        "auth/kubernetes/login"
    );
}
