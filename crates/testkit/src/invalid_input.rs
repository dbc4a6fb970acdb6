//! Malformed paths and prefixes are InvalidInput from the store itself, for every call.

use ironsecrets_core::{Backend, ErrorKind, MAX_PATH_LEN, PutOptions, VersionSelector};

use crate::CheckResult;
use crate::check::{fails_with, folder};

/// Each malformed path, described, rooted under `prefix` where the flaw allows, so a
/// backend that wrongly accepts one writes inside this run's folder.
fn bad_paths(prefix: &str) -> Vec<(&'static str, String)> {
    let base = folder(prefix);
    let mut too_long = base.clone();
    too_long.push_str(&"x".repeat((MAX_PATH_LEN + 1).saturating_sub(base.len())));
    vec![
        ("an empty path", String::new()),
        ("an empty segment", format!("{base}a//b")),
        ("a '..' segment", format!("{base}a/../b")),
        ("a '.' segment", format!("{base}a/./b")),
        ("a leading '/'", format!("/{base}a")),
        ("a trailing '/'", format!("{base}a/")),
        ("a NUL byte", format!("{base}a\0b")),
        ("a control character", format!("{base}a\u{7}b")),
        ("more than MAX_PATH_LEN bytes", too_long),
    ]
}

/// Collects every mismatch instead of stopping at the first.
fn record(failures: &mut Vec<String>, outcome: Result<ironsecrets_core::Error, String>) {
    if let Err(message) = outcome {
        failures.push(message);
    }
}

/// `get`, `put` and `delete` of an empty path, an empty, `.` or `..` segment, a leading or
/// trailing `/`, a NUL or control character, or a path over [`MAX_PATH_LEN`] bytes are
/// InvalidInput.
pub async fn invalid_paths_rejected(b: &Backend, prefix: &str) -> CheckResult {
    let store = b.store();
    let mut failures = Vec::new();
    for (flaw, path) in bad_paths(prefix) {
        record(
            &mut failures,
            fails_with(
                &format!("get of a path with {flaw}"),
                store.get(&path, VersionSelector::Latest).await,
                ErrorKind::InvalidInput,
            ),
        );
        record(
            &mut failures,
            fails_with(
                &format!("put of a path with {flaw}"),
                store
                    .put(&path, "value".into(), PutOptions::default())
                    .await,
                ErrorKind::InvalidInput,
            ),
        );
        record(
            &mut failures,
            fails_with(
                &format!("delete of a path with {flaw}"),
                store.delete(&path, &[]).await,
                ErrorKind::InvalidInput,
            ),
        );
    }
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("; ").into())
    }
}

/// `list` of a prefix with a `..` segment or an empty segment is InvalidInput.
pub async fn invalid_list_prefix_rejected(b: &Backend, prefix: &str) -> CheckResult {
    for bad in ["../".to_owned(), format!("{}/", folder(prefix))] {
        fails_with(
            &format!("list({bad:?})"),
            b.store().list(&bad).await,
            ErrorKind::InvalidInput,
        )?;
    }
    Ok(())
}
