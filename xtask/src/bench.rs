//! `cargo xtask bench ...`: builds the `ironsecrets-bench` program in release mode and
//! runs it; the program measures and writes the report.

use std::path::{Path, PathBuf};

use crate::run::{self, Error, Result};

/// Where `cargo xtask bench local` writes its report, relative to the workspace root.
pub const DEFAULT_LOCAL_REPORT: &str = "docs/bench/local.md";

/// Where `cargo xtask bench vault` writes its report, relative to the workspace root.
pub const DEFAULT_VAULT_REPORT: &str = "docs/bench/vault.md";

/// Where `cargo xtask bench lease` writes its report, relative to the workspace root.
pub const DEFAULT_LEASE_REPORT: &str = "docs/bench/lease.md";
/// Where `cargo xtask bench aws` writes its report, relative to the workspace root.
pub const DEFAULT_AWS_REPORT: &str = "docs/bench/aws.md";
/// Where `cargo xtask bench azure` writes its report, relative to the workspace root.
pub const DEFAULT_AZURE_REPORT: &str = "docs/bench/azure.md";

/// `cargo xtask bench <name> --out FILE [-- ARGS]`: runs benchmark `name` of the
/// `ironsecrets-bench` program, writing its report to `out` (default: `default_report`
/// in the workspace root).
pub fn run(name: &str, default_report: &str, out: Option<&Path>, extra: &[String]) -> Result {
    let out = report_path(out, default_report)?;
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::new(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut command = run::cargo([
        "run",
        "--release",
        "-p",
        "ironsecrets-bench",
        "--",
        name,
        "--out",
    ]);
    command.arg(&out).args(extra);
    let runs = run::display(&command);
    run::step(
        &format!("bench {name}"),
        &runs,
        "see the benchmark's output above",
        || run::status(command),
    )?;
    println!("report written to {}", out.display());
    Ok(())
}

/// The default report is in the workspace root; a path given on the command line is
/// relative to the current directory.
pub(crate) fn report_path(out: Option<&Path>, default_report: &str) -> Result<PathBuf> {
    let Some(out) = out else {
        return Ok(run::repo_root().join(default_report));
    };
    if out.is_absolute() {
        return Ok(out.to_owned());
    }
    let cwd = std::env::current_dir()
        .map_err(|e| Error::new(format!("cannot read the current directory: {e}")))?;
    Ok(cwd.join(out))
}
