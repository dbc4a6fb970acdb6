//! Secret values: bytes that are wiped on drop and never printed.

use std::fmt;

use zeroize::Zeroizing;

use crate::{Error, Result};

const REDACTED: &str = "[REDACTED]";

/// The bytes of a secret. Zeroized on drop; Debug and Display print `[REDACTED]`.
/// Read it explicitly with [`SecretValue::expose`] or [`SecretValue::expose_str`].
#[derive(Clone, PartialEq, Eq)]
pub struct SecretValue(Zeroizing<Vec<u8>>);

impl SecretValue {
    /// Wraps bytes as a secret value.
    pub fn new(bytes: impl Into<Vec<u8>>) -> Self {
        SecretValue(Zeroizing::new(bytes.into()))
    }

    /// The raw bytes. Handle them with care.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    /// The value as UTF-8 text, or InvalidInput if it is binary.
    pub fn expose_str(&self) -> Result<&str> {
        std::str::from_utf8(&self.0)
            .map_err(|_| Error::invalid_input("the secret value is binary, not UTF-8 text"))
    }

    /// Length in bytes.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the value has no bytes.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for SecretValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Reads text or bytes (an option's value, a config field) as a secret value.
impl<'de> serde::Deserialize<'de> for SecretValue {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Bytes;

        impl serde::de::Visitor<'_> for Bytes {
            type Value = SecretValue;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("text or bytes")
            }

            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<SecretValue, E> {
                Ok(SecretValue::from(text))
            }

            fn visit_string<E: serde::de::Error>(self, text: String) -> Result<SecretValue, E> {
                Ok(SecretValue::from(text))
            }

            fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<SecretValue, E> {
                Ok(SecretValue::from(bytes))
            }

            fn visit_byte_buf<E: serde::de::Error>(self, bytes: Vec<u8>) -> Result<SecretValue, E> {
                Ok(SecretValue::from(bytes))
            }
        }

        deserializer.deserialize_byte_buf(Bytes)
    }
}

impl From<&str> for SecretValue {
    fn from(s: &str) -> Self {
        SecretValue::new(s.as_bytes())
    }
}

impl From<String> for SecretValue {
    fn from(s: String) -> Self {
        SecretValue::new(s.into_bytes())
    }
}

impl From<Vec<u8>> for SecretValue {
    fn from(bytes: Vec<u8>) -> Self {
        SecretValue::new(bytes)
    }
}

impl From<&[u8]> for SecretValue {
    fn from(bytes: &[u8]) -> Self {
        SecretValue::new(bytes)
    }
}

/// A key/value secret (a Vault KV map, a JSON object in AWS): field names are plain,
/// field values are [`SecretValue`]s. Stored as a JSON object of strings. Kept as a
/// vector sorted by name: secrets have a handful of fields, and a credential held per
/// lease stays small.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SecretMap(Vec<(String, SecretValue)>);

impl SecretMap {
    /// An empty map.
    pub fn new() -> Self {
        SecretMap::default()
    }

    /// Sets a field.
    pub fn insert(&mut self, key: impl Into<String>, value: impl Into<SecretValue>) {
        let key = key.into();
        let value = value.into();
        match self.position(&key) {
            Ok(at) => self.0[at].1 = value,
            Err(at) => self.0.insert(at, (key, value)),
        }
    }

    /// Removes a field; its value, if it was there.
    pub fn remove(&mut self, key: &str) -> Option<SecretValue> {
        self.position(key).ok().map(|at| self.0.remove(at).1)
    }

    /// A field's value.
    pub fn get(&self, key: &str) -> Option<&SecretValue> {
        self.position(key).ok().map(|at| &self.0[at].1)
    }

    /// Where `key` is, or where it would go.
    fn position(&self, key: &str) -> std::result::Result<usize, usize> {
        self.0.binary_search_by(|(name, _)| name.as_str().cmp(key))
    }

    /// Field names, sorted.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(k, _)| k.as_str())
    }

    /// Fields, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &SecretValue)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of fields.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the map has no fields.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Encodes the map as a JSON object of strings. Field values must be UTF-8.
    pub fn to_value(&self) -> Result<SecretValue> {
        let mut object = serde_json::Map::new();
        for (key, value) in &self.0 {
            let text = value.expose_str().map_err(|_| {
                Error::invalid_input(format!("field '{key}' is binary; map fields must be text"))
            })?;
            object.insert(key.clone(), serde_json::Value::String(text.to_owned()));
        }
        let bytes = serde_json::to_vec(&serde_json::Value::Object(object))
            .map_err(|e| Error::unexpected(format!("encoding a key/value secret: {e}")))?;
        Ok(SecretValue::new(bytes))
    }

    /// Decodes a JSON object; string fields are kept as they are, other JSON values as
    /// their JSON text. Anything but an object is InvalidInput.
    pub fn from_value(value: &SecretValue) -> Result<Self> {
        let parsed: serde_json::Value = serde_json::from_slice(value.expose())
            .map_err(|_| Error::invalid_input("the secret is not a JSON key/value object"))?;
        let serde_json::Value::Object(object) = parsed else {
            return Err(Error::invalid_input(
                "the secret is JSON but not a key/value object",
            ));
        };
        let mut map = SecretMap::new();
        for (key, field) in object {
            let text = match field {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            map.insert(key, text);
        }
        Ok(map)
    }
}

impl fmt::Debug for SecretMap {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.keys().map(|k| (k, REDACTED)))
            .finish()
    }
}

impl<K: Into<String>, V: Into<SecretValue>> FromIterator<(K, V)> for SecretMap {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut map = SecretMap::new();
        for (key, value) in iter {
            map.insert(key, value);
        }
        map
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANARY: &str = "canary-7f3a9c";

    #[test]
    fn map_fields_are_sorted_and_a_name_set_twice_keeps_the_last_value() {
        let mut map: SecretMap = [("user", "a"), ("host", "h"), ("user", "b")]
            .into_iter()
            .collect();
        map.insert("db", "d");
        assert_eq!(map.keys().collect::<Vec<_>>(), ["db", "host", "user"]);
        assert_eq!(map.get("user").unwrap().expose(), b"b");
        assert!(map.get("password").is_none());
        assert_eq!(map.len(), 3);
    }

    #[test]
    fn debug_and_display_never_show_the_value() {
        let value = SecretValue::from(CANARY);
        assert_eq!(format!("{value:?}"), "[REDACTED]");
        assert_eq!(format!("{value}"), "[REDACTED]");
        let map: SecretMap = [("password", CANARY)].into_iter().collect();
        let shown = format!("{map:?}");
        assert!(shown.contains("password"));
        assert!(!shown.contains(CANARY));
    }

    #[test]
    fn map_round_trips_through_json() {
        let map: SecretMap = [("user", "app"), ("password", "pä55")]
            .into_iter()
            .collect();
        let back = SecretMap::from_value(&map.to_value().unwrap()).unwrap();
        assert_eq!(back, map);
        assert_eq!(back.get("password").unwrap().expose_str().unwrap(), "pä55");
    }

    #[test]
    fn non_object_json_is_invalid_input() {
        let err = SecretMap::from_value(&SecretValue::from("[1,2]")).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
        let err = SecretMap::from_value(&SecretValue::from("not json")).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::InvalidInput);
    }

    #[test]
    fn binary_value_is_not_text() {
        let value = SecretValue::new(vec![0xff, 0xfe]);
        assert_eq!(
            value.expose_str().unwrap_err().kind(),
            crate::ErrorKind::InvalidInput
        );
    }
}
