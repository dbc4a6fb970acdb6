//! Configuration from the environment and from `gcp-sm://` URIs.

use ironsecrets_core::{Backend, BackendOptions, Error, Location, Options, Result};
use serde::Deserialize;

/// The environment variable naming the default project.
pub const PROJECT_ENV: &str = "GOOGLE_CLOUD_PROJECT";

/// How the client authenticates (option `credentials`: `adc` or `anonymous`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
pub enum GcpCredentials {
    /// Application Default Credentials (`GOOGLE_APPLICATION_CREDENTIALS`, gcloud's
    /// user credentials, or the metadata server).
    #[default]
    #[serde(rename = "adc")]
    ApplicationDefault,
    /// No credentials at all, for emulators.
    #[serde(rename = "anonymous")]
    Anonymous,
}

/// Where and how to reach Secret Manager, read from a URI
/// (`gcp-sm://my-project?endpoint=http://127.0.0.1:8080&credentials=anonymous`) or from
/// key/value options.
///
/// | option | meaning |
/// |---|---|
/// | `project` | the project (the URI's host; `GOOGLE_CLOUD_PROJECT` when not given) |
/// | `endpoint` | an endpoint override (`http://` or `https://`), e.g. an emulator |
/// | `credentials` | `adc` (Application Default Credentials, default) or `anonymous` |
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GcpOptions {
    /// The project id or number.
    #[serde(default)]
    pub project: Option<String>,
    /// An endpoint override.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// How to authenticate.
    #[serde(default)]
    pub credentials: Option<GcpCredentials>,
}

impl GcpOptions {
    /// The configuration these options stand for, reading `GOOGLE_CLOUD_PROJECT` through
    /// `var` when no project is given.
    pub fn resolve(self, var: impl Fn(&str) -> Option<String>) -> Result<GcpConfig> {
        let project = match self.project.filter(|p| !p.is_empty()) {
            Some(project) => project,
            None => var(PROJECT_ENV).filter(|p| !p.is_empty()).ok_or_else(|| {
                Error::config(format!(
                    "no GCP project: name it in the URI (gcp-sm://my-project) or set {PROJECT_ENV}"
                ))
            })?,
        };
        let mut config = GcpConfig::new(project)?;
        config.endpoint = self.endpoint.filter(|e| !e.is_empty());
        if let Some(endpoint) = &config.endpoint
            && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
        {
            return Err(Error::config(
                "the endpoint must start with http:// or https://",
            ));
        }
        config.credentials = self.credentials.unwrap_or_default();
        Ok(config)
    }
}

impl BackendOptions for GcpOptions {
    const SCHEME: &'static str = "gcp-sm";
    const CREDENTIALS: &'static [&'static str] = &[];

    fn location(location: &Location) -> Result<Options> {
        location.refuse_path("gcp-sm", "gcp-sm://my-project")?;
        if location.port.is_some() {
            return Err(Error::config(
                "a gcp-sm:// URI names only a project (gcp-sm://my-project); credentials come \
                 from Application Default Credentials",
            ));
        }
        Ok(match &location.host {
            Some(project) => Options::new().with("project", project.as_str()),
            None => Options::new(),
        })
    }

    async fn open(self) -> Result<Backend> {
        crate::open(self.resolve(|name| std::env::var(name).ok())?).await
    }
}

/// Where and how to reach Secret Manager.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GcpConfig {
    /// The project holding the secrets (id or number).
    pub project: String,
    /// An endpoint override such as `http://127.0.0.1:8080` for an emulator; `None` for
    /// Google's.
    pub endpoint: Option<String>,
    /// How to authenticate.
    pub credentials: GcpCredentials,
}

impl GcpConfig {
    /// A config for `project` with Google's endpoint and Application Default Credentials.
    pub fn new(project: impl Into<String>) -> Result<Self> {
        let project = project.into();
        check_project(&project)?;
        Ok(GcpConfig {
            project,
            endpoint: None,
            credentials: GcpCredentials::ApplicationDefault,
        })
    }

    /// The project from `GOOGLE_CLOUD_PROJECT`, Google's endpoint and ADC.
    pub fn from_env() -> Result<Self> {
        GcpOptions::default().resolve(|n| std::env::var(n).ok())
    }

    /// `projects/{project}`, the parent of the project's secrets.
    pub(crate) fn parent(&self) -> String {
        format!("projects/{}", self.project)
    }
}

/// Project ids are lowercase letters, digits and `-`; numbers are digits; legacy
/// domain-scoped ids add `.` and `:`.
fn check_project(project: &str) -> Result<()> {
    let ok = !project.is_empty()
        && project
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.' | ':'));
    if ok {
        Ok(())
    } else {
        Err(Error::config(format!(
            "{project:?} is not a GCP project id (lowercase letters, digits and '-')"
        )))
    }
}

#[cfg(test)]
mod tests {
    use ironsecrets_core::{ErrorKind, StoreUri};

    use super::*;

    fn parse(uri: &str, project_env: Option<&str>) -> Result<GcpConfig> {
        let env = project_env.map(str::to_owned);
        let uri = StoreUri::parse(uri)?;
        uri.backend_options::<GcpOptions>()?
            .resolve(|name| (name == PROJECT_ENV).then(|| env.clone()).flatten())
    }

    fn config_error(uri: &str) -> String {
        let err = parse(uri, None).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config, "{uri}");
        err.message().to_owned()
    }

    #[test]
    fn uri_names_project_endpoint_and_credentials() {
        let config = parse(
            "gcp-sm://my-project?endpoint=http://127.0.0.1:8080&credentials=anonymous",
            Some("other"),
        )
        .unwrap();
        assert_eq!(config.project, "my-project");
        assert_eq!(config.endpoint.as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!(config.credentials, GcpCredentials::Anonymous);
        assert_eq!(config.parent(), "projects/my-project");
    }

    #[test]
    fn project_comes_from_the_environment_when_the_uri_has_none() {
        let config = parse("gcp-sm://", Some("env-project")).unwrap();
        assert_eq!(config, GcpConfig::new("env-project").unwrap());
        assert!(config_error("gcp-sm://").contains(PROJECT_ENV));
    }

    #[test]
    fn bad_uris_say_what_is_wrong() {
        assert!(config_error("gcp-sm://p?region=x").contains("unknown option 'region'"));
        assert!(config_error("gcp-sm://user:pw@p").contains("must not carry credentials"));
        assert!(config_error("gcp-sm://p:1").contains("names only a project"));
        assert!(config_error("gcp-sm://p/secrets").contains("has no path"));
        assert!(config_error("gcp-sm://p?endpoint=127.0.0.1:1").contains("http://"));
        assert!(config_error("gcp-sm://p?credentials=key").contains("adc, anonymous"));
        assert!(config_error("gcp-sm://My_Project").contains("not a GCP project id"));
    }
}
