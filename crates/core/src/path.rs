//! Path validation shared by every backend.

use crate::{Error, Result};

/// Longest accepted secret path, in bytes.
pub const MAX_PATH_LEN: usize = 512;

/// Checks a secret path: `/`-separated non-empty segments, no `.` or `..`, no NUL or
/// control characters, at most [`MAX_PATH_LEN`] bytes. The error says what is wrong.
pub fn validate_path(path: &str) -> Result<()> {
    if path.is_empty() {
        return Err(invalid(path, "the path is empty"));
    }
    check_chars_and_len(path)?;
    if path.starts_with('/') || path.ends_with('/') {
        return Err(invalid(path, "the path must not start or end with '/'"));
    }
    for segment in path.split('/') {
        check_segment(path, segment)?;
    }
    Ok(())
}

/// Checks a list prefix: empty (everything) or a path, optionally ending with `/`.
pub fn validate_prefix(prefix: &str) -> Result<()> {
    if prefix.is_empty() {
        return Ok(());
    }
    validate_path(prefix.strip_suffix('/').unwrap_or(prefix))
        .map_err(|e| Error::invalid_input(e.message().replace("path", "prefix")).with_path(prefix))
}

fn check_chars_and_len(path: &str) -> Result<()> {
    if path.len() > MAX_PATH_LEN {
        return Err(invalid(
            &path[..path.floor_char_boundary(40)],
            &format!(
                "the path is {} bytes long; the limit is {MAX_PATH_LEN}",
                path.len()
            ),
        ));
    }
    if path.contains('\0') {
        return Err(invalid(
            &path.replace('\0', "\\0"),
            "the path contains a NUL byte",
        ));
    }
    if let Some(c) = path.chars().find(|c| c.is_control()) {
        return Err(invalid(
            &path.escape_default().to_string(),
            &format!("the path contains the control character {:?}", c),
        ));
    }
    Ok(())
}

fn check_segment(path: &str, segment: &str) -> Result<()> {
    match segment {
        "" => Err(invalid(path, "the path has an empty segment ('//')")),
        "." | ".." => Err(invalid(
            path,
            &format!("the path has a '{segment}' segment; relative segments are not allowed"),
        )),
        _ => Ok(()),
    }
}

fn invalid(path: &str, why: &str) -> Error {
    Error::invalid_input(why.to_owned()).with_path(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn message(path: &str) -> String {
        let err = validate_path(path).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{path:?}");
        err.message().to_owned()
    }

    #[test]
    fn accepts_ordinary_paths() {
        for ok in ["a", "app/db/password", "ünïcode/ключ", "a.b/c-d_e", "x/..y"] {
            validate_path(ok).unwrap();
        }
    }

    #[test]
    fn each_bad_input_says_what_is_wrong() {
        assert!(message("").contains("empty"));
        assert!(message("a//b").contains("'//'"));
        assert!(message("a/../b").contains("'..'"));
        assert!(message("./a").contains("'.'"));
        assert!(message("/a").contains("start or end"));
        assert!(message("a/").contains("start or end"));
        assert!(message("a\0b").contains("NUL"));
        assert!(message("a\nb").contains("control character"));
        assert!(message(&"x".repeat(MAX_PATH_LEN + 1)).contains("limit is 512"));
    }

    #[test]
    fn prefixes_may_be_empty_or_end_with_a_slash() {
        validate_prefix("").unwrap();
        validate_prefix("app/").unwrap();
        validate_prefix("app").unwrap();
        let err = validate_prefix("../").unwrap_err();
        assert!(err.message().contains("prefix"));
    }
}
