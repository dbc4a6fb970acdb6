//! Configuration from the environment and from `gcp-sm://` URIs.

use ironsecrets_core::{Error, Result, StoreUri};

/// The environment variable naming the default project.
pub const PROJECT_ENV: &str = "GOOGLE_CLOUD_PROJECT";

/// The query parameters a `gcp-sm://` URI may carry.
const URI_PARAMS: &[&str] = &["endpoint", "credentials"];

/// How the client authenticates.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum GcpCredentials {
    /// Application Default Credentials (`GOOGLE_APPLICATION_CREDENTIALS`, gcloud's
    /// user credentials, or the metadata server).
    #[default]
    ApplicationDefault,
    /// No credentials at all, for emulators.
    Anonymous,
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
        Self::from_uri_and_vars(&StoreUri::parse("gcp-sm://")?, |n| std::env::var(n).ok())
    }

    /// The config a `gcp-sm://project?endpoint=http://127.0.0.1:8080&credentials=anonymous`
    /// URI names. Without a project in the URI, `GOOGLE_CLOUD_PROJECT` is used;
    /// `credentials` is `adc` (default) or `anonymous`.
    pub fn from_uri(uri: &StoreUri) -> Result<Self> {
        Self::from_uri_and_vars(uri, |name| std::env::var(name).ok())
    }

    /// [`GcpConfig::from_uri`] reading the environment through `var`.
    pub fn from_uri_and_vars(uri: &StoreUri, var: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let url = uri.url();
        if let Some((name, _)) = url
            .query_pairs()
            .find(|(name, _)| !URI_PARAMS.contains(&name.as_ref()))
        {
            return Err(Error::config(format!(
                "unknown gcp-sm:// URI parameter {name:?}; known: {}",
                URI_PARAMS.join(", ")
            )));
        }
        if !url.username().is_empty() || url.password().is_some() || url.port().is_some() {
            return Err(Error::config(
                "a gcp-sm:// URI names only a project (gcp-sm://my-project); credentials come \
                 from Application Default Credentials",
            ));
        }
        if !matches!(url.path(), "" | "/") {
            return Err(Error::config(format!(
                "a gcp-sm:// URI has no path; got {:?} (use gcp-sm://my-project)",
                url.path()
            )));
        }
        let project = match url.host_str().filter(|h| !h.is_empty()) {
            Some(host) => host.to_owned(),
            None => var(PROJECT_ENV).filter(|p| !p.is_empty()).ok_or_else(|| {
                Error::config(format!(
                    "no GCP project: name it in the URI (gcp-sm://my-project) or set {PROJECT_ENV}"
                ))
            })?,
        };
        let mut config = GcpConfig::new(project)?;
        config.endpoint = uri.query("endpoint").filter(|e| !e.is_empty());
        if let Some(endpoint) = &config.endpoint
            && !(endpoint.starts_with("http://") || endpoint.starts_with("https://"))
        {
            return Err(Error::config(format!(
                "the endpoint {endpoint:?} must start with http:// or https://"
            )));
        }
        config.credentials = match uri.query("credentials").as_deref() {
            None | Some("adc") => GcpCredentials::ApplicationDefault,
            Some("anonymous") => GcpCredentials::Anonymous,
            Some(other) => {
                return Err(Error::config(format!(
                    "credentials={other:?} is not known; use adc or anonymous"
                )));
            }
        };
        Ok(config)
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
    use ironsecrets_core::ErrorKind;

    use super::*;

    fn parse(uri: &str, project_env: Option<&str>) -> Result<GcpConfig> {
        let env = project_env.map(str::to_owned);
        GcpConfig::from_uri_and_vars(&StoreUri::parse(uri)?, |name| {
            (name == PROJECT_ENV).then(|| env.clone()).flatten()
        })
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
        assert!(config_error("gcp-sm://p?region=x").contains("unknown gcp-sm:// URI parameter"));
        assert!(config_error("gcp-sm://user:pw@p").contains("names only a project"));
        assert!(config_error("gcp-sm://p/secrets").contains("has no path"));
        assert!(config_error("gcp-sm://p?endpoint=127.0.0.1:1").contains("http://"));
        assert!(config_error("gcp-sm://p?credentials=key").contains("adc or anonymous"));
        assert!(config_error("gcp-sm://My_Project").contains("not a GCP project id"));
    }
}
