//! The `serde` deserializer behind [`super::Options::parse`]: a map of option names to
//! [`OptionValue`]s, read into a backend's options struct. Text values are parsed into
//! the field's type (strict booleans, integers); errors name the option, never the value.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::de::{self, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::{Deserializer, forward_to_deserialize_any};

use super::OptionValue;

/// A parse error; its text names the option and what was expected.
#[derive(Debug)]
pub(crate) struct OptionError(String);

impl fmt::Display for OptionError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for OptionError {}

impl de::Error for OptionError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        OptionError(message.to_string())
    }

    // The unexpected value is left out: it may be a secret.
    fn invalid_type(_: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        OptionError(format!("expected {expected}"))
    }

    fn invalid_value(_: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        OptionError(format!("expected {expected}"))
    }

    fn unknown_variant(_: &str, expected: &'static [&'static str]) -> Self {
        OptionError(format!("expected one of: {}", expected.join(", ")))
    }

    fn unknown_field(field: &str, expected: &'static [&'static str]) -> Self {
        OptionError(format!(
            "unknown option '{field}'; known options: {}",
            expected.join(", ")
        ))
    }

    fn missing_field(field: &'static str) -> Self {
        OptionError(format!("the option '{field}' is required"))
    }
}

/// The whole map.
pub(crate) struct OptionsDeserializer<'a> {
    entries: std::collections::btree_map::Iter<'a, String, OptionValue>,
    current: Option<&'a str>,
    value: Option<&'a OptionValue>,
}

impl<'a> OptionsDeserializer<'a> {
    pub(crate) fn new(options: &'a BTreeMap<String, OptionValue>) -> Self {
        OptionsDeserializer {
            entries: options.iter(),
            current: None,
            value: None,
        }
    }
}

impl<'de> Deserializer<'de> for OptionsDeserializer<'_> {
    type Error = OptionError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, OptionError> {
        visitor.visit_map(self)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map struct
        enum identifier ignored_any
    }
}

impl<'de> MapAccess<'de> for OptionsDeserializer<'_> {
    type Error = OptionError;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, OptionError> {
        let Some((name, value)) = self.entries.next() else {
            return Ok(None);
        };
        self.current = Some(name);
        self.value = Some(value);
        let name: de::value::StrDeserializer<'_, OptionError> = name.as_str().into_deserializer();
        seed.deserialize(name).map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(
        &mut self,
        seed: V,
    ) -> Result<V::Value, OptionError> {
        let name = self.current.unwrap_or_default();
        let value = self
            .value
            .take()
            .ok_or_else(|| OptionError(format!("option '{name}' has no value")))?;
        seed.deserialize(ValueDeserializer(value))
            .map_err(|e| OptionError(format!("option '{name}': {e}")))
    }
}

/// One value, parsed into whatever type its field has.
struct ValueDeserializer<'a>(&'a OptionValue);

impl ValueDeserializer<'_> {
    fn text(&self) -> Result<&str, OptionError> {
        match self.0 {
            OptionValue::Text(text) => text
                .expose_str()
                .map_err(|_| OptionError("expected text, got binary data".into())),
            OptionValue::Bool(_) | OptionValue::Int(_) => Err(OptionError("expected text".into())),
        }
    }

    fn integer<T: std::str::FromStr + TryFrom<i64>>(&self, what: &str) -> Result<T, OptionError> {
        let wrong = || OptionError(format!("expected {what}"));
        match self.0 {
            OptionValue::Int(n) => T::try_from(*n).map_err(|_| wrong()),
            OptionValue::Text(_) => self.text()?.trim().parse().map_err(|_| wrong()),
            OptionValue::Bool(_) => Err(wrong()),
        }
    }
}

/// Parses a boolean strictly: `true`/`1` on, `false`/`0` off (any case).
pub(crate) fn parse_bool(text: &str) -> Option<bool> {
    match text.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

macro_rules! integers {
    ($($method:ident $visit:ident $ty:ty,)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, OptionError> {
            visitor.$visit(self.integer::<$ty>(concat!("a whole number (", stringify!($ty), ")"))?)
        }
    )*};
}

impl<'de> Deserializer<'de> for ValueDeserializer<'_> {
    type Error = OptionError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, OptionError> {
        match self.0 {
            OptionValue::Text(text) => match text.expose_str() {
                Ok(s) => visitor.visit_str(s),
                Err(_) => visitor.visit_bytes(text.expose()),
            },
            OptionValue::Bool(b) => visitor.visit_bool(*b),
            OptionValue::Int(n) => visitor.visit_i64(*n),
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, OptionError> {
        let strict = || OptionError("expected true/1 or false/0".into());
        match self.0 {
            OptionValue::Bool(b) => visitor.visit_bool(*b),
            OptionValue::Int(0) => visitor.visit_bool(false),
            OptionValue::Int(1) => visitor.visit_bool(true),
            OptionValue::Int(_) => Err(strict()),
            OptionValue::Text(_) => {
                visitor.visit_bool(parse_bool(self.text()?).ok_or_else(strict)?)
            }
        }
    }

    integers! {
        deserialize_i8 visit_i8 i8,
        deserialize_i16 visit_i16 i16,
        deserialize_i32 visit_i32 i32,
        deserialize_i64 visit_i64 i64,
        deserialize_u8 visit_u8 u8,
        deserialize_u16 visit_u16 u16,
        deserialize_u32 visit_u32 u32,
        deserialize_u64 visit_u64 u64,
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, OptionError> {
        match self.0 {
            OptionValue::Text(_) => visitor.visit_str(self.text()?),
            OptionValue::Bool(b) => visitor.visit_string(b.to_string()),
            OptionValue::Int(n) => visitor.visit_string(n.to_string()),
        }
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, OptionError> {
        self.deserialize_string(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, OptionError> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, OptionError> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, OptionError> {
        let variant: de::value::StrDeserializer<'_, OptionError> =
            self.text()?.trim().into_deserializer();
        visitor.visit_enum(variant)
    }

    forward_to_deserialize_any! {
        i128 u128 f32 f64 char bytes byte_buf unit unit_struct seq tuple tuple_struct map
        struct identifier ignored_any
    }
}

/// Whole seconds from a number or from text such as `30` or `30s`.
pub(crate) fn seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    struct Seconds;

    impl Visitor<'_> for Seconds {
        type Value = Duration;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a positive number of seconds such as 30 or 30s")
        }

        fn visit_u64<E: de::Error>(self, secs: u64) -> Result<Duration, E> {
            if secs == 0 {
                return Err(E::custom("expected a positive number of seconds"));
            }
            Ok(Duration::from_secs(secs))
        }

        fn visit_i64<E: de::Error>(self, secs: i64) -> Result<Duration, E> {
            let secs = u64::try_from(secs)
                .map_err(|_| E::custom("expected a positive number of seconds"))?;
            self.visit_u64(secs)
        }

        fn visit_str<E: de::Error>(self, text: &str) -> Result<Duration, E> {
            let digits = text.trim().strip_suffix('s').unwrap_or(text.trim());
            let secs = digits.parse::<u64>().map_err(|_| {
                E::custom("expected a positive number of seconds such as 30 or 30s")
            })?;
            self.visit_u64(secs)
        }
    }

    deserializer.deserialize_any(Seconds)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use serde::Deserialize;

    use crate::{ErrorKind, Options, SecretValue};

    #[derive(Debug, Deserialize, PartialEq, Eq)]
    #[serde(rename_all = "lowercase")]
    enum Kv {
        #[serde(rename = "1")]
        One,
        #[serde(rename = "2")]
        Two,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Sample {
        path: String,
        #[serde(default)]
        create: Option<bool>,
        #[serde(default)]
        versions: Option<u32>,
        #[serde(default)]
        kv: Option<Kv>,
        #[serde(default, deserialize_with = "crate::options::seconds")]
        timeout: Option<Duration>,
        #[serde(default)]
        token: Option<SecretValue>,
    }

    fn parse(options: Options) -> crate::Result<Sample> {
        options.parse::<Sample>()
    }

    #[test]
    fn text_values_are_parsed_into_the_field_types() {
        let sample = parse(
            Options::new()
                .with("path", "/tmp/s.db")
                .with("create", "FALSE")
                .with("versions", "7")
                .with("kv", "1")
                .with("timeout", "30s")
                .with("token", "canary-tok"),
        )
        .unwrap();
        assert_eq!(sample.path, "/tmp/s.db");
        assert_eq!(sample.create, Some(false));
        assert_eq!(sample.versions, Some(7));
        assert_eq!(sample.kv, Some(Kv::One));
        assert_eq!(sample.timeout, Some(Duration::from_secs(30)));
        assert_eq!(sample.token, Some(SecretValue::from("canary-tok")));
    }

    #[test]
    fn typed_values_from_a_binding_are_accepted() {
        let sample = parse(
            Options::new()
                .with("path", "p")
                .with("create", true)
                .with("versions", 3u32)
                .with("timeout", Duration::from_secs(5)),
        )
        .unwrap();
        assert_eq!(sample.create, Some(true));
        assert_eq!(sample.versions, Some(3));
        assert_eq!(sample.timeout, Some(Duration::from_secs(5)));
    }

    fn config_error(options: Options) -> String {
        let err = parse(options).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        err.message().to_owned()
    }

    #[test]
    fn errors_name_the_option_and_never_the_value() {
        let base = || Options::new().with("path", "p");
        let message = config_error(base().with("mnt", "canary-value"));
        assert!(message.contains("unknown option 'mnt'"), "{message}");
        assert!(message.contains("known options: path, create"), "{message}");
        assert!(!message.contains("canary"), "{message}");
        let message = config_error(base().with("create", "canary-yes"));
        assert!(message.contains("option 'create'"), "{message}");
        assert!(message.contains("true/1 or false/0"), "{message}");
        assert!(!message.contains("canary"), "{message}");
        let message = config_error(base().with("versions", "-1"));
        assert!(message.contains("option 'versions'"), "{message}");
        let message = config_error(base().with("kv", "canary-3"));
        assert!(
            message.contains("option 'kv': expected one of: 1, 2"),
            "{message}"
        );
        assert!(!message.contains("canary"), "{message}");
        let message = config_error(base().with("timeout", "0"));
        assert!(message.contains("option 'timeout'"), "{message}");
        let message = config_error(Options::new());
        assert_eq!(message, "the option 'path' is required");
    }

    #[test]
    fn an_option_given_twice_is_refused() {
        let mut options = Options::new().with("path", "a");
        let err = options.insert("path", "b").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.message().contains("'path' is given twice"));
        let err = options.merge(Options::new().with("path", "c")).unwrap_err();
        assert!(err.message().contains("'path'"));
    }

    #[test]
    fn debug_shows_names_only() {
        let options = Options::new().with("token", "canary-secret");
        let shown = format!("{options:?}");
        assert!(shown.contains("token"));
        assert!(!shown.contains("canary"));
    }
}
