//! Canaries: a planted value never shows up in what the SDK prints or reports.

use std::error::Error as _;

use ironsecrets_core::{Backend, Cas, Error, ErrorKind, PutOptions, VersionSelector};

use crate::CheckResult;
use crate::check::{fails_with, free_of, ok, under, unique};

/// Everything an error can show: Display, Debug, message and its sources' Display.
fn error_texts(err: &Error) -> Vec<String> {
    let mut texts = vec![
        err.to_string(),
        format!("{err:?}"),
        err.message().to_owned(),
    ];
    let mut source = err.source();
    while let Some(cause) = source {
        texts.push(cause.to_string());
        source = cause.source();
    }
    texts
}

/// A planted canary value is absent from the Debug of the `Secret` read back (and the
/// Display of its value), of the put's `VersionInfo` and, where the backend keeps
/// metadata, of the `SecretMetadata`.
pub async fn canary_not_in_debug(b: &Backend, prefix: &str) -> CheckResult {
    let path = under(prefix, "canary");
    let canary = unique("canary");
    let store = b.store();
    let written = ok(
        "put",
        store
            .put(&path, canary.clone().into(), PutOptions::default())
            .await,
    )?;
    free_of(
        "Debug of put's VersionInfo",
        &format!("{written:?}"),
        &canary,
    )?;
    let secret = ok("get", store.get(&path, VersionSelector::Latest).await)?;
    free_of("Debug of the Secret", &format!("{secret:?}"), &canary)?;
    free_of(
        "Display of the SecretValue",
        &secret.value.to_string(),
        &canary,
    )?;
    if b.capabilities().store.metadata {
        let meta = ok("metadata", store.metadata(&path).await)?;
        free_of("Debug of the SecretMetadata", &format!("{meta:?}"), &canary)?;
    }
    Ok(())
}

/// A put refused by check-and-set (`MustNotExist` on an existing path, or a stale
/// `CurrentVersion`) does not echo the value it was given in its error's Display, Debug,
/// message or sources.
pub async fn canary_not_in_cas_error(b: &Backend, prefix: &str) -> CheckResult {
    let path = under(prefix, "canary");
    let canary = unique("canary");
    let store = b.store();
    let first = ok(
        "put",
        store
            .put(&path, canary.clone().into(), PutOptions::default())
            .await,
    )?;
    ok(
        "put",
        store
            .put(&path, canary.clone().into(), PutOptions::default())
            .await,
    )?;
    for (step, condition) in [
        ("put with MustNotExist", Cas::MustNotExist),
        (
            "put with a stale CurrentVersion",
            Cas::CurrentVersion(first.version),
        ),
    ] {
        let options = PutOptions {
            cas: Some(condition),
            ..PutOptions::default()
        };
        let refused = store.put(&path, canary.clone().into(), options).await;
        let err = fails_with(step, refused, ErrorKind::Conflict)?;
        for text in error_texts(&err) {
            free_of(&format!("the error of {step}"), &text, &canary)?;
        }
    }
    Ok(())
}
