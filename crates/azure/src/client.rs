//! The SDK clients for one vault: credential, HTTP transport (rustls, an optional CA)
//! and the secret and key clients sharing them.

use std::sync::Arc;

use azure_core::credentials::{Secret, TokenCredential};
use azure_core::http::{ClientOptions, RetryOptions, Transport};
use azure_identity::{ClientSecretCredential, DeveloperToolsCredential, ManagedIdentityCredential};
use azure_security_keyvault_keys::{KeyClient, KeyClientOptions};
use azure_security_keyvault_secrets::{SecretClient, SecretClientOptions};
use ironsecrets_core::{Error, Result};

use crate::config::{AzureConfig, CredentialSource};

/// The SDK's clients for one vault.
#[derive(Clone)]
pub struct Clients {
    /// Secrets.
    pub secrets: Arc<SecretClient>,
    /// Keys (the transit engine).
    pub keys: Arc<KeyClient>,
}

impl Clients {
    /// Builds the credential, transport and both clients.
    pub fn new(config: &AzureConfig) -> Result<Self> {
        let client_options = ClientOptions {
            transport: Some(Transport::new(Arc::new(http_client(config)?))),
            // The layer stack's retry layer decides, the same way for every backend.
            retry: RetryOptions::none(),
            ..ClientOptions::default()
        };
        // The credential talks to Entra ID or the identity endpoint, not the vault: the
        // SDK's default transport and the system's roots, not the vault's CA.
        let credential = credential(&config.credential, &ClientOptions::default())?;
        let url = config.vault_url.as_str();
        let secret_defaults = SecretClientOptions::default();
        let key_defaults = KeyClientOptions::default();
        let secrets = SecretClient::new(
            url,
            credential.clone(),
            Some(SecretClientOptions {
                client_options: client_options.clone(),
                verify_challenge_resource: Some(config.verify_challenge_resource),
                api_version: config
                    .api_version
                    .clone()
                    .unwrap_or(secret_defaults.api_version),
            }),
        )
        .map_err(|e| Error::config(format!("cannot create the Key Vault secret client: {e}")))?;
        let keys = KeyClient::new(
            url,
            credential,
            Some(KeyClientOptions {
                client_options,
                verify_challenge_resource: Some(config.verify_challenge_resource),
                api_version: config
                    .api_version
                    .clone()
                    .unwrap_or(key_defaults.api_version),
            }),
        )
        .map_err(|e| Error::config(format!("cannot create the Key Vault key client: {e}")))?;
        Ok(Clients {
            secrets: Arc::new(secrets),
            keys: Arc::new(keys),
        })
    }
}

/// The token credential `source` names.
fn credential(
    source: &CredentialSource,
    client_options: &ClientOptions,
) -> Result<Arc<dyn TokenCredential>> {
    let failed = |what: &str, e: azure_core::Error| {
        Error::config(format!("cannot set up the {what} credential: {e}"))
    };
    Ok(match source {
        CredentialSource::Auto => {
            let var = |name: &str| std::env::var(name).ok();
            let resolved = crate::config::auto_credential(&var);
            return credential(&resolved, client_options);
        }
        CredentialSource::ClientSecret {
            tenant_id,
            client_id,
            client_secret,
        } => ClientSecretCredential::new(
            tenant_id,
            client_id.clone(),
            Secret::new(client_secret.clone()),
            Some(azure_identity::ClientSecretCredentialOptions {
                client_options: client_options.clone(),
            }),
        )
        .map_err(|e| failed("client secret", e))?,
        CredentialSource::ManagedIdentity => {
            ManagedIdentityCredential::new(Some(azure_identity::ManagedIdentityCredentialOptions {
                client_options: client_options.clone(),
                ..Default::default()
            }))
            .map_err(|e| failed("managed identity", e))?
        }
        CredentialSource::Developer => {
            DeveloperToolsCredential::new(None).map_err(|e| failed("developer tools", e))?
        }
        CredentialSource::Custom(credential) => credential.clone(),
    })
}

/// The vault's HTTP client: rustls, https only; with `ca_file`, only the CA certificates
/// in it are trusted (verification is never turned off).
fn http_client(config: &AzureConfig) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .tls_backend_rustls()
        .https_only(true);
    if let Some(file) = &config.ca_file {
        let pem = std::fs::read(file).map_err(|e| {
            Error::config(format!(
                "cannot read the CA certificate {}: {e}",
                file.display()
            ))
        })?;
        let roots = reqwest::Certificate::from_pem_bundle(&pem)
            .ok()
            .filter(|certs| !certs.is_empty())
            .ok_or_else(|| {
                Error::config(format!("{} holds no PEM CA certificate", file.display()))
            })?;
        builder = builder.tls_certs_only(roots);
    }
    builder
        .build()
        .map_err(|e| Error::config(format!("cannot set up the HTTP client: {e}")))
}
