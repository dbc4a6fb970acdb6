//! `export` and `import`: a whole store as one passphrase-protected bundle, through the
//! generic `SecretStore` trait, so they work with any backend on either side.

use std::io::Write;

use ironsecrets::{Client, Error, ErrorKind, Result, SecretValue};
use ironsecrets_local::{KdfParams, bundle};

use crate::error::{CliError, CliResult, io_error};
use crate::{ExportArgs, ImportArgs, fs, output};

/// The environment variable holding the bundle passphrase.
pub const PASSPHRASE_ENV: &str = "IRONSECRETS_BUNDLE_PASSPHRASE";

fn passphrase() -> CliResult<SecretValue> {
    match std::env::var_os(PASSPHRASE_ENV) {
        Some(value) if !value.is_empty() => Ok(SecretValue::new(value.into_encoded_bytes())),
        _ => Err(CliError::from(Error::config(format!(
            "{PASSPHRASE_ENV} is not set; export and import take the bundle passphrase from it"
        )))
        .hint(format!(
            "export {PASSPHRASE_ENV}=... (the same passphrase is needed to import the bundle)"
        ))),
    }
}

/// Writes every readable secret version to `--out`, encrypted under the passphrase.
pub async fn export(client: &Client, args: ExportArgs) -> CliResult {
    let passphrase = passphrase()?;
    if !args.force && args.out.exists() {
        return Err(exists(&args).into());
    }
    let sealed = bundle::export(
        client.backend().store().as_ref(),
        &passphrase,
        KdfParams::default(),
    )
    .await?;
    let write = |sealed: &[u8]| -> std::io::Result<()> {
        let mut file = fs::create_private(&args.out, args.force)?;
        file.write_all(sealed)?;
        file.sync_all()
    };
    write(&sealed).map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => exists(&args),
        _ => io_error(e, &format!("cannot write {}", args.out.display())),
    })?;
    output::line(format!(
        "exported the store to {} ({} bytes)",
        args.out.display(),
        sealed.len()
    ))
}

fn exists(args: &ExportArgs) -> Error {
    Error::new(
        ErrorKind::AlreadyExists,
        format!(
            "{} exists already; pass --force to overwrite it",
            args.out.display()
        ),
    )
}

/// Writes a bundle's secrets into the store; nothing is written if any path exists.
pub async fn import(client: &Client, args: ImportArgs) -> CliResult {
    let passphrase = passphrase()?;
    let sealed = read(&args)?;
    let summary = bundle::import(client.backend().store().as_ref(), &sealed, &passphrase).await?;
    output::line(format!(
        "imported {} secrets ({} versions) from {}",
        summary.secrets,
        summary.versions,
        args.file.display()
    ))
}

fn read(args: &ImportArgs) -> Result<Vec<u8>> {
    std::fs::read(&args.file)
        .map_err(|e| io_error(e, &format!("cannot read {}", args.file.display())))
}
