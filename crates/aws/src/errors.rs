//! AWS errors → ironsecrets errors. The mapping looks only at the error code AWS
//! returns and the kind of transport failure; AWS's own message text is never copied,
//! so nothing a request carried can leak into ours.

use std::error::Error as StdError;

use aws_sdk_secretsmanager::config::http::HttpResponse;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use ironsecrets_core::{Error, ErrorKind};

/// The ironsecrets kind of an AWS error code (Secrets Manager, KMS and STS codes).
pub(crate) fn kind_for_code(code: &str) -> ErrorKind {
    match code {
        "ResourceNotFoundException" | "NotFoundException" | "NoSuchEntity" => ErrorKind::NotFound,
        "ResourceExistsException" | "AlreadyExistsException" | "EntityAlreadyExists" => {
            ErrorKind::AlreadyExists
        }
        "ThrottlingException"
        | "Throttling"
        | "TooManyRequestsException"
        | "RequestLimitExceeded"
        | "LimitExceededException" => ErrorKind::RateLimited,
        "AccessDeniedException" | "AccessDenied" => ErrorKind::PermissionDenied,
        "UnrecognizedClientException"
        | "InvalidClientTokenId"
        | "ExpiredTokenException"
        | "ExpiredToken"
        | "InvalidSignatureException"
        | "IncompleteSignature"
        | "MissingAuthenticationToken"
        | "SignatureDoesNotMatch" => ErrorKind::Unauthenticated,
        "InvalidParameterException"
        | "InvalidRequestException"
        | "ValidationException"
        | "InvalidParameterValue"
        | "InvalidParameterCombination"
        | "MalformedPolicyDocument"
        | "MalformedPolicyDocumentException"
        | "InvalidNextTokenException"
        | "DisabledException"
        | "KMSInvalidStateException"
        | "InvalidKeyUsageException"
        | "InvalidGrantTokenException"
        | "InvalidArnException"
        | "InvalidAliasNameException"
        | "UnsupportedOperationException"
        | "DecryptionFailure"
        | "EncryptionFailure"
        | "PackedPolicyTooLarge"
        | "RegionDisabledException" => ErrorKind::InvalidInput,
        "InvalidCiphertextException"
        | "IncorrectKeyException"
        | "KMSInvalidSignatureException"
        | "KMSInvalidMacException" => ErrorKind::Integrity,
        "InternalServiceError"
        | "InternalFailure"
        | "InternalError"
        | "ServiceUnavailable"
        | "ServiceUnavailableException"
        | "KMSInternalException"
        | "DependencyTimeoutException"
        | "KeyUnavailableException" => ErrorKind::Unavailable,
        _ => ErrorKind::Unexpected,
    }
}

/// A short hint a person can act on, per kind.
fn hint(kind: ErrorKind) -> &'static str {
    match kind {
        ErrorKind::NotFound => "it does not exist (or is scheduled for deletion)",
        ErrorKind::AlreadyExists => "it exists already",
        ErrorKind::RateLimited => "AWS is throttling requests; retry later",
        ErrorKind::PermissionDenied => "the caller's IAM policy does not allow this",
        ErrorKind::Unauthenticated => "the AWS credentials are missing, invalid or expired",
        ErrorKind::InvalidInput => "AWS refused the request as invalid",
        ErrorKind::Integrity => "the ciphertext, signature or MAC does not verify under this key",
        ErrorKind::Unavailable => "AWS had an internal error; retry later",
        _ => "unexpected AWS error",
    }
}

/// The kind of an error response whose body named no code, by HTTP status.
fn kind_for_status(status: u16) -> ErrorKind {
    match status {
        401 => ErrorKind::Unauthenticated,
        403 => ErrorKind::PermissionDenied,
        404 => ErrorKind::NotFound,
        429 => ErrorKind::RateLimited,
        400..=499 => ErrorKind::InvalidInput,
        500..=599 => ErrorKind::Unavailable,
        _ => ErrorKind::Unexpected,
    }
}

/// Maps an SDK error. `service` names the AWS service (`Secrets Manager`, `KMS`, `STS`).
pub(crate) fn from_sdk<E>(service: &str, err: SdkError<E, HttpResponse>) -> Error
where
    E: ProvideErrorMetadata + StdError + Send + Sync + 'static,
{
    match &err {
        SdkError::ServiceError(service_error) => match err.code() {
            Some(code) => {
                let kind = kind_for_code(code);
                Error::new(kind, format!("{service} answered {code}: {}", hint(kind)))
            }
            None => {
                let status = service_error.raw().status().as_u16();
                let kind = kind_for_status(status);
                Error::new(
                    kind,
                    format!("{service} answered HTTP {status}: {}", hint(kind)),
                )
            }
        },
        SdkError::TimeoutError(_) => Error::new(
            ErrorKind::Unavailable,
            format!("{service} did not answer in time"),
        ),
        SdkError::DispatchFailure(failure) if failure.is_io() || failure.is_timeout() => {
            Error::new(
                ErrorKind::Unavailable,
                format!("could not reach {service} (connection failed or timed out)"),
            )
        }
        SdkError::DispatchFailure(_) | SdkError::ConstructionFailure(_) => {
            let reason = failure_reason(&err);
            Error::config(format!(
                "could not send the request to {service}: {reason}; check the region, endpoint and credentials"
            ))
        }
        SdkError::ResponseError(_) => Error::new(
            ErrorKind::Unavailable,
            format!("{service} sent a response that could not be read"),
        ),
        _ => Error::unexpected(format!("{service} request failed")),
    }
}

/// What a request that never left says about why: the SDK's error chain names the
/// missing piece (credentials, region, endpoint). These texts are the SDK's, built before
/// any request body existed.
fn failure_reason(err: &(dyn StdError + 'static)) -> String {
    let mut reason = String::new();
    let mut source = err.source();
    while let Some(e) = source {
        reason = e.to_string();
        source = e.source();
    }
    if reason.is_empty() {
        "the SDK refused to build it".to_owned()
    } else {
        reason
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_map_to_kinds() {
        for (code, kind) in [
            ("ResourceNotFoundException", ErrorKind::NotFound),
            ("ThrottlingException", ErrorKind::RateLimited),
            ("AccessDeniedException", ErrorKind::PermissionDenied),
            ("InvalidParameterException", ErrorKind::InvalidInput),
            ("InvalidRequestException", ErrorKind::InvalidInput),
            ("InvalidCiphertextException", ErrorKind::Integrity),
            ("KMSInvalidSignatureException", ErrorKind::Integrity),
            ("ResourceExistsException", ErrorKind::AlreadyExists),
            ("UnrecognizedClientException", ErrorKind::Unauthenticated),
            ("InternalServiceError", ErrorKind::Unavailable),
            ("SomethingNew", ErrorKind::Unexpected),
        ] {
            assert_eq!(kind_for_code(code), kind, "{code}");
        }
    }

    /// A service error as the SDK hands it over, with the code and message AWS sent.
    fn service_error(code: &str, message: &str) -> Error {
        use aws_sdk_secretsmanager::error::ErrorMetadata;
        use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
        use aws_smithy_types::body::SdkBody;
        let meta = ErrorMetadata::builder().code(code).message(message).build();
        let raw = HttpResponse::new(400.try_into().unwrap(), SdkBody::empty());
        from_sdk(
            "Secrets Manager",
            SdkError::service_error(GetSecretValueError::generic(meta), raw),
        )
    }

    #[test]
    fn a_response_without_a_code_maps_by_status() {
        for (status, kind) in [
            (403, ErrorKind::PermissionDenied),
            (429, ErrorKind::RateLimited),
            (503, ErrorKind::Unavailable),
        ] {
            assert_eq!(kind_for_status(status), kind, "{status}");
        }
    }

    #[test]
    fn throttling_is_rate_limited_and_retryable() {
        let err = service_error("ThrottlingException", "Rate exceeded");
        assert_eq!(err.kind(), ErrorKind::RateLimited);
        assert!(err.is_retryable());
    }

    #[test]
    fn access_denied_is_permission_denied_and_the_aws_message_is_not_copied() {
        let err = service_error("AccessDeniedException", "canary-echoed-body");
        assert_eq!(err.kind(), ErrorKind::PermissionDenied);
        assert!(err.to_string().contains("AccessDeniedException"), "{err}");
        assert!(!format!("{err} {err:?}").contains("canary"), "{err}");
    }
}
