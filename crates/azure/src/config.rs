//! Where the vault is, how to authenticate, and which CA to trust: from a URI or the
//! environment.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use ironsecrets_core::{Backend, BackendOptions, Error, Location, Options, Result, SecretValue};
use serde::Deserialize;
use url::Url;

/// The variable naming the vault URL when the URI has no host (and for [`AzureConfig::from_env`]).
pub const VAULT_URL_ENV: &str = "AZURE_KEYVAULT_URL";

/// How the backend gets its Azure token.
#[derive(Clone)]
pub enum CredentialSource {
    /// Pick from the environment: a service principal when `AZURE_TENANT_ID`,
    /// `AZURE_CLIENT_ID` and `AZURE_CLIENT_SECRET` are all set, else managed identity when
    /// `IDENTITY_ENDPOINT` or `MSI_ENDPOINT` is set, else the developer tools (Azure CLI,
    /// Azure Developer CLI).
    Auto,
    /// A service principal with a client secret.
    ClientSecret {
        /// `AZURE_TENANT_ID`.
        tenant_id: String,
        /// `AZURE_CLIENT_ID`.
        client_id: String,
        /// `AZURE_CLIENT_SECRET` (redacted in Debug).
        client_secret: String,
    },
    /// The managed identity of the host (App Service, Functions, VM, ...).
    ManagedIdentity,
    /// The signed-in Azure CLI or Azure Developer CLI.
    Developer,
    /// A credential the caller built.
    Custom(Arc<dyn TokenCredential>),
}

impl fmt::Debug for CredentialSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CredentialSource::Auto => f.write_str("Auto"),
            CredentialSource::ClientSecret {
                tenant_id,
                client_id,
                ..
            } => f
                .debug_struct("ClientSecret")
                .field("tenant_id", tenant_id)
                .field("client_id", client_id)
                .field("client_secret", &"[REDACTED]")
                .finish(),
            CredentialSource::ManagedIdentity => f.write_str("ManagedIdentity"),
            CredentialSource::Developer => f.write_str("Developer"),
            CredentialSource::Custom(_) => f.write_str("Custom"),
        }
    }
}

/// Everything needed to open a vault.
#[derive(Clone, Debug)]
pub struct AzureConfig {
    /// The vault's URL, e.g. `https://myvault.vault.azure.net/`.
    pub vault_url: Url,
    /// How to authenticate.
    pub credential: CredentialSource,
    /// A PEM file of CA certificates to trust in addition to the system's (for a vault
    /// emulator or a TLS-inspecting proxy). Verification is never turned off.
    pub ca_file: Option<PathBuf>,
    /// Whether the authentication challenge must name a resource under the vault's domain
    /// (the SDK's check; off only for an emulator on a host that is not `*.vault.azure.net`).
    pub verify_challenge_resource: bool,
    /// The Key Vault REST API version to speak; `None` for the SDK's default (an
    /// emulator may only know older ones, e.g. `7.5`).
    pub api_version: Option<String>,
}

impl AzureConfig {
    /// A config for `vault_url` with the credential picked from the environment.
    pub fn new(vault_url: Url) -> Self {
        let verify = vault_url.host_str().is_some_and(|h| !is_loopback_host(h));
        AzureConfig {
            vault_url,
            credential: CredentialSource::Auto,
            ca_file: None,
            verify_challenge_resource: verify,
            api_version: None,
        }
    }

    /// From `AZURE_KEYVAULT_URL` and the credential variables.
    pub fn from_env() -> Result<Self> {
        AzureOptions::default().resolve(|name| std::env::var(name).ok())
    }
}

/// How [`AzureOptions::credential`] picks the credential.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum CredentialChoice {
    /// A service principal if its variables (or options) are set, else managed identity
    /// if its endpoint is, else the developer tools.
    #[default]
    Auto,
    /// A service principal with a client secret.
    ClientSecret,
    /// The host's managed identity.
    ManagedIdentity,
    /// The Azure CLI or Azure Developer CLI.
    Developer,
}

/// How to reach a vault, read from a URI (`azure-kv://myvault?api_version=7.5`) or from
/// key/value options. Unset options come from the environment.
///
/// | option | meaning |
/// |---|---|
/// | `vault` | a vault name (`myvault`: `https://myvault.vault.azure.net/`) or `host[:port]` (the URI's host and port) |
/// | `vault_url` | the full vault URL instead; `AZURE_KEYVAULT_URL` when neither is given |
/// | `credential` | `auto` (default), `client-secret`, `managed-identity` or `developer` |
/// | `tenant_id`, `client_id`, `client_secret` | the service principal (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET`; the secret is a credential: never in a URI) |
/// | `ca` | a PEM file: the only CA to trust (an emulator) |
/// | `api_version` | the Key Vault REST API version (an emulator may know only older ones) |
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AzureOptions {
    /// A vault name or `host[:port]`.
    #[serde(default)]
    pub vault: Option<String>,
    /// The full vault URL.
    #[serde(default)]
    pub vault_url: Option<String>,
    /// How to pick the credential.
    #[serde(default)]
    pub credential: Option<CredentialChoice>,
    /// The service principal's tenant.
    #[serde(default)]
    pub tenant_id: Option<String>,
    /// The service principal's client id.
    #[serde(default)]
    pub client_id: Option<String>,
    /// The service principal's secret.
    #[serde(default)]
    pub client_secret: Option<SecretValue>,
    /// The only CA to trust.
    #[serde(default)]
    pub ca: Option<PathBuf>,
    /// The REST API version.
    #[serde(default)]
    pub api_version: Option<String>,
}

impl AzureOptions {
    /// The configuration these options stand for, reading unset ones through `var`.
    pub fn resolve(self, var: impl Fn(&str) -> Option<String>) -> Result<AzureConfig> {
        let vault_url = vault_url(self.vault.as_deref(), self.vault_url.as_deref(), &var)?;
        let mut config = AzureConfig::new(vault_url);
        config.ca_file = self.ca;
        config.api_version = self.api_version.filter(|v| !v.is_empty());
        let secret = self
            .client_secret
            .map(|s| s.expose_str().map(str::to_owned))
            .transpose()?;
        let given = |value: Option<String>, name: &str| value.or_else(|| var(name));
        let env = |name: &str| match name {
            "AZURE_TENANT_ID" => given(self.tenant_id.clone(), name),
            "AZURE_CLIENT_ID" => given(self.client_id.clone(), name),
            "AZURE_CLIENT_SECRET" => given(secret.clone(), name),
            other => var(other),
        };
        config.credential = credential_source(self.credential.unwrap_or_default(), &env)?;
        Ok(config)
    }
}

impl BackendOptions for AzureOptions {
    const SCHEME: &'static str = "azure-kv";
    const CREDENTIALS: &'static [&'static str] = &["client_secret"];

    fn location(location: &Location) -> Result<Options> {
        location.refuse_path("azure-kv", "azure-kv://myvault")?;
        let Some(host) = &location.host else {
            return Ok(Options::new());
        };
        let vault = match location.port {
            Some(port) => format!("{host}:{port}"),
            None => host.clone(),
        };
        Ok(Options::new().with("vault", vault))
    }

    async fn open(self) -> Result<Backend> {
        crate::open(self.resolve(|name| std::env::var(name).ok())?).await
    }
}

/// The vault URL: a full URL as given, a vault name or `host[:port]`, else
/// `AZURE_KEYVAULT_URL`. Only https.
fn vault_url(
    vault: Option<&str>,
    full: Option<&str>,
    var: &impl Fn(&str) -> Option<String>,
) -> Result<Url> {
    let text = match (vault.filter(|v| !v.is_empty()), full) {
        (Some(_), Some(_)) => {
            return Err(Error::config(
                "give the vault as `vault` (a name or host) or as `vault_url`, not both",
            ));
        }
        (None, Some(url)) => url.to_owned(),
        (None, None) => var(VAULT_URL_ENV).filter(|v| !v.is_empty()).ok_or_else(|| {
            Error::config(format!(
                "no vault given: use azure-kv://<vault-name>, azure-kv://<host[:port]> or set {VAULT_URL_ENV}"
            ))
        })?,
        (Some(authority), None) => {
            let host = authority.rsplit_once(':').map_or(authority, |(h, _)| h);
            let full = authority.contains('.')
                || authority.contains(':')
                || is_loopback_host(host);
            if full {
                format!("https://{authority}/")
            } else {
                format!("https://{authority}.vault.azure.net/")
            }
        }
    };
    let parsed =
        Url::parse(&text).map_err(|e| Error::config(format!("the vault URL is not valid: {e}")))?;
    if parsed.scheme() != "https" {
        return Err(Error::config(format!(
            "the vault URL must use https, not {}",
            parsed.scheme()
        )));
    }
    Ok(parsed)
}

/// The source `Auto` stands for, given the variables.
pub(crate) fn auto_credential(var: &impl Fn(&str) -> Option<String>) -> CredentialSource {
    let managed = ["IDENTITY_ENDPOINT", "MSI_ENDPOINT"]
        .iter()
        .any(|name| var(name).is_some_and(|v| !v.is_empty()));
    service_principal(var).unwrap_or(if managed {
        CredentialSource::ManagedIdentity
    } else {
        CredentialSource::Developer
    })
}

fn service_principal(var: &impl Fn(&str) -> Option<String>) -> Option<CredentialSource> {
    let get = |name: &str| var(name).filter(|v| !v.is_empty());
    Some(CredentialSource::ClientSecret {
        tenant_id: get("AZURE_TENANT_ID")?,
        client_id: get("AZURE_CLIENT_ID")?,
        client_secret: get("AZURE_CLIENT_SECRET")?,
    })
}

fn credential_source(
    chosen: CredentialChoice,
    var: &impl Fn(&str) -> Option<String>,
) -> Result<CredentialSource> {
    match chosen {
        CredentialChoice::Auto => Ok(auto_credential(var)),
        CredentialChoice::ClientSecret => service_principal(var).ok_or_else(|| {
            Error::config(
                "credential=client-secret needs tenant_id, client_id and client_secret \
                 (or AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET)",
            )
        }),
        CredentialChoice::ManagedIdentity => Ok(CredentialSource::ManagedIdentity),
        CredentialChoice::Developer => Ok(CredentialSource::Developer),
    }
}

fn is_loopback_host(host: &str) -> bool {
    host == "localhost"
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use ironsecrets_core::{ErrorKind, StoreUri};

    use super::*;

    fn config(uri: &str, env: &[(&str, &str)]) -> Result<AzureConfig> {
        let map: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let uri = StoreUri::parse(uri)?;
        uri.backend_options::<AzureOptions>()?
            .resolve(|n| map.get(n).cloned())
    }

    #[test]
    fn vault_name_full_host_and_env() {
        let c = config("azure-kv://myvault", &[]).unwrap();
        assert_eq!(c.vault_url.as_str(), "https://myvault.vault.azure.net/");
        assert!(c.verify_challenge_resource);
        let c = config("azure-kv://myvault.vault.azure.net", &[]).unwrap();
        assert_eq!(c.vault_url.as_str(), "https://myvault.vault.azure.net/");
        let c = config(
            "azure-kv://127.0.0.1:8443?ca=/tmp/ca.pem&api_version=7.5",
            &[],
        )
        .unwrap();
        assert_eq!(c.api_version.as_deref(), Some("7.5"));
        let err = config("azure-kv://v?retries=false", &[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.message().contains("unknown option 'retries'"), "{err}");
        assert_eq!(c.vault_url.as_str(), "https://127.0.0.1:8443/");
        assert_eq!(c.ca_file, Some(PathBuf::from("/tmp/ca.pem")));
        assert!(!c.verify_challenge_resource);
        let c = config(
            "azure-kv://",
            &[(VAULT_URL_ENV, "https://v.vault.azure.net")],
        )
        .unwrap();
        assert_eq!(c.vault_url.as_str(), "https://v.vault.azure.net/");
    }

    #[test]
    fn missing_or_plain_http_vault_is_config() {
        let err = config("azure-kv://", &[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.message().contains(VAULT_URL_ENV));
        let err = config("azure-kv://", &[(VAULT_URL_ENV, "http://v.example")]).unwrap_err();
        assert!(err.message().contains("https"), "{err}");
    }

    #[test]
    fn credential_choice() {
        let sp = [
            ("AZURE_TENANT_ID", "t"),
            ("AZURE_CLIENT_ID", "c"),
            ("AZURE_CLIENT_SECRET", "canary-s3cret"),
        ];
        let c = config("azure-kv://v", &sp).unwrap();
        assert!(matches!(
            c.credential,
            CredentialSource::ClientSecret { .. }
        ));
        assert!(!format!("{c:?}").contains("canary-s3cret"));
        let c = config("azure-kv://v", &[("IDENTITY_ENDPOINT", "http://x")]).unwrap();
        assert!(matches!(c.credential, CredentialSource::ManagedIdentity));
        let c = config("azure-kv://v", &[]).unwrap();
        assert!(matches!(c.credential, CredentialSource::Developer));
        let err = config("azure-kv://v?credential=client-secret", &[]).unwrap_err();
        assert!(err.message().contains("AZURE_CLIENT_SECRET"));
        let err = config("azure-kv://v?client_secret=canary-s3cret", &[]).unwrap_err();
        assert!(err.message().contains("credential"), "{err}");
        assert!(!err.to_string().contains("canary"), "{err}");
        let options: AzureOptions = Options::new()
            .with("vault", "v")
            .with("credential", "client-secret")
            .with("tenant_id", "t")
            .with("client_id", "c")
            .with("client_secret", "canary-s3cret")
            .parse()
            .unwrap();
        let c = options.resolve(|_| None).unwrap();
        assert!(matches!(
            c.credential,
            CredentialSource::ClientSecret { .. }
        ));
        let err = config("azure-kv://v?credential=magic", &[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
    }
}
