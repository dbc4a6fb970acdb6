//! `LocalOptions`: the `local://` backend's typed options, read from a URI
//! (`local:///var/lib/app/secrets.db?principal=app`) or from key/value options.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use ironsecrets_core::{Backend, BackendOptions, Error, Location, Options, Result, SecretValue};
use serde::Deserialize;

use crate::options::{PRINCIPAL_ENV, master_key_from_env};
use crate::{KdfParams, LocalStore, OpenOptions};

/// How to open a local store. Options left unset take the defaults of [`OpenOptions`],
/// the master key comes from `IRONSECRETS_MASTER_KEY` and the principal from
/// `IRONSECRETS_PRINCIPAL` when not given.
///
/// | option | meaning |
/// |---|---|
/// | `path` | the store file (the URI's path: `local:///abs.db`, `local://./rel.db`, `local://~/home.db`); `~/` is the home directory |
/// | `master_key` | the key that unlocks the store (a credential: never in a URI) |
/// | `principal` | who the handle acts as (default `admin`) |
/// | `create` | create the store when the file is missing (default `true`) |
/// | `create_new` | create a new store; an existing file is AlreadyExists (default `false`) |
/// | `max_versions` | versions kept per secret in a new store (default 10) |
/// | `client` | the client label in audit rows (default `pid:<process id>`) |
/// | `busy_timeout` | seconds to wait for another writer (default 5) |
/// | `kdf_memory_kib`, `kdf_iterations`, `kdf_parallelism` | Argon2id cost of a new store (default 65536, 3, 4) |
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalOptions {
    /// The store file.
    pub path: PathBuf,
    /// The master key; `IRONSECRETS_MASTER_KEY` when `None`.
    #[serde(default)]
    pub master_key: Option<SecretValue>,
    /// The principal; `IRONSECRETS_PRINCIPAL`, else `admin`, when `None`.
    #[serde(default)]
    pub principal: Option<String>,
    /// Create the store when the file is missing.
    #[serde(default)]
    pub create: Option<bool>,
    /// Create a new store; an existing file is AlreadyExists.
    #[serde(default)]
    pub create_new: Option<bool>,
    /// Versions kept per secret in a new store.
    #[serde(default)]
    pub max_versions: Option<u32>,
    /// The client label in audit rows.
    #[serde(default)]
    pub client: Option<String>,
    /// How long to wait for another writer's lock.
    #[serde(default, deserialize_with = "ironsecrets_core::options::seconds")]
    pub busy_timeout: Option<Duration>,
    /// Argon2id memory of a new store, in KiB.
    #[serde(default)]
    pub kdf_memory_kib: Option<u32>,
    /// Argon2id passes of a new store.
    #[serde(default)]
    pub kdf_iterations: Option<u32>,
    /// Argon2id lanes of a new store.
    #[serde(default)]
    pub kdf_parallelism: Option<u32>,
}

impl LocalOptions {
    /// Options for the store at `path`, defaults otherwise.
    pub fn new(path: impl Into<PathBuf>) -> Self {
        LocalOptions {
            path: path.into(),
            ..LocalOptions::default()
        }
    }

    /// The store file, with a leading `~/` expanded to the home directory.
    pub fn file(&self) -> Result<PathBuf> {
        expand_home(&self.path)
    }

    /// The master key and the open options these options stand for, defaults and
    /// environment filled in.
    pub fn resolve(self) -> Result<(PathBuf, SecretValue, OpenOptions)> {
        let file = self.file()?;
        let master = match self.master_key {
            Some(key) => key,
            None => master_key_from_env()?,
        };
        let defaults = OpenOptions::default();
        let kdf = KdfParams {
            memory_kib: self.kdf_memory_kib.unwrap_or(defaults.kdf.memory_kib),
            iterations: self.kdf_iterations.unwrap_or(defaults.kdf.iterations),
            parallelism: self.kdf_parallelism.unwrap_or(defaults.kdf.parallelism),
        };
        let principal = match self.principal {
            Some(principal) => principal,
            None => std::env::var(PRINCIPAL_ENV).unwrap_or(defaults.principal.clone()),
        };
        let options = OpenOptions {
            principal,
            create: self.create.unwrap_or(defaults.create),
            create_new: self.create_new.unwrap_or(defaults.create_new),
            kdf,
            max_versions: self.max_versions.unwrap_or(defaults.max_versions),
            client: self.client.or(defaults.client),
            busy_timeout: self.busy_timeout.unwrap_or(defaults.busy_timeout),
        };
        Ok((file, master, options))
    }
}

/// The file a `local:` URI's location names: `local:///abs/path.db` is `/abs/path.db`,
/// `local://./relative.db` is `./relative.db`, `local://~/in/home.db` is in the home
/// directory.
pub fn store_file(location: &Location) -> Result<PathBuf> {
    let path = match location.host.as_deref() {
        None => location.path.clone(),
        Some(host) => format!("{host}{}", location.path),
    };
    if path.is_empty() || path.ends_with('/') {
        return Err(Error::config(
            "a local store URI needs a file, e.g. local:///var/lib/app/secrets.db",
        ));
    }
    expand_home(Path::new(&path))
}

fn expand_home(path: &Path) -> Result<PathBuf> {
    match path.strip_prefix("~") {
        Ok(rest) => {
            let home = std::env::var_os("HOME")
                .filter(|h| !h.is_empty())
                .ok_or_else(|| {
                    Error::config("the store path starts with ~/ but HOME is not set")
                })?;
            Ok(PathBuf::from(home).join(rest))
        }
        Err(_) => Ok(path.to_owned()),
    }
}

impl BackendOptions for LocalOptions {
    const SCHEME: &'static str = "local";
    const CREDENTIALS: &'static [&'static str] = &["master_key"];

    fn location(location: &Location) -> Result<Options> {
        if location.port.is_some() {
            return Err(Error::config(
                "a local store URI names a file, not a port (local:///var/lib/app/secrets.db)",
            ));
        }
        Ok(Options::new().with("path", store_file(location)?.as_path()))
    }

    async fn open(self) -> Result<Backend> {
        let (file, master, options) = self.resolve().map_err(|e| {
            e.with_backend("local")
                .with_operation(ironsecrets_core::Operation::Open)
        })?;
        let store = Arc::new(LocalStore::open(file, &master, options).await?);
        Ok(Backend::new(store.clone()).with_transit(store))
    }
}

#[cfg(test)]
mod tests {
    use ironsecrets_core::{ErrorKind, StoreUri};

    use super::*;

    fn file(uri: &str) -> Result<PathBuf> {
        store_file(StoreUri::parse(uri)?.location())
    }

    #[test]
    fn absolute_relative_home_and_encoded_paths() {
        assert_eq!(
            file("local:///var/lib/s.db").unwrap(),
            PathBuf::from("/var/lib/s.db")
        );
        assert_eq!(file("local://./s.db").unwrap(), PathBuf::from("./s.db"));
        assert_eq!(
            file("local:///tmp/a%20b%zz.db").unwrap(),
            PathBuf::from("/tmp/a b%zz.db")
        );
        let home = std::env::var("HOME").unwrap();
        assert_eq!(
            file("local://~/s.db").unwrap(),
            PathBuf::from(home).join("s.db")
        );
    }

    #[test]
    fn a_uri_without_a_file_is_a_config_error() {
        let err = file("local:///tmp/").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
    }

    #[test]
    fn options_read_every_field_and_refuse_unknown_ones() {
        let options: LocalOptions = Options::new()
            .with("path", "/tmp/x.db")
            .with("master_key", "canary-master")
            .with("principal", "agent-1")
            .with("create", "false")
            .with("max_versions", "3")
            .with("busy_timeout", "2")
            .with("kdf_memory_kib", 64u32)
            .parse()
            .unwrap();
        let (path, master, open) = options.resolve().unwrap();
        assert_eq!(path, PathBuf::from("/tmp/x.db"));
        assert_eq!(master, SecretValue::from("canary-master"));
        assert_eq!(open.principal, "agent-1");
        assert!(!open.create);
        assert_eq!(open.max_versions, 3);
        assert_eq!(open.busy_timeout, Duration::from_secs(2));
        assert_eq!(open.kdf.memory_kib, 64);
        assert_eq!(open.kdf.iterations, KdfParams::default().iterations);
        let err = Options::new()
            .with("path", "/tmp/x.db")
            .with("master", "x")
            .parse::<LocalOptions>()
            .unwrap_err();
        assert!(err.message().contains("unknown option 'master'"), "{err}");
        assert!(!format!("{:?}", Options::new().with("master_key", "canary")).contains("canary"));
    }
}
