//! What a failed command reports: one `error:` line a person can act on, optional
//! `hint:` lines, and the exit code from [`crate::exit_code`].

use std::process::ExitCode;

use ironsecrets::{Error, ErrorKind};
use ironsecrets_local::{MASTER_KEY_ENV, PRINCIPAL_ENV};

use crate::exit_code;

/// A failed command. Built from an ironsecrets [`Error`] (the usual case) or, for the
/// few outcomes that are not errors of the SDK, from an exit code and a message.
#[derive(Debug)]
pub struct CliError {
    code: u8,
    message: String,
    hints: Vec<String>,
}

/// Result of a command.
pub type CliResult<T = ()> = Result<T, CliError>;

impl CliError {
    /// A failure with its own exit code (one from [`crate::exit_code::TABLE`]).
    pub fn new(code: u8, message: impl Into<String>) -> Self {
        CliError {
            code,
            message: message.into(),
            hints: Vec::new(),
        }
    }

    /// Adds a `hint:` line.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hints.push(hint.into());
        self
    }

    /// Prints the message and hints to stderr and returns the exit code.
    pub fn report(&self) -> ExitCode {
        // One line: a backend's message could in principle carry a newline.
        eprintln!("error: {}", self.message.replace(['\n', '\r'], " "));
        for hint in &self.hints {
            eprintln!("hint: {hint}");
        }
        ExitCode::from(self.code)
    }
}

impl std::fmt::Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message.replace(['\n', '\r'], " "))
    }
}

impl From<Error> for CliError {
    fn from(err: Error) -> Self {
        let hints = hints_for(&err);
        CliError {
            code: exit_code::for_kind(err.kind()),
            message: err.to_string(),
            hints,
        }
    }
}

/// What a person can do about common errors.
fn hints_for(err: &Error) -> Vec<String> {
    let message = err.message();
    let mut hints = Vec::new();
    match err.kind() {
        ErrorKind::Config if message.contains(MASTER_KEY_ENV) => hints.push(format!(
            "set {MASTER_KEY_ENV} to the store's master key, e.g. read it from your password \
             manager or CI secret store: export {MASTER_KEY_ENV}=..."
        )),
        ErrorKind::Config if message.starts_with("no store at") => {
            hints.push("to use another store, pass --store URI or set IRONSECRETS_STORE".to_owned())
        }
        ErrorKind::Integrity
            if err.operation() == Some(ironsecrets::Operation::Open)
                && message.contains("master key") =>
        {
            hints.push(format!(
                "{MASTER_KEY_ENV} must hold the key the store was created with (or last rotated to)"
            ))
        }
        ErrorKind::Integrity => hints.push(
            "the store file was changed outside ironsecrets; `ironsecrets audit verify` says \
             what, and a backup made before the change is the way back"
                .to_owned(),
        ),
        ErrorKind::PermissionDenied if err.backend() == Some("local") => {
            let principal = std::env::var(PRINCIPAL_ENV).unwrap_or_else(|_| "admin".to_owned());
            hints.push(format!(
                "you act as principal '{principal}' ({PRINCIPAL_ENV}); an admin can change \
                 roles with `ironsecrets role grant`"
            ));
        }
        ErrorKind::Unavailable | ErrorKind::RateLimited => {
            hints.push("this is usually temporary; try again shortly".to_owned())
        }
        _ => {}
    }
    hints
}

/// An I/O failure on `what` (a file name, "stdin", ...) as an ironsecrets error of the
/// matching kind. The message names the file, never its contents.
pub fn io_error(err: std::io::Error, what: &str) -> Error {
    use std::io::ErrorKind as Io;
    let kind = match err.kind() {
        Io::NotFound => ErrorKind::NotFound,
        Io::PermissionDenied => ErrorKind::PermissionDenied,
        Io::AlreadyExists => ErrorKind::AlreadyExists,
        Io::InvalidInput | Io::InvalidData => ErrorKind::InvalidInput,
        _ => ErrorKind::Unexpected,
    };
    Error::new(kind, format!("{what}: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_comes_from_the_kind() {
        let err = CliError::from(Error::not_found("no secret at this path"));
        assert_eq!(err.code, 3);
        let err = CliError::from(Error::config(format!("{MASTER_KEY_ENV} is not set")));
        assert_eq!(err.code, 14);
        assert!(err.hints[0].contains("export"));
    }

    #[test]
    fn io_errors_keep_their_kind() {
        let err = io_error(std::io::Error::from(std::io::ErrorKind::NotFound), "x.bin");
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert!(err.message().starts_with("x.bin: "));
    }
}
