//! Encryption as a service: named, versioned keys that never leave the backend.

use std::fmt;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{Error, Result, SecretValue, TransitCapabilities};

/// The algorithm of a transit key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[non_exhaustive]
pub enum KeyType {
    /// AES-256-GCM with 96-bit nonces (encrypt, decrypt, data keys, HMAC).
    Aes256Gcm96,
    /// ChaCha20-Poly1305.
    Chacha20Poly1305,
    /// Ed25519 signatures.
    Ed25519,
    /// ECDSA over P-256.
    EcdsaP256,
    /// RSA 2048.
    Rsa2048,
}

impl KeyType {
    /// Every key type.
    pub const ALL: &'static [KeyType] = &[
        KeyType::Aes256Gcm96,
        KeyType::Chacha20Poly1305,
        KeyType::Ed25519,
        KeyType::EcdsaP256,
        KeyType::Rsa2048,
    ];

    /// Whether keys of this type sign (rather than encrypt).
    pub fn signs(self) -> bool {
        matches!(
            self,
            KeyType::Ed25519 | KeyType::EcdsaP256 | KeyType::Rsa2048
        )
    }

    /// The name Vault uses for this key type.
    pub fn name(self) -> &'static str {
        match self {
            KeyType::Aes256Gcm96 => "aes256-gcm96",
            KeyType::Chacha20Poly1305 => "chacha20-poly1305",
            KeyType::Ed25519 => "ed25519",
            KeyType::EcdsaP256 => "ecdsa-p256",
            KeyType::Rsa2048 => "rsa-2048",
        }
    }

    /// Parses a Vault key type name.
    pub fn parse(name: &str) -> Result<Self> {
        KeyType::ALL
            .iter()
            .copied()
            .find(|t| t.name() == name)
        .ok_or_else(|| {
            Error::invalid_input(format!(
                "unknown key type '{name}'; expected aes256-gcm96, chacha20-poly1305, ed25519, ecdsa-p256 or rsa-2048"
            ))
        })
    }
}

impl fmt::Display for KeyType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Options for creating a transit key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyOptions {
    /// The algorithm.
    pub key_type: KeyType,
    /// Whether the key material may be exported later.
    pub exportable: bool,
}

impl Default for KeyOptions {
    fn default() -> Self {
        KeyOptions {
            key_type: KeyType::Aes256Gcm96,
            exportable: false,
        }
    }
}

/// A transit key's description (never its material).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInfo {
    /// The key's name.
    pub name: String,
    /// Its algorithm.
    pub key_type: KeyType,
    /// The newest version, used for encrypt and sign.
    pub latest_version: u32,
    /// The oldest version still allowed to decrypt or verify.
    pub min_decryption_version: u32,
    /// When the key was created.
    pub created_at: DateTime<Utc>,
    /// Whether the material may be exported.
    pub exportable: bool,
}

/// Splits `prefix:v<N>:<payload>` into its version and payload.
fn split_versioned(text: &str) -> Result<(u32, &str)> {
    let mut parts = text.splitn(3, ':');
    let (_prefix, version, payload) = match (parts.next(), parts.next(), parts.next()) {
        (Some(p), Some(v), Some(rest)) => (p, v, rest),
        _ => {
            return Err(Error::invalid_input(
                "malformed ciphertext: expected 'prefix:v<version>:<base64>'",
            ));
        }
    };
    let number = version
        .strip_prefix('v')
        .and_then(|v| v.parse::<u32>().ok())
        .filter(|v| *v > 0)
        .ok_or_else(|| Error::invalid_input("malformed ciphertext: bad key version"))?;
    Ok((number, payload))
}

/// A transit ciphertext in Vault's text form `vault:v<N>:<base64>` (local uses the
/// prefix `local`). It carries the key version that made it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Ciphertext(String);

impl Ciphertext {
    /// Wraps the text form.
    pub fn new(text: impl Into<String>) -> Self {
        Ciphertext(text.into())
    }

    /// Builds `prefix:v<version>:<payload>`.
    pub fn compose(prefix: &str, version: u32, payload: &str) -> Self {
        Ciphertext(format!("{prefix}:v{version}:{payload}"))
    }

    /// The text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key version that made it, and the encoded payload.
    pub fn parts(&self) -> Result<(u32, &str)> {
        split_versioned(&self.0)
    }

    /// The key version that made it.
    pub fn key_version(&self) -> Result<u32> {
        Ok(self.parts()?.0)
    }
}

impl fmt::Display for Ciphertext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A signature or HMAC in the same `prefix:v<N>:<base64>` form as a ciphertext.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Signature(String);

impl Signature {
    /// Wraps the text form.
    pub fn new(text: impl Into<String>) -> Self {
        Signature(text.into())
    }

    /// Builds `prefix:v<version>:<payload>`.
    pub fn compose(prefix: &str, version: u32, payload: &str) -> Self {
        Signature(format!("{prefix}:v{version}:{payload}"))
    }

    /// The text form.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The key version that made it, and the encoded payload.
    pub fn parts(&self) -> Result<(u32, &str)> {
        split_versioned(&self.0)
    }
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A fresh data key: use `plaintext` locally, store `ciphertext` beside the data.
#[derive(Clone, Debug)]
pub struct DataKey {
    /// The key bytes (redacted in Debug).
    pub plaintext: SecretValue,
    /// The same key encrypted under the transit key.
    pub ciphertext: Ciphertext,
}

/// Encryption, signing and HMAC with keys held by the backend.
#[async_trait]
pub trait Transit: Send + Sync + 'static {
    /// What this engine supports.
    fn capabilities(&self) -> TransitCapabilities;

    /// Creates a key; AlreadyExists if the name is taken.
    async fn create_key(&self, name: &str, options: KeyOptions) -> Result<KeyInfo>;

    /// Describes a key.
    async fn read_key(&self, name: &str) -> Result<KeyInfo>;

    /// Key names, sorted.
    async fn list_keys(&self) -> Result<Vec<String>>;

    /// Adds a new key version; new ciphertexts use it.
    async fn rotate_key(&self, name: &str) -> Result<KeyInfo>;

    /// Refuses decryption with versions older than `version`.
    async fn set_min_decryption_version(&self, name: &str, version: u32) -> Result<KeyInfo>;

    /// Encrypts with the newest key version. `context` is authenticated, not stored.
    async fn encrypt(
        &self,
        name: &str,
        plaintext: &[u8],
        context: Option<&[u8]>,
    ) -> Result<Ciphertext>;

    /// Decrypts; Integrity if the ciphertext or context was altered.
    async fn decrypt(
        &self,
        name: &str,
        ciphertext: &Ciphertext,
        context: Option<&[u8]>,
    ) -> Result<SecretValue>;

    /// Re-encrypts under the newest key version without revealing the plaintext.
    async fn rewrap(
        &self,
        name: &str,
        ciphertext: &Ciphertext,
        context: Option<&[u8]>,
    ) -> Result<Ciphertext>;

    /// Signs `data` with the newest version of a signing key.
    async fn sign(&self, name: &str, data: &[u8]) -> Result<Signature>;

    /// Checks a signature; `Ok(false)` for a wrong one.
    async fn verify(&self, name: &str, data: &[u8], signature: &Signature) -> Result<bool>;

    /// HMAC-SHA256 of `data` under the newest key version.
    async fn hmac(&self, name: &str, data: &[u8]) -> Result<Signature>;

    /// Checks an HMAC; `Ok(false)` for a wrong one.
    async fn verify_hmac(&self, name: &str, data: &[u8], hmac: &Signature) -> Result<bool>;

    /// A new random data key of `bits` (128, 256 or 512) and its ciphertext.
    async fn generate_data_key(&self, name: &str, bits: u32) -> Result<DataKey>;

    /// Creates a key from existing material (bring your own key).
    async fn import_key(
        &self,
        name: &str,
        key_type: KeyType,
        material: SecretValue,
    ) -> Result<KeyInfo>;
}
