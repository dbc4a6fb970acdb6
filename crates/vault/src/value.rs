//! How a [`SecretValue`]'s bytes are stored in a KV map, and read back byte for byte.
//!
//! - A value that is the JSON text of a non-empty object of strings, in the form
//!   [`SecretMap::to_value`](ironsecrets_core::SecretMap::to_value) writes (compact, keys
//!   sorted), is stored as that KV map itself: `{"username": "app", "password": "..."}`.
//! - Other UTF-8 text is stored as `{"value": "<text>"}`.
//! - Other bytes are stored as `{"value": "<base64>", "encoding": "base64"}`.
//!
//! Reading inverts this: a map of exactly `value` (a string), or of `value` and
//! `encoding: "base64"`, is that text or those bytes; any other map is returned as its
//! compact JSON text with sorted keys, ready for `SecretMap::from_value`. A map written
//! by us whose fields would read as the second or third form (its only keys `value`, or
//! `value` and `encoding`) is stored as text instead, so it too reads back unchanged.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ironsecrets_core::{Error, Result, SecretValue};
use serde_json::{Map, Value};

/// The field holding a text or base64 value.
pub const VALUE_FIELD: &str = "value";
/// The field saying how `value` is encoded; only `base64` is written.
pub const ENCODING_FIELD: &str = "encoding";
/// The one encoding written to [`ENCODING_FIELD`].
pub const BASE64: &str = "base64";

/// The KV map that stores `value`.
pub(crate) fn encode(value: &SecretValue) -> Value {
    let mut fields = Map::new();
    match std::str::from_utf8(value.expose()) {
        Ok(text) => {
            if let Some(map) = plain_map(text) {
                return Value::Object(map);
            }
            fields.insert(VALUE_FIELD.to_owned(), Value::String(text.to_owned()));
        }
        Err(_) => {
            fields.insert(
                VALUE_FIELD.to_owned(),
                Value::String(STANDARD.encode(value.expose())),
            );
            fields.insert(ENCODING_FIELD.to_owned(), Value::String(BASE64.to_owned()));
        }
    }
    Value::Object(fields)
}

/// `text` as a KV map, if it is exactly the compact, key-sorted JSON of a non-empty
/// object of strings that would not read back as a `value` field.
fn plain_map(text: &str) -> Option<Map<String, Value>> {
    if !text.starts_with('{') {
        return None;
    }
    let map: Map<String, Value> = serde_json::from_str(text).ok()?;
    let sorted = map.keys().zip(map.keys().skip(1)).all(|(a, b)| a < b);
    let strings = map.values().all(Value::is_string);
    let canonical = serde_json::to_string(&map).ok()? == text;
    (sorted && strings && canonical && !map.is_empty() && !reads_as_value(&map)).then_some(map)
}

/// Whether a map has the shape of a stored text or binary value.
fn reads_as_value(map: &Map<String, Value>) -> bool {
    map.contains_key(VALUE_FIELD)
        && map
            .keys()
            .all(|k| k.as_str() == VALUE_FIELD || k.as_str() == ENCODING_FIELD)
}

/// The value a KV map stores.
pub(crate) fn decode(data: Value) -> Result<SecretValue> {
    let Value::Object(map) = data else {
        return Err(Error::unexpected("the KV entry holds no key/value map"));
    };
    if reads_as_value(&map) {
        let encoding = map.get(ENCODING_FIELD).map(Value::as_str);
        match (map.get(VALUE_FIELD), encoding) {
            (Some(Value::String(text)), None) => return Ok(SecretValue::from(text.as_str())),
            (Some(Value::String(text)), Some(Some(BASE64))) => {
                return STANDARD
                    .decode(text)
                    .map(SecretValue::new)
                    .map_err(|_| Error::unexpected("the base64 value field is not valid base64"));
            }
            _ => {}
        }
    }
    let mut sorted: Vec<(String, Value)> = map.into_iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    let object: Map<String, Value> = sorted.into_iter().collect();
    serde_json::to_vec(&object)
        .map(SecretValue::new)
        .map_err(|_| Error::unexpected("the KV map could not be encoded as JSON"))
}

#[cfg(test)]
mod tests {
    use ironsecrets_core::SecretMap;
    use serde_json::json;

    use super::*;

    fn round_trip(bytes: &[u8]) -> Value {
        let stored = encode(&SecretValue::new(bytes));
        let back = decode(stored.clone()).unwrap();
        assert_eq!(back.expose(), bytes, "stored as {stored}");
        stored
    }

    #[test]
    fn text_is_a_value_field() {
        assert_eq!(round_trip(b"hunter2"), json!({"value": "hunter2"}));
        assert_eq!(round_trip(b""), json!({"value": ""}));
    }

    #[test]
    fn binary_is_base64() {
        let bytes: Vec<u8> = (0..=255).collect();
        let stored = round_trip(&bytes);
        assert_eq!(stored["encoding"], "base64");
    }

    #[test]
    fn a_secret_map_is_the_kv_map_itself() {
        let map: SecretMap = [("username", "app"), ("password", "pä55 \"q\"")]
            .into_iter()
            .collect();
        let stored = round_trip(map.to_value().unwrap().expose());
        assert_eq!(stored, json!({"username": "app", "password": "pä55 \"q\""}));
    }

    #[test]
    fn json_that_would_not_read_back_the_same_is_text() {
        for text in [
            r#"{"b":"1","a":"2"}"#,
            r#"{"a": "1"}"#,
            r#"{"a":1}"#,
            "{}",
            r#"{"value":"x"}"#,
            r#"{"encoding":"base64","value":"aGk="}"#,
            "[1,2]",
        ] {
            let stored = round_trip(text.as_bytes());
            assert_eq!(stored, json!({ "value": text }), "{text}");
        }
    }

    #[test]
    fn maps_from_other_clients_read_as_sorted_json() {
        let value = decode(json!({"port": 5432, "host": "db"})).unwrap();
        assert_eq!(value.expose(), br#"{"host":"db","port":5432}"#);
        let value = decode(json!({"value": "x", "encoding": "rot13"})).unwrap();
        assert_eq!(value.expose(), br#"{"encoding":"rot13","value":"x"}"#);
    }

    #[test]
    fn bad_base64_is_an_error_that_does_not_echo_it() {
        let err = decode(json!({"value": "canary!!", "encoding": "base64"})).unwrap_err();
        assert!(!err.to_string().contains("canary"));
    }
}
