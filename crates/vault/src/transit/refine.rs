//! What Vault's errors mean for a transit call.

use ironsecrets_core::{Error, ErrorKind};

use super::NO_UPSERT;
use crate::errors;

/// Refines Vault's answers for a transit call on key `name`: a 404 for the route (no
/// transit mount there) is Config; of the 400s, an authentication failure is Integrity
/// and a missing key (however the endpoint words it, or the refused upsert) NotFound.
pub(super) fn refine(err: Error, name: &str) -> Error {
    if err.kind() == ErrorKind::NotFound && err.message().contains("no handler for route") {
        return Error::config(format!(
            "no transit engine is mounted at the configured path; enable one (bao secrets \
             enable transit) or name its mount with `transit_mount` / the URI parameter \
             `transit` ({})",
            err.message()
        ));
    }
    if err.kind() != ErrorKind::InvalidInput {
        return err;
    }
    let said = err.message();
    if said.contains("message authentication failed") {
        Error::integrity(format!(
            "the ciphertext or its context was altered, or another key made it ({said})"
        ))
    } else if said.contains("could be found") || said.contains(NO_UPSERT) {
        Error::not_found(format!("no transit key named '{name}'"))
    } else {
        // "encryption key not found", "signing key not found", "key not found".
        errors::unknown_as_not_found(err)
    }
}

/// A per-item error of a batch, refined like a whole answer.
pub(super) fn item_error(message: &str, name: &str) -> Error {
    refine(Error::invalid_input(message.trim().to_owned()), name)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn vaults_answers_are_refined() {
        let said = |m: &str| {
            errors::from_status(400, None, json!({ "errors": [m] }).to_string().as_bytes())
        };
        let kind = |m: &str| refine(said(m), "k").kind();
        assert_eq!(
            kind("cipher: message authentication failed"),
            ErrorKind::Integrity
        );
        assert_eq!(
            kind("chacha20poly1305: message authentication failed"),
            ErrorKind::Integrity
        );
        assert_eq!(kind("encryption key not found"), ErrorKind::NotFound);
        assert_eq!(kind("signing key not found"), ErrorKind::NotFound);
        assert_eq!(
            kind("no existing key named k could be found"),
            ErrorKind::NotFound
        );
        assert_eq!(
            kind(&format!("unknown key type {NO_UPSERT}")),
            ErrorKind::NotFound
        );
        assert_eq!(
            kind("ciphertext or signature version is disallowed by policy (too old)"),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            kind("key type aes256-gcm96 does not support signing"),
            ErrorKind::InvalidInput
        );
        let unmounted = errors::from_status(
            404,
            None,
            br#"{"errors":["no handler for route \"transit/keys/k\". route entry not found."]}"#,
        );
        assert_eq!(refine(unmounted, "k").kind(), ErrorKind::Config);
        assert_eq!(
            refine(errors::from_status(404, None, b"{}"), "k").kind(),
            ErrorKind::NotFound
        );
    }
}
