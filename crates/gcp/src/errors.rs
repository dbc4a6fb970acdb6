//! Mapping Secret Manager errors to ironsecrets errors.
//!
//! The message is the service's status message (it names resources, never payloads) or
//! ours; an HTTP body without a status, a serializer error or a credentials error's
//! text is never copied (they may quote what they choked on).

use std::time::Duration;

use google_cloud_gax::error::Error as GcpError;
use google_cloud_gax::error::rpc::{Code, Status, StatusDetails};
use ironsecrets_core::{Error, ErrorKind};

/// The backend name in errors and [`Backend::name`](ironsecrets_core::Backend::name).
pub(crate) const BACKEND: &str = "gcp";

/// The ironsecrets error for an SDK error.
pub fn map_error(err: GcpError) -> Error {
    if let Some(status) = err.status() {
        return from_status(status);
    }
    if let Some(code) = err.http_status_code() {
        return from_http_status(code);
    }
    if err.is_authentication() {
        return Error::new(
            ErrorKind::Unauthenticated,
            "could not get Google credentials (Application Default Credentials)",
        )
        .with_retryable(true);
    }
    if err.is_timeout() || err.is_connect() || err.is_io() || err.is_transport() {
        return Error::new(
            ErrorKind::Unavailable,
            "Secret Manager is unreachable (connection failed or timed out)",
        );
    }
    if err.is_exhausted() {
        return Error::new(
            ErrorKind::Unavailable,
            "Secret Manager kept failing; the retry policy gave up",
        );
    }
    Error::unexpected("Secret Manager sent a response the SDK could not read")
}

fn from_status(status: &Status) -> Error {
    let kind = match status.code {
        Code::NotFound => ErrorKind::NotFound,
        Code::AlreadyExists => ErrorKind::AlreadyExists,
        Code::PermissionDenied => ErrorKind::PermissionDenied,
        Code::Unauthenticated => ErrorKind::Unauthenticated,
        Code::InvalidArgument | Code::OutOfRange => ErrorKind::InvalidInput,
        Code::FailedPrecondition | Code::Aborted => ErrorKind::Conflict,
        Code::ResourceExhausted => ErrorKind::RateLimited,
        Code::Unavailable | Code::DeadlineExceeded => ErrorKind::Unavailable,
        Code::Unimplemented => ErrorKind::Unsupported,
        _ => ErrorKind::Unexpected,
    };
    let message = if status.message.trim().is_empty() {
        format!("Secret Manager answered {}", status.code.name())
    } else {
        status.message.trim().to_owned()
    };
    let error = Error::new(kind, message);
    match retry_delay(status) {
        Some(delay) => error.with_retry_after(delay),
        None => error,
    }
}

fn from_http_status(code: u16) -> Error {
    let kind = match code {
        400 => ErrorKind::InvalidInput,
        401 => ErrorKind::Unauthenticated,
        403 => ErrorKind::PermissionDenied,
        404 => ErrorKind::NotFound,
        409 => ErrorKind::Conflict,
        429 => ErrorKind::RateLimited,
        500..=599 => ErrorKind::Unavailable,
        _ => ErrorKind::Unexpected,
    };
    Error::new(kind, format!("Secret Manager answered HTTP {code}"))
}

/// The delay a `RetryInfo` detail asks for.
fn retry_delay(status: &Status) -> Option<Duration> {
    status.details.iter().find_map(|detail| match detail {
        StatusDetails::RetryInfo(info) => {
            let delay = info.retry_delay.as_ref()?;
            Some(Duration::new(
                u64::try_from(delay.seconds()).ok()?,
                u32::try_from(delay.nanos()).ok()?,
            ))
        }
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use google_cloud_rpc::model::RetryInfo;
    use google_cloud_wkt::Duration as WktDuration;

    use super::*;

    fn service(code: Code, message: &str) -> GcpError {
        GcpError::service(Status::default().set_code(code).set_message(message))
    }

    #[test]
    fn status_codes_map_to_kinds() {
        let cases = [
            (Code::NotFound, ErrorKind::NotFound),
            (Code::AlreadyExists, ErrorKind::AlreadyExists),
            (Code::PermissionDenied, ErrorKind::PermissionDenied),
            (Code::Unauthenticated, ErrorKind::Unauthenticated),
            (Code::InvalidArgument, ErrorKind::InvalidInput),
            (Code::FailedPrecondition, ErrorKind::Conflict),
            (Code::Aborted, ErrorKind::Conflict),
            (Code::ResourceExhausted, ErrorKind::RateLimited),
            (Code::Unavailable, ErrorKind::Unavailable),
            (Code::Unimplemented, ErrorKind::Unsupported),
            (Code::Internal, ErrorKind::Unexpected),
        ];
        for (code, kind) in cases {
            let err = map_error(service(code, "Secret [projects/p/secrets/s] not found."));
            assert_eq!(err.kind(), kind, "{code:?}");
            assert_eq!(err.message(), "Secret [projects/p/secrets/s] not found.");
        }
    }

    #[test]
    fn throttling_is_retryable_with_the_requested_delay() {
        let info = RetryInfo::new().set_retry_delay(WktDuration::clamp(3, 500_000_000));
        let status = Status::default()
            .set_code(Code::ResourceExhausted)
            .set_message("Quota exceeded")
            .set_details([StatusDetails::RetryInfo(info)]);
        let err = map_error(GcpError::service(status));
        assert_eq!(err.kind(), ErrorKind::RateLimited);
        assert!(err.is_retryable());
        assert_eq!(err.retry_after(), Some(Duration::from_millis(3500)));
    }

    #[test]
    fn an_empty_message_names_the_code() {
        let err = map_error(service(Code::PermissionDenied, " "));
        assert_eq!(err.message(), "Secret Manager answered PERMISSION_DENIED");
        assert!(!err.is_retryable());
    }

    #[test]
    fn http_errors_without_a_status_never_copy_the_body() {
        let canary = "canary-7f3a9c";
        let err = map_error(GcpError::http(
            429,
            Default::default(),
            bytes::Bytes::from(format!("<html>{canary}</html>")),
        ));
        assert_eq!(err.kind(), ErrorKind::RateLimited);
        assert!(!format!("{err} {err:?}").contains(canary));
        let err = map_error(GcpError::http(503, Default::default(), bytes::Bytes::new()));
        assert_eq!(err.kind(), ErrorKind::Unavailable);
    }

    #[test]
    fn transport_failures_are_unavailable_and_retryable() {
        let err = map_error(GcpError::connect("connection refused"));
        assert_eq!(err.kind(), ErrorKind::Unavailable);
        assert!(err.is_retryable());
        let err = map_error(GcpError::deser("expected value at line 1 canary-x"));
        assert_eq!(err.kind(), ErrorKind::Unexpected);
        assert!(!err.message().contains("canary-x"));
    }
}
