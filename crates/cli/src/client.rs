//! Opening the store the command line names (`--store`, `IRONSECRETS_STORE`, or the
//! default local store): the one helper every command uses.

use ironsecrets::local::{LocalOptions, LocalStore};
use ironsecrets::{BackendOptions, Client, Error, Options, Result, StoreUri, default_store_uri};

/// The store a command runs against, resolved lazily so commands that need no store
/// (`completions`) never touch the file system.
pub struct Target {
    uri: Option<String>,
}

impl Target {
    /// The store named by `--store` / `IRONSECRETS_STORE`, or the default one.
    pub fn new(uri: Option<String>) -> Self {
        Target {
            uri: uri.filter(|uri| !uri.is_empty()),
        }
    }

    /// The store URI given on the command line or in `IRONSECRETS_STORE`, if any.
    pub fn given(&self) -> Option<String> {
        self.uri.clone()
    }

    /// The store URI.
    pub fn uri(&self) -> Result<String> {
        match &self.uri {
            Some(uri) => Ok(uri.clone()),
            None => default_store_uri(),
        }
    }

    /// Opens an existing store. A local store that does not exist yet is refused by the
    /// store itself (`create=false`: a Config error pointing at `ironsecrets init`),
    /// rather than a new empty store made by accident.
    pub async fn open(&self) -> Result<Client> {
        Client::open_existing(&self.uri()?).await
    }

    /// Creates a new local store; an existing file is AlreadyExists.
    pub async fn create(&self) -> Result<Client> {
        let uri = self.uri()?;
        let options = if is_local(&uri)? {
            Options::new().with("create_new", true)
        } else {
            Options::new()
        };
        Client::from_uri_with(&uri, options).await
    }
}

fn is_local(uri: &str) -> Result<bool> {
    Ok(StoreUri::parse(uri)?.scheme() == LocalOptions::SCHEME)
}

/// The local store behind `client`, for the commands only the local backend has
/// (audit, roles); any other backend is Unsupported, naming the command.
pub fn local(client: &Client, command: &'static str) -> Result<LocalStore> {
    client
        .local()
        .map_err(|_| Error::unsupported_feature(client.name(), command))
}
