//! Vault's transit request and answer bodies, and reading them into our types.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use ironsecrets_core::{Error, ErrorKind, KeyInfo, KeyType, Result, SecretValue};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vaultrs::api::transit::KeyType as VaultKeyType;
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::errors;

/// `batch_input` of an encrypt or decrypt request.
#[derive(Serialize)]
pub(super) struct BatchBody {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub(super) key_type: Option<&'static str>,
    pub(super) batch_input: Vec<BatchInput>,
}

#[derive(Serialize, Zeroize, ZeroizeOnDrop)]
pub(super) struct BatchInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) plaintext: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) ciphertext: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) associated_data: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct BatchResults {
    pub(super) batch_results: Vec<BatchResult>,
}

/// One entry of `batch_results`; the plaintext is wiped on drop.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
pub(super) struct BatchResult {
    pub(super) ciphertext: Option<String>,
    pub(super) plaintext: Option<String>,
    pub(super) error: Option<String>,
}

/// What Vault says about a key (`GET keys/<name>`, and the answer to create, rotate and
/// config).
#[derive(Deserialize)]
pub(super) struct KeyBody {
    pub(super) name: String,
    #[serde(rename = "type")]
    pub(super) key_type: String,
    pub(super) latest_version: u32,
    pub(super) min_decryption_version: u32,
    #[serde(default)]
    pub(super) exportable: bool,
    /// Version → creation time: Unix seconds for symmetric keys, an object with
    /// `creation_time` for asymmetric ones.
    #[serde(default)]
    pub(super) keys: BTreeMap<String, Value>,
}

#[derive(Deserialize)]
pub(super) struct Names {
    pub(super) keys: Vec<String>,
}

#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
pub(super) struct DataKeyBody {
    pub(super) plaintext: Option<String>,
    pub(super) ciphertext: String,
}

#[derive(Deserialize)]
pub(super) struct CiphertextBody {
    pub(super) ciphertext: String,
}

#[derive(Deserialize)]
pub(super) struct SignatureBody {
    pub(super) signature: String,
}

#[derive(Deserialize)]
pub(super) struct HmacBody {
    pub(super) hmac: String,
}

#[derive(Deserialize)]
pub(super) struct Valid {
    pub(super) valid: bool,
}

#[derive(Deserialize)]
pub(super) struct Exported {
    pub(super) keys: BTreeMap<String, String>,
}

impl KeyBody {
    pub(super) fn info(&self) -> Result<KeyInfo> {
        let key_type = KeyType::parse(&self.key_type).map_err(|_| {
            Error::new(
                ErrorKind::Unsupported,
                format!(
                    "the key is of type {}, which ironsecrets does not model",
                    self.key_type
                ),
            )
        })?;
        let oldest = self
            .keys
            .iter()
            .filter_map(|(version, entry)| Some((version.parse::<u32>().ok()?, entry)))
            .min_by_key(|(version, _)| *version)
            .map(|(_, entry)| entry)
            .ok_or_else(errors::unreadable_answer)?;
        Ok(KeyInfo {
            name: self.name.clone(),
            key_type,
            latest_version: self.latest_version,
            min_decryption_version: self.min_decryption_version,
            created_at: creation_time(oldest)?,
            exportable: self.exportable,
        })
    }
}

/// A key version's creation time: Unix seconds, or `{"creation_time": "<RFC 3339>"}`.
pub(super) fn creation_time(entry: &Value) -> Result<DateTime<Utc>> {
    let parsed = match entry {
        Value::Number(secs) => secs.as_i64().and_then(|s| DateTime::from_timestamp(s, 0)),
        Value::Object(fields) => fields
            .get("creation_time")
            .and_then(Value::as_str)
            .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
            .map(|t| t.with_timezone(&Utc)),
        _ => None,
    };
    parsed.ok_or_else(errors::unreadable_answer)
}

/// Vault's name for a key type.
pub(crate) fn vault_key_type(key_type: KeyType) -> Result<VaultKeyType> {
    Ok(match key_type {
        KeyType::Aes256Gcm96 => VaultKeyType::Aes256Gcm96,
        KeyType::Chacha20Poly1305 => VaultKeyType::Chacha20Poly1305,
        KeyType::Ed25519 => VaultKeyType::Ed25519,
        KeyType::EcdsaP256 => VaultKeyType::EcdsaP256,
        KeyType::Rsa2048 => VaultKeyType::Rsa2048,
        other => {
            return Err(Error::new(
                ErrorKind::Unsupported,
                format!("the Vault backend does not support {other} keys"),
            ));
        }
    })
}

pub(super) fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes base64 from Vault into a secret value.
pub(super) fn secret_from_b64(text: &str) -> Result<SecretValue> {
    STANDARD
        .decode(text)
        .map(SecretValue::new)
        .map_err(|_| errors::unreadable_answer())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::transit::NO_UPSERT;

    #[test]
    fn creation_time_is_read_from_either_form() {
        let symmetric = creation_time(&json!(1_700_000_000)).unwrap();
        assert_eq!(symmetric.timestamp(), 1_700_000_000);
        let asymmetric =
            creation_time(&json!({"creation_time": "2024-05-01T10:00:00.123456789Z"})).unwrap();
        assert_eq!(asymmetric.timestamp(), 1_714_557_600);
        assert!(creation_time(&json!("soon")).is_err());
    }

    #[test]
    fn key_info_uses_the_oldest_listed_version() {
        let body: KeyBody = serde_json::from_value(json!({
            "name": "k", "type": "aes256-gcm96", "latest_version": 3,
            "min_decryption_version": 2, "exportable": true,
            "keys": {"3": 300, "2": 200, "10": 1000}
        }))
        .unwrap();
        let info = body.info().unwrap();
        assert_eq!(info.created_at.timestamp(), 200);
        assert_eq!(info.key_type, KeyType::Aes256Gcm96);
        assert_eq!((info.latest_version, info.min_decryption_version), (3, 2));
        assert!(info.exportable);
    }

    #[test]
    fn batch_inputs_carry_no_empty_fields() {
        let body = BatchBody {
            key_type: Some(NO_UPSERT),
            batch_input: vec![BatchInput {
                plaintext: Some("aGk=".into()),
                ciphertext: None,
                associated_data: None,
            }],
        };
        assert_eq!(
            serde_json::to_value(&body).unwrap(),
            json!({"type": NO_UPSERT, "batch_input": [{"plaintext": "aGk="}]})
        );
    }
}
