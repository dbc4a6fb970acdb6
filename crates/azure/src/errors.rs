//! Azure SDK errors → ironsecrets [`ErrorKind`]s.
//!
//! | Key Vault answers | kind |
//! |---|---|
//! | 404 | NotFound |
//! | 401, or the credential could not get a token | Unauthenticated |
//! | 403 (access policy / RBAC refusal, disabled secret) | PermissionDenied |
//! | 409 (e.g. the name is soft-deleted, or being deleted) | Conflict |
//! | 400 | InvalidInput |
//! | 429 | RateLimited, with `Retry-After` when sent |
//! | 5xx, connection and IO failures | Unavailable |
//! | anything else | Unexpected |
//!
//! Messages carry the HTTP status and Key Vault's error codes (`SecretNotFound`,
//! `Forbidden/SecretDisabled`, ...), never the response body: Key Vault's message text
//! can echo what was sent.

use std::time::Duration;

use azure_core::error::ErrorKind as AzureKind;
use azure_core::http::headers::HeaderName;
use azure_core::http::{RawResponse, StatusCode};
use ironsecrets_core::{Error, ErrorKind};

const RETRY_AFTER: HeaderName = HeaderName::from_static("retry-after");

/// Maps an SDK error (the layer stack names the operation and path).
pub fn map_error(err: azure_core::Error) -> Error {
    match err.kind() {
        AzureKind::HttpResponse {
            status,
            raw_response,
            ..
        } => from_status(*status, raw_response.as_deref()),
        AzureKind::Connection | AzureKind::Io => Error::new(
            ErrorKind::Unavailable,
            format!("Key Vault could not be reached: {err}"),
        )
        .with_source(err),
        AzureKind::Credential => Error::new(
            ErrorKind::Unauthenticated,
            format!("no Azure token could be obtained: {err}"),
        )
        .with_source(err),
        AzureKind::DataConversion => Error::unexpected(format!(
            "Key Vault sent an answer that could not be read: {err}"
        )),
        _ => Error::unexpected(format!("Azure SDK error: {err}")),
    }
}

/// The error for an HTTP answer: its kind from the status, its message from the status
/// and Key Vault's error codes.
pub(crate) fn from_status(status: StatusCode, response: Option<&RawResponse>) -> Error {
    let code = response.map(error_codes).unwrap_or_default();
    let code = if code.is_empty() {
        String::new()
    } else {
        format!(" ({code})")
    };
    let number = u16::from(status);
    let (kind, what) = match number {
        404 => (ErrorKind::NotFound, "not found"),
        401 => (
            ErrorKind::Unauthenticated,
            "the request was not authenticated",
        ),
        403 => (ErrorKind::PermissionDenied, "permission denied"),
        409 => (
            ErrorKind::Conflict,
            "conflict: a soft-deleted object with this name must be recovered or purged first, or it is being deleted",
        ),
        400 => (
            ErrorKind::InvalidInput,
            "Key Vault refused the request as invalid",
        ),
        429 => (ErrorKind::RateLimited, "Key Vault is throttling requests"),
        500..=599 => (ErrorKind::Unavailable, "Key Vault is unavailable"),
        _ => (ErrorKind::Unexpected, "unexpected answer from Key Vault"),
    };
    let mut error = Error::new(kind, format!("{what}: HTTP {number}{code}"));
    if let Some(after) = response.and_then(retry_after) {
        error = error.with_retry_after(after);
    }
    error
}

/// `code/innercode/...` from a Key Vault error body, without its messages.
fn error_codes(response: &RawResponse) -> String {
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(response.body()) else {
        return String::new();
    };
    let mut codes = Vec::new();
    let mut node = body.get("error");
    while let Some(error) = node {
        if let Some(code) = error.get("code").and_then(|c| c.as_str()) {
            codes.push(code.to_owned());
        }
        node = error.get("innererror");
    }
    codes.join("/")
}

fn retry_after(response: &RawResponse) -> Option<Duration> {
    let value = response.headers().get_optional_str(&RETRY_AFTER)?;
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use azure_core::http::headers::Headers;

    use super::*;

    fn answer(status: u16, headers: &[(&'static str, &'static str)], body: &str) -> Error {
        let mut map = Headers::new();
        for (name, value) in headers {
            map.insert(HeaderName::from_static(name), *value);
        }
        let raw = RawResponse::from_bytes(status.into(), map, body.as_bytes().to_vec());
        let err = azure_core::Error::new(
            AzureKind::HttpResponse {
                status: status.into(),
                error_code: None,
                raw_response: Some(Box::new(raw)),
            },
            "http error",
        );
        map_error(err)
    }

    #[test]
    fn statuses_map_to_kinds() {
        let cases = [
            (404, ErrorKind::NotFound),
            (401, ErrorKind::Unauthenticated),
            (403, ErrorKind::PermissionDenied),
            (409, ErrorKind::Conflict),
            (400, ErrorKind::InvalidInput),
            (429, ErrorKind::RateLimited),
            (503, ErrorKind::Unavailable),
            (418, ErrorKind::Unexpected),
        ];
        for (status, kind) in cases {
            let err = answer(status, &[], "");
            assert_eq!(err.kind(), kind, "{status}");
            // Backend, operation and path come from the layer stack, not the mapping.
            assert_eq!((err.backend(), err.path()), (None, None));
            assert!(err.to_string().contains(&status.to_string()), "{err}");
        }
    }

    #[test]
    fn throttling_keeps_retry_after_and_is_retryable() {
        let err = answer(429, &[("retry-after", "7")], "");
        assert_eq!(err.retry_after(), Some(Duration::from_secs(7)));
        assert!(err.is_retryable());
    }

    #[test]
    fn codes_are_kept_and_body_messages_are_not() {
        let body = r#"{"error":{"code":"Forbidden","message":"canary-hunter2 echoed","innererror":{"code":"SecretDisabled"}}}"#;
        let err = answer(403, &[], body);
        assert!(err.message().contains("Forbidden/SecretDisabled"), "{err}");
        assert!(!format!("{err} {err:?}").contains("canary-hunter2"));
    }

    #[test]
    fn connection_and_credential_failures() {
        let err = map_error(azure_core::Error::with_message(
            AzureKind::Connection,
            "refused",
        ));
        assert_eq!(err.kind(), ErrorKind::Unavailable);
        assert!(err.is_retryable());
        let err = map_error(azure_core::Error::with_message(
            AzureKind::Credential,
            "no token",
        ));
        assert_eq!(err.kind(), ErrorKind::Unauthenticated);
    }
}
