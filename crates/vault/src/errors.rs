//! Mapping Vault's answers and transport failures to ironsecrets errors.
//!
//! Messages are Vault's own `errors` texts or ours; a response body is never copied
//! into an error (it may hold a secret), nor is a token, nor a parser error (serde's
//! messages can quote the value they choked on).

use std::time::Duration;

use ironsecrets_core::{Error, ErrorKind, Operation};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use serde::Deserialize;

/// The backend name in errors and [`Backend::name`](ironsecrets_core::Backend::name).
pub(crate) const BACKEND: &str = "vault";

/// Adds backend, operation and path to an error of a Vault-specific engine call (the
/// common traits' errors get theirs from the layer stack).
pub(crate) fn context(operation: Operation, path: &str) -> impl FnOnce(Error) -> Error {
    move |e| e.context(BACKEND, operation, path)
}

/// A NotFound error reworded for what was looked up; other errors unchanged.
pub(crate) fn not_found_as(err: Error, message: &str) -> Error {
    if err.kind() == ErrorKind::NotFound {
        Error::not_found(message)
    } else {
        err
    }
}

/// Vault's 400 for a name it does not know — `unknown role: x`, `Unknown role: x`,
/// `Role "x" not found`, `unknown key: x`, `certificate with serial x not found.`,
/// `OTP not found` — as NotFound with the same message; other errors unchanged.
pub(crate) fn unknown_as_not_found(err: Error) -> Error {
    let said = err.message().to_ascii_lowercase();
    let unknown = said.starts_with("unknown role")
        || said.starts_with("unknown key")
        || said.contains(" not found");
    if err.kind() == ErrorKind::InvalidInput && unknown {
        Error::not_found(err.message())
    } else {
        err
    }
}

/// The shape of Vault's error bodies: `{"errors": ["..."]}`.
#[derive(Deserialize)]
struct ErrorBody {
    #[serde(default)]
    errors: Vec<String>,
}

/// Vault's own messages from an error body, joined with `; `; empty when there are none.
fn vault_messages(body: &[u8]) -> String {
    serde_json::from_slice::<ErrorBody>(body)
        .map(|b| {
            b.errors
                .iter()
                .map(|e| e.trim())
                .filter(|e| !e.is_empty())
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default()
}

/// `Retry-After` in seconds, when the server sent one.
pub(crate) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    headers
        .get(RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()
        .map(Duration::from_secs)
}

/// The error for a non-success HTTP status. `retry_after` is the `Retry-After` header.
///
/// 400 InvalidInput, 401 Unauthenticated, 403 PermissionDenied (Unauthenticated when
/// Vault says the token is invalid or missing), 404 NotFound, 405 Unsupported,
/// 412 Unavailable (a standby catching up, retryable), 429 RateLimited (retryable,
/// honouring `Retry-After`), 502/503/504 Unavailable (sealed, standby, proxy), other
/// statuses Unexpected. A token renewal refused because the token reached its max TTL
/// (which OpenBao answers with a 500) is InvalidInput: retrying cannot help, logging in
/// again does.
pub(crate) fn from_status(status: u16, retry_after: Option<Duration>, body: &[u8]) -> Error {
    let said = vault_messages(body);
    let lower = said.to_ascii_lowercase();
    let (kind, fallback) = match status {
        400 => (ErrorKind::InvalidInput, "Vault refused the request"),
        401 => (ErrorKind::Unauthenticated, "Vault did not accept the token"),
        403 if lower.contains("invalid token") || lower.contains("missing client token") => {
            (ErrorKind::Unauthenticated, "Vault did not accept the token")
        }
        403 => (ErrorKind::PermissionDenied, "permission denied"),
        404 => (ErrorKind::NotFound, "not found"),
        500 if lower.contains("past the max ttl") => {
            (ErrorKind::InvalidInput, "the token reached its max TTL")
        }
        405 => (
            ErrorKind::Unsupported,
            "this mount does not support the operation",
        ),
        412 => (
            ErrorKind::Unavailable,
            "the Vault node has not caught up with the active node yet",
        ),
        429 => (ErrorKind::RateLimited, "Vault asked us to slow down"),
        502 | 504 => (ErrorKind::Unavailable, "a gateway in front of Vault failed"),
        503 => (
            ErrorKind::Unavailable,
            "Vault is unavailable (sealed, standby or in maintenance)",
        ),
        _ => (ErrorKind::Unexpected, "Vault answered with an error"),
    };
    let message = if said.is_empty() {
        format!("{fallback} (HTTP {status})")
    } else {
        format!("{said} (HTTP {status})")
    };
    let err = Error::new(kind, message);
    match retry_after {
        Some(after) if err.is_retryable() => err.with_retry_after(after),
        _ => err,
    }
}

/// The error for a request that got no HTTP answer: refused, timed out, TLS failure.
///
/// A TLS failure no retry can fix is a Config error instead (not retryable): the
/// server's certificate did not verify (unknown CA, another name, expired), or the server
/// refused the client certificate, or its absence, with a TLS alert.
pub(crate) fn transport(err: reqwest::Error, address: &str, timeout: Duration) -> Error {
    if let Some(refusal) = tls_refusal(&err, address) {
        return refusal.with_source(err);
    }
    let message = if err.is_timeout() {
        format!(
            "no answer from Vault at {address} within {}s",
            timeout.as_secs_f32()
        )
    } else if err.is_connect() {
        format!("cannot connect to Vault at {address}: {}", root_cause(&err))
    } else {
        format!(
            "the request to Vault at {address} failed: {}",
            root_cause(&err)
        )
    };
    let mapped = Error::new(ErrorKind::Unavailable, message);
    // Without a connection no request reached Vault: sending it again is safe.
    let mapped = if err.is_connect() {
        mapped.with_not_applied()
    } else {
        mapped
    };
    mapped.with_source(err)
}

/// The Config error for a TLS failure in `err`'s causes that retrying cannot fix.
fn tls_refusal(err: &reqwest::Error, address: &str) -> Option<Error> {
    use rustls::AlertDescription as Alert;
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(err);
    let tls = 'found: loop {
        let current = cause?;
        // rustls's error reaches us inside io::Errors (nested), whose source() skips
        // the error they wrap: unwrap them by hand.
        let mut inner = current;
        loop {
            if let Some(tls) = inner.downcast_ref::<rustls::Error>() {
                break 'found tls;
            }
            match inner
                .downcast_ref::<std::io::Error>()
                .and_then(|io| io.get_ref())
            {
                Some(wrapped) => inner = wrapped,
                None => break,
            }
        }
        cause = current.source();
    };
    match tls {
        rustls::Error::InvalidCertificate(_) => Some(Error::config(format!(
            "the TLS certificate of Vault at {address} did not verify ({tls}); trust the CA \
             that issued it (VAULT_CACERT or ca_cert) or give the name it was issued for \
             (VAULT_TLS_SERVER_NAME or server_name)"
        ))),
        rustls::Error::AlertReceived(
            Alert::CertificateRequired
            | Alert::BadCertificate
            | Alert::UnsupportedCertificate
            | Alert::CertificateRevoked
            | Alert::CertificateExpired
            | Alert::CertificateUnknown
            | Alert::UnknownCA
            | Alert::AccessDenied,
        ) => Some(Error::config(format!(
            "Vault at {address} refused the TLS connection ({tls}): it requires a client \
             certificate it trusts (VAULT_CLIENT_CERT and VAULT_CLIENT_KEY, or client_cert \
             and client_key)"
        ))),
        _ => None,
    }
}

/// The innermost cause's text (e.g. "Connection refused (os error 111)").
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = err;
    while let Some(next) = cause.source() {
        cause = next;
    }
    cause.to_string()
}

/// The error for a request we could not build (never expected for validated input).
pub(crate) fn request_build(what: &str) -> Error {
    Error::unexpected(format!("could not build the Vault request: {what}"))
}

/// The error for a success answer whose body is not what the API documents. The parser's
/// message is dropped on purpose: it can quote the body.
pub(crate) fn unreadable_answer() -> Error {
    Error::unexpected("Vault's answer did not have the documented shape")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(status: u16, body: &str) -> ErrorKind {
        from_status(status, None, body.as_bytes()).kind()
    }

    #[test]
    fn statuses_map_to_kinds() {
        assert_eq!(kind(400, r#"{"errors":["bad"]}"#), ErrorKind::InvalidInput);
        assert_eq!(
            kind(403, r#"{"errors":["permission denied"]}"#),
            ErrorKind::PermissionDenied
        );
        assert_eq!(
            kind(403, r#"{"errors":["permission denied","invalid token"]}"#),
            ErrorKind::Unauthenticated
        );
        assert_eq!(kind(404, r#"{"errors":[]}"#), ErrorKind::NotFound);
        assert_eq!(kind(405, ""), ErrorKind::Unsupported);
        assert_eq!(kind(412, ""), ErrorKind::Unavailable);
        assert_eq!(kind(429, ""), ErrorKind::RateLimited);
        assert_eq!(
            kind(503, r#"{"errors":["Vault is sealed"]}"#),
            ErrorKind::Unavailable
        );
        assert_eq!(kind(500, "{}"), ErrorKind::Unexpected);
        assert_eq!(
            kind(
                500,
                r#"{"errors":["1 error occurred:\n\t* past the max TTL, cannot renew\n\n"]}"#
            ),
            ErrorKind::InvalidInput
        );
    }

    #[test]
    fn unknown_names_are_not_found() {
        for said in [
            "unknown role: web",
            "Unknown role: web",
            "Role \"web\" not found",
            "unknown key: k",
            "certificate with serial 11:22 not found.",
            "OTP not found",
        ] {
            let err = unknown_as_not_found(Error::invalid_input(format!("{said} (HTTP 400)")));
            assert_eq!(err.kind(), ErrorKind::NotFound, "{said}");
            assert!(err.message().starts_with(said));
        }
        let other = unknown_as_not_found(Error::invalid_input("ttl is too long (HTTP 400)"));
        assert_eq!(other.kind(), ErrorKind::InvalidInput);
        let denied = unknown_as_not_found(Error::new(ErrorKind::PermissionDenied, "not found"));
        assert_eq!(denied.kind(), ErrorKind::PermissionDenied);
    }

    #[test]
    fn vaults_own_message_is_kept() {
        let err = from_status(400, None, br#"{"errors":["missing 'data' field"]}"#);
        assert_eq!(err.message(), "missing 'data' field (HTTP 400)");
    }

    #[test]
    fn a_body_that_is_not_an_error_body_is_never_copied() {
        let err = from_status(500, None, br#"{"data":{"value":"canary-5150"}}"#);
        assert!(!err.to_string().contains("canary"), "{err}");
        assert!(!format!("{err:?}").contains("canary"));
    }

    #[test]
    fn retry_after_is_kept_for_retryable_statuses_only() {
        let after = Some(Duration::from_secs(7));
        let limited = from_status(429, after, b"");
        assert!(limited.is_retryable());
        assert_eq!(limited.retry_after(), after);
        let standby = from_status(412, after, b"");
        assert!(standby.is_retryable());
        assert_eq!(from_status(400, after, b"").retry_after(), None);
    }

    #[test]
    fn retry_after_header_is_parsed_as_seconds() {
        let mut headers = HeaderMap::new();
        assert_eq!(retry_after(&headers), None);
        headers.insert(RETRY_AFTER, "3".parse().unwrap());
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(3)));
        headers.insert(RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&headers), None);
    }
}
