//! Where the vault is, how to authenticate, and which CA to trust: from a URI or the
//! environment.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;

use azure_core::credentials::TokenCredential;
use ironsecrets_core::{Error, Result, StoreUri};
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
    /// Whether the SDK retries throttled (429), failed (5xx) and unreachable requests
    /// itself, with exponential back-off for up to a minute (the default). Turn it off when
    /// wrapping the store in [`RetryingStore`](ironsecrets_core::RetryingStore) instead.
    pub retries: bool,
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
            retries: true,
        }
    }

    /// From `AZURE_KEYVAULT_URL` and the credential variables.
    pub fn from_env() -> Result<Self> {
        Self::from_uri_and_vars(&StoreUri::parse("azure-kv://")?, |name| {
            std::env::var(name).ok()
        })
    }

    /// From a store URI and the process environment; see [`AzureConfig::from_uri_and_vars`].
    pub fn from_uri(uri: &StoreUri) -> Result<Self> {
        Self::from_uri_and_vars(uri, |name| std::env::var(name).ok())
    }

    /// From a store URI, reading variables through `var`:
    /// - `azure-kv://myvault` is `https://myvault.vault.azure.net/`;
    /// - `azure-kv://host.domain[:port]`, `azure-kv://localhost:port` or an IP address is
    ///   `https://` that host, as given (a full vault URL);
    /// - `azure-kv://` (no host) takes the URL from `AZURE_KEYVAULT_URL`.
    ///
    /// Parameters: `ca=/path/ca.pem` (the only CA to trust), `api-version=7.5` (the REST
    /// API version), `retries=false` (no SDK retries) and `credential=auto` (default), `client-secret`, `managed-identity` or
    /// `developer`. Secrets never come from the URI.
    pub fn from_uri_and_vars(uri: &StoreUri, var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let vault_url = vault_url(uri, &var)?;
        let mut config = AzureConfig::new(vault_url);
        config.ca_file = uri.query("ca").map(PathBuf::from);
        config.api_version = uri.query("api-version");
        config.retries = match uri.query("retries").as_deref() {
            None | Some("true") => true,
            Some("false") => false,
            Some(other) => {
                return Err(Error::config(format!(
                    "retries must be true or false, not '{other}'"
                )));
            }
        };
        config.credential = credential_source(uri.query("credential").as_deref(), &var)?;
        Ok(config)
    }
}

fn vault_url(uri: &StoreUri, var: &impl Fn(&str) -> Option<String>) -> Result<Url> {
    let url = uri.url();
    let text = match url.host_str().filter(|h| !h.is_empty()) {
        None => var(VAULT_URL_ENV).filter(|v| !v.is_empty()).ok_or_else(|| {
            Error::config(format!(
                "no vault given: use azure-kv://<vault-name>, azure-kv://<host[:port]> or set {VAULT_URL_ENV}"
            ))
        })?,
        Some(host) => {
            let full = host.contains('.') || url.port().is_some() || is_loopback_host(host);
            let authority = match url.port() {
                Some(port) => format!("{host}:{port}"),
                None if full => host.to_owned(),
                None => format!("{host}.vault.azure.net"),
            };
            format!("https://{authority}/")
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
    chosen: Option<&str>,
    var: &impl Fn(&str) -> Option<String>,
) -> Result<CredentialSource> {
    match chosen.unwrap_or("auto") {
        "auto" => Ok(auto_credential(var)),
        "client-secret" => service_principal(var).ok_or_else(|| {
            Error::config(
                "credential=client-secret needs AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET",
            )
        }),
        "managed-identity" => Ok(CredentialSource::ManagedIdentity),
        "developer" => Ok(CredentialSource::Developer),
        other => Err(Error::config(format!(
            "unknown credential '{other}'; expected auto, client-secret, managed-identity or developer"
        ))),
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

    use ironsecrets_core::ErrorKind;

    use super::*;

    fn config(uri: &str, env: &[(&str, &str)]) -> Result<AzureConfig> {
        let map: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        AzureConfig::from_uri_and_vars(&StoreUri::parse(uri).unwrap(), |n| map.get(n).cloned())
    }

    #[test]
    fn vault_name_full_host_and_env() {
        let c = config("azure-kv://myvault", &[]).unwrap();
        assert_eq!(c.vault_url.as_str(), "https://myvault.vault.azure.net/");
        assert!(c.verify_challenge_resource);
        let c = config("azure-kv://myvault.vault.azure.net", &[]).unwrap();
        assert_eq!(c.vault_url.as_str(), "https://myvault.vault.azure.net/");
        let c = config(
            "azure-kv://127.0.0.1:8443?ca=/tmp/ca.pem&api-version=7.5",
            &[],
        )
        .unwrap();
        assert_eq!(c.api_version.as_deref(), Some("7.5"));
        assert!(c.retries);
        assert!(!config("azure-kv://v?retries=false", &[]).unwrap().retries);
        let err = config("azure-kv://v?retries=maybe", &[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
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
        let err = config("azure-kv://v?credential=magic", &[]).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
    }
}
