//! `VaultPki`: the PKI secrets engine at one mount — a root or intermediate CA, roles,
//! certificates issued with their private key or signed from a CSR, revocation, and the
//! CA certificate and CRL as PEM or DER.
//!
//! A typical two-level setup, each CA on its own mount:
//!
//! ```no_run
//! # async fn demo(client: ironsecrets_vault::VaultClient) -> ironsecrets_core::Result<()> {
//! use ironsecrets_vault::{PkiCaOptions, PkiIssueRequest, PkiRole, VaultPki};
//!
//! let root = VaultPki::new(client.clone(), "pki");
//! root.generate_root(&PkiCaOptions::new("Example Root CA")).await?;
//! let int = VaultPki::new(client, "pki_int");
//! let csr = int.generate_intermediate_csr(&PkiCaOptions::new("Example Issuing CA")).await?;
//! let signed = root.sign_intermediate(&csr, &PkiCaOptions::new("Example Issuing CA")).await?;
//! int.set_signed_intermediate(&signed.pem_bundle()).await?;
//! int.create_role("web", &PkiRole::for_domains(&["example.com"])).await?;
//! let issued = int.issue("web", &PkiIssueRequest::new("www.example.com")).await?;
//! # Ok(()) }
//! ```
//!
//! Certificates are not secret; private keys are [`SecretValue`]s. A certificate has a
//! Vault lease only when its role sets `generate_lease`; otherwise its [`Lease`] has no
//! id, is not renewable, and its ttl runs to the certificate's expiry. An unknown role
//! (Vault: 400 `unknown role: x`) and an unknown serial are NotFound.

use std::net::IpAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ironsecrets_core::{
    Error, Lease, LeasedCredential, Operation, Result, SecretMap, SecretValue, validate_path,
};
use serde::Deserialize;
use vaultrs::api::pki::requests::{
    GenerateCertificateRequest, GenerateIntermediateRequest, GenerateRootRequest,
    RevokeCertificateRequest, SetRoleRequest, SetSignedIntermediateRequest, SignCertificateRequest,
    SignIntermediateRequest,
};

use crate::VaultClient;
use crate::client::{ApiRequest, duration_param, path_segment};
use crate::errors::{context, unknown_as_not_found};
use crate::leases::LeaseFields;

/// The field of an issued certificate's `data` holding the certificate (PEM).
pub const CERTIFICATE: &str = "certificate";
/// The field holding the private key (PEM).
pub const PRIVATE_KEY: &str = "private_key";
/// The field holding the private key's type (`rsa`, `ec`, `ed25519`).
pub const PRIVATE_KEY_TYPE: &str = "private_key_type";
/// The field holding the issuing CA's certificate (PEM).
pub const ISSUING_CA: &str = "issuing_ca";
/// The field holding the CA chain, PEM certificates one after the other.
pub const CA_CHAIN: &str = "ca_chain";
/// The field holding the serial number (`xx:xx:...`).
pub const SERIAL_NUMBER: &str = "serial_number";
/// The field holding the expiry, in seconds since the Unix epoch.
pub const EXPIRATION: &str = "expiration";

/// The PKI engine mounted at one path. Debug shows the server address and mount.
#[derive(Clone, Debug)]
pub struct VaultPki {
    client: VaultClient,
    mount: String,
}

/// The subject and key of a CA certificate (root or intermediate).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PkiCaOptions {
    /// The CA's common name.
    pub common_name: String,
    /// Lifetime (the mount's max lease ttl caps it).
    pub ttl: Option<Duration>,
    /// `rsa`, `ec` or `ed25519` (Vault's default: `rsa`).
    pub key_type: Option<String>,
    /// Key size: 2048/3072/4096 for RSA, 256/384/521 for EC.
    pub key_bits: Option<u32>,
    /// How many CAs may follow this one in a chain (`-1`: no limit).
    pub max_path_length: Option<i32>,
}

impl PkiCaOptions {
    /// Options with `common_name` and Vault's defaults otherwise.
    pub fn new(common_name: impl Into<String>) -> Self {
        PkiCaOptions {
            common_name: common_name.into(),
            ..PkiCaOptions::default()
        }
    }
}

/// What a role lets its callers issue. `Default` has Vault's defaults (IP SANs and
/// `localhost` allowed, server and client use, a common name required, a CSR's own
/// names used when signing it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PkiRole {
    /// Domains the names may be in.
    pub allowed_domains: Vec<String>,
    /// Names may be subdomains of `allowed_domains`.
    pub allow_subdomains: bool,
    /// Names may be `allowed_domains` themselves.
    pub allow_bare_domains: bool,
    /// `allowed_domains` may hold globs.
    pub allow_glob_domains: bool,
    /// Any name at all.
    pub allow_any_name: bool,
    /// `localhost` may be named.
    pub allow_localhost: bool,
    /// IP addresses may be named.
    pub allow_ip_sans: bool,
    /// For TLS servers (extended key usage serverAuth).
    pub server_flag: bool,
    /// For TLS clients (extended key usage clientAuth).
    pub client_flag: bool,
    /// A common name is required.
    pub require_cn: bool,
    /// When signing a CSR, take its common name rather than the request's.
    pub use_csr_common_name: bool,
    /// When signing a CSR, take its SANs rather than the request's.
    pub use_csr_sans: bool,
    /// Key type of issued keys: `rsa`, `ec`, `ed25519` or `any` (for CSRs).
    pub key_type: Option<String>,
    /// Key size of issued keys.
    pub key_bits: Option<u32>,
    /// Default lifetime.
    pub ttl: Option<Duration>,
    /// Longest lifetime.
    pub max_ttl: Option<Duration>,
    /// Issue certificates under a Vault lease (revoking the lease revokes them).
    pub generate_lease: bool,
    /// Do not store issued certificates (they then cannot be revoked by serial).
    pub no_store: bool,
}

impl Default for PkiRole {
    fn default() -> Self {
        PkiRole {
            allowed_domains: Vec::new(),
            allow_subdomains: false,
            allow_bare_domains: false,
            allow_glob_domains: false,
            allow_any_name: false,
            allow_localhost: true,
            allow_ip_sans: true,
            server_flag: true,
            client_flag: true,
            require_cn: true,
            use_csr_common_name: true,
            use_csr_sans: true,
            key_type: None,
            key_bits: None,
            ttl: None,
            max_ttl: None,
            generate_lease: false,
            no_store: false,
        }
    }
}

impl PkiRole {
    /// A role for `domains`, their subdomains, and IP SANs.
    pub fn for_domains(domains: &[&str]) -> Self {
        PkiRole {
            allowed_domains: domains.iter().map(|d| (*d).to_owned()).collect(),
            allow_subdomains: true,
            allow_bare_domains: true,
            ..PkiRole::default()
        }
    }
}

/// The names and lifetime of a certificate to issue or sign.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PkiIssueRequest {
    /// The common name (also a SAN unless `exclude_cn_from_sans`).
    pub common_name: String,
    /// More names: DNS names, or IP addresses (sent as IP SANs).
    pub alt_names: Vec<String>,
    /// URI SANs.
    pub uri_sans: Vec<String>,
    /// Requested lifetime (the role's ttl when `None`).
    pub ttl: Option<Duration>,
    /// Keep the common name out of the SANs.
    pub exclude_cn_from_sans: bool,
    /// How the issued private key is encoded: `der`, `pem` (Vault's default: PKCS#1 or
    /// SEC1) or `pkcs8` (PEM PKCS#8). Ignored when signing a CSR.
    pub private_key_format: Option<String>,
}

impl PkiIssueRequest {
    /// A request for `common_name` and nothing else.
    pub fn new(common_name: impl Into<String>) -> Self {
        PkiIssueRequest {
            common_name: common_name.into(),
            ..PkiIssueRequest::default()
        }
    }

    /// `alt_names` split into DNS names and IP SANs, each joined with commas (`None`
    /// when empty).
    fn sans(&self) -> (Option<String>, Option<String>) {
        let (ips, names): (Vec<&str>, Vec<&str>) = self
            .alt_names
            .iter()
            .map(String::as_str)
            .partition(|name| name.parse::<IpAddr>().is_ok());
        (joined(&names), joined(&ips))
    }
}

/// A list as Vault's comma-separated parameter; `None` when empty.
fn joined<S: AsRef<str>>(items: &[S]) -> Option<String> {
    let items: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    Some(items.join(",")).filter(|s| !s.is_empty())
}

/// A certificate Vault signed (a root, an intermediate, or a leaf from a CSR). Not
/// secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedCertificate {
    /// The certificate, PEM.
    pub certificate: String,
    /// The certificate of the CA that signed it, PEM (a root's is itself).
    pub issuing_ca: String,
    /// The chain from the issuing CA up (as Vault lists it), PEM each.
    pub ca_chain: Vec<String>,
    /// The serial number, `xx:xx:...`.
    pub serial_number: String,
    /// When it expires.
    pub expiration: DateTime<Utc>,
    /// Vault's lease when the role has `generate_lease`; else no id, not renewable,
    /// ending at `expiration`.
    pub lease: Lease,
}

impl SignedCertificate {
    /// The certificate followed by its CA chain (without repeating the certificate),
    /// PEM: what `set_signed_intermediate` and TLS servers take.
    pub fn pem_bundle(&self) -> String {
        let mut pems = vec![self.certificate.trim()];
        let chain: Vec<&str> = if self.ca_chain.is_empty() {
            vec![self.issuing_ca.trim()]
        } else {
            self.ca_chain.iter().map(|c| c.trim()).collect()
        };
        for pem in chain {
            if !pem.is_empty() && !pems.contains(&pem) {
                pems.push(pem);
            }
        }
        let mut bundle = pems.join("\n");
        bundle.push('\n');
        bundle
    }
}

/// A certificate issued with a private key Vault generated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedCertificate {
    /// The certificate, chain, serial, expiry and lease.
    pub cert: SignedCertificate,
    /// The private key (PEM, or base64 DER when `der` was asked for). Secret.
    pub private_key: SecretValue,
    /// `rsa`, `ec` or `ed25519`.
    pub private_key_type: String,
}

impl IssuedCertificate {
    /// As a [`LeasedCredential`]: `certificate`, `private_key`, `private_key_type`,
    /// `issuing_ca`, `ca_chain` (PEMs joined by newlines), `serial_number` and
    /// `expiration` (Unix seconds) in `data`, the certificate's lease.
    pub fn into_credential(self) -> LeasedCredential {
        let cert = self.cert;
        let mut data = SecretMap::new();
        data.insert(CERTIFICATE, cert.certificate);
        data.insert(PRIVATE_KEY, self.private_key);
        data.insert(PRIVATE_KEY_TYPE, self.private_key_type);
        data.insert(ISSUING_CA, cert.issuing_ca);
        data.insert(CA_CHAIN, cert.ca_chain.join("\n"));
        data.insert(SERIAL_NUMBER, cert.serial_number);
        data.insert(EXPIRATION, cert.expiration.timestamp().to_string());
        LeasedCredential {
            lease: cert.lease,
            data,
        }
    }
}

/// A certificate answer: the envelope's lease and the certificate fields.
#[derive(Deserialize)]
struct CertReply {
    #[serde(flatten)]
    lease: LeaseFields,
    data: CertData,
}

#[derive(Deserialize)]
struct CertData {
    certificate: String,
    #[serde(default)]
    issuing_ca: String,
    #[serde(default)]
    ca_chain: Option<Vec<String>>,
    serial_number: String,
    #[serde(default)]
    expiration: Option<i64>,
    #[serde(default)]
    private_key: Option<String>,
    #[serde(default)]
    private_key_type: Option<String>,
}

#[derive(Deserialize)]
struct Csr {
    csr: String,
}

#[derive(Deserialize)]
struct Revoked {
    revocation_time: i64,
}

impl CertReply {
    /// The signed certificate, and the private key fields when Vault sent them.
    fn into_parts(self) -> Result<(SignedCertificate, Option<String>, Option<String>)> {
        let data = self.data;
        let expiration = data
            .expiration
            .and_then(|at| DateTime::from_timestamp(at, 0))
            .ok_or_else(|| Error::unexpected("Vault's certificate answer has no expiration"))?;
        let mut lease = self.lease.granted();
        if lease.id.is_empty() {
            lease.ttl = (expiration - lease.issued_at).to_std().unwrap_or_default();
            lease.renewable = false;
        }
        let cert = SignedCertificate {
            certificate: data.certificate,
            issuing_ca: data.issuing_ca,
            ca_chain: data.ca_chain.unwrap_or_default(),
            serial_number: data.serial_number,
            expiration,
            lease,
        };
        Ok((cert, data.private_key, data.private_key_type))
    }

    fn signed(self) -> Result<SignedCertificate> {
        self.into_parts().map(|(cert, _, _)| cert)
    }
}

impl VaultPki {
    /// The PKI engine mounted at `mount` (e.g. `pki`) on `client`'s server.
    pub fn new(client: VaultClient, mount: impl Into<String>) -> Self {
        VaultPki {
            client,
            mount: mount.into().trim_matches('/').to_owned(),
        }
    }

    /// The mount path.
    pub fn mount(&self) -> &str {
        &self.mount
    }

    /// `<mount>/<rest>` for messages.
    fn at(&self, rest: &str) -> String {
        format!("{}/{rest}", self.mount)
    }

    /// Checks the mount, and `role` when given, before they go into a URL.
    fn check(&self, role: Option<&str>) -> Result<()> {
        validate_path(&self.mount)?;
        if let Some(role) = role {
            path_segment(role, "role name")?;
        }
        Ok(())
    }

    /// Generates a self-signed root CA whose key stays in Vault (`root/generate/internal`).
    pub async fn generate_root(&self, options: &PkiCaOptions) -> Result<SignedCertificate> {
        let generated = async {
            self.check(None)?;
            let request = GenerateRootRequest {
                mount: self.mount.clone(),
                cert_type: "internal".to_owned(),
                common_name: Some(options.common_name.clone()),
                ttl: options.ttl.map(duration_param),
                key_type: options.key_type.clone(),
                key_bits: options.key_bits.map(u64::from),
                max_path_length: options.max_path_length,
                ..GenerateRootRequest::default()
            };
            self.client
                .call(request)
                .await?
                .json::<CertReply>()?
                .signed()
        };
        generated.await.map_err(context(
            Operation::PkiGenerateRoot,
            &self.at("root/generate/internal"),
        ))
    }

    /// Generates an intermediate CA's key in Vault and returns its CSR, PEM
    /// (`intermediate/generate/internal`). Sign it with the parent CA, then hand the
    /// result to [`VaultPki::set_signed_intermediate`].
    pub async fn generate_intermediate_csr(&self, options: &PkiCaOptions) -> Result<String> {
        let generated = async {
            self.check(None)?;
            let request = GenerateIntermediateRequest {
                mount: self.mount.clone(),
                cert_type: "internal".to_owned(),
                common_name: Some(options.common_name.clone()),
                key_type: options.key_type.clone(),
                key_bits: options.key_bits.map(u64::from),
                ..GenerateIntermediateRequest::default()
            };
            Ok(self.client.call(request).await?.data::<Csr>()?.csr)
        };
        generated.await.map_err(context(
            Operation::PkiGenerateIntermediate,
            &self.at("intermediate/generate/internal"),
        ))
    }

    /// Signs an intermediate CA's CSR with this mount's CA (`root/sign-intermediate`).
    /// `options.common_name` and `max_path_length` go into the certificate; key options
    /// are the CSR's.
    pub async fn sign_intermediate(
        &self,
        csr: &str,
        options: &PkiCaOptions,
    ) -> Result<SignedCertificate> {
        let signed = async {
            self.check(None)?;
            let request = SignIntermediateRequest {
                mount: self.mount.clone(),
                csr: Some(csr.to_owned()),
                common_name: Some(options.common_name.clone()),
                ttl: options.ttl.map(duration_param),
                max_path_length: options.max_path_length,
                ..SignIntermediateRequest::default()
            };
            self.client
                .call(request)
                .await?
                .json::<CertReply>()?
                .signed()
        };
        signed.await.map_err(context(
            Operation::PkiSignIntermediate,
            &self.at("root/sign-intermediate"),
        ))
    }

    /// Installs the signed certificate of the intermediate whose CSR this mount made
    /// (`intermediate/set-signed`); pass [`SignedCertificate::pem_bundle`] so the chain
    /// up to the root comes with it.
    pub async fn set_signed_intermediate(&self, certificate_pem: &str) -> Result<()> {
        let set = async {
            self.check(None)?;
            let request = SetSignedIntermediateRequest {
                mount: self.mount.clone(),
                certificate: certificate_pem.to_owned(),
            };
            self.client.call(request).await.map(drop)
        };
        set.await.map_err(context(
            Operation::PkiSetSigned,
            &self.at("intermediate/set-signed"),
        ))
    }

    /// Creates or replaces role `name`.
    pub async fn create_role(&self, name: &str, role: &PkiRole) -> Result<()> {
        let created = async {
            self.check(Some(name))?;
            let request = SetRoleRequest {
                mount: self.mount.clone(),
                name: name.to_owned(),
                allowed_domains: Some(role.allowed_domains.clone()),
                allow_subdomains: Some(role.allow_subdomains),
                allow_bare_domains: Some(role.allow_bare_domains),
                allow_glob_domains: Some(role.allow_glob_domains),
                allow_any_name: Some(role.allow_any_name),
                allow_localhost: Some(role.allow_localhost),
                allow_ip_sans: Some(role.allow_ip_sans),
                server_flag: Some(role.server_flag),
                client_flag: Some(role.client_flag),
                require_cn: Some(role.require_cn),
                use_csr_common_name: Some(role.use_csr_common_name),
                use_csr_sans: Some(role.use_csr_sans),
                key_type: role.key_type.clone(),
                key_bits: role.key_bits.map(u64::from),
                ttl: role.ttl.map(duration_param),
                max_ttl: role.max_ttl.map(duration_param),
                generate_lease: Some(role.generate_lease),
                no_store: Some(role.no_store),
                ..SetRoleRequest::default()
            };
            self.client.call(request).await.map(drop)
        };
        created.await.map_err(context(
            Operation::PkiCreateRole,
            &self.at(&format!("roles/{name}")),
        ))
    }

    /// Issues a certificate and a new private key from role `role` (`issue/<role>`).
    pub async fn issue(&self, role: &str, request: &PkiIssueRequest) -> Result<IssuedCertificate> {
        let issued = async {
            self.check(Some(role))?;
            let (alt_names, ip_sans) = request.sans();
            let endpoint = GenerateCertificateRequest {
                mount: self.mount.clone(),
                role: role.to_owned(),
                common_name: Some(request.common_name.clone()),
                alt_names,
                ip_sans,
                uri_sans: joined(&request.uri_sans),
                ttl: request.ttl.map(duration_param),
                exclude_cn_from_sans: Some(request.exclude_cn_from_sans),
                private_key_format: request.private_key_format.clone(),
                ..GenerateCertificateRequest::default()
            };
            let reply = self
                .client
                .call(endpoint)
                .await
                .map_err(unknown_as_not_found)?;
            let (cert, key, key_type) = reply.json::<CertReply>()?.into_parts()?;
            let key = key.ok_or_else(|| Error::unexpected("Vault issued no private key"))?;
            Ok(IssuedCertificate {
                cert,
                private_key: SecretValue::from(key),
                private_key_type: key_type.unwrap_or_default(),
            })
        };
        issued.await.map_err(context(
            Operation::PkiIssue,
            &self.at(&format!("issue/{role}")),
        ))
    }

    /// Signs a CSR (PEM) with role `role` (`sign/<role>`). With the role's
    /// `use_csr_common_name` / `use_csr_sans` (Vault's default) the CSR's own common name
    /// / SANs go into the certificate and `request`'s are ignored; otherwise `request`'s
    /// do. The role checks the names either way.
    pub async fn sign_csr(
        &self,
        role: &str,
        csr: &str,
        request: &PkiIssueRequest,
    ) -> Result<SignedCertificate> {
        let signed = async {
            self.check(Some(role))?;
            let (alt_names, ip_sans) = request.sans();
            let endpoint = SignCertificateRequest {
                mount: self.mount.clone(),
                role: role.to_owned(),
                csr: Some(csr.to_owned()),
                common_name: Some(request.common_name.clone()).filter(|cn| !cn.is_empty()),
                alt_names,
                ip_sans,
                uri_sans: joined(&request.uri_sans),
                ttl: request.ttl.map(duration_param),
                exclude_cn_from_sans: Some(request.exclude_cn_from_sans),
                ..SignCertificateRequest::default()
            };
            let reply = self
                .client
                .call(endpoint)
                .await
                .map_err(unknown_as_not_found)?;
            reply.json::<CertReply>()?.signed()
        };
        signed.await.map_err(context(
            Operation::PkiSignCsr,
            &self.at(&format!("sign/{role}")),
        ))
    }

    /// Revokes the certificate with `serial` (`xx:xx:...` or `xx-xx-...`) and rebuilds
    /// the CRL; returns the revocation time. An unknown serial is NotFound.
    pub async fn revoke(&self, serial: &str) -> Result<DateTime<Utc>> {
        let revoked = async {
            self.check(None)?;
            let request = RevokeCertificateRequest {
                mount: self.mount.clone(),
                serial_number: serial.to_owned(),
            };
            let reply = self
                .client
                .call(request)
                .await
                .map_err(unknown_as_not_found)?;
            let at = reply.data::<Revoked>()?.revocation_time;
            DateTime::from_timestamp(at, 0)
                .ok_or_else(|| Error::unexpected("Vault's revocation time is out of range"))
        };
        revoked
            .await
            .map_err(context(Operation::PkiRevoke, &self.at("revoke")))
    }

    /// The mount's CA certificate, PEM (`ca/pem`).
    pub async fn read_ca_pem(&self) -> Result<String> {
        self.read_text("ca/pem", Operation::PkiReadCa).await
    }

    /// The mount's CA certificate, DER (`ca`).
    pub async fn read_ca_der(&self) -> Result<Vec<u8>> {
        self.read_raw("ca", Operation::PkiReadCa).await
    }

    /// The CA chain above and including the mount's CA, PEM (`ca_chain`).
    pub async fn read_ca_chain_pem(&self) -> Result<String> {
        self.read_text("ca_chain", Operation::PkiReadCa).await
    }

    /// The mount's current CRL, PEM (`crl/pem`).
    pub async fn read_crl_pem(&self) -> Result<String> {
        self.read_text("crl/pem", Operation::PkiReadCrl).await
    }

    /// The mount's current CRL, DER (`crl`).
    pub async fn read_crl_der(&self) -> Result<Vec<u8>> {
        self.read_raw("crl", Operation::PkiReadCrl).await
    }

    async fn read_text(&self, rest: &str, operation: Operation) -> Result<String> {
        let bytes = self.read_raw(rest, operation).await?;
        String::from_utf8(bytes).map_err(|_| {
            Error::unexpected("Vault's PEM answer is not text").context(
                crate::errors::BACKEND,
                operation,
                &self.at(rest),
            )
        })
    }

    /// A read whose answer is the body as sent (PEM or DER, not JSON). An empty answer
    /// (no CA yet) is NotFound.
    async fn read_raw(&self, rest: &str, operation: Operation) -> Result<Vec<u8>> {
        let path = self.at(rest);
        let read = async {
            self.check(None)?;
            let reply = self.client.call(ApiRequest::get(path.clone())).await?;
            if reply.body.is_empty() {
                return Err(Error::not_found(
                    "the mount has no CA certificate or CRL yet",
                ));
            }
            Ok(reply.body.to_vec())
        };
        read.await.map_err(context(operation, &path))
    }
}

/// Credentials for [`CredentialRequest::PkiCertificate`](ironsecrets_core::CredentialRequest):
/// `alt_names` that parse as IP addresses become IP SANs.
pub(crate) async fn issue_certificate(
    client: &VaultClient,
    mount: &str,
    role: &str,
    common_name: String,
    alt_names: Vec<String>,
    ttl: Option<Duration>,
) -> Result<LeasedCredential> {
    let request = PkiIssueRequest {
        common_name,
        alt_names,
        ttl,
        ..PkiIssueRequest::default()
    };
    VaultPki::new(client.clone(), mount)
        .issue(role, &request)
        .await
        .map(IssuedCertificate::into_credential)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alt_names_are_split_into_dns_names_and_ips() {
        let request = PkiIssueRequest {
            alt_names: vec!["a.example.com".into(), "127.0.0.1".into(), "::1".into()],
            ..PkiIssueRequest::new("x")
        };
        assert_eq!(
            request.sans(),
            (Some("a.example.com".into()), Some("127.0.0.1,::1".into()))
        );
        assert_eq!(PkiIssueRequest::new("x").sans(), (None, None));
    }

    #[test]
    fn the_bundle_does_not_repeat_the_certificate() {
        let cert = SignedCertificate {
            certificate: "INT".into(),
            issuing_ca: "ROOT".into(),
            ca_chain: vec!["INT".into(), "ROOT\n".into()],
            serial_number: "01".into(),
            expiration: DateTime::UNIX_EPOCH,
            lease: Lease {
                id: String::new(),
                ttl: Duration::ZERO,
                renewable: false,
                issued_at: DateTime::UNIX_EPOCH,
            },
        };
        assert_eq!(cert.pem_bundle(), "INT\nROOT\n");
        let root_only = SignedCertificate {
            ca_chain: Vec::new(),
            ..cert
        };
        assert_eq!(root_only.pem_bundle(), "INT\nROOT\n");
    }
}
