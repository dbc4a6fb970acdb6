//! What calls return, as read-only Python objects (none holds a secret outside a
//! `SecretValue`), and the request types built in Python (`RotationPolicy`,
//! `CredentialRequest`).

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use ironsecrets::vault::{Health, HealthStatus, SignedCertificate, TokenInfo, TokenLease};
use ironsecrets::{
    CredentialRequest, DataKey, KeyInfo, Lease, LeasedCredential, RotationEntry, RotationPolicy,
    RotationStatus, Secret, SecretMap, SecretMetadata, VersionInfo, VersionState,
};
use pyo3::prelude::*;

use crate::convert::{Seconds, duration};
use crate::values::{PySecretMap, PySecretValue};

/// One version of a secret.
#[pyclass(frozen, get_all, name = "Secret", module = "ironsecrets")]
pub struct PySecret {
    path: String,
    version: String,
    created_at: DateTime<Utc>,
    value: PySecretValue,
}

#[pymethods]
impl PySecret {
    /// The value as a key/value secret; InvalidInputError if it is not one.
    fn fields(&self, py: Python<'_>) -> PyResult<PySecretMap> {
        SecretMap::from_value(&self.value.0)
            .map(PySecretMap)
            .map_err(|err| crate::errors::to_py(py, err))
    }

    fn __repr__(&self) -> String {
        format!(
            "Secret(path={:?}, version={:?}, value=[REDACTED])",
            self.path, self.version
        )
    }
}

impl From<Secret> for PySecret {
    fn from(secret: Secret) -> Self {
        PySecret {
            path: secret.path,
            version: secret.version.to_string(),
            created_at: secret.created_at,
            value: PySecretValue(secret.value),
        }
    }
}

/// One version's state.
#[pyclass(frozen, get_all, name = "VersionInfo", module = "ironsecrets")]
#[derive(Clone)]
pub struct PyVersionInfo {
    version: String,
    created_at: DateTime<Utc>,
    state: &'static str,
    deleted_at: Option<DateTime<Utc>>,
    stages: Vec<String>,
}

#[pymethods]
impl PyVersionInfo {
    fn __repr__(&self) -> String {
        format!(
            "VersionInfo(version={:?}, state={:?})",
            self.version, self.state
        )
    }
}

impl From<VersionInfo> for PyVersionInfo {
    fn from(info: VersionInfo) -> Self {
        let (state, deleted_at) = match info.state {
            VersionState::Active => ("active", None),
            VersionState::Deleted { at } => ("deleted", Some(at)),
            VersionState::Destroyed => ("destroyed", None),
        };
        PyVersionInfo {
            version: info.version.to_string(),
            created_at: info.created_at,
            state,
            deleted_at,
            stages: info.stages,
        }
    }
}

/// A list of version infos.
pub fn version_infos(infos: Vec<VersionInfo>) -> Vec<PyVersionInfo> {
    infos.into_iter().map(PyVersionInfo::from).collect()
}

/// How often a secret must change, and how long before that to remind.
#[pyclass(
    frozen,
    eq,
    from_py_object,
    name = "RotationPolicy",
    module = "ironsecrets"
)]
#[derive(Clone, PartialEq)]
pub struct PyRotationPolicy(pub RotationPolicy);

#[pymethods]
impl PyRotationPolicy {
    #[new]
    #[pyo3(signature = (period, remind_before = None))]
    fn new(period: Seconds, remind_before: Option<Seconds>) -> Self {
        let remind_before =
            duration(remind_before).unwrap_or(RotationPolicy::default().remind_before);
        PyRotationPolicy(RotationPolicy {
            period: period.0,
            remind_before,
        })
    }

    /// A policy in whole days.
    #[staticmethod]
    #[pyo3(signature = (period, remind_before = 14))]
    fn days(period: u64, remind_before: u64) -> Self {
        PyRotationPolicy(RotationPolicy::days(period, remind_before))
    }

    #[getter]
    fn period(&self) -> Duration {
        self.0.period
    }

    #[getter]
    fn remind_before(&self) -> Duration {
        self.0.remind_before
    }

    fn __repr__(&self) -> String {
        format!(
            "RotationPolicy(period={}s, remind_before={}s)",
            self.0.period.as_secs(),
            self.0.remind_before.as_secs()
        )
    }
}

/// A secret's versions, timestamps, tags and rotation policy.
#[pyclass(frozen, get_all, name = "SecretMetadata", module = "ironsecrets")]
pub struct PySecretMetadata {
    path: String,
    current_version: String,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    versions: Vec<PyVersionInfo>,
    max_versions: Option<u32>,
    tags: BTreeMap<String, String>,
    rotation: Option<PyRotationPolicy>,
}

impl From<SecretMetadata> for PySecretMetadata {
    fn from(meta: SecretMetadata) -> Self {
        PySecretMetadata {
            path: meta.path,
            current_version: meta.current_version.to_string(),
            created_at: meta.created_at,
            updated_at: meta.updated_at,
            versions: version_infos(meta.versions),
            max_versions: meta.max_versions,
            tags: meta.tags,
            rotation: meta.rotation.map(PyRotationPolicy),
        }
    }
}

/// Where one secret stands against its rotation policy.
#[pyclass(frozen, get_all, name = "RotationEntry", module = "ironsecrets")]
pub struct PyRotationEntry {
    path: String,
    policy: PyRotationPolicy,
    default_policy: bool,
    last_rotated: DateTime<Utc>,
    status: &'static str,
    days: Option<u64>,
}

impl From<RotationEntry> for PyRotationEntry {
    fn from(entry: RotationEntry) -> Self {
        let (status, days) = match entry.status {
            RotationStatus::Healthy => ("healthy", None),
            RotationStatus::ExpiringSoon { days } => ("expiring_soon", Some(days)),
            RotationStatus::Expired { days } => ("expired", Some(days)),
        };
        PyRotationEntry {
            path: entry.path,
            policy: PyRotationPolicy(entry.policy),
            default_policy: entry.default_policy,
            last_rotated: entry.last_rotated,
            status,
            days,
        }
    }
}

/// A list of rotation entries.
pub fn rotation_entries(entries: Vec<RotationEntry>) -> Vec<PyRotationEntry> {
    entries.into_iter().map(PyRotationEntry::from).collect()
}

/// A transit key.
#[pyclass(frozen, get_all, name = "KeyInfo", module = "ironsecrets")]
pub struct PyKeyInfo {
    name: String,
    key_type: &'static str,
    latest_version: u32,
    min_decryption_version: u32,
    created_at: DateTime<Utc>,
    exportable: bool,
}

impl From<KeyInfo> for PyKeyInfo {
    fn from(key: KeyInfo) -> Self {
        PyKeyInfo {
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
#[pyclass(frozen, get_all, name = "DataKey", module = "ironsecrets")]
pub struct PyDataKey {
    plaintext: PySecretValue,
    ciphertext: String,
}

impl From<DataKey> for PyDataKey {
    fn from(key: DataKey) -> Self {
        PyDataKey {
            plaintext: PySecretValue(key.plaintext),
            ciphertext: key.ciphertext.as_str().to_owned(),
        }
    }
}

/// A lease on dynamic credentials or a token.
#[pyclass(frozen, name = "Lease", module = "ironsecrets")]
#[derive(Clone)]
pub struct PyLease(pub Lease);

#[pymethods]
impl PyLease {
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }

    #[getter]
    fn ttl(&self) -> Duration {
        self.0.ttl
    }

    #[getter]
    fn renewable(&self) -> bool {
        self.0.renewable
    }

    #[getter]
    fn issued_at(&self) -> DateTime<Utc> {
        self.0.issued_at
    }

    #[getter]
    fn expires_at(&self) -> DateTime<Utc> {
        self.0.expires_at()
    }

    fn __repr__(&self) -> String {
        format!(
            "Lease(id={:?}, ttl={}s, renewable={})",
            self.0.id,
            self.0.ttl.as_secs(),
            self.0.renewable
        )
    }
}

/// Credentials under a lease.
#[pyclass(frozen, get_all, name = "LeasedCredential", module = "ironsecrets")]
#[derive(Clone)]
pub struct PyLeasedCredential {
    lease: PyLease,
    data: PySecretMap,
}

#[pymethods]
impl PyLeasedCredential {
    fn __repr__(&self) -> String {
        format!(
            "LeasedCredential(lease={:?}, data=[REDACTED])",
            self.lease.0.id
        )
    }
}

impl From<LeasedCredential> for PyLeasedCredential {
    fn from(credential: LeasedCredential) -> Self {
        PyLeasedCredential {
            lease: PyLease(credential.lease),
            data: PySecretMap(credential.data),
        }
    }
}

impl From<&LeasedCredential> for PyLeasedCredential {
    fn from(credential: &LeasedCredential) -> Self {
        PyLeasedCredential::from(credential.clone())
    }
}

/// What dynamic credential to issue.
#[pyclass(
    frozen,
    from_py_object,
    name = "CredentialRequest",
    module = "ironsecrets"
)]
#[derive(Clone)]
pub struct PyCredentialRequest(pub CredentialRequest);

#[pymethods]
impl PyCredentialRequest {
    /// A database dynamic role.
    #[staticmethod]
    fn database(mount: String, role: String) -> Self {
        PyCredentialRequest(CredentialRequest::Database { mount, role })
    }

    /// A database static role.
    #[staticmethod]
    fn database_static(mount: String, role: String) -> Self {
        PyCredentialRequest(CredentialRequest::DatabaseStatic { mount, role })
    }

    /// An SSH one-time password.
    #[staticmethod]
    #[pyo3(signature = (mount, role, ip, username = None))]
    fn ssh_otp(mount: String, role: String, ip: String, username: Option<String>) -> Self {
        PyCredentialRequest(CredentialRequest::SshOtp {
            mount,
            role,
            ip,
            username,
        })
    }

    /// An SSH certificate for `public_key`.
    #[staticmethod]
    #[pyo3(signature = (mount, role, public_key, valid_principals = Vec::new(), host = false, ttl = None))]
    fn ssh_signed_key(
        mount: String,
        role: String,
        public_key: String,
        valid_principals: Vec<String>,
        host: bool,
        ttl: Option<Seconds>,
    ) -> Self {
        PyCredentialRequest(CredentialRequest::SshSignedKey {
            mount,
            role,
            public_key,
            valid_principals,
            host,
            ttl: duration(ttl),
        })
    }

    /// An X.509 certificate and its private key.
    #[staticmethod]
    #[pyo3(signature = (mount, role, common_name, alt_names = Vec::new(), ttl = None))]
    fn pki_certificate(
        mount: String,
        role: String,
        common_name: String,
        alt_names: Vec<String>,
        ttl: Option<Seconds>,
    ) -> Self {
        PyCredentialRequest(CredentialRequest::PkiCertificate {
            mount,
            role,
            common_name,
            alt_names,
            ttl: duration(ttl),
        })
    }

    /// Cloud credentials (a Vault cloud secrets engine, AWS STS).
    #[staticmethod]
    #[pyo3(signature = (mount, role, ttl = None))]
    fn cloud(mount: String, role: String, ttl: Option<Seconds>) -> Self {
        PyCredentialRequest(CredentialRequest::Cloud {
            mount,
            role,
            ttl: duration(ttl),
        })
    }

    #[getter]
    fn role_path(&self) -> String {
        self.0.role_path()
    }

    fn __repr__(&self) -> String {
        format!("CredentialRequest({:?})", self.0.role_path())
    }
}

/// A token a login returned.
#[pyclass(frozen, get_all, name = "TokenLease", module = "ironsecrets")]
pub struct PyTokenLease {
    token: PySecretValue,
    accessor: String,
    policies: Vec<String>,
    lease: PyLease,
    entity_id: Option<String>,
}

impl From<TokenLease> for PyTokenLease {
    fn from(token: TokenLease) -> Self {
        PyTokenLease {
            token: PySecretValue(token.token),
            accessor: token.accessor,
            policies: token.policies,
            lease: PyLease(token.lease),
            entity_id: token.entity_id,
        }
    }
}

/// What the server knows of a token.
#[pyclass(frozen, get_all, name = "TokenInfo", module = "ironsecrets")]
pub struct PyTokenInfo {
    accessor: String,
    display_name: String,
    path: String,
    policies: Vec<String>,
    lease: PyLease,
}

impl From<TokenInfo> for PyTokenInfo {
    fn from(info: TokenInfo) -> Self {
        PyTokenInfo {
            accessor: info.accessor,
            display_name: info.display_name,
            path: info.path,
            policies: info.policies,
            lease: PyLease(info.lease),
        }
    }
}

/// A Vault / OpenBao server's health.
#[pyclass(frozen, get_all, name = "Health", module = "ironsecrets")]
pub struct PyHealth {
    status: &'static str,
    version: String,
    cluster_name: Option<String>,
}

impl From<Health> for PyHealth {
    fn from(health: Health) -> Self {
        let status = match health.status {
            HealthStatus::Active => "active",
            HealthStatus::Standby => "standby",
            HealthStatus::PerformanceStandby => "performance_standby",
            HealthStatus::DrSecondary => "dr_secondary",
            HealthStatus::Sealed => "sealed",
            HealthStatus::Uninitialized => "uninitialized",
        };
        PyHealth {
            status,
            version: health.version,
            cluster_name: health.cluster_name,
        }
    }
}

/// A certificate Vault's PKI engine signed.
#[pyclass(frozen, get_all, name = "SignedCertificate", module = "ironsecrets")]
pub struct PySignedCertificate {
    certificate: String,
    issuing_ca: String,
    ca_chain: Vec<String>,
    serial_number: String,
    expiration: DateTime<Utc>,
}

impl From<SignedCertificate> for PySignedCertificate {
    fn from(signed: SignedCertificate) -> Self {
        PySignedCertificate {
            certificate: signed.certificate,
            issuing_ca: signed.issuing_ca,
            ca_chain: signed.ca_chain,
            serial_number: signed.serial_number,
            expiration: signed.expiration,
        }
    }
}
