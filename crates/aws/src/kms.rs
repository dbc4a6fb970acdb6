//! [`KmsTransit`]: AWS KMS as a [`Transit`] engine.
//!
//! A transit key `name` is the KMS key behind the alias `alias/<name>`. Key types:
//! aes256-gcm96 is `SYMMETRIC_DEFAULT` (encrypt, decrypt, re-encrypt, data keys),
//! ecdsa-p256 is `ECC_NIST_P256` and rsa-2048 `RSA_2048` (sign and verify, with
//! `ECDSA_SHA_256` and `RSASSA_PSS_SHA_256`); HMAC needs an `HMAC_256` key from
//! [`KmsTransit::create_hmac_key`]. ed25519 and chacha20-poly1305 are Unsupported, and so
//! is `exportable` (KMS never releases key material).
//!
//! Ciphertexts, signatures and MACs read `aws-kms:v<N>:<base64 of KMS's blob>`. KMS
//! finds the key material inside its own blob, so old ciphertexts keep decrypting after a
//! rotation, and `N` is always 1. A key's `latest_version` is 1 + its on-demand rotations. `context` is KMS's encryption context `{"context": <base64>}`.
//! `set_min_decryption_version` and `import_key` are Unsupported.

use async_trait::async_trait;
use aws_sdk_kms::Client;
use aws_sdk_kms::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_kms::primitives::Blob;
use aws_sdk_kms::types::{
    DataKeySpec, KeySpec, KeyUsageType, MacAlgorithmSpec, MessageType, SigningAlgorithmSpec,
};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ironsecrets_core::{
    Ciphertext, DataKey, Error, ErrorKind, KeyInfo, KeyOptions, KeyType, Operation, Result,
    SecretValue, Signature, Transit, TransitCapabilities,
};

use crate::errors;
use crate::store::BACKEND;
use crate::time::utc;

/// The prefix of our ciphertexts, signatures and MACs.
const PREFIX: &str = "aws-kms";

/// The encryption-context key a transit `context` goes under.
const CONTEXT_KEY: &str = "context";

/// AWS KMS as a [`Transit`] engine; see the module docs for the mapping.
#[derive(Clone, Debug)]
pub struct KmsTransit {
    client: Client,
}

/// Maps a KMS SDK error (the layer stack names the operation and key).
fn kms_error<E>(err: SdkError<E>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    errors::from_sdk("KMS", err)
}

fn alias(name: &str) -> String {
    format!("alias/{name}")
}

fn spec_of(key_type: KeyType) -> Result<(KeySpec, KeyUsageType)> {
    match key_type {
        KeyType::Aes256Gcm96 => Ok((KeySpec::SymmetricDefault, KeyUsageType::EncryptDecrypt)),
        KeyType::EcdsaP256 => Ok((KeySpec::EccNistP256, KeyUsageType::SignVerify)),
        KeyType::Rsa2048 => Ok((KeySpec::Rsa2048, KeyUsageType::SignVerify)),
        other => Err(Error::new(
            ErrorKind::Unsupported,
            format!("the aws backend does not support {other} keys"),
        )),
    }
}

fn type_of(spec: Option<&KeySpec>) -> Result<KeyType> {
    match spec {
        Some(KeySpec::SymmetricDefault) => Ok(KeyType::Aes256Gcm96),
        Some(KeySpec::EccNistP256) => Ok(KeyType::EcdsaP256),
        Some(KeySpec::Rsa2048) => Ok(KeyType::Rsa2048),
        other => Err(Error::invalid_input(format!(
            "KMS key spec {} has no ironsecrets key type",
            other.map_or("(none)", KeySpec::as_str)
        ))),
    }
}

fn signing_algorithm(key_type: KeyType) -> SigningAlgorithmSpec {
    match key_type {
        KeyType::Rsa2048 => SigningAlgorithmSpec::RsassaPssSha256,
        _ => SigningAlgorithmSpec::EcdsaSha256,
    }
}

/// The KMS blob inside our text form.
fn blob_of(text: &str, what: &str) -> Result<Blob> {
    let parsed = Ciphertext::new(text);
    let (_, payload) = parsed.parts()?;
    if !text.starts_with(PREFIX) {
        return Err(Error::invalid_input(format!(
            "not an {PREFIX} {what}: expected '{PREFIX}:v<N>:<base64>'"
        )));
    }
    B64.decode(payload)
        .map(Blob::new)
        .map_err(|_| Error::invalid_input(format!("malformed {what}: the payload is not base64")))
}

fn encode(version: u32, blob: Option<&Blob>) -> String {
    format!(
        "{PREFIX}:v{version}:{}",
        B64.encode(blob.map(Blob::as_ref).unwrap_or_default())
    )
}

/// KMS answers a wrong signature or MAC with an error (Integrity); the trait says false.
fn invalid_is_false(result: Result<bool>) -> Result<bool> {
    match result {
        Err(e) if e.kind() == ErrorKind::Integrity => Ok(false),
        other => other,
    }
}

impl KmsTransit {
    /// A transit engine on an SDK client.
    pub fn new(client: Client) -> Self {
        KmsTransit { client }
    }

    /// The SDK client, for calls this crate does not wrap.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Creates a KMS key of `spec`/`usage` and points `alias/<name>` at it.
    async fn create(&self, name: &str, spec: KeySpec, usage: KeyUsageType) -> Result<String> {
        if self
            .client
            .describe_key()
            .key_id(alias(name))
            .send()
            .await
            .is_ok()
        {
            return Err(Error::new(
                ErrorKind::AlreadyExists,
                "a key with this name exists",
            ));
        }
        let out = self
            .client
            .create_key()
            .key_spec(spec)
            .key_usage(usage)
            .description(format!("ironsecrets transit key {name}"))
            .send()
            .await
            .map_err(kms_error)?;
        let key_id = out
            .key_metadata()
            .map(|m| m.key_id().to_owned())
            .ok_or_else(|| Error::unexpected("KMS created a key without an id"))?;
        self.client
            .create_alias()
            .alias_name(alias(name))
            .target_key_id(&key_id)
            .send()
            .await
            .map_err(kms_error)?;
        Ok(key_id)
    }

    /// Creates an `HMAC_256` key for [`Transit::hmac`].
    pub async fn create_hmac_key(&self, name: &str) -> Result<()> {
        let outcome = async {
            self.create(name, KeySpec::Hmac256, KeyUsageType::GenerateVerifyMac)
                .await
                .map(drop)
        };
        outcome
            .await
            .map_err(|e: Error| e.context(crate::BACKEND, Operation::CreateKey, name))
    }

    /// Turns on KMS's automatic rotation of the key material every `period_days` days
    /// (90 to 2560).
    pub async fn enable_key_rotation(&self, name: &str, period_days: i32) -> Result<()> {
        let outcome = async {
            let key_id = self.key_id(name).await?;
            self.client
                .enable_key_rotation()
                .key_id(key_id)
                .rotation_period_in_days(period_days)
                .send()
                .await
                .map_err(kms_error)?;
            Ok(())
        };
        outcome
            .await
            .map_err(|e: Error| e.context(crate::BACKEND, Operation::ConfigureKey, name))
    }

    /// The KMS key id behind a name.
    async fn key_id(&self, name: &str) -> Result<String> {
        let out = self
            .client
            .describe_key()
            .key_id(alias(name))
            .send()
            .await
            .map_err(kms_error)?;
        Ok(out
            .key_metadata()
            .map(|m| m.key_id().to_owned())
            .unwrap_or_default())
    }

    /// How many on-demand rotations the key had.
    async fn rotations(&self, key_id: &str) -> Result<u32> {
        let mut count = 0;
        let mut marker: Option<String> = None;
        loop {
            let out = self
                .client
                .list_key_rotations()
                .key_id(key_id)
                .set_marker(marker.take())
                .send()
                .await
                .map_err(kms_error)?;
            count += out.rotations().len() as u32;
            match out.next_marker() {
                Some(next) if out.truncated() => marker = Some(next.to_owned()),
                _ => return Ok(count),
            }
        }
    }

    fn context_pairs(context: Option<&[u8]>) -> Option<std::collections::HashMap<String, String>> {
        context.map(|c| [(CONTEXT_KEY.to_owned(), B64.encode(c))].into())
    }
}

#[async_trait]
impl Transit for KmsTransit {
    /// HMAC needs an HMAC key ([`KmsTransit::create_hmac_key`]), not one of the key
    /// types `create_key` makes, so `hmac` is not declared; ciphertexts carry no key
    /// version (KMS finds the material itself) and there is no minimum decryption
    /// version or import (moto has none to test against).
    fn capabilities(&self) -> TransitCapabilities {
        TransitCapabilities {
            key_types: &[KeyType::Aes256Gcm96, KeyType::EcdsaP256, KeyType::Rsa2048],
            versioned_ciphertexts: false,
            min_decryption_version: false,
            hmac: false,
            data_keys: true,
            import: false,
        }
    }

    async fn create_key(&self, name: &str, options: KeyOptions) -> Result<KeyInfo> {
        if options.exportable {
            return Err(Error::unsupported_feature(BACKEND, "exportable keys"));
        }
        let (spec, usage) = spec_of(options.key_type)?;
        self.create(name, spec, usage).await?;
        self.read_key(name).await
    }

    async fn read_key(&self, name: &str) -> Result<KeyInfo> {
        let out = self
            .client
            .describe_key()
            .key_id(alias(name))
            .send()
            .await
            .map_err(kms_error)?;
        let meta = out
            .key_metadata()
            .ok_or_else(|| Error::unexpected("KMS described a key without metadata"))?;
        let key_type = type_of(meta.key_spec())?;
        let rotations = self.rotations(meta.key_id()).await?;
        Ok(KeyInfo {
            name: name.to_owned(),
            key_type,
            latest_version: 1 + rotations,
            min_decryption_version: 1,
            created_at: utc(meta.creation_date()),
            exportable: false,
        })
    }

    async fn list_keys(&self) -> Result<Vec<String>> {
        let mut names = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let out = self
                .client
                .list_aliases()
                .set_marker(marker.take())
                .send()
                .await
                .map_err(kms_error)?;
            names.extend(
                out.aliases()
                    .iter()
                    .filter_map(|a| a.alias_name()?.strip_prefix("alias/"))
                    .filter(|n| !n.starts_with("aws/"))
                    .map(str::to_owned),
            );
            match out.next_marker() {
                Some(next) if out.truncated() => marker = Some(next.to_owned()),
                _ => break,
            }
        }
        names.sort();
        Ok(names)
    }

    async fn rotate_key(&self, name: &str) -> Result<KeyInfo> {
        let key_id = self.key_id(name).await?;
        self.client
            .rotate_key_on_demand()
            .key_id(key_id)
            .send()
            .await
            .map_err(kms_error)?;
        self.read_key(name).await
    }

    async fn set_min_decryption_version(&self, _name: &str, _version: u32) -> Result<KeyInfo> {
        Err(Error::unsupported(BACKEND, Operation::ConfigureKey))
    }

    async fn encrypt(
        &self,
        name: &str,
        plaintext: &[u8],
        context: Option<&[u8]>,
    ) -> Result<Ciphertext> {
        let out = self
            .client
            .encrypt()
            .key_id(alias(name))
            .plaintext(Blob::new(plaintext))
            .set_encryption_context(Self::context_pairs(context))
            .send()
            .await
            .map_err(kms_error)?;
        Ok(Ciphertext::new(encode(1, out.ciphertext_blob())))
    }

    async fn decrypt(
        &self,
        name: &str,
        ciphertext: &Ciphertext,
        context: Option<&[u8]>,
    ) -> Result<SecretValue> {
        let blob = blob_of(ciphertext.as_str(), "ciphertext")?;
        let out = self
            .client
            .decrypt()
            .key_id(alias(name))
            .ciphertext_blob(blob)
            .set_encryption_context(Self::context_pairs(context))
            .send()
            .await
            .map_err(kms_error)?;
        Ok(SecretValue::from(
            out.plaintext().map(Blob::as_ref).unwrap_or_default(),
        ))
    }

    async fn rewrap(
        &self,
        name: &str,
        ciphertext: &Ciphertext,
        context: Option<&[u8]>,
    ) -> Result<Ciphertext> {
        let blob = blob_of(ciphertext.as_str(), "ciphertext")?;
        let out = self
            .client
            .re_encrypt()
            .ciphertext_blob(blob)
            .source_key_id(alias(name))
            .destination_key_id(alias(name))
            .set_source_encryption_context(Self::context_pairs(context))
            .set_destination_encryption_context(Self::context_pairs(context))
            .send()
            .await
            .map_err(kms_error)?;
        Ok(Ciphertext::new(encode(1, out.ciphertext_blob())))
    }

    async fn sign(&self, name: &str, data: &[u8]) -> Result<Signature> {
        let key = self.read_key(name).await?;
        let out = self
            .client
            .sign()
            .key_id(alias(name))
            .message(Blob::new(data))
            .message_type(MessageType::Raw)
            .signing_algorithm(signing_algorithm(key.key_type))
            .send()
            .await
            .map_err(kms_error)?;
        Ok(Signature::new(encode(1, out.signature())))
    }

    async fn verify(&self, name: &str, data: &[u8], signature: &Signature) -> Result<bool> {
        let blob = blob_of(signature.as_str(), "signature")?;
        let key = self.read_key(name).await?;
        let result = self
            .client
            .verify()
            .key_id(alias(name))
            .message(Blob::new(data))
            .message_type(MessageType::Raw)
            .signature(blob)
            .signing_algorithm(signing_algorithm(key.key_type))
            .send()
            .await
            .map_err(kms_error);
        invalid_is_false(result.map(|out| out.signature_valid()))
    }

    async fn hmac(&self, name: &str, data: &[u8]) -> Result<Signature> {
        let out = self
            .client
            .generate_mac()
            .key_id(alias(name))
            .message(Blob::new(data))
            .mac_algorithm(MacAlgorithmSpec::HmacSha256)
            .send()
            .await
            .map_err(kms_error)?;
        Ok(Signature::new(encode(1, out.mac())))
    }

    async fn verify_hmac(&self, name: &str, data: &[u8], hmac: &Signature) -> Result<bool> {
        let blob = blob_of(hmac.as_str(), "MAC")?;
        let result = self
            .client
            .verify_mac()
            .key_id(alias(name))
            .message(Blob::new(data))
            .mac(blob)
            .mac_algorithm(MacAlgorithmSpec::HmacSha256)
            .send()
            .await
            .map_err(kms_error);
        invalid_is_false(result.map(|out| out.mac_valid()))
    }

    async fn generate_data_key(&self, name: &str, bits: u32) -> Result<DataKey> {
        let request = self.client.generate_data_key().key_id(alias(name));
        let request = match bits {
            128 => request.key_spec(DataKeySpec::Aes128),
            256 => request.key_spec(DataKeySpec::Aes256),
            512 => request.number_of_bytes(64),
            _ => {
                return Err(Error::invalid_input("data keys are 128, 256 or 512 bits"));
            }
        };
        let out = request.send().await.map_err(kms_error)?;
        Ok(DataKey {
            plaintext: SecretValue::from(out.plaintext().map(Blob::as_ref).unwrap_or_default()),
            ciphertext: Ciphertext::new(encode(1, out.ciphertext_blob())),
        })
    }

    async fn import_key(
        &self,
        _name: &str,
        _key_type: KeyType,
        _material: SecretValue,
    ) -> Result<KeyInfo> {
        Err(Error::unsupported(BACKEND, Operation::ImportKey))
    }
}
