//! Delete, undelete, destroy and purge: what can be read, and what metadata says, after each.

use ironsecrets_core::{
    Backend, ErrorKind, SecretMetadata, Version, VersionSelector, VersionState,
};

use crate::CheckResult;
use crate::check::{ensure, fails_with, folder, ok, under};
use crate::versions::{put_all, read_version};

/// The state metadata gives `version`.
fn state<'m>(meta: &'m SecretMetadata, version: &Version) -> Result<&'m VersionState, String> {
    meta.versions
        .iter()
        .find(|v| v.version == *version)
        .map(|v| &v.state)
        .ok_or_else(|| format!("metadata does not list version {version}"))
}

/// Requires `get` of `selector` to be NotFound.
async fn unreadable(b: &Backend, path: &str, selector: VersionSelector) -> Result<(), String> {
    let step = format!("get {selector:?}");
    fails_with(
        &step,
        b.store().get(path, selector).await,
        ErrorKind::NotFound,
    )?;
    Ok(())
}

/// Deleting the newest (and only) version makes `get Latest` NotFound, and metadata shows
/// that version as Deleted.
pub async fn delete_latest(b: &Backend, prefix: &str) -> CheckResult {
    let path = under(prefix, "deleted");
    let written = put_all(b, &path, &["value"]).await?;
    ok("delete", b.store().delete(&path, &[]).await)?;
    unreadable(b, &path, VersionSelector::Latest).await?;
    let meta = ok("metadata after delete", b.store().metadata(&path).await)?;
    let state = state(&meta, &written[0])?;
    ensure!(
        matches!(state, VersionState::Deleted { .. }),
        "metadata shows the deleted version as {state:?}, expected Deleted"
    );
    Ok(())
}

/// `undelete` restores a soft-deleted version: it reads back and metadata shows it Active.
pub async fn undelete_restores(b: &Backend, prefix: &str) -> CheckResult {
    let path = under(prefix, "restored");
    let written = put_all(b, &path, &["value"]).await?;
    ok("delete", b.store().delete(&path, &[]).await)?;
    ok("undelete", b.store().undelete(&path, &written).await)?;
    read_version(b, &path, &written[0], "value").await?;
    let meta = ok("metadata after undelete", b.store().metadata(&path).await)?;
    let state = state(&meta, &written[0])?;
    ensure!(
        *state == VersionState::Active,
        "metadata shows the undeleted version as {state:?}, expected Active"
    );
    Ok(())
}

/// `destroy` of one version makes it NotFound for good (whatever `undelete` then says, when
/// the backend has it), leaves the other versions readable, and keeps the metadata, which
/// shows the version as Destroyed.
pub async fn destroy_is_permanent(b: &Backend, prefix: &str) -> CheckResult {
    let path = under(prefix, "destroyed");
    let written = put_all(b, &path, &["old", "new"]).await?;
    let (old, new) = (&written[0], &written[1]);
    let store = b.store();
    ok("destroy", store.destroy(&path, &written[..1]).await)?;
    unreadable(b, &path, VersionSelector::Version(old.clone())).await?;
    if b.capabilities().store.undelete {
        // Refusing to undelete a destroyed version is as good as a no-op; only the
        // outcome matters: the value must stay gone.
        let _ = store.undelete(&path, &written[..1]).await;
        unreadable(b, &path, VersionSelector::Version(old.clone())).await?;
    }
    read_version(b, &path, new, "new").await?;
    let meta = ok("metadata after destroy", store.metadata(&path).await)?;
    let state = state(&meta, old)?;
    ensure!(
        *state == VersionState::Destroyed,
        "metadata shows the destroyed version as {state:?}, expected Destroyed"
    );
    Ok(())
}

/// `purge` removes a secret with all its versions: `get` and `metadata` are NotFound and
/// `list` no longer has it.
pub async fn purge_removes_everything(b: &Backend, prefix: &str) -> CheckResult {
    let path = under(prefix, "purged");
    put_all(b, &path, &["one", "two"]).await?;
    let store = b.store();
    ok("purge", store.purge(&path).await)?;
    unreadable(b, &path, VersionSelector::Latest).await?;
    fails_with(
        "metadata after purge",
        store.metadata(&path).await,
        ErrorKind::NotFound,
    )?;
    let listed = ok("list", store.list(&folder(prefix)).await)?;
    ensure!(
        listed.is_empty(),
        "list after purge returned {listed:?}, expected nothing"
    );
    Ok(())
}
