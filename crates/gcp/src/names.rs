//! The reversible mapping between ironsecrets paths and GCP secret ids.
//!
//! A GCP secret id is `[a-zA-Z0-9_-]{1,255}`; a path is any `/`-separated text (see
//! [`ironsecrets_core::validate_path`]). The mapping keeps ASCII letters, digits and `-`
//! as they are and uses `_` as an escape:
//!
//! | path | secret id |
//! | --- | --- |
//! | `/` | `__` |
//! | `.` | `_d` |
//! | `_` | `_u` |
//! | any other character | `_x` + two lowercase hex digits per UTF-8 byte |
//!
//! So `app/db.password` is `app__db_dpassword` and `ключ` is `_xd0_xba_xd0_xbb...`.
//! The code is prefix-free, so a path prefix maps to a secret-id prefix and back. A path
//! whose id would exceed 255 characters is rejected as InvalidInput. Secret ids that do
//! not decode (created by other tools, e.g. `my_secret`) are not ironsecrets paths and
//! are left out of `list`.

use ironsecrets_core::{Error, Result, validate_path, validate_prefix};

/// Longest GCP secret id.
pub const MAX_SECRET_ID_LEN: usize = 255;

/// The secret id for a path; InvalidInput when the path is invalid or maps to an id
/// longer than [`MAX_SECRET_ID_LEN`].
pub fn secret_id(path: &str) -> Result<String> {
    validate_path(path)?;
    let id = encode(path);
    if id.len() > MAX_SECRET_ID_LEN {
        return Err(Error::invalid_input(format!(
            "the path maps to a GCP secret id of {} characters; the limit is \
             {MAX_SECRET_ID_LEN} (each character other than A-Z, a-z, 0-9 and '-' takes 2 \
             or 4 per UTF-8 byte)",
            id.len()
        ))
        .with_path(path));
    }
    Ok(id)
}

/// The secret-id prefix of every path under a list prefix (empty for all).
pub fn id_prefix(prefix: &str) -> Result<String> {
    validate_prefix(prefix)?;
    Ok(encode(prefix))
}

/// The path a secret id stands for; `None` when the id is not one this mapping makes.
pub fn path_of(id: &str) -> Option<String> {
    let mut bytes = Vec::with_capacity(id.len());
    let mut chars = id.bytes();
    while let Some(b) = chars.next() {
        match b {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' => bytes.push(b),
            b'_' => match chars.next()? {
                b'_' => bytes.push(b'/'),
                b'd' => bytes.push(b'.'),
                b'u' => bytes.push(b'_'),
                b'x' => bytes.push(hex_byte(chars.next()?, chars.next()?)?),
                _ => return None,
            },
            _ => return None,
        }
    }
    let path = String::from_utf8(bytes).ok()?;
    // Only canonical encodings: `_x41` for `A` would decode, but `A` encodes as `A`.
    (encode(&path) == id && validate_path(&path).is_ok()).then_some(path)
}

fn encode(path: &str) -> String {
    let mut id = String::with_capacity(path.len());
    let mut utf8 = [0u8; 4];
    for c in path.chars() {
        match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' | '-' => id.push(c),
            '/' => id.push_str("__"),
            '.' => id.push_str("_d"),
            '_' => id.push_str("_u"),
            _ => {
                for b in c.encode_utf8(&mut utf8).bytes() {
                    id.push_str(&format!("_x{b:02x}"));
                }
            }
        }
    }
    id
}

fn hex_byte(high: u8, low: u8) -> Option<u8> {
    let digit = |d: u8| match d {
        b'0'..=b'9' => Some(d - b'0'),
        b'a'..=b'f' => Some(d - b'a' + 10),
        _ => None,
    };
    Some(digit(high)? << 4 | digit(low)?)
}

#[cfg(test)]
mod tests {
    use ironsecrets_core::ErrorKind;

    use super::*;

    fn is_valid_gcp_id(id: &str) -> bool {
        (1..=MAX_SECRET_ID_LEN).contains(&id.len())
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    }

    #[test]
    fn paths_round_trip_through_valid_ids() {
        for path in [
            "a",
            "app/db/password",
            "a.b/c-d_e",
            "x/..y",
            "__/_d_u_x41",
            "ünïcode/ключ/秘密",
            "emoji/🔑",
            "spaces and +=@:%",
            "UPPER/lower/09",
        ] {
            let id = secret_id(path).unwrap();
            assert!(is_valid_gcp_id(&id), "{path:?} -> {id:?}");
            assert_eq!(path_of(&id).as_deref(), Some(path), "{id:?}");
        }
    }

    #[test]
    fn readable_paths_stay_readable() {
        assert_eq!(secret_id("app/db.password").unwrap(), "app__db_dpassword");
        assert_eq!(secret_id("my_key").unwrap(), "my_ukey");
        assert_eq!(secret_id("é").unwrap(), "_xc3_xa9");
    }

    #[test]
    fn prefixes_map_to_id_prefixes() {
        let prefix = id_prefix("app/").unwrap();
        assert!(secret_id("app/x").unwrap().starts_with(&prefix));
        assert!(!secret_id("apple").unwrap().starts_with(&prefix));
        assert_eq!(id_prefix("").unwrap(), "");
    }

    #[test]
    fn too_long_and_invalid_paths_are_invalid_input() {
        assert!(secret_id(&"a".repeat(255)).is_ok());
        let err = secret_id(&"a".repeat(256)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.message().contains("limit is 255"), "{}", err.message());
        let err = secret_id(&"é".repeat(32)).unwrap_err();
        assert!(
            err.message().contains("256 characters"),
            "{}",
            err.message()
        );
        for bad in ["", "a//b", "../a", "a/"] {
            assert_eq!(secret_id(bad).unwrap_err().kind(), ErrorKind::InvalidInput);
        }
        assert_eq!(
            id_prefix("a//").unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
    }

    #[test]
    fn foreign_ids_are_not_paths() {
        for foreign in [
            "my_secret",
            "a_",
            "_x4",
            "_xzz",
            "_x41",
            "_xff",
            "a____b",
            "__a",
        ] {
            assert_eq!(path_of(foreign), None, "{foreign:?}");
        }
    }
}
