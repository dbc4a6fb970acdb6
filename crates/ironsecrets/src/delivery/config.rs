//! `ironsecrets.toml`: the stores references name, and the templates to render.
//!
//! ```toml
//! default_store = "app"              # what isec:///path reads (else IRONSECRETS_STORE)
//!
//! [stores]
//! app = "local:///var/lib/app/secrets.db"
//! vault = "vault://127.0.0.1:8200?mount=secret"
//!
//! [[template]]
//! source = "config.yaml.tmpl"       # relative paths are relative to this file
//! destination = "config.yaml"
//! perms = "0640"                    # default 0600
//! backup = true                     # keep the previous file as config.yaml.bak
//! command = ["systemctl", "reload", "app"]   # the agent runs it when the file changes
//! command_timeout = "30s"
//! ```
//!
//! The agent also reads `[auth.<store>]` ([`AuthSpec`]), `[agent]` ([`AgentSpec`]) and
//! `[exec]` ([`ExecSpec`]).
//!
//! Store URIs carry addresses and options only: credentials come from each backend's own
//! environment (VAULT_TOKEN, AWS_*, IRONSECRETS_MASTER_KEY, ...).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

use ironsecrets_core::{Error, Result};
use serde::Deserialize;

#[cfg(feature = "vault")]
use super::AuthSpec;
use super::agent_spec::{duration, thirty_seconds};
use super::{AgentSpec, ExecSpec};

/// The environment variable naming the config file.
pub const CONFIG_ENV: &str = "IRONSECRETS_CONFIG";
/// The config file looked for in the working directory.
pub const CONFIG_FILE: &str = "ironsecrets.toml";

/// The parsed config file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The store name `isec:///path` reads; the default store URI when absent.
    pub default_store: Option<String>,
    /// Store names to store URIs.
    #[serde(default)]
    pub stores: BTreeMap<String, String>,
    /// Templates `render` writes.
    #[serde(default, rename = "template")]
    pub templates: Vec<TemplateSpec>,
    /// Auto-auth per store name (the agent logs in with it).
    #[cfg(feature = "vault")]
    #[serde(default)]
    pub auth: BTreeMap<String, AuthSpec>,
    /// The agent's polling.
    #[serde(default)]
    pub agent: AgentSpec,
    /// The process the agent supervises.
    #[serde(default)]
    pub exec: Option<ExecSpec>,
    /// The directory relative paths start from (the config file's).
    #[serde(skip)]
    pub base_dir: PathBuf,
}

/// One `[[template]]`: a source rendered to a destination.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TemplateSpec {
    /// The template file.
    pub source: PathBuf,
    /// The file written.
    pub destination: PathBuf,
    /// Octal file mode of the destination (default `0600`).
    #[serde(default)]
    pub perms: Option<String>,
    /// Keep the previous destination as `<destination>.bak`.
    #[serde(default)]
    pub backup: bool,
    /// The template language (default: consul-template for a `.ctmpl` source, else
    /// jinja).
    #[serde(default)]
    pub engine: Option<Engine>,
    /// For a consul-template template: the Vault / OpenBao store its paths are read from
    /// (default: the default store).
    #[serde(default)]
    pub store: Option<String>,
    /// For a consul-template template: a missing map key is an error instead of
    /// printing `<no value>`.
    #[serde(default)]
    pub error_on_missing_key: bool,
    /// A command the agent runs each time it writes a changed file.
    #[serde(default)]
    pub command: Option<Vec<String>>,
    /// How long `command` may run before it is killed (default 30 s).
    #[serde(default = "thirty_seconds", deserialize_with = "duration")]
    pub command_timeout: Duration,
}

impl TemplateSpec {
    /// The template's language: `engine`, else by the source's extension.
    pub fn engine(&self) -> Engine {
        self.engine.unwrap_or_else(|| {
            if self.source.extension().is_some_and(|e| e == "ctmpl") {
                Engine::ConsulTemplate
            } else {
                Engine::Jinja
            }
        })
    }

    /// The destination's mode: `perms` parsed as octal, 0600 when not given.
    pub fn mode(&self) -> Result<u32> {
        match &self.perms {
            None => Ok(0o600),
            Some(text) => u32::from_str_radix(text.trim_start_matches("0o"), 8)
                .ok()
                .filter(|mode| *mode <= 0o7777)
                .ok_or_else(|| {
                    Error::config(format!(
                        "template {}: perms '{text}' is not an octal mode like \"0640\"",
                        self.destination.display()
                    ))
                }),
        }
    }

    /// A template rendered from `source` to `destination` with the defaults.
    pub fn new(source: impl Into<PathBuf>, destination: impl Into<PathBuf>) -> Self {
        TemplateSpec {
            source: source.into(),
            destination: destination.into(),
            perms: None,
            backup: false,
            engine: None,
            store: None,
            error_on_missing_key: false,
            command: None,
            command_timeout: thirty_seconds(),
        }
    }
}

/// A template language.
#[derive(Clone, Copy, Debug, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "kebab-case")]
pub enum Engine {
    /// minijinja, strict: `{{ secret("isec://…") }}`.
    Jinja,
    /// The consul-template subset Vault Agent's `.ctmpl` files use:
    /// `{{ with secret "secret/data/app" }}{{ .Data.data.password }}{{ end }}`.
    ConsulTemplate,
}

impl Config {
    /// Parses config text; `origin` names it in errors and gives the base directory.
    pub fn parse(text: &str, origin: &Path) -> Result<Config> {
        let mut config: Config = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|span| format!("line {}: ", 1 + text[..span.start].matches('\n').count()))
                .unwrap_or_default();
            Error::config(format!(
                "{}: {line}{}",
                origin.display(),
                e.message().trim_end()
            ))
        })?;
        if let Some(name) = &config.default_store
            && !config.stores.contains_key(name)
        {
            return Err(Error::config(format!(
                "{}: default_store '{name}' is not in [stores]",
                origin.display()
            )));
        }
        config.base_dir = origin.parent().map(Path::to_path_buf).unwrap_or_default();
        for template in &mut config.templates {
            template.source = config.base_dir.join(&template.source);
            template.destination = config.base_dir.join(&template.destination);
        }
        #[cfg(feature = "vault")]
        {
            if let Some(name) = config.auth.keys().find(|n| !config.stores.contains_key(*n)) {
                return Err(Error::config(format!(
                    "{}: [auth.{name}] names no store in [stores]",
                    origin.display()
                )));
            }
            let base = config.base_dir.clone();
            config.auth = std::mem::take(&mut config.auth)
                .into_iter()
                .map(|(name, spec)| (name, spec.relative_to(&base)))
                .collect();
        }
        if let Some(exec) = &config.exec
            && exec.command.is_empty()
        {
            return Err(Error::config(format!(
                "{}: [exec] command is empty",
                origin.display()
            )));
        }
        Ok(config)
    }

    /// Reads the config file at `path`.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::config(format!("cannot read {}: {e}", path.display())))?;
        Config::parse(&text, path)
    }

    /// The config file `path` names, else `$IRONSECRETS_CONFIG`, else `./ironsecrets.toml`
    /// if there is one, else an empty config (only the default store).
    pub fn discover(path: Option<&Path>) -> Result<Config> {
        if let Some(path) = path {
            return Config::load(path);
        }
        if let Some(path) = std::env::var_os(CONFIG_ENV).filter(|p| !p.is_empty()) {
            return Config::load(Path::new(&path));
        }
        let local = Path::new(CONFIG_FILE);
        if local.is_file() {
            return Config::load(local);
        }
        Ok(Config::default())
    }

    /// The URI of the store a reference names (`None`: the default store), or a Config
    /// error listing the names there are.
    pub fn store_uri(&self, name: Option<&str>) -> Result<Option<&str>> {
        let Some(name) = name.or(self.default_store.as_deref()) else {
            return Ok(None);
        };
        self.stores
            .get(name)
            .map(|uri| Some(uri.as_str()))
            .ok_or_else(|| {
                let known: Vec<&str> = self.stores.keys().map(String::as_str).collect();
                Error::config(format!(
                    "no store named '{name}' in the config file (stores: {})",
                    if known.is_empty() {
                        "none".to_owned()
                    } else {
                        known.join(", ")
                    }
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stores_and_templates_relative_to_the_file() {
        let config = Config::parse(
            "default_store = \"a\"\n[stores]\na = \"local:///x.db\"\n\
             [[template]]\nsource = \"t.tmpl\"\ndestination = \"out/t\"\nperms = \"0640\"\n",
            Path::new("/etc/app/ironsecrets.toml"),
        )
        .unwrap();
        assert_eq!(config.store_uri(None).unwrap(), Some("local:///x.db"));
        assert_eq!(config.templates[0].source, Path::new("/etc/app/t.tmpl"));
        assert_eq!(config.templates[0].mode().unwrap(), 0o640);
        let err = config.store_uri(Some("b")).unwrap_err();
        assert!(
            err.message().contains("no store named 'b'") && err.message().contains("stores: a")
        );
    }

    #[test]
    fn parses_the_agent_tables() {
        let config = Config::parse(
            "[stores]\nvault = \"vault://v\"\n\
             [auth.vault]\nmethod = \"approle\"\nrole_id_file = \"r\"\nsecret_id_file = \"/s\"\n\
             [agent]\npoll_interval = \"30s\"\n[agent.poll]\n\"isec://vault/a\" = \"1m 30s\"\n\
             [[template]]\nsource = \"t\"\ndestination = \"d\"\ncommand = [\"true\"]\n\
             [exec]\ncommand = [\"app\"]\nrestart = \"signal\"\n[exec.env]\nA = \"isec://vault/a\"\n",
            Path::new("/etc/app/ironsecrets.toml"),
        )
        .unwrap();
        let AuthSpec::Approle {
            role_id_file,
            secret_id_file,
            ..
        } = &config.auth["vault"]
        else {
            panic!("approle")
        };
        assert_eq!(role_id_file, Path::new("/etc/app/r"));
        assert_eq!(secret_id_file, Path::new("/s"));
        assert_eq!(config.agent.poll_interval, Duration::from_secs(30));
        assert_eq!(config.agent.poll["isec://vault/a"], Duration::from_secs(90));
        assert_eq!(config.templates[0].command_timeout, Duration::from_secs(30));
        let exec = config.exec.unwrap();
        assert_eq!(exec.restart, crate::delivery::Restart::Signal);
        assert_eq!(
            (exec.stop_signal.as_str(), exec.kill_timeout, exec.debounce),
            ("SIGTERM", Duration::from_secs(30), Duration::from_secs(2))
        );
    }

    #[test]
    fn mistakes_are_config_errors_naming_the_file() {
        for (text, says) in [
            ("stores = 1", "line 1: invalid type"),
            ("[stores]\na = \"x\"\n[extra]\n", "unknown field `extra`"),
            (
                "default_store = \"b\"\n",
                "default_store 'b' is not in [stores]",
            ),
            (
                "[auth.v]\nmethod = \"token_file\"\ntoken_file = \"t\"\n",
                "[auth.v] names no store in [stores]",
            ),
            (
                "[stores]\nv = \"vault://v\"\n[auth.v]\nmethod = \"ldap\"\n",
                "unknown variant `ldap`",
            ),
            ("[exec]\ncommand = []\n", "[exec] command is empty"),
            (
                "[exec]\ncommand = [\"a\"]\nrestart = \"often\"\n",
                "unknown variant",
            ),
            (
                "[agent]\npoll_interval = \"0s\"\n",
                "the duration '0s' is zero",
            ),
        ] {
            let err = Config::parse(text, Path::new("c.toml")).unwrap_err();
            assert_eq!(err.kind(), ironsecrets_core::ErrorKind::Config);
            assert!(
                err.message().starts_with("c.toml: ") && err.message().contains(says),
                "{err}"
            );
        }
        let spec = TemplateSpec {
            perms: Some("rw".into()),
            ..TemplateSpec::new("a", "b")
        };
        assert!(
            spec.mode()
                .unwrap_err()
                .message()
                .contains("not an octal mode")
        );
    }
}
