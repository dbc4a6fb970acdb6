//! Where and how to reach AWS: the `aws-sm://` URI on top of the standard AWS
//! configuration chain (environment, profiles, credential files, IMDS, ...).

use std::fmt;
use std::time::Duration;

use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_sdk_secretsmanager::config::Credentials;
use aws_smithy_http_client::tls::{self, rustls_provider::CryptoMode};
use ironsecrets_core::{Error, Result, StoreUri};

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
    /// Fixed credentials instead of the chain's (access key id, secret access key).
    pub static_credentials: Option<(String, String)>,
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
    /// Reads `aws-sm://<region>?endpoint=<url>&profile=<name>&recovery_days=<7..30>`.
    /// The region may be left out (`aws-sm://`) to take it from the AWS chain.
    /// Credentials never come from the URI.
    pub fn from_uri(uri: &StoreUri) -> Result<Self> {
        if uri.scheme() != SCHEME {
            return Err(Error::config(format!(
                "expected an {SCHEME}:// URI, got scheme '{}'",
                uri.scheme()
            )));
        }
        let url = uri.url();
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::config(
                "credentials do not belong in an aws-sm:// URI; use the AWS environment, profile or credential files",
            ));
        }
        for (name, _) in url.query_pairs() {
            if !matches!(name.as_ref(), "endpoint" | "profile" | "recovery_days") {
                return Err(Error::config(format!(
                    "unknown aws-sm:// parameter '{name}'; expected endpoint, profile or recovery_days"
                )));
            }
        }
        let region = url.host_str().filter(|h| !h.is_empty()).map(str::to_owned);
        let recovery_window_days = uri
            .query("recovery_days")
            .map(|d| {
                d.parse::<i64>()
                    .ok()
                    .filter(|d| (7..=30).contains(d))
                    .ok_or_else(|| Error::config("recovery_days must be a number from 7 to 30"))
            })
            .transpose()?;
        Ok(AwsConfig {
            region,
            profile: uri.query("profile"),
            endpoint_url: uri.query("endpoint"),
            static_credentials: None,
            recovery_window_days,
        })
    }

    /// Uses fixed credentials instead of the chain's.
    pub fn with_static_credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
    ) -> Self {
        self.static_credentials = Some((access_key_id.into(), secret_access_key.into()));
        self
    }

    /// Resolves the AWS chain into the SDK's shared configuration. The HTTP client is
    /// hyper with rustls on ring.
    pub async fn load(&self) -> Result<SdkConfig> {
        let http = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(CryptoMode::Ring))
            .build_https();
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .http_client(http)
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
        if let Some((id, secret)) = &self.static_credentials {
            loader = loader.credentials_provider(Credentials::new(
                id,
                secret,
                None,
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

    fn parse(uri: &str) -> Result<AwsConfig> {
        AwsConfig::from_uri(&StoreUri::parse(uri)?)
    }

    #[test]
    fn reads_region_endpoint_profile_and_recovery_window() {
        let c =
            parse("aws-sm://eu-west-1?endpoint=http://127.0.0.1:5000&profile=dev&recovery_days=7")
                .unwrap();
        assert_eq!(c.region.as_deref(), Some("eu-west-1"));
        assert_eq!(c.endpoint_url.as_deref(), Some("http://127.0.0.1:5000"));
        assert_eq!(c.profile.as_deref(), Some("dev"));
        assert_eq!(c.recovery_window_days, Some(7));
    }

    #[test]
    fn region_may_come_from_the_chain() {
        assert_eq!(parse("aws-sm://").unwrap().region, None);
    }

    #[test]
    fn bad_uris_are_config_errors() {
        for uri in [
            "aws-sm://AKIA:secret@us-east-1",
            "aws-sm://us-east-1?bogus=1",
            "aws-sm://us-east-1?recovery_days=3",
            "vault://us-east-1",
        ] {
            let err = parse(uri).unwrap_err();
            assert_eq!(err.kind(), ironsecrets_core::ErrorKind::Config, "{uri}");
            assert!(!err.to_string().contains("secret@"), "{err}");
        }
    }

    #[test]
    fn debug_hides_credentials() {
        let c = AwsConfig::default().with_static_credentials("AKIDEXAMPLE", "canary-secret");
        assert!(!format!("{c:?}").contains("canary-secret"));
    }
}
