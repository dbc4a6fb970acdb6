//! Files the CLI writes: new stores and bundles readable by their owner only, rendered
//! templates replaced atomically.

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

/// Replaces `path` with `bytes` atomically: a temporary file beside it, `mode`, fsync,
/// rename, fsync of the directory. A reader sees the old file or the new one, never a
/// part. With `backup` the old file is kept as `<path>.bak`. Returns `false` (and writes
/// nothing) when the file holds these bytes already.
pub fn write_atomic(path: &Path, bytes: &[u8], mode: u32, backup: bool) -> io::Result<bool> {
    use std::io::Write;
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(false);
    }
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".ironsecrets-")
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(mode))
        .tempfile_in(dir)?;
    // Exactly `mode`, whatever the umask.
    temp.as_file()
        .set_permissions(std::os::unix::fs::PermissionsExt::from_mode(mode))?;
    temp.write_all(bytes)?;
    temp.as_file().sync_all()?;
    if backup && path.exists() {
        let mut name = path.as_os_str().to_owned();
        name.push(".bak");
        std::fs::copy(path, &name)?;
    }
    temp.persist(path).map_err(|e| e.error)?;
    File::open(dir)?.sync_all()?;
    Ok(true)
}
