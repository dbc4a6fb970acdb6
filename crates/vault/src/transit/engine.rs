//! The transit calls: each reads or writes one Vault endpoint, with transit's error
//! refinements.

use ironsecrets_core::{
    Ciphertext, DataKey, Error, ErrorKind, KeyInfo, KeyOptions, KeyType, Operation, Result,
    SecretMap, SecretValue, Signature,
};
use rustify::endpoint::Endpoint;
use vaultrs::api::transit::HashAlgorithm;
use vaultrs::api::transit::requests::{
    CreateKeyRequest, DataKeyType, ExportKeyRequest, ExportVersion, GenerateDataKeyRequest,
    GenerateHmacRequest, ListKeysRequest, ReadKeyRequest, RewrapDataRequest, RotateKeyRequest,
    SignDataRequest, UpdateKeyConfigurationRequest, VerifySignedDataRequest,
};
use zeroize::Zeroize;

use super::refine::{item_error, refine};
use super::wire::{
    BatchBody, BatchInput, BatchResult, BatchResults, CiphertextBody, DataKeyBody, Exported,
    HmacBody, KeyBody, Names, SignatureBody, Valid, b64, secret_from_b64, vault_key_type,
};
use super::{
    DecryptItem, EncryptItem, ExportKind, ImportOptions, NO_UPSERT, VaultTransit, check_name,
};
use crate::client::{ApiRequest, Reply};
use crate::{VaultClient, errors};

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

    pub(super) async fn describe(&self, name: &str) -> Result<KeyInfo> {
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

    pub(super) async fn create(&self, name: &str, options: &KeyOptions) -> Result<KeyInfo> {
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

    pub(super) async fn names(&self) -> Result<Vec<String>> {
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

    pub(super) async fn rotate(&self, name: &str) -> Result<KeyInfo> {
        check_name(name)?;
        let request = RotateKeyRequest {
            mount: self.mount.clone(),
            name: name.to_owned(),
        };
        let reply = self.call(name, request).await?;
        self.described(name, reply).await
    }

    pub(super) async fn set_min(&self, name: &str, version: u32) -> Result<KeyInfo> {
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

    pub(super) async fn encrypt_one(
        &self,
        name: &str,
        plaintext: &[u8],
        context: Option<&[u8]>,
    ) -> Result<Ciphertext> {
        Self::single(self.encrypt_items(name, &[(plaintext, context)]).await?)
    }

    pub(super) async fn decrypt_one(
        &self,
        name: &str,
        ciphertext: &Ciphertext,
        context: Option<&[u8]>,
    ) -> Result<SecretValue> {
        ciphertext.parts()?;
        Self::single(self.decrypt_items(name, &[(ciphertext, context)]).await?)
    }

    pub(super) async fn rewrap_one(
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

    pub(super) async fn sign_data(&self, name: &str, data: &[u8]) -> Result<Signature> {
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

    pub(super) async fn mac(&self, name: &str, data: &[u8]) -> Result<Signature> {
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
    pub(super) async fn check(
        &self,
        name: &str,
        data: &[u8],
        given: &Signature,
        hmac: bool,
    ) -> Result<bool> {
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

    pub(super) async fn data_key(&self, name: &str, bits: u32) -> Result<DataKey> {
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

    pub(super) async fn export(&self, name: &str, kind: ExportKind) -> Result<SecretMap> {
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
            .map_err(errors::context(Operation::Encrypt, name))
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
            .map_err(errors::context(Operation::Decrypt, name))
    }

    /// Every version's `kind` material of an exportable key, by version number. Values
    /// Vault sends as base64 (AES, ChaCha20 and HMAC keys, ed25519 private keys as the
    /// 64-byte seed and public key, ed25519 public keys) are decoded to their bytes;
    /// PEM (ECDSA and RSA keys) is kept as its text. A key that is not exportable, or
    /// a kind its type lacks, is InvalidInput.
    pub async fn export_key(&self, name: &str, kind: ExportKind) -> Result<SecretMap> {
        self.export(name, kind)
            .await
            .map_err(errors::context(Operation::ExportKey, name))
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
            let reply = super::import::import(self, name, key_type, &material, options)
                .await
                .map_err(|e| refine(e, name))?;
            self.described(name, reply).await
        };
        imported
            .await
            .map_err(errors::context(Operation::ImportKey, name))
    }
}
