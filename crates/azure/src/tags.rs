//! What ironsecrets keeps in Key Vault tags beside the user's own: the value's encoding,
//! a precise write time, and the rotation policy.
//!
//! Key Vault tags belong to a version, so `put` copies the newest version's tags and
//! policy to the new version unless new ones are given, and `update_metadata` changes
//! the newest version's. Reserved keys start with `ironsecrets.`:
//! - `ironsecrets.encoding = base64`: the value is not UTF-8 and is stored as base64;
//!   `ironsecrets.encoding = empty`: the value is empty (Key Vault refuses empty values)
//!   and stored as `(empty)`;
//! - `ironsecrets.written`: the write time in RFC 3339 with nanoseconds (Key Vault keeps
//!   whole seconds, too coarse to order versions written in the same second);
//! - the rotation policy under the core's reserved keys
//!   ([`ironsecrets_core::metadata_keys`]), as every backend writes it.

use std::collections::{BTreeMap, HashMap};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::{DateTime, Utc};
use ironsecrets_core::metadata_keys::{self, is_reserved, rotation_entries};
use ironsecrets_core::{Error, MetadataUpdate, Result, RotationPolicy, SecretValue};

/// Marks a base64-stored binary value.
pub const ENCODING: &str = "ironsecrets.encoding";
/// The precise write time.
pub const WRITTEN: &str = "ironsecrets.written";
/// Key Vault's limit on tags per object.
const MAX_TAGS: usize = 15;
const MAX_LEN: usize = 256;

/// The user's tags and the rotation policy of a version's tags.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UserMetadata {
    /// Tags without reserved keys.
    pub tags: BTreeMap<String, String>,
    /// The rotation policy, if set.
    pub rotation: Option<RotationPolicy>,
}

impl UserMetadata {
    /// Reads them from Key Vault tags; a spoiled rotation key is an error naming it.
    pub fn read(tags: Option<&HashMap<String, String>>) -> Result<Self> {
        let Some(tags) = tags else {
            return Ok(UserMetadata::default());
        };
        let user = tags
            .iter()
            .filter(|(k, _)| !is_reserved(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let rotation = metadata_keys::read_rotation(|key| tags.get(key).map(String::as_str))?;
        Ok(UserMetadata {
            tags: user,
            rotation,
        })
    }

    /// Applies an update (`None` fields stay).
    pub fn apply(&mut self, update: &MetadataUpdate) -> Result<()> {
        check(update)?;
        if let Some(tags) = &update.tags {
            self.tags = tags.clone();
        }
        if let Some(rotation) = update.rotation {
            self.rotation = rotation;
        }
        Ok(())
    }

    /// The Key Vault tags for a version: these plus the reserved keys given.
    pub fn to_tags(&self, reserved: &[(&str, String)]) -> Result<HashMap<String, String>> {
        let mut out: HashMap<String, String> = self.tags.clone().into_iter().collect();
        if let Some(policy) = &self.rotation {
            out.extend(
                rotation_entries(policy)
                    .into_iter()
                    .map(|(key, value)| (key.to_owned(), value)),
            );
        }
        for (key, value) in reserved {
            out.insert((*key).to_owned(), value.clone());
        }
        if out.len() > MAX_TAGS {
            return Err(Error::invalid_input(format!(
                "Key Vault allows {MAX_TAGS} tags per secret; with ironsecrets' own ({}) this would be {}",
                out.len() - self.tags.len(),
                out.len()
            )));
        }
        Ok(out)
    }
}

/// The precise write time stored in `tags`, if any.
pub fn written(tags: Option<&HashMap<String, String>>) -> Option<DateTime<Utc>> {
    let text = tags?.get(WRITTEN)?;
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Key Vault refuses an empty value: an empty one is stored as this text, marked.
const EMPTY_PLACEHOLDER: &str = "(empty)";

/// The text Key Vault stores for `value`, and the [`ENCODING`] tag it needs: UTF-8 as it
/// is, other bytes as base64 (`base64`), the empty value as a placeholder (`empty`).
pub fn encode_value(value: &SecretValue) -> (String, Option<&'static str>) {
    match std::str::from_utf8(value.expose()) {
        Ok("") => (EMPTY_PLACEHOLDER.to_owned(), Some("empty")),
        Ok(text) => (text.to_owned(), None),
        Err(_) => (BASE64.encode(value.expose()), Some("base64")),
    }
}

/// The value a stored text stands for, given the version's tags.
pub fn decode_value(tags: Option<&HashMap<String, String>>, text: &str) -> Result<SecretValue> {
    match tags.and_then(|t| t.get(ENCODING)).map(String::as_str) {
        None => Ok(SecretValue::new(text.as_bytes().to_vec())),
        Some("empty") => Ok(SecretValue::new(Vec::new())),
        Some("base64") => BASE64
            .decode(text)
            .map(SecretValue::new)
            .map_err(|_| Error::unexpected("a value marked base64 is not valid base64")),
        Some(other) => Err(Error::unexpected(format!(
            "the value is marked with the unknown encoding '{other}'"
        ))),
    }
}

/// Refuses an update Key Vault cannot hold (`max_versions`, reserved or oversized tags),
/// before any request.
pub(crate) fn check(update: &MetadataUpdate) -> Result<()> {
    if update.max_versions.is_some() {
        return Err(Error::unsupported_feature(crate::BACKEND, "max_versions"));
    }
    for (key, value) in update.tags.iter().flatten() {
        metadata_keys::check_tag(key)?;
        if key.is_empty() || key.len() > MAX_LEN || value.len() > MAX_LEN {
            return Err(Error::invalid_input(format!(
                "Key Vault tag names must be 1 to {MAX_LEN} characters and values at most {MAX_LEN}; '{key}' is not"
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use ironsecrets_core::ErrorKind;
    use ironsecrets_core::metadata_keys::ReservedKey;

    use super::*;

    const ROTATION_PERIOD: &str = "ironsecrets.rotation-period";

    #[test]
    fn round_trip_with_reserved_keys_hidden() {
        let meta = UserMetadata {
            tags: [("owner".to_owned(), "team-a".to_owned())].into(),
            rotation: Some(RotationPolicy::days(30, 7)),
        };
        let tags = meta.to_tags(&[(ENCODING, "base64".into())]).unwrap();
        assert_eq!(ROTATION_PERIOD, ReservedKey::RotationPeriod.key());
        assert_eq!(tags[ROTATION_PERIOD], "2592000");
        assert_eq!(UserMetadata::read(Some(&tags)).unwrap(), meta);
    }

    #[test]
    fn values_encode_and_decode() {
        for bytes in [&b""[..], b"text", &[0xff, 0x00, 0x80]] {
            let (text, encoding) = encode_value(&SecretValue::new(bytes.to_vec()));
            assert!(!text.is_empty());
            let tags: HashMap<String, String> = encoding
                .map(|e| (ENCODING.to_owned(), e.to_owned()))
                .into_iter()
                .collect();
            assert_eq!(decode_value(Some(&tags), &text).unwrap().expose(), bytes);
        }
    }

    #[test]
    fn bad_updates_are_refused() {
        let mut meta = UserMetadata::default();
        let reserved = MetadataUpdate {
            tags: Some([(WRITTEN.to_owned(), "x".to_owned())].into()),
            ..MetadataUpdate::default()
        };
        assert_eq!(
            meta.apply(&reserved).unwrap_err().kind(),
            ErrorKind::InvalidInput
        );
        let trim = MetadataUpdate {
            max_versions: Some(3),
            ..MetadataUpdate::default()
        };
        assert_eq!(
            meta.apply(&trim).unwrap_err().kind(),
            ErrorKind::Unsupported
        );
        let many = UserMetadata {
            tags: (0..15).map(|i| (format!("k{i}"), "v".to_owned())).collect(),
            rotation: None,
        };
        let err = many.to_tags(&[(WRITTEN, "t".into())]).unwrap_err();
        assert!(err.message().contains("15 tags"), "{err}");
    }

    #[test]
    fn spoiled_rotation_tag_is_named() {
        let tags: HashMap<String, String> =
            [(ROTATION_PERIOD.to_owned(), "soon".to_owned())].into();
        let err = UserMetadata::read(Some(&tags)).unwrap_err();
        assert!(err.message().contains(ROTATION_PERIOD));
    }
}
