//! `VaultTransit`: a transit mount as a [`Transit`] engine — keys (create, read, list,
//! rotate, min decryption version), encrypt / decrypt (single and batch), rewrap,
//! sign / verify, HMAC, data keys, export where allowed, and key import (BYOK, in
//! `transit_import`).
//!
//! How the [`Transit`] trait maps onto Vault's API is on [`VaultTransit`].

use std::collections::BTreeMap;

use async_trait::async_trait;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chrono::{DateTime, Utc};
use ironsecrets_core::{
    Ciphertext, DataKey, Error, ErrorKind, KeyInfo, KeyOptions, KeyType, Result, SecretMap,
    SecretValue, Signature, Transit,
};
use rustify::endpoint::Endpoint;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use vaultrs::api::transit::requests::{
    CreateKeyRequest, DataKeyType, ExportKeyRequest, ExportKeyType, ExportVersion,
    GenerateDataKeyRequest, GenerateHmacRequest, ListKeysRequest, ReadKeyRequest,
    RewrapDataRequest, RotateKeyRequest, SignDataRequest, UpdateKeyConfigurationRequest,
    VerifySignedDataRequest,
};
use vaultrs::api::transit::{HashAlgorithm, KeyType as VaultKeyType};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::VaultClient;
use crate::client::{ApiRequest, Reply};
use crate::errors;

/// The transit mount used when none is given.
pub const DEFAULT_TRANSIT_MOUNT: &str = "transit";

/// The key type every encrypt names so that Vault refuses to create a missing key.
const NO_UPSERT: &str = "ironsecrets-no-upsert";

/// The longest key name accepted.
const MAX_NAME_LEN: usize = 256;

/// A transit mount. Key material never leaves Vault except through
/// [`VaultTransit::export_key`] on an exportable key.
///
/// How the trait maps onto Vault:
/// - A `context` is Vault's `associated_data`: authenticated, not stored, and needed again
///   to decrypt. Only AEAD keys (aes256-gcm96, chacha20-poly1305) take one; with an RSA
///   key Vault refuses it (InvalidInput), so a context is never silently ignored.
/// - Vault's `rewrap` takes no associated data, so a rewrap *with* a context is a decrypt
///   and an encrypt under the newest version in this client: the token then needs the
///   decrypt and encrypt permissions, and the plaintext passes through this process
///   (held in a zeroized buffer, never returned). Without a context it is Vault's rewrap.
/// - Vault's encrypt creates a missing key on the fly (upsert) when the token may.
///   We never want that, so every encrypt names the key type `ironsecrets-no-upsert`,
///   which Vault only looks at when it would create the key and refuses; that refusal is
///   NotFound. An existing key ignores the parameter. (A token that may update but not
///   create `encrypt/<name>` gets PermissionDenied for a missing key: Vault checks the
///   create permission first.)
/// - Vault's create is idempotent, so `create_key` reads first and answers AlreadyExists
///   for an existing name (two clients racing on one name may both succeed).
/// - `KeyInfo::created_at` is the creation time of the oldest version Vault still
///   lists: version 1, until `min_decryption_version` is raised and Vault hides the
///   versions below it.
/// - A tampered ciphertext, or a wrong or missing context, makes Vault answer
///   "message authentication failed": Integrity. Decrypting below
///   `min_decryption_version` is InvalidInput, as Vault's 400 says. A missing key is
///   NotFound, whatever wording the endpoint uses. A malformed signature verifies as
///   `false`, like a wrong one. A mount with no transit engine is Config.
/// - Signatures use Vault's defaults: SHA-256, PSS for RSA, ASN.1 for ECDSA. HMACs are
///   HMAC-SHA256.
/// - Import material ([`Transit::import_key`]): 32 raw bytes for aes256-gcm96 and
///   chacha20-poly1305; a 32-byte seed or a PKCS#8 private key for ed25519; a PKCS#8
///   private key for ecdsa-p256 and rsa-2048 (PKCS#8 as DER or as `BEGIN PRIVATE KEY`
///   PEM). It travels wrapped as Vault documents: AES-KWP under a fresh AES-256 key,
///   that key under Vault's wrapping key with RSA-OAEP SHA-256. Imported keys may be
///   rotated ([`ImportOptions`]).
#[derive(Clone, Debug)]
pub struct VaultTransit {
    client: VaultClient,
    mount: String,
}

/// One item of [`VaultTransit::encrypt_batch`].
#[derive(Clone, Debug)]
pub struct EncryptItem {
    /// The data to encrypt (redacted in Debug).
    pub plaintext: SecretValue,
    /// Authenticated data needed again to decrypt (AEAD keys only).
    pub context: Option<Vec<u8>>,
}

/// One item of [`VaultTransit::decrypt_batch`].
#[derive(Clone, Debug)]
pub struct DecryptItem {
    /// The ciphertext to decrypt.
    pub ciphertext: Ciphertext,
    /// The context it was encrypted with, if any.
    pub context: Option<Vec<u8>>,
}

/// Which material [`VaultTransit::export_key`] returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExportKind {
    /// The encryption key of an aes256-gcm96, chacha20-poly1305 or RSA key.
    EncryptionKey,
    /// The private key of an ed25519, ECDSA or RSA key.
    SigningKey,
    /// The HMAC key of any key.
    HmacKey,
    /// The public key of an ed25519, ECDSA or RSA key.
    PublicKey,
}

impl ExportKind {
    fn vault(self) -> ExportKeyType {
        match self {
            ExportKind::EncryptionKey => ExportKeyType::EncryptionKey,
            ExportKind::SigningKey => ExportKeyType::SigningKey,
            ExportKind::HmacKey => ExportKeyType::HmacKey,
            ExportKind::PublicKey => ExportKeyType::PublicKey,
        }
    }
}

/// Options of [`VaultTransit::import_key_with`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportOptions {
    /// Whether the material may be exported again later.
    pub exportable: bool,
    /// Whether `rotate_key` may add versions generated by Vault (on by default, so an
    /// imported key rotates like a created one).
    pub allow_rotation: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        ImportOptions {
            exportable: false,
            allow_rotation: true,
        }
    }
}

/// `batch_input` of an encrypt or decrypt request.
#[derive(Serialize)]
struct BatchBody {
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    key_type: Option<&'static str>,
    batch_input: Vec<BatchInput>,
}

#[derive(Serialize, Zeroize, ZeroizeOnDrop)]
struct BatchInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    plaintext: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ciphertext: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    associated_data: Option<String>,
}

#[derive(Deserialize)]
struct BatchResults {
    batch_results: Vec<BatchResult>,
}

/// One entry of `batch_results`; the plaintext is wiped on drop.
#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
struct BatchResult {
    ciphertext: Option<String>,
    plaintext: Option<String>,
    error: Option<String>,
}

/// What Vault says about a key (`GET keys/<name>`, and the answer to create, rotate and
/// config).
#[derive(Deserialize)]
struct KeyBody {
    name: String,
    #[serde(rename = "type")]
    key_type: String,
    latest_version: u32,
    min_decryption_version: u32,
    #[serde(default)]
    exportable: bool,
    /// Version → creation time: Unix seconds for symmetric keys, an object with
    /// `creation_time` for asymmetric ones.
    #[serde(default)]
    keys: BTreeMap<String, Value>,
}

#[derive(Deserialize)]
struct Names {
    keys: Vec<String>,
}

#[derive(Deserialize, Zeroize, ZeroizeOnDrop)]
struct DataKeyBody {
    plaintext: Option<String>,
    ciphertext: String,
}

#[derive(Deserialize)]
struct CiphertextBody {
    ciphertext: String,
}

#[derive(Deserialize)]
struct SignatureBody {
    signature: String,
}

#[derive(Deserialize)]
struct HmacBody {
    hmac: String,
}

#[derive(Deserialize)]
struct Valid {
    valid: bool,
}

#[derive(Deserialize)]
struct Exported {
    keys: BTreeMap<String, String>,
}

impl KeyBody {
    fn info(&self) -> Result<KeyInfo> {
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
fn creation_time(entry: &Value) -> Result<DateTime<Utc>> {
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

/// Checks a key name the way Vault's routes match it: letters, digits and `_`, with
/// `-`, `.` and `@` inside, so a name can never reach another path.
fn check_name(name: &str) -> Result<()> {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let ok = name.len() <= MAX_NAME_LEN
        && name.starts_with(word)
        && name.ends_with(word)
        && name
            .chars()
            .all(|c| word(c) || matches!(c, '-' | '.' | '@'));
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_input(format!(
            "transit key names are 1 to {MAX_NAME_LEN} characters of A-Z, a-z, 0-9, '_', \
             '-', '.' or '@', starting and ending with a letter, digit or '_'"
        )))
    }
}

fn b64(bytes: &[u8]) -> String {
    STANDARD.encode(bytes)
}

/// Decodes base64 from Vault into a secret value.
fn secret_from_b64(text: &str) -> Result<SecretValue> {
    STANDARD
        .decode(text)
        .map(SecretValue::new)
        .map_err(|_| errors::unreadable_answer())
}

/// Refines Vault's answers for a transit call on key `name`: a 404 for the route (no
/// transit mount there) is Config; of the 400s, an authentication failure is Integrity
/// and a missing key (however the endpoint words it, or the refused upsert) NotFound.
fn refine(err: Error, name: &str) -> Error {
    if err.kind() == ErrorKind::NotFound && err.message().contains("no handler for route") {
        return Error::config(format!(
            "no transit engine is mounted at the configured path; enable one (bao secrets \
             enable transit) or name its mount with `transit_mount` / the URI parameter \
             `transit` ({})",
            err.message()
        ));
    }
    if err.kind() != ErrorKind::InvalidInput {
        return err;
    }
    let said = err.message();
    if said.contains("message authentication failed") {
        Error::integrity(format!(
            "the ciphertext or its context was altered, or another key made it ({said})"
        ))
    } else if said.contains("could be found") || said.contains(NO_UPSERT) {
        Error::not_found(format!("no transit key named '{name}'"))
    } else {
        // "encryption key not found", "signing key not found", "key not found".
        errors::unknown_as_not_found(err)
    }
}

/// A per-item error of a batch, refined like a whole answer.
fn item_error(message: &str, name: &str) -> Error {
    refine(Error::invalid_input(message.trim().to_owned()), name)
}

impl VaultTransit {
    /// The transit mount at `mount` (e.g. `transit`) on `client`'s server.
    pub fn new(client: VaultClient, mount: impl Into<String>) -> Self {
        VaultTransit {
            client,
            mount: mount.into().trim_matches('/').to_owned(),
        }
    }

    /// The client this engine sends its requests with.
    pub fn client(&self) -> &VaultClient {
        &self.client
    }

    /// The mount path.
    pub fn mount(&self) -> &str {
        &self.mount
    }

    /// Sends `request`, requiring success, with transit's error refinements.
    async fn call<E: Endpoint>(&self, name: &str, request: E) -> Result<Reply> {
        self.client.call(request).await.map_err(|e| refine(e, name))
    }

    async fn describe(&self, name: &str) -> Result<KeyInfo> {
        check_name(name)?;
        let request = ReadKeyRequest {
            mount: self.mount.clone(),
            name: name.to_owned(),
        };
        let reply = self
            .call(name, request)
            .await
            .map_err(|e| errors::not_found_as(e, &format!("no transit key named '{name}'")))?;
        reply.data::<KeyBody>()?.info()
    }

    /// The key described by `reply` (create, rotate and config answer with it in
    /// recent versions), else read again.
    async fn described(&self, name: &str, reply: Reply) -> Result<KeyInfo> {
        match reply.data::<KeyBody>() {
            Ok(body) => body.info(),
            Err(_) => self.describe(name).await,
        }
    }

    /// Fails with AlreadyExists if `name` is a key; Vault's own create and import would
    /// not say so.
    pub(crate) async fn must_not_exist(&self, name: &str) -> Result<()> {
        match self.describe(name).await {
            Ok(_) => Err(Error::new(
                ErrorKind::AlreadyExists,
                format!("transit key '{name}' exists already"),
            )),
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn create(&self, name: &str, options: &KeyOptions) -> Result<KeyInfo> {
        check_name(name)?;
        let key_type = vault_key_type(options.key_type)?;
        self.must_not_exist(name).await?;
        let request = CreateKeyRequest {
            mount: self.mount.clone(),
            name: name.to_owned(),
            key_type: Some(key_type),
            exportable: Some(options.exportable),
            ..CreateKeyRequest::default()
        };
        let reply = self.call(name, request).await?;
        self.described(name, reply).await
    }

    async fn names(&self) -> Result<Vec<String>> {
        let request = ListKeysRequest {
            mount: self.mount.clone(),
        };
        let mut names = match self.call("", request).await {
            Ok(reply) => reply.data::<Names>()?.keys,
            // Vault answers a LIST with nothing in it with 404.
            Err(e) if e.kind() == ErrorKind::NotFound => Vec::new(),
            Err(e) => return Err(e),
        };
        names.sort();
        Ok(names)
    }

    async fn rotate(&self, name: &str) -> Result<KeyInfo> {
        check_name(name)?;
        let request = RotateKeyRequest {
            mount: self.mount.clone(),
            name: name.to_owned(),
        };
        let reply = self.call(name, request).await?;
        self.described(name, reply).await
    }

    async fn set_min(&self, name: &str, version: u32) -> Result<KeyInfo> {
        check_name(name)?;
        if version == 0 {
            return Err(Error::invalid_input("key versions start at 1"));
        }
        let request = UpdateKeyConfigurationRequest {
            mount: self.mount.clone(),
            name: name.to_owned(),
            min_decryption_version: Some(u64::from(version)),
            ..UpdateKeyConfigurationRequest::default()
        };
        let reply = self.call(name, request).await?;
        self.described(name, reply).await
    }

    /// Sends a batch to `encrypt/<name>` or `decrypt/<name>` and returns one result per
    /// item, in order. Vault answers 400 when any item failed, with the results all the
    /// same; those are read whatever the status.
    async fn batch(
        &self,
        operation: &str,
        name: &str,
        body: BatchBody,
    ) -> Result<Vec<std::result::Result<BatchResult, Error>>> {
        check_name(name)?;
        let expected = body.batch_input.len();
        if expected == 0 {
            return Ok(Vec::new());
        }
        let json = serde_json::to_value(&body)
            .map_err(|e| errors::request_build(&format!("encoding the batch: {e}")))?;
        let path = format!("{}/{operation}/{name}", self.mount);
        let reply = self.client.send(ApiRequest::post(path, json)).await?;
        let results = match reply.data::<BatchResults>() {
            Ok(parsed) if parsed.batch_results.len() == expected => parsed.batch_results,
            _ => {
                // No per-item results: a failure of the whole request.
                reply.success().map_err(|e| refine(e, name))?;
                return Err(errors::unreadable_answer());
            }
        };
        Ok(results
            .into_iter()
            .map(|result| match &result.error {
                Some(message) if !message.is_empty() => Err(item_error(message, name)),
                _ => Ok(result),
            })
            .collect())
    }

    async fn encrypt_items(
        &self,
        name: &str,
        items: &[(&[u8], Option<&[u8]>)],
    ) -> Result<Vec<Result<Ciphertext>>> {
        let body = BatchBody {
            key_type: Some(NO_UPSERT),
            batch_input: items
                .iter()
                .map(|(plaintext, context)| BatchInput {
                    plaintext: Some(b64(plaintext)),
                    ciphertext: None,
                    associated_data: context.map(b64),
                })
                .collect(),
        };
        let results = self.batch("encrypt", name, body).await?;
        Ok(results
            .into_iter()
            .map(|result| {
                let result = result?;
                let text = result
                    .ciphertext
                    .as_deref()
                    .ok_or_else(errors::unreadable_answer)?;
                Ok(Ciphertext::new(text))
            })
            .collect())
    }

    async fn decrypt_items(
        &self,
        name: &str,
        items: &[(&Ciphertext, Option<&[u8]>)],
    ) -> Result<Vec<Result<SecretValue>>> {
        let body = BatchBody {
            key_type: None,
            batch_input: items
                .iter()
                .map(|(ciphertext, context)| BatchInput {
                    plaintext: None,
                    ciphertext: Some(ciphertext.as_str().to_owned()),
                    associated_data: context.map(b64),
                })
                .collect(),
        };
        let results = self.batch("decrypt", name, body).await?;
        Ok(results
            .into_iter()
            .map(|result| {
                let result = result?;
                secret_from_b64(
                    result
                        .plaintext
                        .as_deref()
                        .ok_or_else(errors::unreadable_answer)?,
                )
            })
            .collect())
    }

    /// The one result of a one-item batch.
    fn single<T>(results: Vec<Result<T>>) -> Result<T> {
        results
            .into_iter()
            .next()
            .ok_or_else(errors::unreadable_answer)?
    }

    async fn encrypt_one(
        &self,
        name: &str,
        plaintext: &[u8],
        context: Option<&[u8]>,
    ) -> Result<Ciphertext> {
        Self::single(self.encrypt_items(name, &[(plaintext, context)]).await?)
    }

    async fn decrypt_one(
        &self,
        name: &str,
        ciphertext: &Ciphertext,
        context: Option<&[u8]>,
    ) -> Result<SecretValue> {
        ciphertext.parts()?;
        Self::single(self.decrypt_items(name, &[(ciphertext, context)]).await?)
    }

    async fn rewrap_one(
        &self,
        name: &str,
        ciphertext: &Ciphertext,
        context: Option<&[u8]>,
    ) -> Result<Ciphertext> {
        check_name(name)?;
        ciphertext.parts()?;
        if context.is_some() {
            // Vault's rewrap takes no associated data: decrypt and encrypt here.
            let plaintext = self.decrypt_one(name, ciphertext, context).await?;
            return self.encrypt_one(name, plaintext.expose(), context).await;
        }
        let request = RewrapDataRequest {
            mount: self.mount.clone(),
            name: name.to_owned(),
            ciphertext: ciphertext.as_str().to_owned(),
            ..RewrapDataRequest::default()
        };
        let reply = self.call(name, request).await?;
        Ok(Ciphertext::new(reply.data::<CiphertextBody>()?.ciphertext))
    }

    async fn sign_data(&self, name: &str, data: &[u8]) -> Result<Signature> {
        check_name(name)?;
        let request = SignDataRequest {
            mount: self.mount.clone(),
            name: name.to_owned(),
            input: b64(data),
            ..SignDataRequest::default()
        };
        let reply = self.call(name, request).await?;
        Ok(Signature::new(reply.data::<SignatureBody>()?.signature))
    }

    async fn mac(&self, name: &str, data: &[u8]) -> Result<Signature> {
        check_name(name)?;
        let request = GenerateHmacRequest {
            mount: self.mount.clone(),
            name: name.to_owned(),
            algorithm: Some(HashAlgorithm::Sha2_256),
            input: b64(data),
            ..GenerateHmacRequest::default()
        };
        let reply = self.call(name, request).await?;
        Ok(Signature::new(reply.data::<HmacBody>()?.hmac))
    }

    /// Verifies a signature (`hmac` false) or an HMAC (`hmac` true). A signature Vault
    /// cannot even parse is a wrong one: `false`.
    async fn check(&self, name: &str, data: &[u8], given: &Signature, hmac: bool) -> Result<bool> {
        check_name(name)?;
        given.parts()?;
        let (signature, mac, algorithm) = if hmac {
            (
                None,
                Some(given.as_str().to_owned()),
                Some(HashAlgorithm::Sha2_256),
            )
        } else {
            (Some(given.as_str().to_owned()), None, None)
        };
        let request = VerifySignedDataRequest {
            mount: self.mount.clone(),
            name: name.to_owned(),
            hash_algorithm: algorithm,
            input: b64(data),
            signature,
            hmac: mac,
            ..VerifySignedDataRequest::default()
        };
        match self.call(name, request).await {
            Ok(reply) => Ok(reply.data::<Valid>()?.valid),
            Err(e)
                if e.kind() == ErrorKind::InvalidInput
                    && e.message().contains("signature is invalid") =>
            {
                Ok(false)
            }
            Err(e) => Err(e),
        }
    }

    async fn data_key(&self, name: &str, bits: u32) -> Result<DataKey> {
        check_name(name)?;
        let bits = match bits {
            128 | 256 | 512 => bits as u16,
            _ => {
                return Err(Error::invalid_input(format!(
                    "data keys are 128, 256 or 512 bits, not {bits}"
                )));
            }
        };
        let request = GenerateDataKeyRequest {
            mount: self.mount.clone(),
            key_type: DataKeyType::Plaintext,
            name: name.to_owned(),
            bits: Some(bits),
            ..GenerateDataKeyRequest::default()
        };
        let reply = self.call(name, request).await?;
        let body: DataKeyBody = reply.data()?;
        let plaintext = body
            .plaintext
            .as_deref()
            .ok_or_else(errors::unreadable_answer)?;
        Ok(DataKey {
            plaintext: secret_from_b64(plaintext)?,
            ciphertext: Ciphertext::new(body.ciphertext.clone()),
        })
    }

    async fn export(&self, name: &str, kind: ExportKind) -> Result<SecretMap> {
        check_name(name)?;
        let request = ExportKeyRequest {
            mount: self.mount.clone(),
            key_type: kind.vault(),
            name: name.to_owned(),
            version: ExportVersion::All,
        };
        let reply = self.call(name, request).await?;
        let mut exported: Exported = reply.data()?;
        let mut versions = SecretMap::new();
        for (version, material) in &exported.keys {
            let value = if material.starts_with("-----BEGIN") {
                SecretValue::from(material.as_str())
            } else {
                secret_from_b64(material)?
            };
            versions.insert(version.clone(), value);
        }
        exported.keys.values_mut().for_each(Zeroize::zeroize);
        Ok(versions)
    }

    /// Encrypts each item with the newest key version in one request. The outer error
    /// is for the whole request (missing key, denied, unreachable); each item has its
    /// own result, in order.
    pub async fn encrypt_batch(
        &self,
        name: &str,
        items: Vec<EncryptItem>,
    ) -> Result<Vec<Result<Ciphertext>>> {
        let borrowed: Vec<_> = items
            .iter()
            .map(|item| (item.plaintext.expose(), item.context.as_deref()))
            .collect();
        self.encrypt_items(name, &borrowed)
            .await
            .map_err(errors::context("transit-encrypt", name))
    }

    /// Decrypts each item in one request. The outer error is for the whole request;
    /// each item has its own result, in order (Integrity for a tampered item).
    pub async fn decrypt_batch(
        &self,
        name: &str,
        items: Vec<DecryptItem>,
    ) -> Result<Vec<Result<SecretValue>>> {
        let borrowed: Vec<_> = items
            .iter()
            .map(|item| (&item.ciphertext, item.context.as_deref()))
            .collect();
        self.decrypt_items(name, &borrowed)
            .await
            .map_err(errors::context("transit-decrypt", name))
    }

    /// Every version's `kind` material of an exportable key, by version number. Values
    /// Vault sends as base64 (AES, ChaCha20 and HMAC keys, ed25519 private keys as the
    /// 64-byte seed and public key, ed25519 public keys) are decoded to their bytes;
    /// PEM (ECDSA and RSA keys) is kept as its text. A key that is not exportable, or
    /// a kind its type lacks, is InvalidInput.
    pub async fn export_key(&self, name: &str, kind: ExportKind) -> Result<SecretMap> {
        self.export(name, kind)
            .await
            .map_err(errors::context("transit-export", name))
    }

    /// [`Transit::import_key`] with Vault's import options.
    pub async fn import_key_with(
        &self,
        name: &str,
        key_type: KeyType,
        material: SecretValue,
        options: ImportOptions,
    ) -> Result<KeyInfo> {
        let imported = async {
            check_name(name)?;
            let reply = crate::transit_import::import(self, name, key_type, &material, options)
                .await
                .map_err(|e| refine(e, name))?;
            self.described(name, reply).await
        };
        imported
            .await
            .map_err(errors::context("transit-import", name))
    }
}

#[async_trait]
impl Transit for VaultTransit {
    async fn create_key(&self, name: &str, options: KeyOptions) -> Result<KeyInfo> {
        self.create(name, &options)
            .await
            .map_err(errors::context("transit-create", name))
    }

    async fn read_key(&self, name: &str) -> Result<KeyInfo> {
        self.describe(name)
            .await
            .map_err(errors::context("transit-read", name))
    }

    async fn list_keys(&self) -> Result<Vec<String>> {
        self.names()
            .await
            .map_err(errors::context("transit-list", ""))
    }

    async fn rotate_key(&self, name: &str) -> Result<KeyInfo> {
        self.rotate(name)
            .await
            .map_err(errors::context("transit-rotate", name))
    }

    async fn set_min_decryption_version(&self, name: &str, version: u32) -> Result<KeyInfo> {
        self.set_min(name, version)
            .await
            .map_err(errors::context("transit-config", name))
    }

    async fn encrypt(
        &self,
        name: &str,
        plaintext: &[u8],
        context: Option<&[u8]>,
    ) -> Result<Ciphertext> {
        self.encrypt_one(name, plaintext, context)
            .await
            .map_err(errors::context("transit-encrypt", name))
    }

    async fn decrypt(
        &self,
        name: &str,
        ciphertext: &Ciphertext,
        context: Option<&[u8]>,
    ) -> Result<SecretValue> {
        self.decrypt_one(name, ciphertext, context)
            .await
            .map_err(errors::context("transit-decrypt", name))
    }

    async fn rewrap(
        &self,
        name: &str,
        ciphertext: &Ciphertext,
        context: Option<&[u8]>,
    ) -> Result<Ciphertext> {
        self.rewrap_one(name, ciphertext, context)
            .await
            .map_err(errors::context("transit-rewrap", name))
    }

    async fn sign(&self, name: &str, data: &[u8]) -> Result<Signature> {
        self.sign_data(name, data)
            .await
            .map_err(errors::context("transit-sign", name))
    }

    async fn verify(&self, name: &str, data: &[u8], signature: &Signature) -> Result<bool> {
        self.check(name, data, signature, false)
            .await
            .map_err(errors::context("transit-verify", name))
    }

    async fn hmac(&self, name: &str, data: &[u8]) -> Result<Signature> {
        self.mac(name, data)
            .await
            .map_err(errors::context("transit-hmac", name))
    }

    async fn verify_hmac(&self, name: &str, data: &[u8], hmac: &Signature) -> Result<bool> {
        self.check(name, data, hmac, true)
            .await
            .map_err(errors::context("transit-verify-hmac", name))
    }

    async fn generate_data_key(&self, name: &str, bits: u32) -> Result<DataKey> {
        self.data_key(name, bits)
            .await
            .map_err(errors::context("transit-datakey", name))
    }

    async fn import_key(
        &self,
        name: &str,
        key_type: KeyType,
        material: SecretValue,
    ) -> Result<KeyInfo> {
        self.import_key_with(name, key_type, material, ImportOptions::default())
            .await
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn key_names_are_vaults_generic_names() {
        for ok in ["a", "app-key", "k.v1", "user@example_com", "_x_", "A9"] {
            check_name(ok).unwrap_or_else(|e| panic!("{ok}: {e}"));
        }
        for bad in ["", "-a", "a-", "a/b", "..", "a b", "ключ", &"k".repeat(300)] {
            assert_eq!(
                check_name(bad).unwrap_err().kind(),
                ErrorKind::InvalidInput,
                "{bad}"
            );
        }
    }

    #[test]
    fn vaults_answers_are_refined() {
        let said = |m: &str| {
            errors::from_status(400, None, json!({ "errors": [m] }).to_string().as_bytes())
        };
        let kind = |m: &str| refine(said(m), "k").kind();
        assert_eq!(
            kind("cipher: message authentication failed"),
            ErrorKind::Integrity
        );
        assert_eq!(
            kind("chacha20poly1305: message authentication failed"),
            ErrorKind::Integrity
        );
        assert_eq!(kind("encryption key not found"), ErrorKind::NotFound);
        assert_eq!(kind("signing key not found"), ErrorKind::NotFound);
        assert_eq!(
            kind("no existing key named k could be found"),
            ErrorKind::NotFound
        );
        assert_eq!(
            kind(&format!("unknown key type {NO_UPSERT}")),
            ErrorKind::NotFound
        );
        assert_eq!(
            kind("ciphertext or signature version is disallowed by policy (too old)"),
            ErrorKind::InvalidInput
        );
        assert_eq!(
            kind("key type aes256-gcm96 does not support signing"),
            ErrorKind::InvalidInput
        );
        let unmounted = errors::from_status(
            404,
            None,
            br#"{"errors":["no handler for route \"transit/keys/k\". route entry not found."]}"#,
        );
        assert_eq!(refine(unmounted, "k").kind(), ErrorKind::Config);
        assert_eq!(
            refine(errors::from_status(404, None, b"{}"), "k").kind(),
            ErrorKind::NotFound
        );
    }

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
