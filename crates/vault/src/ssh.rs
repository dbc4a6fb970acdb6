//! `VaultSsh`: the SSH secrets engine at one mount — a certificate authority that signs
//! user and host keys, and one-time passwords (OTP) for hosts that run Vault's helper.
//!
//! - CA: [`VaultSsh::configure_ca`] generates (or imports) the CA key pair and returns its
//!   public key, the line to put in `TrustedUserCAKeys` / `@cert-authority`;
//!   [`VaultSsh::create_ca_role`] sets what a role may sign; [`VaultSsh::sign`] returns the
//!   OpenSSH certificate with its serial, principals and validity read from the
//!   certificate itself. A certificate is not secret and has no Vault lease: as a
//!   [`LeasedCredential`] its lease has no id, is not renewable, and its ttl runs to the
//!   certificate's `valid_before`.
//! - OTP: [`VaultSsh::create_otp_role`] and [`VaultSsh::otp`], a [`LeasedCredential`] whose
//!   `key` is the password (a secret value) under Vault's lease; [`VaultSsh::verify_otp`]
//!   is what a host's helper calls, and succeeds once per password.
//!
//! Vault answers an unknown role with 400 (`Unknown role: x`, `Role "x" not found`); both
//! are NotFound here. A principal or certificate type the role does not allow stays
//! InvalidInput with Vault's message.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ironsecrets_core::{
    Error, ErrorKind, Lease, LeasedCredential, Operation, Result, SecretMap, SecretValue,
    validate_path,
};
use serde::Deserialize;
use serde_json::{Value, json};
use vaultrs::api::ssh::requests::{
    DeleteRoleRequest, GenerateSSHCredsRequest, ReadPublicKeyRequest, SignSSHKeyRequest,
    VerifySSHOTPRequest,
};

use crate::VaultClient;
use crate::client::{ApiRequest, duration_param, path_segment};
use crate::errors::{context, unknown_as_not_found};
use crate::leases::LeaseFields;

/// The field of a signed key's `data` holding the OpenSSH certificate.
pub const SIGNED_KEY: &str = "signed_key";
/// The field of a signed key's `data` holding the certificate's serial number (decimal).
pub const SERIAL_NUMBER: &str = "serial_number";
/// The field of an OTP's `data` holding the one-time password.
pub const KEY: &str = "key";
/// The field of an OTP's `data` holding the login name.
pub const USERNAME: &str = "username";
/// The field of an OTP's `data` holding the host's IP address.
pub const IP: &str = "ip";
/// The field of an OTP's `data` holding the host's SSH port.
pub const PORT: &str = "port";

/// The SSH secrets engine mounted at one path. Debug shows the server address and mount.
#[derive(Clone, Debug)]
pub struct VaultSsh {
    client: VaultClient,
    mount: String,
}

/// Where the CA's key pair comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SshCaKey {
    /// Vault generates it. `key_type` is Vault's name (`ssh-ed25519`, `ssh-rsa`,
    /// `ec-sha2-nistp256`, ...); `None` takes Vault's default (RSA 4096).
    Generate {
        /// The key type, or Vault's default.
        key_type: Option<String>,
    },
    /// An existing key pair, OpenSSH encoded.
    Import {
        /// The private key (PEM / OpenSSH), secret.
        private_key: SecretValue,
        /// The public key line.
        public_key: String,
    },
}

/// A role that signs keys (`key_type=ca`). Lists are joined with commas for Vault;
/// `allowed_users` may be `*`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SshCaRole {
    /// May sign user certificates.
    pub allow_user_certificates: bool,
    /// May sign host certificates.
    pub allow_host_certificates: bool,
    /// Principals a user certificate may name.
    pub allowed_users: Vec<String>,
    /// The principal used when a request names none.
    pub default_user: Option<String>,
    /// Domains a host certificate's principals may be in.
    pub allowed_domains: Vec<String>,
    /// Host principals may be subdomains of `allowed_domains`.
    pub allow_subdomains: bool,
    /// Host principals may be `allowed_domains` themselves.
    pub allow_bare_domains: bool,
    /// Extensions a request may ask for (e.g. `permit-pty`); `*` for any.
    pub allowed_extensions: Vec<String>,
    /// Extensions every certificate gets unless the request names its own, e.g.
    /// `{"permit-pty": ""}`.
    pub default_extensions: BTreeMap<String, String>,
    /// Default certificate lifetime (the mount's default when `None`).
    pub ttl: Option<Duration>,
    /// Longest certificate lifetime.
    pub max_ttl: Option<Duration>,
}

impl SshCaRole {
    /// A role signing user certificates for `allowed_users`, with `permit-pty` by default.
    pub fn user(allowed_users: &[&str]) -> Self {
        SshCaRole {
            allow_user_certificates: true,
            allowed_users: allowed_users.iter().map(|u| (*u).to_owned()).collect(),
            allowed_extensions: vec!["permit-pty".to_owned()],
            default_extensions: BTreeMap::from([("permit-pty".to_owned(), String::new())]),
            ..SshCaRole::default()
        }
    }

    /// A role signing host certificates for hosts in `allowed_domains` and their
    /// subdomains.
    pub fn host(allowed_domains: &[&str]) -> Self {
        SshCaRole {
            allow_host_certificates: true,
            allowed_domains: allowed_domains.iter().map(|d| (*d).to_owned()).collect(),
            allow_subdomains: true,
            allow_bare_domains: true,
            ..SshCaRole::default()
        }
    }
}

/// A role that issues one-time passwords (`key_type=otp`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SshOtpRole {
    /// The login name when a request names none.
    pub default_user: String,
    /// Other login names a request may ask for; `*` for any.
    pub allowed_users: Vec<String>,
    /// The networks (CIDR) of the hosts OTPs are for, e.g. `127.0.0.0/8`.
    pub cidr_list: Vec<String>,
    /// Networks within `cidr_list` that are excluded.
    pub exclude_cidr_list: Vec<String>,
    /// The hosts' SSH port (22 when `None`).
    pub port: Option<u16>,
}

/// User or host certificate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SshCertType {
    /// Authenticates a user to hosts (`cert_type=user`).
    #[default]
    User,
    /// Authenticates a host to users (`cert_type=host`).
    Host,
}

impl SshCertType {
    /// `Host` when `host` is true, else `User`.
    pub fn host_if(host: bool) -> Self {
        if host {
            SshCertType::Host
        } else {
            SshCertType::User
        }
    }

    /// Vault's name: `user` or `host`.
    pub fn as_str(self) -> &'static str {
        match self {
            SshCertType::User => "user",
            SshCertType::Host => "host",
        }
    }
}

/// What to sign.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SshSignRequest {
    /// The OpenSSH public key line, e.g. `ssh-ed25519 AAAA... me@laptop`.
    pub public_key: String,
    /// The principals (user or host names); the role's default when empty.
    pub valid_principals: Vec<String>,
    /// User or host certificate.
    pub cert_type: SshCertType,
    /// Requested lifetime (the role's ttl when `None`).
    pub ttl: Option<Duration>,
    /// The key id written into the certificate (Vault's default when `None`; the role
    /// must allow user key ids).
    pub key_id: Option<String>,
    /// Extensions instead of the role's defaults (must be allowed by the role).
    pub extensions: Option<BTreeMap<String, String>>,
}

/// A signed SSH certificate and what it says. Not secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignedSshKey {
    /// The OpenSSH certificate line (`ssh-ed25519-cert-v01@openssh.com AAAA...`).
    pub certificate: String,
    /// The certificate's serial number.
    pub serial: u64,
    /// User or host certificate.
    pub cert_type: SshCertType,
    /// The key id in the certificate.
    pub key_id: String,
    /// The principals the certificate is valid for.
    pub valid_principals: Vec<String>,
    /// Valid from.
    pub valid_after: DateTime<Utc>,
    /// Valid until.
    pub valid_before: DateTime<Utc>,
}

impl SignedSshKey {
    /// The certificate as a [`LeasedCredential`]: `signed_key` and `serial_number` in
    /// `data`; a lease without id, not renewable, ending at `valid_before`.
    pub fn into_credential(self) -> LeasedCredential {
        let now = Utc::now();
        let lease = Lease {
            id: String::new(),
            ttl: (self.valid_before - now).to_std().unwrap_or_default(),
            renewable: false,
            issued_at: now,
        };
        let mut data = SecretMap::new();
        data.insert(SIGNED_KEY, self.certificate);
        data.insert(SERIAL_NUMBER, self.serial.to_string());
        LeasedCredential { lease, data }
    }
}

/// Who a verified OTP was issued for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifiedOtp {
    /// The login name.
    pub username: String,
    /// The host's IP address.
    pub ip: String,
    /// The role that issued it.
    pub role: String,
}

#[derive(Deserialize)]
struct PublicKey {
    public_key: String,
}

#[derive(Deserialize)]
struct Signed {
    signed_key: String,
}

#[derive(Deserialize)]
struct Otp {
    #[serde(flatten)]
    lease: LeaseFields,
    data: OtpData,
}

#[derive(Deserialize)]
struct OtpData {
    key: String,
    username: String,
    ip: String,
    #[serde(default)]
    port: Option<u64>,
}

#[derive(Deserialize)]
struct Verified {
    username: String,
    ip: String,
    #[serde(default)]
    role_name: String,
}

impl VaultSsh {
    /// The SSH engine mounted at `mount` (e.g. `ssh`) on `client`'s server.
    pub fn new(client: VaultClient, mount: impl Into<String>) -> Self {
        VaultSsh {
            client,
            mount: mount.into().trim_matches('/').to_owned(),
        }
    }

    /// The mount path.
    pub fn mount(&self) -> &str {
        &self.mount
    }

    /// `<mount>/<section>/<name>`, with the mount and name checked first.
    fn path(&self, section: &str, name: &str, what: &str) -> Result<String> {
        validate_path(&self.mount)?;
        path_segment(name, what)?;
        Ok(format!("{}/{section}/{name}", self.mount))
    }

    /// Sets the CA key pair (`config/ca`) and returns the CA's public key line. On
    /// OpenBao a second call adds a new default issuer; the old one keeps verifying what
    /// it signed.
    pub async fn configure_ca(&self, key: SshCaKey) -> Result<String> {
        let configured = async {
            validate_path(&self.mount)?;
            let body = match &key {
                SshCaKey::Generate { key_type } => {
                    let mut body = json!({ "generate_signing_key": true });
                    if let Some(key_type) = key_type {
                        body["key_type"] = json!(key_type);
                    }
                    body
                }
                SshCaKey::Import {
                    private_key,
                    public_key,
                } => json!({
                    "generate_signing_key": false,
                    "private_key": private_key.expose_str()?,
                    "public_key": public_key,
                }),
            };
            // vaultrs's SubmitCAInfoRequest has no `key_type`; same path, same client.
            let request = ApiRequest::post(format!("{}/config/ca", self.mount), body);
            let reply = self.client.call(request).await?;
            if reply.body.is_empty() {
                // Vault (not OpenBao) may answer 204; the key is then read back.
                self.read_public_key().await
            } else {
                Ok(reply.data::<PublicKey>()?.public_key.trim().to_owned())
            }
        };
        configured.await.map_err(context(
            Operation::SshConfigureCa,
            &format!("{}/config/ca", self.mount),
        ))
    }

    /// The CA's public key line (`config/ca`); NotFound when no CA is configured.
    pub async fn ca_public_key(&self) -> Result<String> {
        let read = async {
            validate_path(&self.mount)?;
            self.read_public_key().await
        };
        read.await.map_err(context(
            Operation::SshReadCa,
            &format!("{}/config/ca", self.mount),
        ))
    }

    async fn read_public_key(&self) -> Result<String> {
        let request = ReadPublicKeyRequest {
            mount: self.mount.clone(),
        };
        let reply = self.client.call(request).await.map_err(|e| {
            let said = e.message().to_ascii_lowercase();
            let missing = said.contains("no default issuer")
                || said.contains("not been configured")
                || said.contains("haven't been configured");
            if e.kind() == ErrorKind::InvalidInput && missing {
                Error::not_found("the SSH engine has no CA key configured")
            } else {
                e
            }
        })?;
        Ok(reply.data::<PublicKey>()?.public_key.trim().to_owned())
    }

    /// Creates or replaces role `name` signing keys with the CA.
    pub async fn create_ca_role(&self, name: &str, role: &SshCaRole) -> Result<()> {
        let mut body = json!({
            "key_type": "ca",
            "allow_user_certificates": role.allow_user_certificates,
            "allow_host_certificates": role.allow_host_certificates,
            "allowed_users": role.allowed_users.join(","),
            "allowed_domains": role.allowed_domains.join(","),
            "allow_subdomains": role.allow_subdomains,
            "allow_bare_domains": role.allow_bare_domains,
            "allowed_extensions": role.allowed_extensions.join(","),
            "default_extensions": role.default_extensions,
        });
        if let Some(user) = &role.default_user {
            body["default_user"] = json!(user);
        }
        self.write_role(name, body, role.ttl, role.max_ttl).await
    }

    /// Creates or replaces role `name` issuing one-time passwords.
    pub async fn create_otp_role(&self, name: &str, role: &SshOtpRole) -> Result<()> {
        let mut body = json!({
            "key_type": "otp",
            "default_user": role.default_user,
            "allowed_users": role.allowed_users.join(","),
            "cidr_list": role.cidr_list.join(","),
            "exclude_cidr_list": role.exclude_cidr_list.join(","),
        });
        if let Some(port) = role.port {
            body["port"] = json!(port);
        }
        self.write_role(name, body, None, None).await
    }

    async fn write_role(
        &self,
        name: &str,
        mut body: Value,
        ttl: Option<Duration>,
        max_ttl: Option<Duration>,
    ) -> Result<()> {
        let path = format!("{}/roles/{name}", self.mount);
        let written = async {
            let path = self.path("roles", name, "role name")?;
            if let Some(ttl) = ttl {
                body["ttl"] = json!(duration_param(ttl));
            }
            if let Some(max_ttl) = max_ttl {
                body["max_ttl"] = json!(duration_param(max_ttl));
            }
            // vaultrs's SetRoleRequest has no `default_extensions`; same path, same client.
            self.client
                .call(ApiRequest::post(path, body))
                .await
                .map(drop)
        };
        written
            .await
            .map_err(context(Operation::SshCreateRole, &path))
    }

    /// Deletes role `name`; deleting a role that does not exist succeeds, as in Vault.
    pub async fn delete_role(&self, name: &str) -> Result<()> {
        let path = format!("{}/roles/{name}", self.mount);
        let deleted = async {
            self.path("roles", name, "role name")?;
            let request = DeleteRoleRequest {
                mount: self.mount.clone(),
                name: name.to_owned(),
            };
            self.client.call(request).await.map(drop)
        };
        deleted
            .await
            .map_err(context(Operation::SshDeleteRole, &path))
    }

    /// Signs `request.public_key` with role `role` (`sign/<role>`). The certificate is
    /// parsed to report what it says; a principal or certificate type the role does not
    /// allow is InvalidInput, an unknown role NotFound.
    pub async fn sign(&self, role: &str, request: &SshSignRequest) -> Result<SignedSshKey> {
        let path = format!("{}/sign/{role}", self.mount);
        let signed = async {
            self.path("sign", role, "role name")?;
            let endpoint = SignSSHKeyRequest {
                mount: self.mount.clone(),
                name: role.to_owned(),
                public_key: request.public_key.clone(),
                cert_type: Some(request.cert_type.as_str().to_owned()),
                valid_principals: Some(request.valid_principals.join(","))
                    .filter(|p| !p.is_empty()),
                ttl: request.ttl.map(duration_param),
                key_id: request.key_id.clone(),
                extensions: request
                    .extensions
                    .as_ref()
                    .map(|e| e.clone().into_iter().collect()),
                critical_options: None,
            };
            let reply = self
                .client
                .call(endpoint)
                .await
                .map_err(unknown_as_not_found)?;
            parse_certificate(reply.data::<Signed>()?.signed_key.trim())
        };
        signed.await.map_err(context(Operation::SshSign, &path))
    }

    /// A one-time password for `username` (the role's default when `None`) on the host
    /// at `ip` (`creds/<role>`), under Vault's lease.
    pub async fn otp(
        &self,
        role: &str,
        ip: &str,
        username: Option<&str>,
    ) -> Result<LeasedCredential> {
        let path = format!("{}/creds/{role}", self.mount);
        let issued = async {
            self.path("creds", role, "role name")?;
            let request = GenerateSSHCredsRequest {
                mount: self.mount.clone(),
                name: role.to_owned(),
                ip: ip.to_owned(),
                username: username.map(str::to_owned),
            };
            let reply = self
                .client
                .call(request)
                .await
                .map_err(unknown_as_not_found)?;
            let otp: Otp = reply.json()?;
            let mut data = SecretMap::new();
            data.insert(KEY, otp.data.key);
            data.insert(USERNAME, otp.data.username);
            data.insert(IP, otp.data.ip);
            if let Some(port) = otp.data.port {
                data.insert(PORT, port.to_string());
            }
            Ok(LeasedCredential {
                lease: otp.lease.granted(),
                data,
            })
        };
        issued.await.map_err(context(Operation::SshOtp, &path))
    }

    /// Checks a one-time password (`verify`), which uses it up: who it was for, or
    /// `None` when Vault does not know it (wrong, already used, or expired).
    pub async fn verify_otp(&self, otp: &SecretValue) -> Result<Option<VerifiedOtp>> {
        let path = format!("{}/verify", self.mount);
        let verified = async {
            validate_path(&self.mount)?;
            let request = VerifySSHOTPRequest {
                mount: self.mount.clone(),
                otp: otp.expose_str()?.to_owned(),
            };
            match self
                .client
                .call(request)
                .await
                .map_err(unknown_as_not_found)
            {
                Ok(reply) => {
                    let who: Verified = reply.data()?;
                    Ok(Some(VerifiedOtp {
                        username: who.username,
                        ip: who.ip,
                        role: who.role_name,
                    }))
                }
                Err(e) if e.kind() == ErrorKind::NotFound => Ok(None),
                Err(e) => Err(e),
            }
        };
        verified
            .await
            .map_err(context(Operation::SshVerifyOtp, &path))
    }
}

/// What an OpenSSH certificate line says.
fn parse_certificate(line: &str) -> Result<SignedSshKey> {
    let cert = ssh_key::Certificate::from_openssh(line)
        .map_err(|_| Error::unexpected("Vault's signed key is not an OpenSSH certificate"))?;
    Ok(SignedSshKey {
        certificate: line.to_owned(),
        serial: cert.serial(),
        cert_type: SshCertType::host_if(cert.cert_type().is_host()),
        key_id: cert.key_id().to_owned(),
        valid_principals: cert.valid_principals().to_vec(),
        valid_after: unix_time(cert.valid_after()),
        valid_before: unix_time(cert.valid_before()),
    })
}

/// Seconds since the epoch as a time; past chrono's range (OpenSSH's "forever" is
/// `u64::MAX`) is the latest time chrono has.
fn unix_time(seconds: u64) -> DateTime<Utc> {
    i64::try_from(seconds)
        .ok()
        .and_then(|s| DateTime::from_timestamp(s, 0))
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

/// Credentials for [`CredentialRequest::SshOtp`](ironsecrets_core::CredentialRequest).
pub(crate) async fn issue_otp(
    client: &VaultClient,
    mount: &str,
    role: &str,
    ip: &str,
    username: Option<&str>,
) -> Result<LeasedCredential> {
    VaultSsh::new(client.clone(), mount)
        .otp(role, ip, username)
        .await
}

/// Credentials for [`CredentialRequest::SshSignedKey`](ironsecrets_core::CredentialRequest).
pub(crate) async fn issue_signed_key(
    client: &VaultClient,
    mount: &str,
    role: &str,
    request: &SshSignRequest,
) -> Result<LeasedCredential> {
    VaultSsh::new(client.clone(), mount)
        .sign(role, request)
        .await
        .map(SignedSshKey::into_credential)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forever_is_the_latest_time() {
        assert_eq!(unix_time(u64::MAX), DateTime::<Utc>::MAX_UTC);
        assert_eq!(unix_time(0), DateTime::UNIX_EPOCH);
    }

    #[test]
    fn a_broken_certificate_is_unexpected_and_not_echoed() {
        let err = parse_certificate("ssh-ed25519-cert-v01@openssh.com canary").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unexpected);
        assert!(!err.to_string().contains("canary"));
    }
}
