//! Exit codes: the one table. Each error kind has its own code so scripts can tell a
//! missing secret from a wrong master key without parsing messages; the `--help` text is
//! generated from the same table.

use ironsecrets::ErrorKind;

/// The command did what was asked.
pub const SUCCESS: u8 = 0;
/// Anything the table does not name more precisely.
pub const UNEXPECTED: u8 = 1;
/// Bad arguments; clap reports these itself and exits with 2.
pub const USAGE: u8 = 2;
/// `status --check` found a secret past its rotation period.
pub const ROTATION_EXPIRED: u8 = 20;
/// `scan` found a secret value.
pub const SECRETS_FOUND: u8 = 21;

/// One row of the table.
pub struct Row {
    /// The process exit code.
    pub code: u8,
    /// The name shown in `--help` (the error kind's name where there is one).
    pub name: &'static str,
    /// The error kind that maps to this code, if any.
    pub kind: Option<ErrorKind>,
    /// What it means, for `--help`.
    pub meaning: &'static str,
}

const fn kind(code: u8, kind: ErrorKind, name: &'static str, meaning: &'static str) -> Row {
    Row {
        code,
        name,
        kind: Some(kind),
        meaning,
    }
}

const fn own(code: u8, name: &'static str, meaning: &'static str) -> Row {
    Row {
        code,
        name,
        kind: None,
        meaning,
    }
}

/// Every exit code the binary uses.
pub const TABLE: &[Row] = &[
    own(SUCCESS, "OK", "success"),
    kind(
        UNEXPECTED,
        ErrorKind::Unexpected,
        "Unexpected",
        "anything else (a bug, an I/O failure)",
    ),
    own(USAGE, "Usage", "bad command-line arguments"),
    kind(
        3,
        ErrorKind::NotFound,
        "NotFound",
        "no such secret, version, field, key or principal",
    ),
    kind(
        4,
        ErrorKind::AlreadyExists,
        "AlreadyExists",
        "it exists already (`init` on an existing store, a taken key name)",
    ),
    kind(
        5,
        ErrorKind::Conflict,
        "Conflict",
        "a check-and-set (`--cas`) or concurrent change conflicted",
    ),
    kind(
        6,
        ErrorKind::PermissionDenied,
        "PermissionDenied",
        "the principal's role does not allow this",
    ),
    kind(
        7,
        ErrorKind::Unauthenticated,
        "Unauthenticated",
        "the caller could not be identified (missing or expired token)",
    ),
    kind(
        8,
        ErrorKind::InvalidInput,
        "InvalidInput",
        "a malformed path, value, version or option",
    ),
    kind(
        9,
        ErrorKind::Unsupported,
        "Unsupported",
        "this backend does not support the operation",
    ),
    kind(
        10,
        ErrorKind::Unavailable,
        "Unavailable",
        "the backend is down, sealed, locked or unreachable; retry later",
    ),
    kind(
        11,
        ErrorKind::RateLimited,
        "RateLimited",
        "the backend asked us to slow down; retry later",
    ),
    kind(
        12,
        ErrorKind::LeaseExpired,
        "LeaseExpired",
        "the lease has expired or was revoked",
    ),
    kind(
        13,
        ErrorKind::Integrity,
        "Integrity",
        "wrong master key or passphrase, tampered data, broken audit chain",
    ),
    kind(
        14,
        ErrorKind::Config,
        "Config",
        "misconfigured: store URI, missing store, missing master key",
    ),
    own(
        ROTATION_EXPIRED,
        "RotationExpired",
        "`status --check` found a secret past its rotation period",
    ),
    own(
        SECRETS_FOUND,
        "SecretsFound",
        "`scan` found a stored secret's value (or its encoding) in the files",
    ),
];

/// The exit code that mirrors a child's: its own, or 128+N when signal N ended it.
pub fn of_child(status: std::process::ExitStatus) -> u8 {
    use std::os::unix::process::ExitStatusExt;
    match (status.code(), status.signal()) {
        (Some(code), _) => code as u8,
        (None, Some(sig)) => 128u8.wrapping_add(sig as u8),
        (None, None) => UNEXPECTED,
    }
}

/// The exit code for an error kind.
pub fn for_kind(kind: ErrorKind) -> u8 {
    TABLE
        .iter()
        .find(|row| row.kind == Some(kind))
        .map_or(UNEXPECTED, |row| row.code)
}

/// The `EXIT CODES` section of `--help`.
pub fn help_section() -> String {
    let width = TABLE.iter().map(|row| row.name.len()).max().unwrap_or(0);
    let mut text = String::from("Exit codes:\n");
    for row in TABLE {
        text.push_str(&format!(
            "  {:>2}  {:<width$}  {}\n",
            row.code, row.name, row.meaning
        ));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    const ALL_KINDS: [ErrorKind; 13] = [
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

    #[test]
    fn codes_are_distinct() {
        let codes: BTreeSet<u8> = TABLE.iter().map(|row| row.code).collect();
        assert_eq!(codes.len(), TABLE.len());
    }

    #[test]
    fn every_kind_has_its_own_row_named_after_it() {
        for kind in ALL_KINDS {
            let row = TABLE.iter().find(|row| row.kind == Some(kind));
            let row = row.unwrap_or_else(|| panic!("{kind} has no exit code"));
            assert_eq!(row.name, kind.name());
        }
        assert_eq!(for_kind(ErrorKind::Unexpected), UNEXPECTED);
        assert_eq!(for_kind(ErrorKind::Config), 14);
    }

    #[test]
    fn help_lists_every_code() {
        let help = help_section();
        for row in TABLE {
            assert!(help.contains(row.name), "{}", row.name);
        }
    }
}
