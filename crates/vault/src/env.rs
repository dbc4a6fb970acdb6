//! Configuration from the environment: the Vault CLI's variables.

use std::path::PathBuf;

use ironsecrets_core::{Error, Result, SecretValue};

use crate::VaultConfig;
use crate::config::parse_bool;

impl VaultConfig {
    /// The config the Vault CLI would use: `VAULT_ADDR` (default
    /// `https://127.0.0.1:8200`), `VAULT_TOKEN` (else `~/.vault-token`),
    /// `VAULT_NAMESPACE`, `VAULT_CACERT`, `VAULT_CAPATH`, `VAULT_CLIENT_CERT`,
    /// `VAULT_CLIENT_KEY`, `VAULT_SKIP_VERIFY` (strict: `true`/`1` or `false`/`0`) and
    /// `VAULT_TLS_SERVER_NAME`. Empty variables count as unset. The mount is `secret`,
    /// KV v2.
    pub fn from_env() -> Result<Self> {
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// [`VaultConfig::from_env`] reading variables through `var` (`HOME` included, for
    /// `~/.vault-token`), so callers and tests need not touch the process environment.
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let var = |name: &str| var(name).filter(|v| !v.is_empty());
        let mut config = VaultConfig::default();
        if let Some(address) = var("VAULT_ADDR") {
            config.address = address;
        }
        config.token = match var("VAULT_TOKEN") {
            Some(token) => Some(SecretValue::from(token)),
            None => token_file(var("HOME").map(PathBuf::from))?,
        };
        config.namespace = var("VAULT_NAMESPACE");
        config.tls.ca_cert = var("VAULT_CACERT").map(PathBuf::from);
        config.tls.ca_path = var("VAULT_CAPATH").map(PathBuf::from);
        config.tls.client_cert = var("VAULT_CLIENT_CERT").map(PathBuf::from);
        config.tls.client_key = var("VAULT_CLIENT_KEY").map(PathBuf::from);
        if let Some(skip) = var("VAULT_SKIP_VERIFY") {
            config.tls.skip_verify = parse_bool("VAULT_SKIP_VERIFY", &skip)?;
        }
        config.tls.server_name = var("VAULT_TLS_SERVER_NAME");
        Ok(config)
    }
}

/// The token the Vault CLI's default token helper stored in `~/.vault-token`, if any.
fn token_file(home: Option<PathBuf>) -> Result<Option<SecretValue>> {
    let Some(file) = home.map(|h| h.join(".vault-token")) else {
        return Ok(None);
    };
    match std::fs::read_to_string(&file) {
        Ok(text) => Ok(Some(SecretValue::from(text.trim())).filter(|t| !t.is_empty())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::config(format!(
            "cannot read the token file {}: {e}",
            file.display()
        ))),
    }
}
