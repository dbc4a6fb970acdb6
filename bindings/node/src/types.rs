//! What calls return, as plain JavaScript objects (none holds a secret outside a
//! `SecretValue`), and the request objects callers build (`RotationPolicy`,
//! `CredentialRequest`). Durations are seconds; times are `Date`s.

use chrono::{DateTime, Utc};
use ironsecrets::vault::{Health, HealthStatus, SignedCertificate, TokenInfo, TokenLease};
use ironsecrets::{
    CredentialRequest as CoreRequest, DataKey as CoreDataKey, KeyInfo as CoreKeyInfo,
    Lease as CoreLease, LeasedCredential as CoreCredential, RotationEntry as CoreEntry,
    RotationPolicy as CorePolicy, RotationStatus, Secret as CoreSecret,
    SecretMetadata as CoreMetadata, VersionInfo as CoreVersionInfo, VersionState,
};
use napi::Env;
use napi_derive::napi;

use crate::convert::{maybe_seconds, seconds};
use crate::values::{Fields, SecretValue, fields};

/// One version of a secret.
#[napi(object, object_from_js = false)]
pub struct Secret {
    /// The secret's path.
    pub path: String,
    /// The id of the version read.
    pub version: String,
    /// When that version was written.
    pub created_at: DateTime<Utc>,
    /// The value (`[REDACTED]` until revealed).
    pub value: SecretValue,
}

impl From<CoreSecret> for Secret {
    fn from(secret: CoreSecret) -> Self {
        Secret {
            path: secret.path,
            version: secret.version.to_string(),
            created_at: secret.created_at,
            value: SecretValue::from(secret.value),
        }
    }
}

/// One version's state.
#[napi(object, object_from_js = false)]
pub struct VersionInfo {
    /// The version's id.
    pub version: String,
    /// When it was written.
    pub created_at: DateTime<Utc>,
    /// `'active'`, `'deleted'` or `'destroyed'`.
    pub state: &'static str,
    /// When it was soft-deleted (`'deleted'` only).
    pub deleted_at: Option<DateTime<Utc>>,
    /// Stage labels (AWS `AWSCURRENT`, ...); empty elsewhere.
    pub stages: Vec<String>,
}

impl From<CoreVersionInfo> for VersionInfo {
    fn from(info: CoreVersionInfo) -> Self {
        let (state, deleted_at) = match info.state {
            VersionState::Active => ("active", None),
            VersionState::Deleted { at } => ("deleted", Some(at)),
            VersionState::Destroyed => ("destroyed", None),
        };
        VersionInfo {
            version: info.version.to_string(),
            created_at: info.created_at,
            state,
            deleted_at,
            stages: info.stages,
        }
    }
}

/// A list of version infos.
pub fn version_infos(infos: Vec<CoreVersionInfo>) -> Vec<VersionInfo> {
    infos.into_iter().map(VersionInfo::from).collect()
}

/// How often a secret must change, and how long before that to remind (seconds).
#[napi(object)]
pub struct RotationPolicy {
    /// The value should change at least this often (seconds).
    pub period: f64,
    /// Defaults to 14 days.
    pub remind_before: Option<f64>,
}

impl RotationPolicy {
    /// The core policy; InvalidInputError for a negative duration.
    pub fn to_core(&self, env: &Env) -> napi::Result<CorePolicy> {
        Ok(CorePolicy {
            period: seconds(env, self.period)?,
            remind_before: maybe_seconds(env, self.remind_before)?
                .unwrap_or(CorePolicy::default().remind_before),
        })
    }
}

impl From<CorePolicy> for RotationPolicy {
    fn from(policy: CorePolicy) -> Self {
        RotationPolicy {
            period: policy.period.as_secs_f64(),
            remind_before: Some(policy.remind_before.as_secs_f64()),
        }
    }
}

/// A secret's versions, timestamps, tags and rotation policy.
#[napi(object, object_from_js = false)]
pub struct SecretMetadata {
    /// The secret's path.
    pub path: String,
    /// The newest version's id.
    pub current_version: String,
    /// When the secret was first written.
    pub created_at: DateTime<Utc>,
    /// When the newest version was written.
    pub updated_at: DateTime<Utc>,
    /// The versions kept, oldest first.
    pub versions: Vec<VersionInfo>,
    /// How many versions are kept, when set; else the backend's default.
    pub max_versions: Option<u32>,
    /// Free-form tags.
    pub tags: std::collections::BTreeMap<String, String>,
    /// The rotation policy, if one is set.
    pub rotation: Option<RotationPolicy>,
}

impl From<CoreMetadata> for SecretMetadata {
    fn from(meta: CoreMetadata) -> Self {
        SecretMetadata {
            path: meta.path,
            current_version: meta.current_version.to_string(),
            created_at: meta.created_at,
            updated_at: meta.updated_at,
            versions: version_infos(meta.versions),
            max_versions: meta.max_versions,
            tags: meta.tags,
            rotation: meta.rotation.map(RotationPolicy::from),
        }
    }
}

/// Where one secret stands against its rotation policy.
#[napi(object, object_from_js = false)]
pub struct RotationEntry {
    /// The secret's path.
    pub path: String,
    /// The policy it is judged against.
    pub policy: RotationPolicy,
    /// Whether `policy` is the default (the secret has none of its own).
    pub default_policy: bool,
    /// When the value last changed (the newest version's write time).
    pub last_rotated: DateTime<Utc>,
    /// `'healthy'`, `'expiringSoon'` or `'expired'`.
    pub status: &'static str,
    /// Days left (expiring soon) or overdue (expired).
    pub days: Option<u32>,
}

impl From<CoreEntry> for RotationEntry {
    fn from(entry: CoreEntry) -> Self {
        let (status, days) = match entry.status {
            RotationStatus::Healthy => ("healthy", None),
            RotationStatus::ExpiringSoon { days } => ("expiringSoon", Some(days)),
            RotationStatus::Expired { days } => ("expired", Some(days)),
        };
        RotationEntry {
            path: entry.path,
            policy: RotationPolicy::from(entry.policy),
            default_policy: entry.default_policy,
            last_rotated: entry.last_rotated,
            status,
            days: days.map(|days| u32::try_from(days).unwrap_or(u32::MAX)),
        }
    }
}

/// A list of rotation entries.
pub fn rotation_entries(entries: Vec<CoreEntry>) -> Vec<RotationEntry> {
    entries.into_iter().map(RotationEntry::from).collect()
}

/// A transit key.
#[napi(object, object_from_js = false)]
pub struct KeyInfo {
    /// The key's name.
    pub name: String,
    /// Its algorithm (`'aes256-gcm96'`, `'ed25519'`, ...).
    pub key_type: &'static str,
    /// The newest version, used to encrypt and sign.
    pub latest_version: u32,
    /// The oldest version still allowed to decrypt or verify.
    pub min_decryption_version: u32,
    /// When the key was created.
    pub created_at: DateTime<Utc>,
    /// Whether the key material may be exported.
    pub exportable: bool,
}

impl From<CoreKeyInfo> for KeyInfo {
    fn from(key: CoreKeyInfo) -> Self {
        KeyInfo {
            name: key.name,
            key_type: key.key_type.name(),
            latest_version: key.latest_version,
            min_decryption_version: key.min_decryption_version,
            created_at: key.created_at,
            exportable: key.exportable,
        }
    }
}

/// A data key: its plaintext (use, then drop) and its ciphertext (store).
#[napi(object, object_from_js = false)]
pub struct DataKey {
    /// The key bytes: use them, then drop them.
    pub plaintext: SecretValue,
    /// The same key encrypted under the transit key: store this.
    pub ciphertext: String,
}

impl From<CoreDataKey> for DataKey {
    fn from(key: CoreDataKey) -> Self {
        DataKey {
            plaintext: SecretValue::from(key.plaintext),
            ciphertext: key.ciphertext.as_str().to_owned(),
        }
    }
}

/// A lease on dynamic credentials or a token.
#[napi(object, object_from_js = false)]
pub struct Lease {
    /// The backend's lease id (not secret).
    pub id: String,
    /// Seconds to live from `issuedAt`.
    pub ttl: f64,
    /// Whether `renew` can extend it.
    pub renewable: bool,
    /// When the lease (or its latest renewal) was granted.
    pub issued_at: DateTime<Utc>,
    /// When it ends unless renewed (`issuedAt` plus `ttl`).
    pub expires_at: DateTime<Utc>,
}

impl From<CoreLease> for Lease {
    fn from(lease: CoreLease) -> Self {
        Lease {
            expires_at: lease.expires_at(),
            ttl: lease.ttl.as_secs_f64(),
            id: lease.id,
            renewable: lease.renewable,
            issued_at: lease.issued_at,
        }
    }
}

/// Credentials under a lease.
#[napi(object, object_from_js = false)]
pub struct LeasedCredential {
    /// The lease to renew or revoke.
    pub lease: Lease,
    /// The credential's fields (username, password, key, certificate, ...).
    #[napi(ts_type = "Record<string, SecretValue>")]
    pub data: Fields,
}

impl From<&CoreCredential> for LeasedCredential {
    fn from(credential: &CoreCredential) -> Self {
        LeasedCredential {
            lease: Lease::from(credential.lease.clone()),
            data: fields(&credential.data),
        }
    }
}

impl From<CoreCredential> for LeasedCredential {
    fn from(credential: CoreCredential) -> Self {
        LeasedCredential::from(&credential)
    }
}

/// What dynamic credential to issue: `kind` is `'database'`, `'databaseStatic'`,
/// `'sshOtp'`, `'sshSignedKey'`, `'pkiCertificate'` or `'cloud'`; the other fields are
/// those the kind takes.
#[napi(object)]
pub struct CredentialRequest {
    /// `'database'`, `'databaseStatic'`, `'sshOtp'`, `'sshSignedKey'`, `'pkiCertificate'`
    /// or `'cloud'`.
    pub kind: String,
    /// The engine's mount (Vault: `database`, `ssh`, `pki`, ...).
    pub mount: String,
    /// The role's name (`cloud`: or its ARN).
    pub role: String,
    /// `sshOtp`: the host's address.
    pub ip: Option<String>,
    /// `sshOtp`: the user to log in as.
    pub username: Option<String>,
    /// `sshSignedKey`: the OpenSSH public key to sign.
    pub public_key: Option<String>,
    /// `sshSignedKey`: the user or host names the certificate is valid for.
    pub valid_principals: Option<Vec<String>>,
    /// `sshSignedKey`: a host certificate instead of a user one.
    pub host: Option<bool>,
    /// `pkiCertificate`: the certificate's subject.
    pub common_name: Option<String>,
    /// `pkiCertificate`: subject alternative names (DNS names or IPs).
    pub alt_names: Option<Vec<String>>,
    /// Seconds (`sshSignedKey`, `pkiCertificate`, `cloud`).
    pub ttl: Option<f64>,
}

impl CredentialRequest {
    /// The core request; InvalidInputError naming what is missing or unknown.
    pub fn to_core(&self, env: &Env) -> napi::Result<CoreRequest> {
        let (mount, role) = (self.mount.clone(), self.role.clone());
        let ttl = maybe_seconds(env, self.ttl)?;
        let required = |value: &Option<String>, name: &str| {
            value.clone().ok_or_else(|| {
                crate::errors::invalid(env, format!("a '{}' request needs '{name}'", self.kind))
            })
        };
        Ok(match self.kind.as_str() {
            "database" => CoreRequest::Database { mount, role },
            "databaseStatic" => CoreRequest::DatabaseStatic { mount, role },
            "sshOtp" => CoreRequest::SshOtp {
                mount,
                role,
                ip: required(&self.ip, "ip")?,
                username: self.username.clone(),
            },
            "sshSignedKey" => CoreRequest::SshSignedKey {
                mount,
                role,
                public_key: required(&self.public_key, "publicKey")?,
                valid_principals: self.valid_principals.clone().unwrap_or_default(),
                host: self.host.unwrap_or(false),
                ttl,
            },
            "pkiCertificate" => CoreRequest::PkiCertificate {
                mount,
                role,
                common_name: required(&self.common_name, "commonName")?,
                alt_names: self.alt_names.clone().unwrap_or_default(),
                ttl,
            },
            "cloud" => CoreRequest::Cloud { mount, role, ttl },
            other => {
                return Err(crate::errors::invalid(
                    env,
                    format!(
                        "unknown credential kind '{other}' (database, databaseStatic, sshOtp, \
                         sshSignedKey, pkiCertificate, cloud)"
                    ),
                ));
            }
        })
    }
}

/// A token a login returned.
#[napi(object, object_from_js = false, js_name = "TokenLease")]
pub struct LoginToken {
    /// The token itself.
    pub token: SecretValue,
    /// The token's accessor (empty for batch tokens, which have none).
    pub accessor: String,
    /// The policies it carries, identity policies included.
    pub policies: Vec<String>,
    /// Its lease; the id is the accessor.
    pub lease: Lease,
    /// The identity entity the login mapped to, if any.
    pub entity_id: Option<String>,
}

impl From<TokenLease> for LoginToken {
    fn from(token: TokenLease) -> Self {
        LoginToken {
            token: SecretValue::from(token.token),
            accessor: token.accessor,
            policies: token.policies,
            lease: Lease::from(token.lease),
            entity_id: token.entity_id,
        }
    }
}

/// What the server knows of a token.
#[napi(object, object_from_js = false, js_name = "TokenInfo")]
pub struct TokenDescription {
    /// The token's accessor.
    pub accessor: String,
    /// Its display name (`approle`, `userpass-alice`, `root`, ...).
    pub display_name: String,
    /// The login path that created it (`auth/approle/login`, ...).
    pub path: String,
    /// The token's own policies.
    pub policies: Vec<String>,
    /// Its lease now: the id is the accessor, `ttl` the time left (0: never expires).
    pub lease: Lease,
}

impl From<TokenInfo> for TokenDescription {
    fn from(info: TokenInfo) -> Self {
        TokenDescription {
            accessor: info.accessor,
            display_name: info.display_name,
            path: info.path,
            policies: info.policies,
            lease: Lease::from(info.lease),
        }
    }
}

/// A Vault / OpenBao server's health.
#[napi(object, object_from_js = false, js_name = "Health")]
pub struct ServerHealth {
    /// `'active'`, `'standby'`, `'performanceStandby'`, `'drSecondary'`, `'sealed'` or
    /// `'uninitialized'`.
    pub status: &'static str,
    /// The server's version (`2.1.0`, ...).
    pub version: String,
    /// The cluster's name, once it has one.
    pub cluster_name: Option<String>,
}

impl From<Health> for ServerHealth {
    fn from(health: Health) -> Self {
        let status = match health.status {
            HealthStatus::Active => "active",
            HealthStatus::Standby => "standby",
            HealthStatus::PerformanceStandby => "performanceStandby",
            HealthStatus::DrSecondary => "drSecondary",
            HealthStatus::Sealed => "sealed",
            HealthStatus::Uninitialized => "uninitialized",
        };
        ServerHealth {
            status,
            version: health.version,
            cluster_name: health.cluster_name,
        }
    }
}

/// A certificate Vault's PKI engine signed.
#[napi(object, object_from_js = false, js_name = "SignedCertificate")]
pub struct Certificate {
    /// The certificate, PEM.
    pub certificate: String,
    /// The certificate of the CA that signed it, PEM.
    pub issuing_ca: String,
    /// The chain from the issuing CA up, PEM each.
    pub ca_chain: Vec<String>,
    /// The serial number (`xx:xx:...`).
    pub serial_number: String,
    /// When it expires.
    pub expiration: DateTime<Utc>,
}

impl From<SignedCertificate> for Certificate {
    fn from(signed: SignedCertificate) -> Self {
        Certificate {
            certificate: signed.certificate,
            issuing_ca: signed.issuing_ca,
            ca_chain: signed.ca_chain,
            serial_number: signed.serial_number,
            expiration: signed.expiration,
        }
    }
}
