//! `VaultConfig`: where Vault is, how to authenticate and verify it, which KV mount to use.

use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use ironsecrets_core::{Error, Result, SecretValue};
use url::{Host, Url};

/// The KV secrets engine version of the mount (option `kv`: `1`, `2`, `v1` or `v2`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
pub enum KvVersion {
    /// KV v1: one value per path, no versions, no metadata.
    #[serde(rename = "1", alias = "v1")]
    V1,
    /// KV v2: versions, check-and-set, soft delete, custom metadata.
    #[default]
    #[serde(rename = "2", alias = "v2")]
    V2,
}

impl KvVersion {
    /// Parses `1`/`v1` or `2`/`v2`.
    pub fn parse(text: &str) -> Result<Self> {
        match text.trim() {
            "1" | "v1" => Ok(KvVersion::V1),
            "2" | "v2" => Ok(KvVersion::V2),
            other => Err(Error::config(format!("kv version '{other}' is not 1 or 2"))),
        }
    }
}

/// TLS settings. With a CA given (file or directory), only that CA is trusted, as with
/// the Vault CLI; otherwise the platform's roots are.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TlsConfig {
    /// A PEM file with the CA certificate(s) to trust (`VAULT_CACERT`).
    pub ca_cert: Option<PathBuf>,
    /// A directory of PEM CA certificates to trust (`VAULT_CAPATH`).
    pub ca_path: Option<PathBuf>,
    /// The client certificate for mTLS (`VAULT_CLIENT_CERT`); needs `client_key`.
    pub client_cert: Option<PathBuf>,
    /// The client certificate's private key (`VAULT_CLIENT_KEY`); needs `client_cert`.
    pub client_key: Option<PathBuf>,
    /// Accept any server certificate (`VAULT_SKIP_VERIFY`). Only for tests.
    pub skip_verify: bool,
    /// The name to verify the server certificate against, when it differs from the
    /// address's host (`VAULT_TLS_SERVER_NAME`).
    pub server_name: Option<String>,
}

/// Everything needed to reach one Vault / OpenBao KV mount. Debug never shows the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VaultConfig {
    /// The server, e.g. `https://vault.example.com:8200`.
    pub address: String,
    /// The token sent as `X-Vault-Token`; `None` sends none.
    pub token: Option<SecretValue>,
    /// The Vault Enterprise / OpenBao namespace (`X-Vault-Namespace`).
    pub namespace: Option<String>,
    /// The KV mount path (default `secret`).
    pub mount: String,
    /// The KV version of the mount (default 2).
    pub kv_version: KvVersion,
    /// The transit mount path (default `transit`).
    pub transit_mount: String,
    /// TLS verification and client certificates.
    pub tls: TlsConfig,
    /// Allow plain `http://` to a host that is not loopback. Off by default: tokens and
    /// secrets would cross the network in clear text.
    pub allow_http: bool,
    /// The limit for each request, connection included (default 30 s).
    pub timeout: Duration,
}

/// The address used when none is given, as in the Vault CLI.
pub const DEFAULT_ADDRESS: &str = "https://127.0.0.1:8200";
/// The mount used when none is given.
pub const DEFAULT_MOUNT: &str = "secret";
/// The transit mount used when none is given.
pub const DEFAULT_TRANSIT_MOUNT: &str = "transit";
/// The request timeout used when none is given.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);

impl Default for VaultConfig {
    fn default() -> Self {
        VaultConfig {
            address: DEFAULT_ADDRESS.to_owned(),
            token: None,
            namespace: None,
            mount: DEFAULT_MOUNT.to_owned(),
            kv_version: KvVersion::V2,
            transit_mount: DEFAULT_TRANSIT_MOUNT.to_owned(),
            tls: TlsConfig::default(),
            allow_http: false,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

impl VaultConfig {
    /// A config for `address` with the defaults otherwise.
    pub fn new(address: impl Into<String>) -> Self {
        VaultConfig {
            address: address.into(),
            ..VaultConfig::default()
        }
    }

    /// Checks the config and returns the parsed address: http(s) only, no credentials
    /// or path in it, https unless the host is loopback or `allow_http` is set, client
    /// certificate and key both or neither, a mount, a token and namespace that fit in
    /// an HTTP header, a non-zero timeout.
    pub fn validate(&self) -> Result<Url> {
        let url = Url::parse(&self.address).map_err(|e| {
            Error::config(format!(
                "the Vault address is not a URL ({e}); expected https://host:8200"
            ))
        })?;
        let host = url
            .host()
            .ok_or_else(|| Error::config("the Vault address has no host"))?;
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::config(
                "the Vault address must not carry credentials; put the token in VAULT_TOKEN",
            ));
        }
        if !matches!(url.path(), "" | "/") || url.query().is_some() {
            return Err(Error::config(
                "the Vault address must be scheme://host:port, without a path or query",
            ));
        }
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http || is_loopback(&host) => {}
            "http" => {
                return Err(Error::config(format!(
                    "refusing plain http to {host}, which is not a loopback address: the token \
                     and secrets would cross the network unencrypted; use https, or set \
                     allow_http=true if you really mean it"
                )));
            }
            other => {
                return Err(Error::config(format!(
                    "the Vault address scheme '{other}' is not http or https"
                )));
            }
        }
        if self.tls.client_cert.is_some() != self.tls.client_key.is_some() {
            return Err(Error::config(
                "mTLS needs both a client certificate and its key (VAULT_CLIENT_CERT and \
                 VAULT_CLIENT_KEY); only one is set",
            ));
        }
        if self.mount.trim_matches('/').is_empty() {
            return Err(Error::config("the KV mount path is empty"));
        }
        if let Some(token) = &self.token {
            header_safe("the token", token.expose())?;
        }
        if let Some(namespace) = &self.namespace {
            header_safe("the namespace", namespace.as_bytes())?;
        }
        if self.timeout.is_zero() {
            return Err(Error::config("the request timeout must be more than zero"));
        }
        Ok(url)
    }
}

fn is_loopback(host: &Host<&str>) -> bool {
    match host {
        Host::Domain(name) => name.eq_ignore_ascii_case("localhost"),
        Host::Ipv4(ip) => IpAddr::V4(*ip).is_loopback(),
        Host::Ipv6(ip) => IpAddr::V6(*ip).is_loopback(),
    }
}

/// Refuses bytes an HTTP header value cannot carry; the error never shows them.
pub(crate) fn header_safe(what: &str, bytes: &[u8]) -> Result<()> {
    if bytes.iter().all(|b| (0x20..0x7f).contains(b)) {
        Ok(())
    } else {
        Err(Error::config(format!(
            "{what} contains characters an HTTP header cannot carry"
        )))
    }
}

/// Parses a boolean strictly: `true`/`1` on, `false`/`0` off (any case); anything else
/// is a Config error naming `name`.
pub(crate) fn parse_bool(name: &str, text: &str) -> Result<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Ok(true),
        "false" | "0" => Ok(false),
        _ => Err(Error::config(format!(
            "{name} must be true/1 or false/0, not '{text}'"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironsecrets_core::ErrorKind;

    fn refused(config: &VaultConfig) -> String {
        let err = config.validate().unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        err.message().to_owned()
    }

    #[test]
    fn plain_http_is_allowed_only_to_loopback_or_when_asked() {
        for ok in [
            "http://127.0.0.1:8200",
            "http://localhost:8200",
            "http://[::1]:8200",
            "http://127.0.0.2:1",
        ] {
            VaultConfig::new(ok).validate().unwrap();
        }
        let remote = VaultConfig::new("http://vault.example.com:8200");
        assert!(refused(&remote).contains("not a loopback"));
        VaultConfig {
            allow_http: true,
            ..remote
        }
        .validate()
        .unwrap();
        VaultConfig::new("https://vault.example.com:8200")
            .validate()
            .unwrap();
    }

    #[test]
    fn client_certificate_needs_its_key() {
        let mut config = VaultConfig::default();
        config.tls.client_cert = Some("/tmp/cert.pem".into());
        assert!(refused(&config).contains("both"));
        config.tls.client_key = Some("/tmp/key.pem".into());
        config.validate().unwrap();
    }

    #[test]
    fn addresses_with_credentials_paths_or_odd_schemes_are_refused() {
        assert!(refused(&VaultConfig::new("https://tok:en@vault:8200")).contains("credentials"));
        assert!(refused(&VaultConfig::new("https://vault:8200/ui")).contains("path"));
        assert!(refused(&VaultConfig::new("ftp://vault")).contains("'ftp'"));
        assert!(refused(&VaultConfig::new("not a url")).contains("not a URL"));
    }

    #[test]
    fn a_token_unfit_for_a_header_is_refused_without_showing_it() {
        let config = VaultConfig {
            token: Some("canary-tok\nen".into()),
            ..VaultConfig::default()
        };
        let message = refused(&config);
        assert!(!message.contains("canary"), "{message}");
    }

    #[test]
    fn debug_never_shows_the_token() {
        let config = VaultConfig {
            token: Some("canary-token-77".into()),
            ..VaultConfig::default()
        };
        assert!(!format!("{config:?}").contains("canary"));
    }

    #[test]
    fn booleans_are_parsed_strictly() {
        for on in ["true", "1", "TRUE", " True "] {
            assert!(parse_bool("X", on).unwrap(), "{on}");
        }
        for off in ["false", "0", "False"] {
            assert!(!parse_bool("X", off).unwrap(), "{off}");
        }
        for garbage in ["yes", "no", "", "2", "t", "on"] {
            let err = parse_bool("VAULT_SKIP_VERIFY", garbage).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config);
            assert!(err.message().contains("VAULT_SKIP_VERIFY"));
        }
    }

    #[test]
    fn kv_versions() {
        assert_eq!(KvVersion::parse("1").unwrap(), KvVersion::V1);
        assert_eq!(KvVersion::parse("v2").unwrap(), KvVersion::V2);
        assert!(KvVersion::parse("3").is_err());
    }
}
