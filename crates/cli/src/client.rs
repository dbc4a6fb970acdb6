//! Opening the store the command line names (`--store`, `IRONSECRETS_STORE`, or the
//! default local store): the one helper every command uses.

use std::path::PathBuf;

use ironsecrets::{Client, Error, Result, StoreUri, default_store_uri};
use ironsecrets_local::LocalStore;

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

    /// The store URI.
    pub fn uri(&self) -> Result<String> {
        match &self.uri {
            Some(uri) => Ok(uri.clone()),
            None => default_store_uri(),
        }
    }

    /// Opens an existing store. A local store that does not exist yet is a Config error
    /// pointing at `ironsecrets init`, rather than a new empty store made by accident.
    pub async fn open(&self) -> Result<Client> {
        let uri = self.uri()?;
        if let Some(file) = local_file(&uri)?
            && !file.exists()
        {
            return Err(Error::config(format!(
                "no store at {}; run `ironsecrets init` first",
                file.display()
            ))
            .with_backend("local")
            .with_operation("open"));
        }
        Client::from_uri(&uri).await
    }
}

/// The file a `local:` URI names, or `None` for other schemes.
pub fn local_file(uri: &str) -> Result<Option<PathBuf>> {
    let parsed = StoreUri::parse(uri)?;
    if parsed.scheme() != "local" {
        return Ok(None);
    }
    ironsecrets_local::store_file(&parsed).map(Some)
}

/// The local store behind `client`, for the commands only the local backend has
/// (audit, roles); any other backend is Unsupported, naming the command.
pub fn local<'a>(client: &'a Client, command: &'static str) -> Result<&'a LocalStore> {
    client
        .backend()
        .native::<LocalStore>()
        .ok_or_else(|| Error::unsupported(client.backend().name(), command))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(uri: &str) -> Option<PathBuf> {
        local_file(uri).unwrap()
    }

    #[test]
    fn local_uris_name_files() {
        assert_eq!(
            file("local:///var/lib/s.db"),
            Some(PathBuf::from("/var/lib/s.db"))
        );
        assert_eq!(file("local://./s.db"), Some(PathBuf::from("./s.db")));
        assert_eq!(
            file("local:///tmp/a%20b%zz.db"),
            Some(PathBuf::from("/tmp/a b%zz.db"))
        );
        assert_eq!(file("vault://127.0.0.1:8200"), None);
        assert!(local_file("local:///tmp/").is_err());
    }
}
