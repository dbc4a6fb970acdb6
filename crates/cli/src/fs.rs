//! Files the CLI creates (a new store, an export bundle): readable by their owner only.

use std::fs::{File, OpenOptions};
use std::io;
use std::path::Path;

/// Creates `path` with owner-only permissions (0600 on Unix). Without `overwrite` an
/// existing file is an `AlreadyExists` error and is left untouched.
pub fn create_private(path: &Path, overwrite: bool) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true);
    if overwrite {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
        let file = options.mode(0o600).open(path)?;
        // An overwritten file keeps its old mode unless we set it.
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        Ok(file)
    }
    #[cfg(not(unix))]
    options.open(path)
}
