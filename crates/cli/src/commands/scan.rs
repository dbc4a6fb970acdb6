//! `ironsecrets scan`: where the store's secret values (or their base64 / URL-encoded
//! forms) appear in files or stdin. It prints file, line, secret path and encoding,
//! never the value, and exits 21 (SecretsFound) when there is any.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::Args;
use ironsecrets::{Client, SecretMap};

use crate::error::{CliError, CliResult, io_error};
use crate::exit_code::SECRETS_FOUND;
use crate::mask::Patterns;

/// `scan` arguments.
#[derive(Args)]
#[command(after_long_help = "\
Reads the newest version of every secret under --prefix (each field of a key/value \
secret too) and looks for it in the files under PATH (default: the working directory; \
`-` reads stdin). Directories named .git are skipped and symbolic links not followed. \
Values shorter than 4 bytes are not looked for. A pre-commit hook:

  git diff --cached --name-only -z | xargs -0 ironsecrets scan")]
pub struct ScanArgs {
    /// Files or directories to scan (`-` for stdin)
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Only secrets under this prefix
    #[arg(long, value_name = "PREFIX", default_value = "")]
    prefix: String,
}

/// Scans; an occurrence is reported on stdout and makes the exit code 21.
pub async fn run(client: &Client, args: ScanArgs) -> CliResult {
    let mut values = Vec::new();
    for path in client.list(args.prefix.clone()).await? {
        let secret = client.get(path.clone()).await?;
        if let Ok(fields) = SecretMap::from_value(&secret.value) {
            for (field, value) in fields.iter() {
                values.push((format!("{path}#{field}"), value.clone()));
            }
        }
        values.push((path, secret.value));
    }
    let (patterns, _) = Patterns::new(
        values
            .iter()
            .map(|(label, value)| (label.clone(), value.expose())),
    );
    let roots = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths
    };
    let mut found = 0usize;
    for root in roots {
        if root.as_os_str() == "-" {
            let mut bytes = Vec::new();
            std::io::stdin()
                .read_to_end(&mut bytes)
                .map_err(|e| io_error(e, "stdin"))?;
            found += report(&patterns, "(stdin)", &bytes);
        } else {
            found += scan_tree(&patterns, &root)?;
        }
    }
    match found {
        0 => Ok(()),
        n => Err(CliError::new(
            SECRETS_FOUND,
            format!("{n} occurrence(s) of secret values found"),
        )),
    }
}

fn scan_tree(patterns: &Patterns, path: &Path) -> CliResult<usize> {
    let what = path.display().to_string();
    let meta = std::fs::symlink_metadata(path).map_err(|e| io_error(e, &what))?;
    if meta.is_dir() {
        if path.file_name().is_some_and(|name| name == ".git") {
            return Ok(0);
        }
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| io_error(e, &what))?
            .map(|entry| entry.map(|e| e.path()))
            .collect::<Result<_, _>>()
            .map_err(|e| io_error(e, &what))?;
        entries.sort();
        let mut found = 0;
        for entry in entries {
            found += scan_tree(patterns, &entry)?;
        }
        Ok(found)
    } else if meta.is_file() {
        let bytes = std::fs::read(path).map_err(|e| io_error(e, &what))?;
        Ok(report(patterns, &what, &bytes))
    } else {
        Ok(0)
    }
}

/// Prints each occurrence in `bytes` as `name:line: label (form)`; returns how many.
fn report(patterns: &Patterns, name: &str, bytes: &[u8]) -> usize {
    let mut count = 0;
    for found in patterns.find_iter(bytes) {
        let line = 1 + bytes[..found.start].iter().filter(|&&b| b == b'\n').count();
        println!("{name}:{line}: value of {} ({})", found.label, found.form);
        count += 1;
    }
    count
}
