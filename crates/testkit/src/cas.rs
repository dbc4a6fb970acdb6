//! Check-and-set: a put whose condition does not hold is Conflict and changes nothing.

use ironsecrets_core::{Backend, Cas, ErrorKind, PutOptions, Version, VersionSelector};

use crate::CheckResult;
use crate::check::{ensure, fails_with, ok, same_bytes, under};

fn cas(condition: Cas) -> PutOptions {
    PutOptions {
        cas: Some(condition),
        ..PutOptions::default()
    }
}

/// Reads the newest version of `path` and compares it with `expected`.
async fn latest_is(
    b: &Backend,
    path: &str,
    version: &Version,
    expected: &str,
) -> Result<(), String> {
    let secret = ok("get", b.store().get(path, VersionSelector::Latest).await)?;
    same_bytes("get", secret.value.expose(), expected.as_bytes())?;
    ensure!(
        secret.version == *version,
        "get returned version {}, expected {version}",
        secret.version
    );
    Ok(())
}

/// `Cas::MustNotExist` creates a new secret; on an existing one it is Conflict and the
/// stored value stays as it was.
pub async fn cas_must_not_exist(b: &Backend, prefix: &str) -> CheckResult {
    let path = under(prefix, "created-once");
    let store = b.store();
    let first = ok(
        "put with MustNotExist on a new path",
        store
            .put(&path, "original".into(), cas(Cas::MustNotExist))
            .await,
    )?;
    fails_with(
        "put with MustNotExist on an existing path",
        store
            .put(&path, "replacement".into(), cas(Cas::MustNotExist))
            .await,
        ErrorKind::Conflict,
    )?;
    latest_is(b, &path, &first.version, "original").await?;
    Ok(())
}

/// `Cas::CurrentVersion` with a stale version is Conflict and the value is unchanged; with
/// the current version the write succeeds.
pub async fn cas_current_version(b: &Backend, prefix: &str) -> CheckResult {
    let path = under(prefix, "guarded");
    let store = b.store();
    let one = ok(
        "put",
        store.put(&path, "one".into(), PutOptions::default()).await,
    )?;
    let two = ok(
        "put",
        store.put(&path, "two".into(), PutOptions::default()).await,
    )?;
    fails_with(
        "put with a stale CurrentVersion",
        store
            .put(&path, "three".into(), cas(Cas::CurrentVersion(one.version)))
            .await,
        ErrorKind::Conflict,
    )?;
    latest_is(b, &path, &two.version, "two").await?;
    let three = ok(
        "put with the current CurrentVersion",
        store
            .put(&path, "three".into(), cas(Cas::CurrentVersion(two.version)))
            .await,
    )?;
    latest_is(b, &path, &three.version, "three").await?;
    Ok(())
}
