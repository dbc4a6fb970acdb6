//! Typed handles on a client's engines: transit, leases and dynamic credentials. Each is
//! cheap to clone, takes owned arguments and returns `Send + 'static` futures, and goes
//! through the client's layer stack.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use ironsecrets_core::{
    Ciphertext, CredentialRequest, DataKey, KeyInfo, KeyOptions, KeyType, Lease, LeasedCredential,
    Request, Result, SecretValue, Service, Signature,
};

use crate::client::call;

/// The transit engine of a [`Client`](crate::Client): keys that never leave the backend.
#[derive(Clone)]
pub struct TransitClient {
    service: Arc<dyn Service>,
}

impl std::fmt::Debug for TransitClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TransitClient")
            .field("backend", &self.service.backend())
            .finish()
    }
}

impl TransitClient {
    pub(crate) fn new(service: Arc<dyn Service>) -> Self {
        TransitClient { service }
    }

    /// Creates a key; AlreadyExists if the name is taken.
    pub fn create_key(
        &self,
        name: impl Into<String>,
        options: KeyOptions,
    ) -> impl Future<Output = Result<KeyInfo>> + Send + 'static {
        let name = name.into();
        call(&self.service, Request::CreateKey { name, options })
    }

    /// Describes a key.
    pub fn read_key(
        &self,
        name: impl Into<String>,
    ) -> impl Future<Output = Result<KeyInfo>> + Send + 'static {
        let name = name.into();
        call(&self.service, Request::ReadKey { name })
    }

    /// Key names, sorted.
    pub fn list_keys(&self) -> impl Future<Output = Result<Vec<String>>> + Send + 'static {
        call(&self.service, Request::ListKeys)
    }

    /// Adds a key version; new ciphertexts use it.
    pub fn rotate_key(
        &self,
        name: impl Into<String>,
    ) -> impl Future<Output = Result<KeyInfo>> + Send + 'static {
        let name = name.into();
        call(&self.service, Request::RotateKey { name })
    }

    /// Refuses decryption with versions older than `version`.
    pub fn set_min_decryption_version(
        &self,
        name: impl Into<String>,
        version: u32,
    ) -> impl Future<Output = Result<KeyInfo>> + Send + 'static {
        let name = name.into();
        call(
            &self.service,
            Request::SetMinDecryptionVersion { name, version },
        )
    }

    /// Encrypts with the newest key version; `context` is authenticated, not stored.
    pub fn encrypt(
        &self,
        name: impl Into<String>,
        plaintext: impl Into<SecretValue>,
        context: Option<Vec<u8>>,
    ) -> impl Future<Output = Result<Ciphertext>> + Send + 'static {
        let (name, plaintext) = (name.into(), plaintext.into());
        call(
            &self.service,
            Request::Encrypt {
                name,
                plaintext,
                context,
            },
        )
    }

    /// Decrypts; Integrity if the ciphertext or context was altered.
    pub fn decrypt(
        &self,
        name: impl Into<String>,
        ciphertext: Ciphertext,
        context: Option<Vec<u8>>,
    ) -> impl Future<Output = Result<SecretValue>> + Send + 'static {
        let name = name.into();
        call(
            &self.service,
            Request::Decrypt {
                name,
                ciphertext,
                context,
            },
        )
    }

    /// Re-encrypts under the newest key version without returning the plaintext.
    pub fn rewrap(
        &self,
        name: impl Into<String>,
        ciphertext: Ciphertext,
        context: Option<Vec<u8>>,
    ) -> impl Future<Output = Result<Ciphertext>> + Send + 'static {
        let name = name.into();
        call(
            &self.service,
            Request::Rewrap {
                name,
                ciphertext,
                context,
            },
        )
    }

    /// Signs `data` with the newest version of a signing key.
    pub fn sign(
        &self,
        name: impl Into<String>,
        data: impl Into<SecretValue>,
    ) -> impl Future<Output = Result<Signature>> + Send + 'static {
        let (name, data) = (name.into(), data.into());
        call(&self.service, Request::Sign { name, data })
    }

    /// Checks a signature; `Ok(false)` for a wrong one.
    pub fn verify(
        &self,
        name: impl Into<String>,
        data: impl Into<SecretValue>,
        signature: Signature,
    ) -> impl Future<Output = Result<bool>> + Send + 'static {
        let (name, data) = (name.into(), data.into());
        call(
            &self.service,
            Request::Verify {
                name,
                data,
                signature,
            },
        )
    }

    /// HMAC-SHA256 of `data` under the newest key version.
    pub fn hmac(
        &self,
        name: impl Into<String>,
        data: impl Into<SecretValue>,
    ) -> impl Future<Output = Result<Signature>> + Send + 'static {
        let (name, data) = (name.into(), data.into());
        call(&self.service, Request::Hmac { name, data })
    }

    /// Checks an HMAC; `Ok(false)` for a wrong one.
    pub fn verify_hmac(
        &self,
        name: impl Into<String>,
        data: impl Into<SecretValue>,
        hmac: Signature,
    ) -> impl Future<Output = Result<bool>> + Send + 'static {
        let (name, data) = (name.into(), data.into());
        call(&self.service, Request::VerifyHmac { name, data, hmac })
    }

    /// A new random data key of `bits` (128, 256 or 512) and its ciphertext.
    pub fn generate_data_key(
        &self,
        name: impl Into<String>,
        bits: u32,
    ) -> impl Future<Output = Result<DataKey>> + Send + 'static {
        let name = name.into();
        call(&self.service, Request::GenerateDataKey { name, bits })
    }

    /// Creates a key from existing material (bring your own key).
    pub fn import_key(
        &self,
        name: impl Into<String>,
        key_type: KeyType,
        material: SecretValue,
    ) -> impl Future<Output = Result<KeyInfo>> + Send + 'static {
        let name = name.into();
        call(
            &self.service,
            Request::ImportKey {
                name,
                key_type,
                material,
            },
        )
    }
}

/// Lease management of a [`Client`](crate::Client).
#[derive(Clone)]
pub struct LeaseClient {
    service: Arc<dyn Service>,
}

impl std::fmt::Debug for LeaseClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeaseClient")
            .field("backend", &self.service.backend())
            .finish()
    }
}

impl LeaseClient {
    pub(crate) fn new(service: Arc<dyn Service>) -> Self {
        LeaseClient { service }
    }

    /// Extends a lease by `increment` (the backend's default when `None`); the lease as
    /// granted may be shorter than asked.
    pub fn renew(
        &self,
        lease_id: impl Into<String>,
        increment: Option<Duration>,
    ) -> impl Future<Output = Result<Lease>> + Send + 'static {
        let lease_id = lease_id.into();
        call(
            &self.service,
            Request::RenewLease {
                lease_id,
                increment,
            },
        )
    }

    /// Ends a lease now; its credentials stop working.
    pub fn revoke(
        &self,
        lease_id: impl Into<String>,
    ) -> impl Future<Output = Result<()>> + Send + 'static {
        let lease_id = lease_id.into();
        call(&self.service, Request::RevokeLease { lease_id })
    }

    /// The lease's current state.
    pub fn lookup(
        &self,
        lease_id: impl Into<String>,
    ) -> impl Future<Output = Result<Lease>> + Send + 'static {
        let lease_id = lease_id.into();
        call(&self.service, Request::LookupLease { lease_id })
    }
}

/// Dynamic credentials of a [`Client`](crate::Client): database, SSH, PKI and cloud.
#[derive(Clone)]
pub struct CredentialClient {
    service: Arc<dyn Service>,
}

impl std::fmt::Debug for CredentialClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CredentialClient")
            .field("backend", &self.service.backend())
            .finish()
    }
}

impl CredentialClient {
    pub(crate) fn new(service: Arc<dyn Service>) -> Self {
        CredentialClient { service }
    }

    /// Issues new credentials under a new lease. Never retried after an ambiguous
    /// failure: a retry could create a second user or certificate.
    pub fn issue(
        &self,
        request: CredentialRequest,
    ) -> impl Future<Output = Result<LeasedCredential>> + Send + 'static {
        call(&self.service, Request::Issue { request })
    }
}
