//! Building the official Secret Manager client from a [`GcpConfig`].

use google_cloud_auth::credentials::anonymous;
use google_cloud_gax::retry_policy::NeverRetry;
use google_cloud_secretmanager_v1::client::SecretManagerService;
use ironsecrets_core::{Error, Result};

use crate::{GcpConfig, GcpCredentials};

/// A Secret Manager client for `config`: its endpoint override and credentials.
///
/// The client itself never retries: errors come back at once with `retryable` set, and
/// ironsecrets' retry layer ([`ironsecrets_core::Retrying`]) decides, the same way
/// for every backend (the SDK's default policy would keep retrying for a minute).
pub async fn connect(config: &GcpConfig) -> Result<SecretManagerService> {
    // The SDK is built without a default TLS provider (it would pull in aws-lc-rs);
    // HTTPS uses ring. An application that installed its own provider keeps it.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut builder = SecretManagerService::builder().with_retry_policy(NeverRetry);
    if let Some(endpoint) = &config.endpoint {
        builder = builder.with_endpoint(endpoint.clone());
    }
    if config.credentials == GcpCredentials::Anonymous {
        builder = builder.with_credentials(anonymous::Builder::new().build());
    }
    builder.build().await.map_err(|e| {
        let hint = if e.is_default_credentials() {
            "no Application Default Credentials were found: set \
             GOOGLE_APPLICATION_CREDENTIALS or run `gcloud auth application-default login`"
        } else {
            "the Secret Manager client could not be built"
        };
        Error::config(hint).with_backend(crate::errors::BACKEND)
    })
}
