//! Errors carry their context: which backend failed, in which operation, on which path.

use ironsecrets_core::{Backend, Error, ErrorKind, Operation, VersionSelector};

use crate::CheckResult;
use crate::check::{ensure, fails_with, under};

/// Requires a NotFound error from `step` naming `backend`, `operation` and `path`.
fn names_backend_and_path(
    step: &str,
    result: Result<Error, String>,
    backend: &str,
    operation: Operation,
    path: &str,
) -> Result<(), String> {
    let err = result?;
    ensure!(
        err.operation() == Some(operation),
        "{step}: the error names operation {:?}, expected {operation:?}",
        err.operation()
    );
    ensure!(
        err.backend() == Some(backend),
        "{step}: the error names backend {:?}, expected {backend:?}",
        err.backend()
    );
    ensure!(
        err.path() == Some(path),
        "{step}: the error names path {:?}, expected {path:?}",
        err.path()
    );
    Ok(())
}

/// The NotFound errors of `get` and `metadata` of a missing path name the backend (as
/// [`Backend::name`] does), the operation and the path.
pub async fn errors_carry_context(b: &Backend, prefix: &str) -> CheckResult {
    let path = under(prefix, "missing");
    let step = "get of a missing path";
    let got = b.store().get(&path, VersionSelector::Latest).await;
    names_backend_and_path(
        step,
        fails_with(step, got, ErrorKind::NotFound),
        b.name(),
        Operation::Get,
        &path,
    )?;
    let step = "metadata of a missing path";
    let got = b.store().metadata(&path).await;
    names_backend_and_path(
        step,
        fails_with(step, got, ErrorKind::NotFound),
        b.name(),
        Operation::Metadata,
        &path,
    )?;
    Ok(())
}
