//! Where and how to reach AWS, resolved on top of the standard AWS configuration chain
//! (environment, profiles, credential files, IMDS, ...).

use std::fmt;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_secretsmanager::config::Credentials;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use ironsecrets_core::{Error, Result, SecretValue};

/// The URI scheme of this backend.
pub const SCHEME: &str = "aws-sm";

/// How to open the AWS backend. Anything left `None` comes from the standard AWS chain
/// (`AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL`, `~/.aws/config`, `~/.aws/credentials`,
/// web identity, container and instance credentials). Debug never shows credentials.
#[derive(Clone, Default)]
pub struct AwsConfig {
    /// The region, e.g. `us-east-1`.
    pub region: Option<String>,
    /// The named profile to read from the shared config files.
    pub profile: Option<String>,
    /// An endpoint to use instead of AWS's (an emulator, a VPC endpoint).
    pub endpoint_url: Option<String>,
    /// Fixed credentials instead of the chain's (access key id, secret access key,
    /// optional session token).
    pub static_credentials: Option<(String, SecretValue, Option<SecretValue>)>,
    /// How long a secret scheduled for deletion by `delete` can be restored (7 to 30
    /// days; 30 when `None`, AWS's default).
    pub recovery_window_days: Option<i64>,
}

impl fmt::Debug for AwsConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AwsConfig")
            .field("region", &self.region)
            .field("profile", &self.profile)
            .field("endpoint_url", &self.endpoint_url)
            .field("static_credentials", &self.static_credentials.is_some())
            .field("recovery_window_days", &self.recovery_window_days)
            .finish()
    }
}

impl AwsConfig {
    /// Uses fixed credentials instead of the chain's.
    pub fn with_static_credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<SecretValue>,
    ) -> Self {
        self.static_credentials = Some((access_key_id.into(), secret_access_key.into(), None));
        self
    }

    /// Resolves the AWS chain into the SDK's shared configuration. The HTTP client is
    /// hyper with rustls on ring. The SDK's own retries are off: the layer stack's retry
    /// layer decides, the same way for every backend.
    pub async fn load(&self) -> Result<SdkConfig> {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http)
            .retry_config(aws_config::retry::RetryConfig::disabled())
            .timeout_config(
                aws_config::timeout::TimeoutConfig::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .operation_attempt_timeout(Duration::from_secs(30))
                    .build(),
            );
        if let Some(region) = &self.region {
            loader = loader.region(Region::new(region.clone()));
        }
        if let Some(profile) = &self.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(endpoint) = &self.endpoint_url {
            loader = loader.endpoint_url(endpoint);
        }
        if let Some((id, secret, session)) = &self.static_credentials {
            let text = |value: &SecretValue| value.expose_str().map(str::to_owned);
            loader = loader.credentials_provider(Credentials::new(
                id,
                text(secret)?,
                session.as_ref().map(text).transpose()?,
                None,
                "ironsecrets-static",
            ));
        }
        let config = loader.load().await;
        if config.region().is_none() {
            return Err(Error::config(
                "no AWS region: put it in the URI (aws-sm://us-east-1) or set AWS_REGION",
            ));
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_hides_credentials() {
        let c = AwsConfig::default().with_static_credentials("AKIDEXAMPLE", "canary-secret");
        assert!(!format!("{c:?}").contains("canary-secret"));
    }
}
