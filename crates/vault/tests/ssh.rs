//! The SSH engine against a real OpenBao: keys signed by the CA verify against the CA
//! public key Vault reports (checked with the `ssh-key` crate), one-time passwords verify
//! once, and unknown roles are NotFound.

mod common;

use std::time::Duration;

use ironsecrets_core::Operation;
use ironsecrets_core::{Backend, CredentialRequest, ErrorKind, SecretValue};
use ironsecrets_testkit::services::openbao::OpenBao;
use ironsecrets_vault::{
    KvVersion, SshCaKey, SshCaRole, SshCertType, SshOtpRole, SshSignRequest, VaultClient, VaultSsh,
    VerifiedOtp, ssh,
};
use ssh_key::certificate::CertType;
use ssh_key::rand_core::OsRng;
use ssh_key::{Algorithm, Certificate, HashAlg, PrivateKey, PublicKey};

/// A server, its backend (for `DynamicCredentials`), and a fresh SSH mount on it.
async fn setup() -> (OpenBao, Backend, VaultSsh) {
    let bao = OpenBao::start();
    let (_, backend) = common::fresh_mount(&bao, KvVersion::V2).await;
    let client = backend.native::<VaultClient>().unwrap().clone();
    bao.run(&["secrets", "enable", "-path=team/ssh", "ssh"]);
    (bao, backend, VaultSsh::new(client, "team/ssh"))
}

/// A new ed25519 key pair, made here.
fn key_pair() -> PrivateKey {
    PrivateKey::random(&mut OsRng, Algorithm::Ed25519).unwrap()
}

/// The certificate parsed and validated against the CA public key line: signature by
/// that CA, valid now.
fn verified(certificate: &str, ca_public_key: &str) -> Certificate {
    let cert = Certificate::from_openssh(certificate).expect("an OpenSSH certificate");
    let ca = PublicKey::from_openssh(ca_public_key).expect("the CA's public key");
    cert.validate([&ca.fingerprint(HashAlg::Sha256)])
        .expect("signed by the CA and valid now");
    cert
}

#[tokio::test]
async fn a_user_key_signed_by_the_ca_verifies_against_the_ca_public_key() {
    let (_bao, backend, ssh) = setup().await;
    let generated = ssh
        .configure_ca(SshCaKey::Generate {
            key_type: Some("ssh-ed25519".into()),
        })
        .await
        .unwrap();
    let ca_key = ssh.ca_public_key().await.unwrap();
    assert_eq!(generated, ca_key);
    assert!(ca_key.starts_with("ssh-ed25519 "), "{ca_key}");
    ssh.create_ca_role("dev", &SshCaRole::user(&["alice", "bob"]))
        .await
        .unwrap();

    let user = key_pair();
    let request = SshSignRequest {
        public_key: user.public_key().to_openssh().unwrap(),
        valid_principals: vec!["alice".into()],
        ttl: Some(Duration::from_secs(600)),
        ..SshSignRequest::default()
    };
    let signed = ssh.sign("dev", &request).await.unwrap();
    let cert = verified(&signed.certificate, &ca_key);
    assert_eq!(cert.cert_type(), CertType::User);
    assert_eq!(cert.valid_principals(), ["alice"]);
    assert_eq!(cert.public_key(), user.public_key().key_data());
    assert!(cert.extensions().contains_key("permit-pty"));
    assert_eq!(signed.cert_type, SshCertType::User);
    assert_eq!(signed.serial, cert.serial());
    assert_eq!(signed.valid_principals, ["alice"]);
    assert_eq!(signed.valid_before.timestamp() as u64, cert.valid_before());
    let lifetime = signed.valid_before - chrono::Utc::now();
    assert!(lifetime <= chrono::TimeDelta::seconds(600), "{lifetime}");
    assert!(lifetime > chrono::TimeDelta::seconds(540), "{lifetime}");

    // The same through DynamicCredentials.
    let credential = backend
        .credentials()
        .unwrap()
        .issue(CredentialRequest::SshSignedKey {
            mount: "team/ssh".into(),
            role: "dev".into(),
            public_key: user.public_key().to_openssh().unwrap(),
            valid_principals: vec!["bob".into()],
            host: false,
            ttl: Some(Duration::from_secs(300)),
        })
        .await
        .unwrap();
    let text = credential
        .data
        .get(ssh::SIGNED_KEY)
        .unwrap()
        .expose_str()
        .unwrap();
    let cert = verified(text.trim(), &ca_key);
    assert_eq!(cert.valid_principals(), ["bob"]);
    let serial = credential.data.get(ssh::SERIAL_NUMBER).unwrap();
    assert_eq!(serial.expose_str().unwrap(), cert.serial().to_string());
    assert!(credential.lease.id.is_empty());
    assert!(!credential.lease.renewable);
    assert!(credential.lease.ttl <= Duration::from_secs(300));
    assert!(credential.lease.ttl > Duration::from_secs(240));

    // A principal the role does not allow is Vault's InvalidInput.
    let refused = ssh
        .sign(
            "dev",
            &SshSignRequest {
                valid_principals: vec!["mallory".into()],
                ..request
            },
        )
        .await
        .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::InvalidInput, "{refused}");
}

#[tokio::test]
async fn a_host_key_is_signed_as_a_host_certificate_by_the_default_rsa_ca() {
    let (_bao, _backend, ssh) = setup().await;
    let ca_key = ssh
        .configure_ca(SshCaKey::Generate { key_type: None })
        .await
        .unwrap();
    assert!(ca_key.starts_with("ssh-rsa "), "{ca_key}");
    ssh.create_ca_role("hosts", &SshCaRole::host(&["example.com"]))
        .await
        .unwrap();
    let host = key_pair();
    let request = SshSignRequest {
        public_key: host.public_key().to_openssh().unwrap(),
        valid_principals: vec!["web.example.com".into()],
        cert_type: SshCertType::Host,
        ..SshSignRequest::default()
    };
    let signed = ssh.sign("hosts", &request).await.unwrap();
    let cert = verified(&signed.certificate, &ca_key);
    assert_eq!(cert.cert_type(), CertType::Host);
    assert_eq!(cert.valid_principals(), ["web.example.com"]);
    assert_eq!(signed.cert_type, SshCertType::Host);

    // The host role signs no user certificates.
    let user = SshSignRequest {
        cert_type: SshCertType::User,
        ..request
    };
    let err = ssh.sign("hosts", &user).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
}

#[tokio::test]
async fn a_one_time_password_verifies_once() {
    let (_bao, backend, ssh) = setup().await;
    let role = SshOtpRole {
        default_user: "alice".into(),
        cidr_list: vec!["127.0.0.0/8".into()],
        ..SshOtpRole::default()
    };
    ssh.create_otp_role("otp", &role).await.unwrap();
    let credential = backend
        .credentials()
        .unwrap()
        .issue(CredentialRequest::SshOtp {
            mount: "team/ssh".into(),
            role: "otp".into(),
            ip: "127.0.0.1".into(),
            username: None,
        })
        .await
        .unwrap();
    assert!(
        credential.lease.id.starts_with("team/ssh/creds/otp/"),
        "{}",
        credential.lease.id
    );
    assert!(credential.lease.ttl > Duration::ZERO);
    let field = |name: &str| credential.data.get(name).unwrap().expose_str().unwrap();
    assert_eq!(field(ssh::USERNAME), "alice");
    assert_eq!(field(ssh::IP), "127.0.0.1");
    assert_eq!(field(ssh::PORT), "22");
    let otp = credential.data.get(ssh::KEY).unwrap().clone();
    let shown = format!("{credential:?}");
    assert!(!shown.contains(otp.expose_str().unwrap()), "{shown}");

    let first = ssh.verify_otp(&otp).await.unwrap();
    assert_eq!(
        first,
        Some(VerifiedOtp {
            username: "alice".into(),
            ip: "127.0.0.1".into(),
            role: "otp".into(),
        })
    );
    assert_eq!(ssh.verify_otp(&otp).await.unwrap(), None, "used up");
    assert_eq!(
        ssh.verify_otp(&SecretValue::from("not-an-otp"))
            .await
            .unwrap(),
        None
    );

    // Outside the role's networks, or a user it does not allow: Vault's InvalidInput.
    let err = ssh.otp("otp", "10.1.2.3", None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let err = ssh.otp("otp", "127.0.0.1", Some("root")).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
}

#[tokio::test]
async fn unknown_roles_and_a_missing_ca_are_not_found() {
    let (_bao, backend, ssh) = setup().await;
    let err = ssh.ca_public_key().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    ssh.configure_ca(SshCaKey::Generate {
        key_type: Some("ssh-ed25519".into()),
    })
    .await
    .unwrap();

    let request = SshSignRequest {
        public_key: key_pair().public_key().to_openssh().unwrap(),
        valid_principals: vec!["alice".into()],
        ..SshSignRequest::default()
    };
    let err = ssh.sign("nope", &request).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(err.operation(), Some(Operation::SshSign));
    let err = ssh.otp("nope", "127.0.0.1", None).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    let err = backend
        .credentials()
        .unwrap()
        .issue(CredentialRequest::SshOtp {
            mount: "team/ssh".into(),
            role: "nope".into(),
            ip: "127.0.0.1".into(),
            username: None,
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");

    // A name that is not one path segment never reaches Vault.
    for bad in ["", "a/b", "..", "x?y"] {
        let err = ssh.sign(bad, &request).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{bad:?}: {err}");
    }
}

#[tokio::test]
async fn an_imported_ca_key_signs_and_is_never_shown() {
    let (_bao, _backend, ssh) = setup().await;
    let ca = key_pair();
    let private = ca.to_openssh(ssh_key::LineEnding::LF).unwrap();
    let key = SshCaKey::Import {
        private_key: SecretValue::from(private.as_str()),
        public_key: ca.public_key().to_openssh().unwrap(),
    };
    let shown = format!("{key:?}");
    assert!(!shown.contains("PRIVATE KEY"), "{shown}");
    let public = ssh.configure_ca(key).await.unwrap();
    assert_eq!(
        PublicKey::from_openssh(&public).unwrap().key_data(),
        ca.public_key().key_data()
    );
    ssh.create_ca_role("dev", &SshCaRole::user(&["*"]))
        .await
        .unwrap();
    let user = key_pair();
    let signed = ssh
        .sign(
            "dev",
            &SshSignRequest {
                public_key: user.public_key().to_openssh().unwrap(),
                valid_principals: vec!["carol".into()],
                ..SshSignRequest::default()
            },
        )
        .await
        .unwrap();
    verified(&signed.certificate, &ca.public_key().to_openssh().unwrap());
}
