//! `init`: create a local store.

use ironsecrets::local::{LocalOptions, store_file};
use ironsecrets::{BackendOptions, Error, Operation, StoreUri};

use crate::client::Target;
use crate::error::{CliError, CliResult, io_error};
use crate::output;

/// Creates the local store the target names (owner-readable only, by the store itself)
/// and prints its path. An existing file is AlreadyExists and is left as it is.
pub async fn run(target: &Target) -> CliResult {
    let uri = StoreUri::parse(&target.uri()?)?;
    if uri.scheme() != LocalOptions::SCHEME {
        return Err(
            CliError::from(Error::unsupported(uri.scheme(), Operation::Init)).hint(
                "init creates local:// stores; other backends' stores are set up with the \
             provider's own tools",
            ),
        );
    }
    let file = store_file(uri.location())?;
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| io_error(e, &format!("cannot create {}", parent.display())))?;
    }
    target.create().await.map_err(|err| {
        let already = err.kind() == ironsecrets::ErrorKind::AlreadyExists;
        let err = CliError::from(err);
        if already {
            err.hint("use it as it is, or name another file with --store local:///path/to/new.db")
        } else {
            err
        }
    })?;
    let shown = std::fs::canonicalize(&file).unwrap_or(file);
    output::line(shown.display().to_string())
}
