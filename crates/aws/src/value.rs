//! How a [`SecretValue`] is stored: UTF-8 text as `SecretString` (so the console, the
//! CLI and every SDK show it as text, and a `SecretMap` is the usual JSON key/value
//! secret), any other bytes as `SecretBinary`.

use aws_sdk_secretsmanager::primitives::Blob;
use ironsecrets_core::SecretValue;

/// The two ways Secrets Manager holds a value.
pub(crate) enum StoredValue {
    /// `SecretString`.
    Text(String),
    /// `SecretBinary`.
    Binary(Blob),
}

impl StoredValue {
    /// Text when the bytes are UTF-8, binary otherwise.
    pub(crate) fn from_value(value: &SecretValue) -> Self {
        match value.expose_str() {
            Ok(text) => StoredValue::Text(text.to_owned()),
            Err(_) => StoredValue::Binary(Blob::new(value.expose().to_vec())),
        }
    }

    /// `(SecretString, SecretBinary)`, exactly one of them set.
    pub(crate) fn fields(&self) -> (Option<String>, Option<Blob>) {
        match self {
            StoredValue::Text(text) => (Some(text.clone()), None),
            StoredValue::Binary(blob) => (None, Some(blob.clone())),
        }
    }
}

/// The value of a `GetSecretValue` answer; `None` when it has neither field.
pub(crate) fn read_value(text: Option<&str>, binary: Option<&Blob>) -> Option<SecretValue> {
    match (text, binary) {
        (Some(text), _) => Some(SecretValue::from(text)),
        (None, Some(blob)) => Some(SecretValue::from(blob.as_ref())),
        (None, None) => None,
    }
}
