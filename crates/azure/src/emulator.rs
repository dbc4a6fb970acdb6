//! Test support, behind the `emulator` feature: a credential for the Lowkey Vault Azure
//! Key Vault emulator. Not for production use.
//!
//! azure_identity's managed-identity credential cannot read Lowkey Vault 2.x's token
//! answer (its `expires_on` is a number where the App Service protocol has a string), so
//! tests and benchmarks use [`EmulatorIdentity`], which asks the emulator's
//! managed-identity endpoint for a token the same way.

use azure_core::credentials::{AccessToken, TokenCredential, TokenRequestOptions};
use azure_core::error::ErrorKind;
use azure_core::time::{Duration, OffsetDateTime};

/// Gets tokens from an emulator's managed-identity endpoint (App Service protocol).
#[derive(Debug)]
pub struct EmulatorIdentity {
    endpoint: String,
    client: reqwest::Client,
}

impl EmulatorIdentity {
    /// A credential asking `endpoint` (`http://127.0.0.1:<port>/metadata/identity/oauth2/token`).
    pub fn new(endpoint: String) -> Self {
        EmulatorIdentity {
            endpoint,
            client: reqwest::Client::new(),
        }
    }
}

#[async_trait::async_trait]
impl TokenCredential for EmulatorIdentity {
    async fn get_token(
        &self,
        scopes: &[&str],
        _options: Option<TokenRequestOptions<'_>>,
    ) -> azure_core::Result<AccessToken> {
        let resource = scopes
            .first()
            .map(|s| s.trim_end_matches("/.default"))
            .unwrap_or_default();
        let failed = |e: reqwest::Error| azure_core::Error::new(ErrorKind::Credential, e);
        let body: serde_json::Value = self
            .client
            .get(&self.endpoint)
            .query(&[("resource", resource), ("api-version", "2019-08-01")])
            .header("X-IDENTITY-HEADER", "ironsecrets-tests")
            .send()
            .await
            .and_then(|r| r.error_for_status())
            .map_err(failed)?
            .json()
            .await
            .map_err(failed)?;
        let token = body["access_token"].as_str().ok_or_else(|| {
            azure_core::Error::with_message(
                ErrorKind::Credential,
                "the emulator sent no access_token",
            )
        })?;
        Ok(AccessToken::new(
            token.to_owned(),
            OffsetDateTime::now_utc() + Duration::minutes(30),
        ))
    }
}
