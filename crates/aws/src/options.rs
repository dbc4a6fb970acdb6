//! `AwsOptions`: the `aws-sm://` backend's typed options, read from a URI
//! (`aws-sm://us-east-1?endpoint=http://127.0.0.1:5000`) or from key/value options.

use ironsecrets_core::{Backend, BackendOptions, Error, Location, Options, Result, SecretValue};
use serde::Deserialize;

use crate::{AwsConfig, SCHEME};

/// How to reach AWS. Anything left unset comes from the standard AWS chain
/// (`AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL`, `~/.aws/config`,
/// `~/.aws/credentials`, web identity, container and instance credentials).
///
/// | option | meaning |
/// |---|---|
/// | `region` | the region (the URI's host: `aws-sm://us-east-1`) |
/// | `endpoint` | another endpoint (an emulator, a VPC endpoint) |
/// | `profile` | the named profile of the shared config files |
/// | `recovery_days` | how long `delete` keeps a secret restorable (7 to 30; AWS's 30 by default) |
/// | `access_key_id`, `secret_access_key`, `session_token` | fixed credentials instead of the chain's (credentials: never in a URI) |
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AwsOptions {
    /// The region.
    #[serde(default)]
    pub region: Option<String>,
    /// An endpoint instead of AWS's.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// The named profile.
    #[serde(default)]
    pub profile: Option<String>,
    /// The recovery window of `delete`, in days.
    #[serde(default)]
    pub recovery_days: Option<i64>,
    /// A fixed access key id.
    #[serde(default)]
    pub access_key_id: Option<String>,
    /// Its secret access key.
    #[serde(default)]
    pub secret_access_key: Option<SecretValue>,
    /// A session token for temporary credentials.
    #[serde(default)]
    pub session_token: Option<SecretValue>,
}

impl AwsOptions {
    /// The configuration these options stand for.
    pub fn config(self) -> Result<AwsConfig> {
        if let Some(days) = self.recovery_days
            && !(7..=30).contains(&days)
        {
            return Err(Error::config("recovery_days must be a number from 7 to 30"));
        }
        let static_credentials = match (self.access_key_id, self.secret_access_key) {
            (Some(id), Some(secret)) => Some((id, secret, self.session_token)),
            (None, None) if self.session_token.is_none() => None,
            _ => {
                return Err(Error::config(
                    "fixed AWS credentials need both access_key_id and secret_access_key",
                ));
            }
        };
        Ok(AwsConfig {
            region: self.region.filter(|r| !r.is_empty()),
            profile: self.profile,
            endpoint_url: self.endpoint.filter(|e| !e.is_empty()),
            static_credentials,
            recovery_window_days: self.recovery_days,
        })
    }
}

impl BackendOptions for AwsOptions {
    const SCHEME: &'static str = SCHEME;
    const CREDENTIALS: &'static [&'static str] =
        &["access_key_id", "secret_access_key", "session_token"];

    fn location(location: &Location) -> Result<Options> {
        location.refuse_path(SCHEME, "aws-sm://us-east-1")?;
        if location.port.is_some() {
            return Err(Error::config(
                "an aws-sm:// URI names a region, not a port (use endpoint=... for another endpoint)",
            ));
        }
        Ok(match &location.host {
            Some(region) => Options::new().with("region", region.as_str()),
            None => Options::new(),
        })
    }

    async fn open(self) -> Result<Backend> {
        crate::open(&self.config()?).await
    }
}

#[cfg(test)]
mod tests {
    use ironsecrets_core::{ErrorKind, StoreUri};

    use super::*;

    fn parse(uri: &str) -> Result<AwsConfig> {
        let uri = StoreUri::parse(uri)?;
        uri.backend_options::<AwsOptions>()?.config()
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
            "aws-sm://us-east-1/path",
        ] {
            let err = parse(uri).unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Config, "{uri}");
            assert!(!err.to_string().contains("secret@"), "{err}");
        }
    }

    #[test]
    fn fixed_credentials_come_as_options_in_pairs() {
        let config = Options::new()
            .with("region", "us-east-1")
            .with("access_key_id", "AKIDEXAMPLE")
            .with("secret_access_key", "canary-secret")
            .parse::<AwsOptions>()
            .unwrap()
            .config()
            .unwrap();
        assert!(config.static_credentials.is_some());
        assert!(!format!("{config:?}").contains("canary"));
        let err = Options::new()
            .with("access_key_id", "AKIDEXAMPLE")
            .parse::<AwsOptions>()
            .unwrap()
            .config()
            .unwrap_err();
        assert!(err.message().contains("both"), "{err}");
    }
}
