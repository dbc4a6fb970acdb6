//! The one error type every backend returns.

use std::fmt;
use std::time::Duration;

use crate::Operation;

/// What went wrong, independent of the backend. Bindings map each kind to an exception
/// class (Python) or `error.code` (Node) of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The secret, version, key or lease does not exist (or is deleted).
    NotFound,
    /// Something with that name exists already.
    AlreadyExists,
    /// A check-and-set or concurrent change conflicted.
    Conflict,
    /// The caller is known but not allowed to do this.
    PermissionDenied,
    /// The caller could not be identified (missing or expired token).
    Unauthenticated,
    /// The request itself is malformed (bad path, bad option).
    InvalidInput,
    /// The backend does not support this operation.
    Unsupported,
    /// The backend is down, sealed, on standby or unreachable.
    Unavailable,
    /// The backend asked us to slow down.
    RateLimited,
    /// The lease has expired or was revoked.
    LeaseExpired,
    /// Data was tampered with, or a wrong key was used.
    Integrity,
    /// The client is misconfigured (URI, environment, master key).
    Config,
    /// Anything else.
    Unexpected,
}

impl ErrorKind {
    /// Every kind, in declaration order (the bindings generate one exception class each).
    pub const ALL: [ErrorKind; 13] = [
        ErrorKind::NotFound,
        ErrorKind::AlreadyExists,
        ErrorKind::Conflict,
        ErrorKind::PermissionDenied,
        ErrorKind::Unauthenticated,
        ErrorKind::InvalidInput,
        ErrorKind::Unsupported,
        ErrorKind::Unavailable,
        ErrorKind::RateLimited,
        ErrorKind::LeaseExpired,
        ErrorKind::Integrity,
        ErrorKind::Config,
        ErrorKind::Unexpected,
    ];

    /// The kind with this name.
    pub fn from_name(name: &str) -> Option<ErrorKind> {
        ErrorKind::ALL.into_iter().find(|kind| kind.name() == name)
    }

    /// The kind's name, as used by the bindings and the CLI.
    pub fn name(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "NotFound",
            ErrorKind::AlreadyExists => "AlreadyExists",
            ErrorKind::Conflict => "Conflict",
            ErrorKind::PermissionDenied => "PermissionDenied",
            ErrorKind::Unauthenticated => "Unauthenticated",
            ErrorKind::InvalidInput => "InvalidInput",
            ErrorKind::Unsupported => "Unsupported",
            ErrorKind::Unavailable => "Unavailable",
            ErrorKind::RateLimited => "RateLimited",
            ErrorKind::LeaseExpired => "LeaseExpired",
            ErrorKind::Integrity => "Integrity",
            ErrorKind::Config => "Config",
            ErrorKind::Unexpected => "Unexpected",
        }
    }

    /// Whether an error of this kind is worth retrying by default.
    pub fn default_retryable(self) -> bool {
        matches!(self, ErrorKind::Unavailable | ErrorKind::RateLimited)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// An ironsecrets error: a kind, whether a retry may help, and where it happened.
///
/// The message is written by us or copied from the backend's error text; a secret value
/// never goes into it. Boxed so `Result<T, Error>` stays one pointer wide.
pub struct Error(Box<Inner>);

struct Inner {
    kind: ErrorKind,
    retryable: bool,
    retry_after: Option<Duration>,
    not_applied: bool,
    backend: Option<String>,
    operation: Option<Operation>,
    path: Option<String>,
    message: String,
    source: Option<Box<dyn std::error::Error + Send + Sync + 'static>>,
}

/// Result with an ironsecrets [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// A new error of `kind` with a message a person can act on.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            kind,
            retryable: kind.default_retryable(),
            retry_after: None,
            not_applied: false,
            backend: None,
            operation: None,
            path: None,
            message: message.into(),
            source: None,
        }))
    }

    /// The operation is not supported by `backend`.
    pub fn unsupported(backend: &str, operation: Operation) -> Self {
        Error::unsupported_feature(backend, operation.name()).with_operation(operation)
    }

    /// A feature of an operation (`get by stage`, `exportable keys`) is not supported by
    /// `backend`.
    pub fn unsupported_feature(backend: &str, feature: &str) -> Self {
        Error::new(
            ErrorKind::Unsupported,
            format!("the {backend} backend does not support {feature}"),
        )
        .with_backend(backend)
    }

    /// Shorthand for [`ErrorKind::NotFound`].
    pub fn not_found(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::NotFound, message)
    }

    /// Shorthand for [`ErrorKind::InvalidInput`].
    pub fn invalid_input(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::InvalidInput, message)
    }

    /// Shorthand for [`ErrorKind::Integrity`].
    pub fn integrity(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Integrity, message)
    }

    /// Shorthand for [`ErrorKind::Config`].
    pub fn config(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Config, message)
    }

    /// Shorthand for [`ErrorKind::Unexpected`].
    pub fn unexpected(message: impl Into<String>) -> Self {
        Error::new(ErrorKind::Unexpected, message)
    }

    /// Names the backend this error came from.
    pub fn with_backend(mut self, backend: impl Into<String>) -> Self {
        self.0.backend = Some(backend.into());
        self
    }

    /// Names the operation this error came from.
    pub fn with_operation(mut self, operation: Operation) -> Self {
        self.0.operation = Some(operation);
        self
    }

    /// Names the secret path (never a value) this error is about.
    pub fn with_path(mut self, path: impl Into<String>) -> Self {
        self.0.path = Some(path.into());
        self
    }

    /// Overrides whether a retry may help.
    pub fn with_retryable(mut self, retryable: bool) -> Self {
        self.0.retryable = retryable;
        self
    }

    /// Records how long the server asked us to wait before retrying.
    pub fn with_retry_after(mut self, after: Duration) -> Self {
        self.0.retry_after = Some(after);
        self
    }

    /// Records that the request certainly had no effect (it never reached the backend, or
    /// the backend refused it before changing anything), so retrying is safe even for a
    /// call that is not idempotent.
    pub fn with_not_applied(mut self) -> Self {
        self.0.not_applied = true;
        self
    }

    /// Keeps the underlying error for `source()`; its text must not contain secrets.
    pub fn with_source(mut self, source: impl std::error::Error + Send + Sync + 'static) -> Self {
        self.0.source = Some(Box::new(source));
        self
    }

    /// Fills in backend, operation and path (or key name, lease id) where they are not
    /// yet set.
    pub fn context(mut self, backend: &str, operation: Operation, path: &str) -> Self {
        self.0.backend.get_or_insert_with(|| backend.to_owned());
        self.0.operation.get_or_insert(operation);
        if self.0.path.is_none() && !path.is_empty() {
            self.0.path = Some(path.to_owned());
        }
        self
    }

    /// What went wrong.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// Whether retrying the same call may succeed.
    pub fn is_retryable(&self) -> bool {
        self.0.retryable
    }

    /// Whether the request certainly had no effect (see [`Error::with_not_applied`]).
    pub fn was_not_applied(&self) -> bool {
        self.0.not_applied
    }

    /// How long the server asked us to wait, when it said.
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// The backend that failed, when known.
    pub fn backend(&self) -> Option<&str> {
        self.0.backend.as_deref()
    }

    /// The operation that failed, when known.
    pub fn operation(&self) -> Option<Operation> {
        self.0.operation
    }

    /// The secret path involved, when known.
    pub fn path(&self) -> Option<&str> {
        self.0.path.as_deref()
    }

    /// The message without context.
    pub fn message(&self) -> &str {
        &self.0.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(backend) = &self.0.backend {
            write!(f, "{backend}")?;
            if let Some(op) = self.0.operation {
                write!(f, " {op}")?;
            }
            if let Some(path) = &self.0.path {
                write!(f, " '{path}'")?;
            }
            f.write_str(": ")?;
        }
        write!(f, "{}", self.0.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Error")
            .field("kind", &self.0.kind)
            .field("retryable", &self.0.retryable)
            .field("not_applied", &self.0.not_applied)
            .field("backend", &self.0.backend)
            .field("operation", &self.0.operation)
            .field("path", &self.0.path)
            .field("message", &self.0.message)
            .finish()
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        self.0
            .source
            .as_deref()
            .map(|e| e as &(dyn std::error::Error + 'static))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_backend_operation_and_path() {
        let err = Error::not_found("no such secret").context("local", Operation::Get, "app/db");
        assert_eq!(err.to_string(), "local get 'app/db': no such secret");
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(!err.is_retryable());
    }

    #[test]
    fn every_kind_is_listed_once_with_a_name_that_round_trips() {
        for kind in ErrorKind::ALL {
            assert_eq!(ErrorKind::from_name(kind.name()), Some(kind));
        }
        let mut names: Vec<_> = ErrorKind::ALL.iter().map(|k| k.name()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorKind::ALL.len());
    }

    #[test]
    fn unavailable_and_rate_limited_are_retryable_by_default() {
        assert!(Error::new(ErrorKind::Unavailable, "down").is_retryable());
        assert!(Error::new(ErrorKind::RateLimited, "slow down").is_retryable());
        assert!(!Error::new(ErrorKind::Conflict, "cas").is_retryable());
    }

    #[test]
    fn unsupported_names_backend_and_operation() {
        let err = Error::unsupported("aws", Operation::Undelete);
        assert_eq!(err.kind(), ErrorKind::Unsupported);
        assert_eq!(err.backend(), Some("aws"));
        assert_eq!(err.operation(), Some(Operation::Undelete));
        assert!(err.to_string().contains("does not support undelete"));
    }
}
