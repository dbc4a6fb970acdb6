//! Configuration from the environment (the Vault CLI's variables) and from `vault://`
//! URIs, and opening a [`Backend`] from either.

use std::path::PathBuf;
use std::sync::Arc;

use ironsecrets_core::{Backend, BackendFuture, Error, Result, SecretValue, StoreUri};

use crate::config::{parse_bool, parse_timeout};
use crate::{
    Kv1Store, Kv2Store, KvVersion, VaultClient, VaultConfig, VaultCredentials, VaultLeases,
    VaultTransit,
};

/// The query parameters a `vault://` URI may carry.
const URI_PARAMS: &[&str] = &[
    "mount",
    "kv",
    "namespace",
    "tls",
    "allow_http",
    "timeout",
    "ca_cert",
    "ca_path",
    "client_cert",
    "client_key",
    "skip_verify",
    "server_name",
    "transit",
];

/// The port used when a `vault://` URI names none.
pub const DEFAULT_PORT: u16 = 8200;

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

    /// The config a `vault://host:port?mount=secret&kv=2&namespace=ns&tls=true` URI names,
    /// over the environment's (token, namespace and TLS files come from the `VAULT_*`
    /// variables; the URI's parameters win). See [`VaultConfig::from_uri_and_vars`].
    pub fn from_uri(uri: &StoreUri) -> Result<Self> {
        Self::from_uri_and_vars(uri, |name| std::env::var(name).ok())
    }

    /// [`VaultConfig::from_uri`] reading the environment through `var`.
    ///
    /// The URI gives host and port (default 8200) and these parameters: `mount`
    /// (default `secret`), `kv` (`1` or `2`, default `2`), `namespace`, `tls` (default
    /// `true`; `false` means plain http), `allow_http` (needed for plain http to a host
    /// that is not loopback), `timeout` (seconds), `ca_cert`, `ca_path`, `client_cert`,
    /// `client_key`, `skip_verify`, `server_name`, `transit` (the transit mount, default
    /// `transit`). Booleans are strict (`true`/`1`, `false`/`0`); an unknown parameter is
    /// a Config error. A token never goes in the URI: it comes from `VAULT_TOKEN` or
    /// `~/.vault-token`. `VAULT_ADDR` is ignored.
    pub fn from_uri_and_vars(uri: &StoreUri, var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let mut config = Self::from_vars(var)?;
        let url = uri.url();
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::config(
                "a vault:// URI must not carry credentials; put the token in VAULT_TOKEN",
            ));
        }
        if let Some((name, _)) = url
            .query_pairs()
            .find(|(name, _)| !URI_PARAMS.contains(&name.as_ref()))
        {
            return Err(Error::config(format!(
                "unknown vault:// parameter '{name}'; known: {}",
                URI_PARAMS.join(", ")
            )));
        }
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| {
            Error::config("a vault:// URI needs a host, e.g. vault://127.0.0.1:8200")
        })?;
        let tls = match uri.query("tls") {
            Some(text) => parse_bool("the tls parameter", &text)?,
            None => true,
        };
        let scheme = if tls { "https" } else { "http" };
        let port = url.port().unwrap_or(DEFAULT_PORT);
        config.address = format!("{scheme}://{host}:{port}");
        let path = |name: &str| uri.query(name).filter(|v| !v.is_empty()).map(PathBuf::from);
        if let Some(mount) = uri.query("mount") {
            config.mount = mount.trim_matches('/').to_owned();
        }
        if let Some(transit) = uri
            .query("transit")
            .filter(|t| !t.trim_matches('/').is_empty())
        {
            config.transit_mount = transit.trim_matches('/').to_owned();
        }
        if let Some(kv) = uri.query("kv") {
            config.kv_version = KvVersion::parse(&kv)?;
        }
        if let Some(namespace) = uri.query("namespace") {
            config.namespace = Some(namespace).filter(|n| !n.is_empty());
        }
        if let Some(allow) = uri.query("allow_http") {
            config.allow_http = parse_bool("the allow_http parameter", &allow)?;
        }
        if let Some(timeout) = uri.query("timeout") {
            config.timeout = parse_timeout("the timeout parameter", &timeout)?;
        }
        if let Some(skip) = uri.query("skip_verify") {
            config.tls.skip_verify = parse_bool("the skip_verify parameter", &skip)?;
        }
        config.tls.ca_cert = path("ca_cert").or(config.tls.ca_cert);
        config.tls.ca_path = path("ca_path").or(config.tls.ca_path);
        config.tls.client_cert = path("client_cert").or(config.tls.client_cert);
        config.tls.client_key = path("client_key").or(config.tls.client_key);
        if let Some(name) = uri.query("server_name").filter(|n| !n.is_empty()) {
            config.tls.server_name = Some(name);
        }
        config.validate()?;
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

/// Connects to the configured mount and returns it as a [`Backend`]: a [`Kv2Store`] or a
/// [`Kv1Store`] as `kv_version` says, with [`VaultLeases`] and [`VaultCredentials`] on the
/// same client. No request is sent yet.
pub async fn open(config: VaultConfig) -> Result<Backend> {
    let client = VaultClient::connect(&config).await?;
    let backend = match config.kv_version {
        KvVersion::V2 => Backend::new(Arc::new(Kv2Store::new(client.clone(), config.mount))),
        KvVersion::V1 => Backend::new(Arc::new(Kv1Store::new(client.clone(), config.mount))),
    };
    Ok(backend
        .with_leases(Arc::new(VaultLeases::new(client.clone())))
        .with_transit(Arc::new(VaultTransit::new(
            client.clone(),
            config.transit_mount,
        )))
        .with_credentials(Arc::new(VaultCredentials::new(client))))
}

/// Opens a `vault://` URI (see [`VaultConfig::from_uri_and_vars`]) for the registry.
pub fn open_uri(uri: StoreUri) -> BackendFuture {
    Box::pin(async move { open(VaultConfig::from_uri(&uri)?).await })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::time::Duration;

    use ironsecrets_core::ErrorKind;

    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
        let map: HashMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn from_uri(uri: &str, env: &[(&str, &str)]) -> Result<VaultConfig> {
        VaultConfig::from_uri_and_vars(&StoreUri::parse(uri).unwrap(), vars(env))
    }

    #[test]
    fn uri_defaults_to_https_port_8200_kv2_on_secret() {
        let config = from_uri("vault://vault.example.com", &[]).unwrap();
        assert_eq!(config.address, "https://vault.example.com:8200");
        assert_eq!(config.mount, "secret");
        assert_eq!(config.kv_version, KvVersion::V2);
        assert_eq!(config.namespace, None);
    }

    #[test]
    fn uri_parameters_are_read() {
        let config = from_uri(
            "vault://127.0.0.1:8300?mount=team/kv&kv=1&namespace=ns1&tls=false&timeout=5",
            &[],
        )
        .unwrap();
        assert_eq!(config.address, "http://127.0.0.1:8300");
        assert_eq!(config.mount, "team/kv");
        assert_eq!(config.kv_version, KvVersion::V1);
        assert_eq!(config.namespace.as_deref(), Some("ns1"));
        assert_eq!(config.timeout, Duration::from_secs(5));
    }

    #[test]
    fn plain_http_to_a_remote_host_needs_allow_http() {
        let err = from_uri("vault://vault.example.com?tls=false", &[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.message().contains("allow_http"), "{err}");
        let config = from_uri("vault://vault.example.com?tls=false&allow_http=true", &[]).unwrap();
        assert_eq!(config.address, "http://vault.example.com:8200");
    }

    #[test]
    fn unknown_parameters_and_credentials_are_refused() {
        let err = from_uri("vault://h?mnt=x", &[]).unwrap_err();
        assert!(err.message().contains("'mnt'"), "{err}");
        let err = from_uri("vault://s3cr3t@h", &[]).unwrap_err();
        assert!(!err.to_string().contains("s3cr3t"), "{err}");
        let err = from_uri("vault://h?tls=maybe", &[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
    }

    #[test]
    fn token_namespace_and_tls_come_from_the_environment() {
        let config = from_uri(
            "vault://127.0.0.1?skip_verify=0",
            &[
                ("VAULT_ADDR", "https://ignored:1"),
                ("VAULT_TOKEN", "s.canary"),
                ("VAULT_NAMESPACE", "team"),
                ("VAULT_CACERT", "/etc/ca.pem"),
                ("VAULT_SKIP_VERIFY", "true"),
            ],
        )
        .unwrap();
        assert_eq!(config.address, "https://127.0.0.1:8200");
        assert_eq!(config.token, Some(SecretValue::from("s.canary")));
        assert_eq!(config.namespace.as_deref(), Some("team"));
        assert_eq!(config.tls.ca_cert, Some(PathBuf::from("/etc/ca.pem")));
        assert!(!config.tls.skip_verify, "the URI's skip_verify=0 wins");
    }

    #[test]
    fn env_reads_every_vault_variable() {
        let config = VaultConfig::from_vars(vars(&[
            ("VAULT_ADDR", "https://vault:8200"),
            ("VAULT_TOKEN", "s.x"),
            ("VAULT_NAMESPACE", "ns"),
            ("VAULT_CACERT", "/ca.pem"),
            ("VAULT_CAPATH", "/cas"),
            ("VAULT_CLIENT_CERT", "/c.pem"),
            ("VAULT_CLIENT_KEY", "/k.pem"),
            ("VAULT_SKIP_VERIFY", "1"),
            ("VAULT_TLS_SERVER_NAME", "vault.internal"),
        ]))
        .unwrap();
        assert_eq!(config.address, "https://vault:8200");
        assert_eq!(config.tls.ca_path, Some(PathBuf::from("/cas")));
        assert_eq!(config.tls.client_cert, Some(PathBuf::from("/c.pem")));
        assert_eq!(config.tls.client_key, Some(PathBuf::from("/k.pem")));
        assert!(config.tls.skip_verify);
        assert_eq!(config.tls.server_name.as_deref(), Some("vault.internal"));
    }

    #[test]
    fn env_defaults_to_https_loopback() {
        let config = VaultConfig::from_vars(vars(&[])).unwrap();
        assert_eq!(config.address, "https://127.0.0.1:8200");
        assert_eq!(config.token, None);
        assert!(!config.tls.skip_verify);
    }

    #[test]
    fn skip_verify_is_strict() {
        for (text, on) in [("true", true), ("1", true), ("false", false), ("0", false)] {
            let config = VaultConfig::from_vars(vars(&[("VAULT_SKIP_VERIFY", text)])).unwrap();
            assert_eq!(config.tls.skip_verify, on, "{text}");
        }
        for garbage in ["yes", "off", "2", "ture"] {
            let err = VaultConfig::from_vars(vars(&[("VAULT_SKIP_VERIFY", garbage)])).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config, "{garbage}");
            assert!(err.message().contains("VAULT_SKIP_VERIFY"));
        }
    }

    #[test]
    fn token_falls_back_to_the_token_file() {
        let home = tempfile::tempdir().unwrap();
        let home_str = home.path().to_str().unwrap().to_owned();
        let config = VaultConfig::from_vars(vars(&[("HOME", &home_str)])).unwrap();
        assert_eq!(config.token, None);
        std::fs::write(home.path().join(".vault-token"), "s.from-file\n").unwrap();
        let config = VaultConfig::from_vars(vars(&[("HOME", &home_str)])).unwrap();
        assert_eq!(config.token, Some(SecretValue::from("s.from-file")));
        let config =
            VaultConfig::from_vars(vars(&[("HOME", &home_str), ("VAULT_TOKEN", "s.env")])).unwrap();
        assert_eq!(config.token, Some(SecretValue::from("s.env")));
    }
}
