//! `init`: create a local store.

use std::path::Path;

use ironsecrets::{Client, Error, ErrorKind, StoreUri};

use crate::client::{self, Target};
use crate::error::{CliError, CliResult, io_error};
use crate::{fs, output};

/// Creates the local store the target names, owner-readable only, and prints its path.
/// An existing file is AlreadyExists and is left as it is.
pub async fn run(target: &Target) -> CliResult {
    let uri = target.uri()?;
    let Some(file) = client::local_file(&uri)? else {
        let scheme = StoreUri::parse(&uri)?.scheme().to_owned();
        return Err(CliError::from(Error::unsupported(&scheme, "init")).hint(
            "init creates local:// stores; other backends' stores are set up with the \
             provider's own tools",
        ));
    };
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)
            .map_err(|e| io_error(e, &format!("cannot create {}", parent.display())))?;
    }
    // Creating the file ourselves makes "exists already" atomic and sets its mode;
    // SQLite gives its -wal and -shm files the same mode.
    match fs::create_private(&file, false) {
        Ok(_) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            return Err(CliError::from(
                Error::new(
                    ErrorKind::AlreadyExists,
                    format!(
                        "a store already exists at {}; nothing was changed",
                        file.display()
                    ),
                )
                .with_backend("local")
                .with_operation("init"),
            )
            .hint("use it as it is, or name another file with --store local:///path/to/new.db"));
        }
        Err(e) => return Err(io_error(e, &format!("cannot create {}", file.display())).into()),
    }
    if let Err(err) = Client::from_uri(&uri).await {
        remove_store_files(&file);
        return Err(err.into());
    }
    let shown = std::fs::canonicalize(&file).unwrap_or(file);
    output::line(shown.display().to_string())
}

/// Removes what a failed init left behind (the files are ours: we created them).
fn remove_store_files(file: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = file.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(name);
    }
}
