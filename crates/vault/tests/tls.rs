//! TLS against a real OpenBao with a TLS listener and certificates made by the test:
//! with the test CA the client connects, without it the connection is refused (a
//! non-retryable Config error); a listener requiring client certificates works with
//! mTLS and fails closed without; TLS certificate login works over it; the TLS server
//! name lets a connection to 127.0.0.1 verify a certificate issued for another name.

mod common;

use std::error::Error as _;
use std::path::PathBuf;

use ironsecrets_core::{Error, ErrorKind, PutOptions, SecretStore, VersionSelector};
use ironsecrets_testkit::services::openbao::{OpenBao, TlsListener};
use ironsecrets_vault::{Kv2Store, KvVersion, Login, VaultClient, VaultConfig};
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, ExtendedKeyUsagePurpose, IsCa,
    KeyPair,
};

/// A throwaway CA that issues server and client certificates into a temp dir.
struct TestCa {
    dir: tempfile::TempDir,
    ca: CertifiedIssuer<'static, KeyPair>,
}

impl TestCa {
    fn new(name: &str) -> TestCa {
        let mut params = CertificateParams::new(Vec::<String>::new()).unwrap();
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.distinguished_name.push(DnType::CommonName, name);
        let ca = CertifiedIssuer::self_signed(params, KeyPair::generate().unwrap()).unwrap();
        TestCa {
            dir: tempfile::tempdir().unwrap(),
            ca,
        }
    }

    fn write(&self, name: &str, pem: &str) -> PathBuf {
        let file = self.dir.path().join(name);
        std::fs::write(&file, pem).unwrap();
        file
    }

    /// The CA certificate, PEM.
    fn pem(&self) -> String {
        self.ca.pem()
    }

    /// The CA certificate as a file.
    fn file(&self) -> PathBuf {
        self.write("ca.pem", &self.pem())
    }

    /// A leaf certificate for `names` with `usage`, and its key, PEM.
    fn issue(&self, names: &[&str], usage: ExtendedKeyUsagePurpose) -> (String, String) {
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        params.distinguished_name.push(
            DnType::CommonName,
            names.first().copied().unwrap_or("client"),
        );
        params.extended_key_usages = vec![usage];
        let key = KeyPair::generate().unwrap();
        let cert = params.signed_by(&key, &self.ca).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    /// A TLS listener whose certificate is valid for `names`.
    fn listener(&self, names: &[&str]) -> TlsListener {
        let (cert_pem, key_pem) = self.issue(names, ExtendedKeyUsagePurpose::ServerAuth);
        TlsListener {
            cert_pem,
            key_pem,
            ..TlsListener::default()
        }
    }

    /// A client certificate and key for `name`, as files.
    fn client(&self, name: &str) -> (PathBuf, PathBuf) {
        let (cert, key) = self.issue(&[name], ExtendedKeyUsagePurpose::ClientAuth);
        (
            self.write(&format!("{name}.pem"), &cert),
            self.write(&format!("{name}-key.pem"), &key),
        )
    }
}

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

/// The config for KV v2 `mount` on `bao`'s TLS listener, as root, trusting `ca`.
fn tls_config(bao: &OpenBao, mount: &str, ca: Option<PathBuf>) -> VaultConfig {
    let mut config = common::config(bao, mount, KvVersion::V2);
    config.address = bao.tls_addr();
    config.tls.ca_cert = ca;
    config
}

/// Writes and reads back a secret through `config`.
async fn round_trip(config: VaultConfig) -> Result<(), Error> {
    let backend = ironsecrets_vault::open(config).await?;
    let store = backend.store();
    store
        .put("app/tls", "over-tls".into(), PutOptions::default())
        .await?;
    let secret = store.get("app/tls", VersionSelector::Latest).await?;
    assert_eq!(secret.value.expose(), b"over-tls");
    Ok(())
}

/// The error of a call through `config`, which must fail.
async fn refused(config: VaultConfig) -> Error {
    let err = round_trip(config).await.unwrap_err();
    let shown = texts(&err);
    assert!(!shown.contains("over-tls"), "{shown}");
    err
}

#[tokio::test]
async fn with_the_test_ca_the_client_connects_and_without_it_refuses() {
    let ca = TestCa::new("ironsecrets test CA");
    let bao = OpenBao::start_tls(&ca.listener(&["localhost", "127.0.0.1"]));
    let mount = bao.enable_kv(2);
    round_trip(tls_config(&bao, &mount, Some(ca.file())))
        .await
        .unwrap();
    // localhost is in the certificate too.
    let mut config = tls_config(&bao, &mount, Some(ca.file()));
    config.address = bao.tls_addr().replace("127.0.0.1", "localhost");
    round_trip(config).await.unwrap();

    // The platform's roots do not know the test CA.
    let err = refused(tls_config(&bao, &mount, None)).await;
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert!(
        !err.is_retryable(),
        "a certificate that does not verify stays so"
    );
    assert!(err.message().contains("certificate"), "{err}");
    assert!(err.message().contains("VAULT_CACERT"), "{err}");
    assert!(!texts(&err).contains(bao.root_token()));
    eprintln!("without the CA: {err}");

    // Nor does another CA.
    let other = TestCa::new("another CA");
    let err = refused(tls_config(&bao, &mount, Some(other.file()))).await;
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");

    // Plain http to the TLS port gets no Vault answer.
    let mut config = tls_config(&bao, &mount, None);
    config.address = bao.tls_addr().replace("https", "http");
    let err = refused(config).await;
    assert_ne!(err.kind(), ErrorKind::NotFound, "{err}");
}

#[tokio::test]
async fn the_tls_server_name_verifies_a_certificate_issued_for_another_name() {
    let ca = TestCa::new("ironsecrets test CA");
    let bao = OpenBao::start_tls(&ca.listener(&["vault.ironsecrets.test"]));
    let mount = bao.enable_kv(2);
    // 127.0.0.1 is not in the certificate.
    let err = refused(tls_config(&bao, &mount, Some(ca.file()))).await;
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert!(!err.is_retryable());
    eprintln!("name mismatch: {err}");

    let mut config = tls_config(&bao, &mount, Some(ca.file()));
    config.tls.server_name = Some("vault.ironsecrets.test".into());
    round_trip(config).await.unwrap();

    // The same through the Vault CLI's variables.
    let ca_file = ca.file();
    let env = [
        ("VAULT_ADDR", bao.tls_addr()),
        ("VAULT_TOKEN", bao.root_token().to_owned()),
        ("VAULT_CACERT", ca_file.display().to_string()),
        ("VAULT_TLS_SERVER_NAME", "vault.ironsecrets.test".to_owned()),
    ];
    let mut config = VaultConfig::from_vars(|name| {
        env.iter()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.clone())
    })
    .unwrap();
    config.mount = mount.clone();
    round_trip(config).await.unwrap();

    // A server name the certificate does not hold fails as before.
    let mut config = tls_config(&bao, &mount, Some(ca.file()));
    config.tls.server_name = Some("other.ironsecrets.test".into());
    assert_eq!(refused(config).await.kind(), ErrorKind::Config);
}

/// A server that requires client certificates issued by `ca`.
fn mtls_server(ca: &TestCa) -> OpenBao {
    let listener = TlsListener {
        client_ca_pem: Some(ca.pem()),
        require_client_cert: true,
        ..ca.listener(&["127.0.0.1"])
    };
    OpenBao::start_tls(&listener)
}

#[tokio::test]
async fn a_listener_requiring_client_certificates_works_with_mtls_and_fails_closed_without() {
    let ca = TestCa::new("ironsecrets test CA");
    let bao = mtls_server(&ca);
    let mount = bao.enable_kv(2);
    let (cert, key) = ca.client("app");

    let mut config = tls_config(&bao, &mount, Some(ca.file()));
    config.tls.client_cert = Some(cert.clone());
    config.tls.client_key = Some(key.clone());
    round_trip(config).await.unwrap();

    // No client certificate: the server refuses the handshake.
    let err = refused(tls_config(&bao, &mount, Some(ca.file()))).await;
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    assert!(!err.is_retryable());
    assert!(err.message().contains("VAULT_CLIENT_CERT"), "{err}");
    eprintln!("without a client certificate: {err}");

    // A client certificate from a CA the server does not trust.
    let stranger = TestCa::new("stranger CA");
    let (cert, key) = stranger.client("mallory");
    let mut config = tls_config(&bao, &mount, Some(ca.file()));
    config.tls.client_cert = Some(cert);
    config.tls.client_key = Some(key);
    let err = refused(config).await;
    assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    eprintln!("with an untrusted client certificate: {err}");

    // A certificate without its key is refused before any connection.
    let mut config = tls_config(&bao, &mount, Some(ca.file()));
    config.tls.client_cert = Some(ca.client("half").0);
    let err = VaultClient::connect(&config).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Config);
}

#[tokio::test]
async fn certificate_login_over_mtls() {
    let ca = TestCa::new("ironsecrets test CA");
    let bao = mtls_server(&ca);
    let (mount, root) = common::fresh_mount(&bao, KvVersion::V2).await;
    root.store()
        .put("app/db", "cert-value".into(), PutOptions::default())
        .await
        .unwrap();
    bao.token_with_policy(
        "reader",
        &format!("path \"{mount}/data/app/*\" {{ capabilities = [\"read\"] }}"),
    );
    let ca_file = ca.file();
    bao.run(&["auth", "enable", "cert"]);
    bao.run(&[
        "write",
        "auth/cert/certs/apps",
        &format!("certificate=@{}", ca_file.display()),
        "token_policies=reader",
        "token_ttl=15m",
    ]);

    let (cert, key) = ca.client("app");
    let mut config = tls_config(&bao, &mount, Some(ca_file));
    config.token = None;
    config.tls.client_cert = Some(cert);
    config.tls.client_key = Some(key);
    let client = VaultClient::connect(&config).await.unwrap();
    let store = Kv2Store::new(client.clone(), &mount);
    let err = store
        .get("app/db", VersionSelector::Latest)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");

    // A certificate role that does not exist.
    let err = client
        .login(&Login::cert(Some("nobody".into())))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");

    let lease = client
        .login(&Login::cert(Some("apps".into())))
        .await
        .unwrap();
    assert!(lease.policies.contains(&"reader".to_owned()), "{lease:?}");
    assert_eq!(lease.lease.ttl.as_secs(), 900);
    let secret = store.get("app/db", VersionSelector::Latest).await.unwrap();
    assert_eq!(secret.value.expose(), b"cert-value");
    assert_eq!(client.lookup_self().await.unwrap().path, "auth/cert/login");
    // Without naming the role, any role trusting the certificate matches.
    client.login(&Login::cert(None)).await.unwrap();
}
