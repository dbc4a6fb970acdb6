//! [`Transit`] on a Vault transit mount: each method is one engine call.

use async_trait::async_trait;
use ironsecrets_core::{
    Ciphertext, DataKey, KeyInfo, KeyOptions, KeyType, Result, SecretValue, Signature, Transit,
    TransitCapabilities,
};

use super::{ImportOptions, VaultTransit};

#[async_trait]
impl Transit for VaultTransit {
    fn capabilities(&self) -> TransitCapabilities {
        TransitCapabilities {
            key_types: KeyType::ALL,
            versioned_ciphertexts: true,
            min_decryption_version: true,
            hmac: true,
            data_keys: true,
            import: true,
        }
    }

    async fn create_key(&self, name: &str, options: KeyOptions) -> Result<KeyInfo> {
        self.create(name, &options).await
    }

    async fn read_key(&self, name: &str) -> Result<KeyInfo> {
        self.describe(name).await
    }

    async fn list_keys(&self) -> Result<Vec<String>> {
        self.names().await
    }

    async fn rotate_key(&self, name: &str) -> Result<KeyInfo> {
        self.rotate(name).await
    }

    async fn set_min_decryption_version(&self, name: &str, version: u32) -> Result<KeyInfo> {
        self.set_min(name, version).await
    }

    async fn encrypt(
        &self,
        name: &str,
        plaintext: &[u8],
        context: Option<&[u8]>,
    ) -> Result<Ciphertext> {
        self.encrypt_one(name, plaintext, context).await
    }

    async fn decrypt(
        &self,
        name: &str,
        ciphertext: &Ciphertext,
        context: Option<&[u8]>,
    ) -> Result<SecretValue> {
        self.decrypt_one(name, ciphertext, context).await
    }

    async fn rewrap(
        &self,
        name: &str,
        ciphertext: &Ciphertext,
        context: Option<&[u8]>,
    ) -> Result<Ciphertext> {
        self.rewrap_one(name, ciphertext, context).await
    }

    async fn sign(&self, name: &str, data: &[u8]) -> Result<Signature> {
        self.sign_data(name, data).await
    }

    async fn verify(&self, name: &str, data: &[u8], signature: &Signature) -> Result<bool> {
        self.check(name, data, signature, false).await
    }

    async fn hmac(&self, name: &str, data: &[u8]) -> Result<Signature> {
        self.mac(name, data).await
    }

    async fn verify_hmac(&self, name: &str, data: &[u8], hmac: &Signature) -> Result<bool> {
        self.check(name, data, hmac, true).await
    }

    async fn generate_data_key(&self, name: &str, bits: u32) -> Result<DataKey> {
        self.data_key(name, bits).await
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
