//! `local://` URIs for the registry.

use std::path::PathBuf;
use std::sync::Arc;

use ironsecrets_core::{Backend, BackendFuture, Error, Result, StoreUri};

use crate::LocalStore;

/// The file a `local:` URI names: `local:///abs/path.db`, `local://./relative.db` or
/// `local://~/in/home.db`, percent-decoded.
pub fn store_file(uri: &StoreUri) -> Result<PathBuf> {
    let url = uri.url();
    let host = url.host_str().unwrap_or("");
    let path = percent_decode(url.path())?;
    let file = match host {
        "" => path,
        "." => format!(".{path}"),
        "~" => format!("{}{path}", std::env::var("HOME").unwrap_or_default()),
        other => format!("{other}{path}"),
    };
    if file.is_empty() || file.ends_with('/') {
        return Err(Error::config(
            "a local store URI needs a file, e.g. local:///var/lib/app/secrets.db",
        ));
    }
    Ok(PathBuf::from(file))
}

fn percent_decode(text: &str) -> Result<String> {
    percent_encoding::percent_decode_str(text)
        .decode_utf8()
        .map(|s| s.into_owned())
        .map_err(|_| Error::config("the local store path is not valid UTF-8"))
}

/// Opens a `local:` URI with the master key and principal from the environment.
pub fn open_uri(uri: StoreUri) -> BackendFuture {
    Box::pin(async move {
        let store = Arc::new(LocalStore::open_from_env(store_file(&uri)?).await?);
        Ok(Backend::new(store.clone()).with_transit(store))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(uri: &str) -> Result<PathBuf> {
        store_file(&StoreUri::parse(uri).unwrap())
    }

    #[test]
    fn absolute_relative_and_encoded_paths() {
        assert_eq!(
            file("local:///var/lib/s.db").unwrap(),
            PathBuf::from("/var/lib/s.db")
        );
        assert_eq!(file("local://./s.db").unwrap(), PathBuf::from("./s.db"));
        assert_eq!(
            file("local:///tmp/a%20b.db").unwrap(),
            PathBuf::from("/tmp/a b.db")
        );
    }

    #[test]
    fn a_uri_without_a_file_is_a_config_error() {
        let err = file("local:///tmp/").unwrap_err();
        assert_eq!(err.kind(), ironsecrets_core::ErrorKind::Config);
    }
}
