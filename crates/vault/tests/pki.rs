//! The PKI engine against a real OpenBao: a root on one mount, an intermediate on
//! another; leaves chain to both (checked with `x509-parser`, signatures included),
//! carry the names asked for and the key handed out; revoked serials appear on the CRL;
//! a CSR made here is signed; unknown roles and serials are NotFound.

mod common;

use std::net::{IpAddr, Ipv4Addr};
use std::time::Duration;

use ironsecrets_core::Operation;
use ironsecrets_core::{Backend, CredentialRequest, ErrorKind};
use ironsecrets_testkit::services::openbao::OpenBao;
use ironsecrets_vault::{
    KvVersion, PkiCaOptions, PkiIssueRequest, PkiRole, SignedCertificate, VaultClient, VaultPki,
    pki,
};
use rcgen::{CertificateParams, DnType, KeyPair, PublicKeyData};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::pem::Pem;
use x509_parser::prelude::FromDer;
use x509_parser::revocation_list::CertificateRevocationList;

/// A server with a root CA on `pki` and an intermediate signed by it on `pki_int`,
/// role `web` on the intermediate for example.com (EC keys, one hour).
struct Ca {
    bao: OpenBao,
    backend: Backend,
    root: VaultPki,
    int: VaultPki,
}

async fn two_level_ca() -> Ca {
    let bao = OpenBao::start();
    let (_, backend) = common::fresh_mount(&bao, KvVersion::V2).await;
    let client = backend.native::<VaultClient>().unwrap().clone();
    for mount in ["pki", "pki_int"] {
        bao.run(&["secrets", "enable", &format!("-path={mount}"), "pki"]);
        bao.run(&["secrets", "tune", "-max-lease-ttl=87600h", mount]);
    }
    let root = VaultPki::new(client.clone(), "pki");
    let int = VaultPki::new(client, "pki_int");
    let root_options = PkiCaOptions {
        ttl: Some(Duration::from_secs(10 * 365 * 86400)),
        key_type: Some("ec".into()),
        key_bits: Some(256),
        ..PkiCaOptions::new("Test Root CA")
    };
    let root_cert = root.generate_root(&root_options).await.unwrap();
    assert_eq!(root_cert.certificate.trim(), root_cert.issuing_ca.trim());
    let int_options = PkiCaOptions {
        ttl: Some(Duration::from_secs(5 * 365 * 86400)),
        key_type: Some("ec".into()),
        key_bits: Some(256),
        ..PkiCaOptions::new("Test Issuing CA")
    };
    let csr = int.generate_intermediate_csr(&int_options).await.unwrap();
    assert!(
        csr.starts_with("-----BEGIN CERTIFICATE REQUEST-----"),
        "{csr}"
    );
    let signed = root.sign_intermediate(&csr, &int_options).await.unwrap();
    int.set_signed_intermediate(&signed.pem_bundle())
        .await
        .unwrap();
    let role = PkiRole {
        key_type: Some("ec".into()),
        key_bits: Some(256),
        ttl: Some(Duration::from_secs(3600)),
        max_ttl: Some(Duration::from_secs(7200)),
        ..PkiRole::for_domains(&["example.com"])
    };
    int.create_role("web", &role).await.unwrap();
    Ca {
        bao,
        backend,
        root,
        int,
    }
}

/// The DER of the first PEM block in `pem`.
fn der(pem: &str) -> Vec<u8> {
    let (_, block) = x509_parser::pem::parse_x509_pem(pem.as_bytes()).expect("a PEM block");
    block.contents
}

/// Every PEM certificate in `pem`, as DER.
fn ders(pem: &str) -> Vec<Vec<u8>> {
    Pem::iter_from_buffer(pem.as_bytes())
        .map(|block| block.expect("a PEM block").contents)
        .collect()
}

fn parse(der: &[u8]) -> X509Certificate<'_> {
    let (rest, cert) = X509Certificate::from_der(der).expect("X.509");
    assert!(rest.is_empty());
    cert
}

/// `child` names `parent` as its issuer and carries its signature.
fn signed_by(child: &X509Certificate, parent: &X509Certificate) {
    assert_eq!(child.issuer(), parent.subject());
    child
        .verify_signature(Some(parent.public_key()))
        .expect("the parent's signature");
}

fn dns_names_and_ips(cert: &X509Certificate) -> (Vec<String>, Vec<IpAddr>) {
    let san = cert
        .subject_alternative_name()
        .unwrap()
        .expect("a SAN extension");
    let mut names = Vec::new();
    let mut ips = Vec::new();
    for name in &san.value.general_names {
        match name {
            GeneralName::DNSName(dns) => names.push((*dns).to_owned()),
            GeneralName::IPAddress(bytes) => {
                let octets: [u8; 4] = (*bytes).try_into().expect("IPv4");
                ips.push(IpAddr::V4(Ipv4Addr::from(octets)));
            }
            other => panic!("unexpected SAN {other:?}"),
        }
    }
    names.sort();
    (names, ips)
}

#[tokio::test]
async fn a_leaf_chains_to_the_intermediate_and_the_root() {
    let ca = two_level_ca().await;
    let request = PkiIssueRequest {
        alt_names: vec!["api.example.com".into(), "127.0.0.1".into()],
        private_key_format: Some("pkcs8".into()),
        ..PkiIssueRequest::new("www.example.com")
    };
    let issued = ca.int.issue("web", &request).await.unwrap();
    assert_eq!(issued.private_key_type, "ec");
    let shown = format!("{issued:?}");
    assert!(!shown.contains("PRIVATE KEY"), "{shown}");

    let root_der = der(&ca.root.read_ca_pem().await.unwrap());
    assert_eq!(ca.root.read_ca_der().await.unwrap(), root_der);
    let int_der = der(&ca.int.read_ca_pem().await.unwrap());
    let leaf_der = der(&issued.cert.certificate);
    let (root, int, leaf) = (parse(&root_der), parse(&int_der), parse(&leaf_der));
    signed_by(&root, &root);
    signed_by(&int, &root);
    signed_by(&leaf, &int);
    assert!(int.is_ca() && root.is_ca() && !leaf.is_ca());

    // What Vault returned with the leaf is the same chain.
    assert_eq!(der(&issued.cert.issuing_ca), int_der);
    let chain: Vec<Vec<u8>> = issued.cert.ca_chain.iter().map(|pem| der(pem)).collect();
    assert_eq!(chain, [int_der.clone(), root_der.clone()]);
    assert_eq!(
        ders(&ca.int.read_ca_chain_pem().await.unwrap()),
        [int_der, root_der]
    );

    // Names as asked.
    let cn = leaf.subject().iter_common_name().next().unwrap();
    assert_eq!(cn.as_str().unwrap(), "www.example.com");
    let (names, ips) = dns_names_and_ips(&leaf);
    assert_eq!(names, ["api.example.com", "www.example.com"]);
    assert_eq!(ips, [IpAddr::V4(Ipv4Addr::LOCALHOST)]);
    assert_eq!(leaf.raw_serial_as_string(), issued.cert.serial_number);
    assert_eq!(
        leaf.validity().not_after.timestamp(),
        issued.cert.expiration.timestamp()
    );

    // The private key handed out is the certificate's.
    let key = KeyPair::from_pem(issued.private_key.expose_str().unwrap()).unwrap();
    assert_eq!(key.subject_public_key_info(), leaf.public_key().raw);

    // No Vault lease without generate_lease: the lease runs to the expiry.
    assert!(issued.cert.lease.id.is_empty());
    assert!(!issued.cert.lease.renewable);
    assert!(issued.cert.lease.ttl <= Duration::from_secs(3600));
    assert!(issued.cert.lease.ttl > Duration::from_secs(3500));
}

#[tokio::test]
async fn a_certificate_issued_through_dynamic_credentials_has_its_key_and_chain() {
    let ca = two_level_ca().await;
    let credential = ca
        .backend
        .credentials()
        .unwrap()
        .issue(CredentialRequest::PkiCertificate {
            mount: "pki_int".into(),
            role: "web".into(),
            common_name: "svc.example.com".into(),
            alt_names: vec!["10.0.0.7".into()],
            ttl: Some(Duration::from_secs(600)),
        })
        .await
        .unwrap();
    let field = |name: &str| credential.data.get(name).unwrap().expose_str().unwrap();
    let leaf_der = der(field(pki::CERTIFICATE));
    let leaf = parse(&leaf_der);
    let chain = ders(field(pki::CA_CHAIN));
    assert_eq!(chain.len(), 2);
    signed_by(&leaf, &parse(&chain[0]));
    assert_eq!(der(field(pki::ISSUING_CA)), chain[0]);
    let (names, ips) = dns_names_and_ips(&leaf);
    assert_eq!(names, ["svc.example.com"]);
    assert_eq!(ips, [IpAddr::V4(Ipv4Addr::new(10, 0, 0, 7))]);
    assert_eq!(field(pki::SERIAL_NUMBER), leaf.raw_serial_as_string());
    assert_eq!(
        field(pki::EXPIRATION),
        leaf.validity().not_after.timestamp().to_string()
    );
    assert_eq!(field(pki::PRIVATE_KEY_TYPE), "ec");
    let private_key = field(pki::PRIVATE_KEY);
    assert!(private_key.contains("PRIVATE KEY"));
    assert!(!format!("{credential:?}").contains(private_key));
    assert!(credential.lease.ttl <= Duration::from_secs(600));
    assert!(credential.lease.ttl > Duration::from_secs(500));
}

#[tokio::test]
async fn a_revoked_serial_is_on_the_crl() {
    let ca = two_level_ca().await;
    let kept = ca
        .int
        .issue("web", &PkiIssueRequest::new("kept.example.com"))
        .await
        .unwrap();
    let revoked = ca
        .int
        .issue("web", &PkiIssueRequest::new("gone.example.com"))
        .await
        .unwrap();
    let at = ca.int.revoke(&revoked.cert.serial_number).await.unwrap();
    assert!((chrono::Utc::now() - at).num_seconds().abs() < 60, "{at}");

    let int_der = der(&ca.int.read_ca_pem().await.unwrap());
    let int = parse(&int_der);
    let pem_der = der(&ca.int.read_crl_pem().await.unwrap());
    let der_der = ca.int.read_crl_der().await.unwrap();
    for crl_der in [pem_der, der_der] {
        let (_, crl) = CertificateRevocationList::from_der(&crl_der).expect("a CRL");
        assert_eq!(crl.issuer(), int.subject());
        crl.verify_signature(int.public_key())
            .expect("signed by the intermediate");
        let serials: Vec<String> = crl
            .iter_revoked_certificates()
            .map(|r| r.raw_serial_as_string())
            .collect();
        assert!(serials.contains(&revoked.cert.serial_number), "{serials:?}");
        assert!(!serials.contains(&kept.cert.serial_number), "{serials:?}");
    }

    let err = ca.int.revoke("11:22:33").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

#[tokio::test]
async fn a_csr_made_here_is_signed() {
    let ca = two_level_ca().await;
    let key = KeyPair::generate().unwrap();
    let mut params = CertificateParams::new(vec!["svc.example.com".to_owned()]).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, "svc.example.com");
    let csr = params.serialize_request(&key).unwrap().pem().unwrap();
    let request = PkiIssueRequest {
        alt_names: vec!["alt.example.com".into()],
        ttl: Some(Duration::from_secs(900)),
        ..PkiIssueRequest::new("req.example.com")
    };
    // Vault's default role: the CSR's names, the request's lifetime.
    let signed: SignedCertificate = ca.int.sign_csr("web", &csr, &request).await.unwrap();
    let leaf_der = der(&signed.certificate);
    let leaf = parse(&leaf_der);
    assert_eq!(leaf.public_key().raw, key.subject_public_key_info());
    signed_by(&leaf, &parse(&der(&signed.issuing_ca)));
    assert_eq!(dns_names_and_ips(&leaf).0, ["svc.example.com"]);
    let lifetime = leaf.validity().not_after.timestamp() - chrono::Utc::now().timestamp();
    assert!((800..=900).contains(&lifetime), "{lifetime}");

    // A role that takes the names from the request.
    let role = PkiRole {
        use_csr_common_name: false,
        use_csr_sans: false,
        key_type: Some("any".into()),
        ..PkiRole::for_domains(&["example.com"])
    };
    ca.int.create_role("by-request", &role).await.unwrap();
    let signed = ca.int.sign_csr("by-request", &csr, &request).await.unwrap();
    let leaf_der = der(&signed.certificate);
    let leaf = parse(&leaf_der);
    assert_eq!(leaf.public_key().raw, key.subject_public_key_info());
    let cn = leaf.subject().iter_common_name().next().unwrap();
    assert_eq!(cn.as_str().unwrap(), "req.example.com");
    assert_eq!(
        dns_names_and_ips(&leaf).0,
        ["alt.example.com", "req.example.com"]
    );
}

#[tokio::test]
async fn unknown_roles_names_outside_the_role_and_an_empty_mount() {
    let ca = two_level_ca().await;
    let err = ca
        .int
        .issue("nope", &PkiIssueRequest::new("www.example.com"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(err.path(), Some("pki_int/issue/nope"));
    let err = ca
        .backend
        .credentials()
        .unwrap()
        .issue(CredentialRequest::PkiCertificate {
            mount: "pki_int".into(),
            role: "nope".into(),
            common_name: "www.example.com".into(),
            alt_names: Vec::new(),
            ttl: None,
        })
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    let err = ca
        .int
        .sign_csr("nope", "csr", &PkiIssueRequest::new("x.example.com"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");

    let err = ca
        .int
        .issue("web", &PkiIssueRequest::new("www.example.org"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");

    ca.bao.run(&["secrets", "enable", "-path=pki_empty", "pki"]);
    let client = ca.backend.native::<VaultClient>().unwrap().clone();
    let empty = VaultPki::new(client, "pki_empty");
    let err = empty.read_ca_pem().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(err.operation(), Some(Operation::PkiReadCa));
    let err = empty.read_ca_der().await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}
