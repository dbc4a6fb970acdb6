//! How to open (or create) a local store.

use std::time::Duration;

use ironsecrets_core::{Error, Result, SecretValue};

use crate::KdfParams;

/// The environment variable holding the master key.
pub const MASTER_KEY_ENV: &str = "IRONSECRETS_MASTER_KEY";
/// The environment variable naming the principal a process acts as.
pub const PRINCIPAL_ENV: &str = "IRONSECRETS_PRINCIPAL";

/// Options for [`crate::LocalStore::open`].
#[derive(Clone, Debug)]
pub struct OpenOptions {
    /// Who this handle acts as; every call is checked against that principal's role.
    /// The principal that creates a store becomes its first Admin. Default `admin`.
    pub principal: String,
    /// Create the store when the file does not exist yet (default true).
    pub create: bool,
    /// Create a new store, failing with AlreadyExists if the file exists (what
    /// `ironsecrets init` does; default false).
    pub create_new: bool,
    /// Argon2id cost for a new store (an existing store keeps its own).
    pub kdf: KdfParams,
    /// Versions kept per secret in a new store, unless a secret says otherwise (default 10).
    pub max_versions: u32,
    /// Recorded as the client address in audit rows (default `pid:<process id>`).
    pub client: Option<String>,
    /// How long to wait for another process's write lock before Unavailable (default 5 s).
    pub busy_timeout: Duration,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            principal: "admin".to_owned(),
            create: true,
            create_new: false,
            kdf: KdfParams::default(),
            max_versions: 10,
            client: Some(format!("pid:{}", std::process::id())),
            busy_timeout: Duration::from_secs(5),
        }
    }
}

impl OpenOptions {
    /// Defaults, with the principal taken from `IRONSECRETS_PRINCIPAL` when set.
    pub fn from_env() -> Self {
        let mut options = OpenOptions::default();
        if let Ok(principal) = std::env::var(PRINCIPAL_ENV) {
            options.principal = principal;
        }
        options
    }

    /// Acts as `principal`.
    pub fn principal(mut self, principal: impl Into<String>) -> Self {
        self.principal = principal.into();
        self
    }
}

/// The master key from `IRONSECRETS_MASTER_KEY`, or a Config error saying how to set it.
pub fn master_key_from_env() -> Result<SecretValue> {
    match std::env::var_os(MASTER_KEY_ENV) {
        Some(value) if !value.is_empty() => Ok(SecretValue::new(value.into_encoded_bytes())),
        _ => Err(Error::config(format!(
            "{MASTER_KEY_ENV} is not set; the local store needs its master key to unlock"
        ))),
    }
}
