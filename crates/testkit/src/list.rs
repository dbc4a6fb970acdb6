//! Listing: full paths under a folder prefix, recursive, sorted, never values.
//!
//! The contract: `list("p/")` returns the full path of every secret whose path starts with
//! `p/` (nested folders included), sorted by byte order; a sibling `pa/x` is not under
//! `p/`. A soft-deleted secret is still listed (as in Vault, where a path is listed until
//! its metadata is deleted); `purge` removes it from the list.

use ironsecrets_core::{Backend, PutOptions};

use crate::CheckResult;
use crate::check::{ensure, folder, ok, under, unique};

/// Lists `prefix` and compares with `expected` (sorted here).
async fn lists_exactly(
    b: &Backend,
    prefix: &str,
    mut expected: Vec<String>,
) -> Result<Vec<String>, String> {
    let listed = ok(&format!("list({prefix:?})"), b.store().list(prefix).await)?;
    expected.sort();
    ensure!(
        listed == expected,
        "list({prefix:?}) returned {listed:?}, expected {expected:?}"
    );
    Ok(listed)
}

/// `list` of a folder returns exactly the paths written under it, nested ones included,
/// sorted, and not those of a sibling sharing its first characters (`a/` vs `ab/`); no
/// listed string contains a stored value.
pub async fn list_by_prefix(b: &Backend, prefix: &str) -> CheckResult {
    let inside = folder(&under(prefix, "a"));
    let one = format!("{inside}one");
    let nested = format!("{inside}nested/deep/two");
    let sibling = under(prefix, "ab/sibling");
    let planted = unique("planted");
    for path in [&one, &nested, &sibling] {
        ok(
            "put",
            b.store()
                .put(path, planted.clone().into(), PutOptions::default())
                .await,
        )?;
    }
    let mut seen = lists_exactly(b, &inside, vec![one.clone(), nested.clone()]).await?;
    seen.extend(lists_exactly(b, &folder(prefix), vec![one, nested, sibling]).await?);
    ensure!(
        seen.iter().all(|p| !p.contains(&planted)),
        "list returned a stored value among the paths"
    );
    Ok(())
}

/// A soft-deleted secret is still listed; after `purge` it is not.
pub async fn list_after_delete_and_purge(b: &Backend, prefix: &str) -> CheckResult {
    let kept = under(prefix, "kept");
    let gone = under(prefix, "gone");
    let store = b.store();
    for path in [&kept, &gone] {
        ok(
            "put",
            store.put(path, "value".into(), PutOptions::default()).await,
        )?;
    }
    ok("delete", store.delete(&gone, &[]).await)?;
    lists_exactly(b, &folder(prefix), vec![kept.clone(), gone.clone()]).await?;
    ok("purge", store.purge(&gone).await)?;
    lists_exactly(b, &folder(prefix), vec![kept]).await?;
    Ok(())
}
