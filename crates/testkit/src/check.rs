//! What a check returns, and the small assertion helpers the checks share.
//!
//! Every helper names the step that went wrong and never prints a secret value: values are
//! compared, and a mismatch is reported by length only.

use std::fmt;

use ironsecrets_core::{Error, ErrorKind};

/// Why a check did not pass: the backend broke the contract, or the check does not apply.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CheckError {
    /// The backend behaved differently from the contract; the message says how.
    Failed(String),
    /// The check does not apply to this backend; the message says why.
    Skipped(String),
}

impl From<String> for CheckError {
    fn from(message: String) -> Self {
        CheckError::Failed(message)
    }
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckError::Failed(message) => write!(f, "failed: {message}"),
            CheckError::Skipped(reason) => write!(f, "skipped: {reason}"),
        }
    }
}

impl std::error::Error for CheckError {}

/// What every check returns.
pub type CheckResult = Result<(), CheckError>;

/// Returns a formatted failure unless the condition holds. Works in functions returning
/// `Result<_, String>` and `Result<_, CheckError>` alike.
macro_rules! ensure {
    ($cond:expr, $($message:tt)+) => {
        if !$cond {
            return Err(format!($($message)+).into());
        }
    };
}
pub(crate) use ensure;

/// The value of a call that must succeed; the failure names the step and the error.
pub(crate) fn ok<T>(step: &str, result: Result<T, Error>) -> Result<T, String> {
    result.map_err(|e| format!("{step}: failed with {}: {e}", e.kind()))
}

/// The error of a call that must fail with `kind`.
pub(crate) fn fails_with<T>(
    step: &str,
    result: Result<T, Error>,
    kind: ErrorKind,
) -> Result<Error, String> {
    match result {
        Ok(_) => Err(format!("{step}: succeeded, expected {kind}")),
        Err(e) if e.kind() == kind => Ok(e),
        Err(e) => Err(format!("{step}: expected {kind}, got {}: {e}", e.kind())),
    }
}

/// Compares bytes without showing either side.
pub(crate) fn same_bytes(step: &str, actual: &[u8], expected: &[u8]) -> Result<(), String> {
    ensure!(
        actual == expected,
        "{step}: value differs (len {} vs {} expected)",
        actual.len(),
        expected.len()
    );
    Ok(())
}

/// Fails if `shown` (something printed) contains `canary` (a planted value).
pub(crate) fn free_of(what: &str, shown: &str, canary: &str) -> Result<(), String> {
    ensure!(!shown.contains(canary), "{what} shows the planted value");
    Ok(())
}

/// The folder form of `prefix`: ending with exactly one `/`.
pub(crate) fn folder(prefix: &str) -> String {
    format!("{}/", prefix.trim_end_matches('/'))
}

/// `rest` inside the folder `prefix`.
pub(crate) fn under(prefix: &str, rest: &str) -> String {
    format!("{}{rest}", folder(prefix))
}

/// A value no other run writes, to plant and look for.
pub(crate) fn unique(label: &str) -> String {
    format!("{label}-{:016x}", rand::random::<u64>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn under_joins_with_one_slash_whether_or_not_the_prefix_ends_with_one() {
        assert_eq!(under("run/check/", "a/b"), "run/check/a/b");
        assert_eq!(under("run/check", "a/b"), "run/check/a/b");
        assert_eq!(folder("run/check"), "run/check/");
    }

    #[test]
    fn a_value_mismatch_shows_lengths_only() {
        let err = same_bytes("get", b"hunter2", b"hunter3!").unwrap_err();
        assert_eq!(err, "get: value differs (len 7 vs 8 expected)");
    }
}
