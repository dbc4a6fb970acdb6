//! The typed traits over a [`Service`]: what a layered backend's store and engines are.
//! Each method turns its arguments into a [`Request`] and the [`Response`] back into its
//! result, so everything a caller does through them passes the whole layer stack.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use crate::{
    Capabilities, Ciphertext, CredentialRequest, DataKey, DynamicCredentials, KeyInfo, KeyOptions,
    KeyType, Lease, LeasedCredential, Leases, MetadataUpdate, PutOptions, Request, Result, Secret,
    SecretMetadata, SecretStore, SecretValue, Service, Signature, StoreCapabilities, Transit,
    TransitCapabilities, Version, VersionInfo, VersionSelector,
};

/// A backend's parts, each a view onto the same service.
pub(crate) struct View {
    service: Arc<dyn Service>,
    capabilities: Capabilities,
}

impl View {
    pub(crate) fn new(service: Arc<dyn Service>) -> Arc<Self> {
        let capabilities = service.capabilities();
        Arc::new(View {
            service,
            capabilities,
        })
    }

    async fn call<T>(&self, request: Request) -> Result<T>
    where
        T: TryFrom<crate::Response, Error = crate::Error>,
    {
        self.service.call(request).await?.try_into()
    }
}

#[async_trait]
impl SecretStore for View {
    fn backend(&self) -> &'static str {
        self.service.backend()
    }

    fn capabilities(&self) -> StoreCapabilities {
        self.capabilities.store
    }

    async fn get(&self, path: &str, version: VersionSelector) -> Result<Secret> {
        self.call(Request::Get {
            path: path.to_owned(),
            version,
        })
        .await
    }

    async fn put(
        &self,
        path: &str,
        value: SecretValue,
        options: PutOptions,
    ) -> Result<VersionInfo> {
        self.call(Request::Put {
            path: path.to_owned(),
            value,
            options,
        })
        .await
    }

    async fn delete(&self, path: &str, versions: &[Version]) -> Result<()> {
        self.call(Request::Delete {
            path: path.to_owned(),
            versions: versions.to_vec(),
        })
        .await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        self.call(Request::List {
            prefix: prefix.to_owned(),
        })
        .await
    }

    async fn metadata(&self, path: &str) -> Result<SecretMetadata> {
        self.call(Request::Metadata {
            path: path.to_owned(),
        })
        .await
    }

    async fn update_metadata(&self, path: &str, update: MetadataUpdate) -> Result<SecretMetadata> {
        self.call(Request::UpdateMetadata {
            path: path.to_owned(),
            update,
        })
        .await
    }

    async fn purge(&self, path: &str) -> Result<()> {
        self.call(Request::Purge {
            path: path.to_owned(),
        })
        .await
    }

    async fn undelete(&self, path: &str, versions: &[Version]) -> Result<()> {
        self.call(Request::Undelete {
            path: path.to_owned(),
            versions: versions.to_vec(),
        })
        .await
    }

    async fn current_version(
        &self,
        path: &str,
        selector: &VersionSelector,
    ) -> Result<Option<Version>> {
        self.call(Request::CurrentVersion {
            path: path.to_owned(),
            version: selector.clone(),
        })
        .await
    }

    async fn destroy(&self, path: &str, versions: &[Version]) -> Result<()> {
        self.call(Request::Destroy {
            path: path.to_owned(),
            versions: versions.to_vec(),
        })
        .await
    }
}

#[async_trait]
impl Transit for View {
    fn capabilities(&self) -> TransitCapabilities {
        self.capabilities.transit.unwrap_or_default()
    }

    async fn create_key(&self, name: &str, options: KeyOptions) -> Result<KeyInfo> {
        self.call(Request::CreateKey {
            name: name.to_owned(),
            options,
        })
        .await
    }

    async fn read_key(&self, name: &str) -> Result<KeyInfo> {
        self.call(Request::ReadKey {
            name: name.to_owned(),
        })
        .await
    }

    async fn list_keys(&self) -> Result<Vec<String>> {
        self.call(Request::ListKeys).await
    }

    async fn rotate_key(&self, name: &str) -> Result<KeyInfo> {
        self.call(Request::RotateKey {
            name: name.to_owned(),
        })
        .await
    }

    async fn set_min_decryption_version(&self, name: &str, version: u32) -> Result<KeyInfo> {
        self.call(Request::SetMinDecryptionVersion {
            name: name.to_owned(),
            version,
        })
        .await
    }

    async fn encrypt(
        &self,
        name: &str,
        plaintext: &[u8],
        context: Option<&[u8]>,
    ) -> Result<Ciphertext> {
        self.call(Request::Encrypt {
            name: name.to_owned(),
            plaintext: SecretValue::from(plaintext),
            context: context.map(<[u8]>::to_vec),
        })
        .await
    }

    async fn decrypt(
        &self,
        name: &str,
        ciphertext: &Ciphertext,
        context: Option<&[u8]>,
    ) -> Result<SecretValue> {
        self.call(Request::Decrypt {
            name: name.to_owned(),
            ciphertext: ciphertext.clone(),
            context: context.map(<[u8]>::to_vec),
        })
        .await
    }

    async fn rewrap(
        &self,
        name: &str,
        ciphertext: &Ciphertext,
        context: Option<&[u8]>,
    ) -> Result<Ciphertext> {
        self.call(Request::Rewrap {
            name: name.to_owned(),
            ciphertext: ciphertext.clone(),
            context: context.map(<[u8]>::to_vec),
        })
        .await
    }

    async fn sign(&self, name: &str, data: &[u8]) -> Result<Signature> {
        self.call(Request::Sign {
            name: name.to_owned(),
            data: SecretValue::from(data),
        })
        .await
    }

    async fn verify(&self, name: &str, data: &[u8], signature: &Signature) -> Result<bool> {
        self.call(Request::Verify {
            name: name.to_owned(),
            data: SecretValue::from(data),
            signature: signature.clone(),
        })
        .await
    }

    async fn hmac(&self, name: &str, data: &[u8]) -> Result<Signature> {
        self.call(Request::Hmac {
            name: name.to_owned(),
            data: SecretValue::from(data),
        })
        .await
    }

    async fn verify_hmac(&self, name: &str, data: &[u8], hmac: &Signature) -> Result<bool> {
        self.call(Request::VerifyHmac {
            name: name.to_owned(),
            data: SecretValue::from(data),
            hmac: hmac.clone(),
        })
        .await
    }

    async fn generate_data_key(&self, name: &str, bits: u32) -> Result<DataKey> {
        self.call(Request::GenerateDataKey {
            name: name.to_owned(),
            bits,
        })
        .await
    }

    async fn import_key(
        &self,
        name: &str,
        key_type: KeyType,
        material: SecretValue,
    ) -> Result<KeyInfo> {
        self.call(Request::ImportKey {
            name: name.to_owned(),
            key_type,
            material,
        })
        .await
    }
}

#[async_trait]
impl Leases for View {
    async fn renew(&self, lease_id: &str, increment: Option<Duration>) -> Result<Lease> {
        self.call(Request::RenewLease {
            lease_id: lease_id.to_owned(),
            increment,
        })
        .await
    }

    async fn revoke(&self, lease_id: &str) -> Result<()> {
        self.call(Request::RevokeLease {
            lease_id: lease_id.to_owned(),
        })
        .await
    }

    async fn lookup(&self, lease_id: &str) -> Result<Lease> {
        self.call(Request::LookupLease {
            lease_id: lease_id.to_owned(),
        })
        .await
    }
}

#[async_trait]
impl DynamicCredentials for View {
    async fn issue(&self, request: CredentialRequest) -> Result<LeasedCredential> {
        self.call(Request::Issue { request }).await
    }
}
