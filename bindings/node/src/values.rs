//! `SecretValue`: secret bytes that show as `[REDACTED]` everywhere (`index.js` adds the
//! inspection hooks) and are read only on purpose.

use std::collections::BTreeMap;

use ironsecrets::SecretMap;
use napi::Env;
use napi::bindgen_prelude::{Buffer, Either};
use napi_derive::napi;

/// The bytes of a secret: `[REDACTED]` in `util.inspect`, `String()`, template literals
/// and `JSON.stringify`; read with `reveal()` / `revealString()`.
#[napi]
pub struct SecretValue {
    inner: ironsecrets::SecretValue,
}

impl From<ironsecrets::SecretValue> for SecretValue {
    fn from(inner: ironsecrets::SecretValue) -> Self {
        SecretValue { inner }
    }
}

impl SecretValue {
    /// The core value.
    pub fn core(&self) -> &ironsecrets::SecretValue {
        &self.inner
    }
}

/// A key/value secret: field names to values.
pub type Fields = BTreeMap<String, SecretValue>;

/// A core map as a record of `SecretValue`s.
pub fn fields(map: &SecretMap) -> Fields {
    map.iter()
        .map(|(name, value)| (name.to_owned(), SecretValue::from(value.clone())))
        .collect()
}

#[napi]
impl SecretValue {
    /// Wraps text or bytes.
    #[napi(constructor)]
    pub fn new(value: Either<String, Buffer>) -> Self {
        let inner = match value {
            Either::A(text) => ironsecrets::SecretValue::from(text.as_str()),
            Either::B(bytes) => ironsecrets::SecretValue::from(bytes.as_ref()),
        };
        SecretValue { inner }
    }

    /// The raw bytes, as a new Buffer.
    #[napi]
    pub fn reveal(&self) -> Buffer {
        Buffer::from(self.inner.expose())
    }

    /// The value as text; InvalidInputError if it is not UTF-8.
    #[napi]
    pub fn reveal_string(&self, env: &Env) -> napi::Result<String> {
        self.inner
            .expose_str()
            .map(str::to_owned)
            .map_err(|error| crate::errors::to_js(env, error))
    }

    /// The value read as a key/value secret; InvalidInputError if it is not one.
    #[napi(ts_return_type = "Record<string, SecretValue>")]
    pub fn fields(&self, env: &Env) -> napi::Result<Fields> {
        SecretMap::from_value(&self.inner)
            .map(|map| fields(&map))
            .map_err(|error| crate::errors::to_js(env, error))
    }

    /// The number of bytes.
    #[napi(getter)]
    pub fn length(&self) -> u32 {
        u32::try_from(self.inner.len()).unwrap_or(u32::MAX)
    }

    /// Whether both hold the same bytes.
    #[napi]
    pub fn equals(&self, other: &SecretValue) -> bool {
        self.inner == other.inner
    }
}
