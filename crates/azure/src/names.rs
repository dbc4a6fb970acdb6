//! The reversible mapping between ironsecrets paths and Key Vault object names.
//!
//! Key Vault names allow only `[0-9a-zA-Z-]`, 1 to 127 characters, and compare without
//! case. A path is written as lowercase letters, digits and escapes that start with `-`:
//!
//! | in the path | in the Key Vault name |
//! |---|---|
//! | `a`–`z`, `0`–`9` | themselves |
//! | `-` | `--` |
//! | `/` | `-s` |
//! | `_` | `-u` |
//! | `.` | `-d` |
//! | an uppercase `A`–`Z` | `-c` and the letter in lowercase (`App` is `-capp`) |
//! | any other character | `-x` and its UTF-8 bytes in lowercase hex (`é` is `-xc3a9`) |
//!
//! So `app/db_password` is `app-sdb-upassword` and `App.Config` is `-capp-d-cconfig`. Every
//! name this produces is lowercase, so two paths never meet in Key Vault's case-insensitive
//! namespace, and decoding lowercases first, so a name another client typed in capitals
//! still decodes. A path whose name would pass 127 characters is InvalidInput, saying how
//! long it came out.

use ironsecrets_core::{Error, Result, validate_path};

/// Longest Key Vault object name.
pub const MAX_NAME_LEN: usize = 127;

/// The Key Vault name of `path`, or InvalidInput when the path is not valid or its name
/// would be too long.
pub fn encode(path: &str) -> Result<String> {
    validate_path(path)?;
    let mut name = String::with_capacity(path.len());
    for c in path.chars() {
        match c {
            'a'..='z' | '0'..='9' => name.push(c),
            'A'..='Z' => {
                name.push_str("-c");
                name.push(c.to_ascii_lowercase());
            }
            '-' => name.push_str("--"),
            '/' => name.push_str("-s"),
            '_' => name.push_str("-u"),
            '.' => name.push_str("-d"),
            other => {
                name.push_str("-x");
                let mut buf = [0u8; 4];
                for byte in other.encode_utf8(&mut buf).bytes() {
                    name.push_str(&format!("{byte:02x}"));
                }
            }
        }
    }
    if name.len() > MAX_NAME_LEN {
        return Err(Error::invalid_input(format!(
            "the path becomes a Key Vault name of {} characters; Key Vault allows {MAX_NAME_LEN} \
             (each '/', '_', '.', '-' and capital letter takes 2, other non-ASCII bytes 2 per byte plus 2)",
            name.len()
        ))
        .with_path(path));
    }
    Ok(name)
}

/// The path a Key Vault name stands for; `None` for a name this mapping never makes
/// (written by another client), which listing skips.
pub fn decode(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let mut bytes = Vec::with_capacity(lower.len());
    let mut chars = lower.chars();
    while let Some(c) = chars.next() {
        match c {
            'a'..='z' | '0'..='9' => bytes.push(c as u8),
            '-' => match chars.next()? {
                '-' => bytes.push(b'-'),
                's' => bytes.push(b'/'),
                'u' => bytes.push(b'_'),
                'd' => bytes.push(b'.'),
                'c' => {
                    let letter = chars.next().filter(char::is_ascii_lowercase)?;
                    bytes.push(letter.to_ascii_uppercase() as u8);
                }
                'x' => decode_utf8_escape(&mut chars, &mut bytes)?,
                _ => return None,
            },
            _ => return None,
        }
    }
    let path = String::from_utf8(bytes).ok()?;
    // Only a name that `encode` itself would make stands for a path.
    (encode(&path).ok()? == lower).then_some(path)
}

/// Reads one character's UTF-8 bytes as hex after `-x`: the first byte says how many follow.
fn decode_utf8_escape(chars: &mut std::str::Chars<'_>, bytes: &mut Vec<u8>) -> Option<()> {
    let mut next_byte = || {
        let hex: String = chars.by_ref().take(2).collect();
        (hex.len() == 2).then(|| u8::from_str_radix(&hex, 16).ok())?
    };
    let first = next_byte()?;
    let len = match first.leading_ones() {
        0 => 1,
        n @ 2..=4 => n as usize,
        _ => return None,
    };
    bytes.push(first);
    for _ in 1..len {
        bytes.push(next_byte()?);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use ironsecrets_core::ErrorKind;

    use super::*;

    #[test]
    fn documented_examples() {
        assert_eq!(encode("app/db_password").unwrap(), "app-sdb-upassword");
        assert_eq!(encode("App.Config").unwrap(), "-capp-d-cconfig");
        assert_eq!(encode("é").unwrap(), "-xc3a9");
        assert_eq!(encode("a-b").unwrap(), "a--b");
    }

    #[test]
    fn paths_round_trip() {
        for path in [
            "a",
            "app/db/password",
            "ünïcode/ключ",
            "a.b/c-d_e",
            "x/..y",
            "MiXeD/Case-9",
            "emoji/🔑",
            "space in/name",
            "--/__/..x",
        ] {
            let name = encode(path).unwrap();
            assert!(
                name.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
                "{name}"
            );
            assert_eq!(decode(&name).as_deref(), Some(path), "{path} -> {name}");
        }
    }

    #[test]
    fn case_differences_never_collide() {
        assert_ne!(encode("App").unwrap(), encode("app").unwrap());
        // Key Vault may hand a name back in capitals: it decodes the same.
        assert_eq!(decode("APP-SDB").as_deref(), Some("app/db"));
    }

    #[test]
    fn invalid_paths_and_long_names_are_invalid_input() {
        for bad in ["", "a//b", "../a", "/a"] {
            assert_eq!(encode(bad).unwrap_err().kind(), ErrorKind::InvalidInput);
        }
        encode(&"a".repeat(MAX_NAME_LEN)).unwrap();
        let err = encode(&"a".repeat(MAX_NAME_LEN + 1)).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(err.message().contains("128 characters"), "{err}");
        let err = encode(&"a/".repeat(44)[..87]).unwrap_err();
        assert!(err.message().contains("Key Vault allows 127"), "{err}");
    }

    #[test]
    fn names_this_mapping_never_makes_do_not_decode() {
        for foreign in ["a-", "a-z", "-c1", "-xzz", "-xc3", "-xff", "-x2f", "a-sb-s"] {
            assert_eq!(decode(foreign), None, "{foreign}");
        }
    }
}
