//! The engines every client has (UnsupportedError on each call where the backend has
//! none): `Transit`, `Leases`, `Credentials`.

use ironsecrets::{
    Ciphertext, CredentialClient, KeyOptions, KeyType, LeaseClient, Signature, TransitClient,
};
use napi::Env;
use napi::bindgen_prelude::{Buffer, PromiseRaw, Undefined};
use napi_derive::napi;

use crate::client::{CallOptions, signal};
use crate::convert::{self, Value};
use crate::runtime::promise;
use crate::types::{CredentialRequest, DataKey, KeyInfo, Lease, LeasedCredential};
use crate::values::SecretValue;

/// The transit engine: keys that never leave the backend.
#[napi]
pub struct Transit {
    inner: TransitClient,
}

impl From<TransitClient> for Transit {
    fn from(inner: TransitClient) -> Self {
        Transit { inner }
    }
}

/// Lease renewal, revocation and lookup.
#[napi]
pub struct Leases {
    inner: LeaseClient,
}

impl From<LeaseClient> for Leases {
    fn from(inner: LeaseClient) -> Self {
        Leases { inner }
    }
}

/// Dynamic credentials: database, SSH, PKI, cloud.
#[napi]
pub struct Credentials {
    inner: CredentialClient,
}

impl From<CredentialClient> for Credentials {
    fn from(inner: CredentialClient) -> Self {
        Credentials { inner }
    }
}

/// How `createKey` makes a key.
#[napi(object, object_to_js = false)]
pub struct CreateKeyArgs {
    /// `'aes256-gcm96'` (the default), `'chacha20-poly1305'`, `'ed25519'`, `'ecdsa-p256'` or
    /// `'rsa-2048'`.
    pub key_type: Option<String>,
    /// Whether the key material may be exported later (default `false`).
    pub exportable: Option<bool>,
    /// Cancels the call when aborted.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<crate::runtime::Signal>,
}

/// Context (authenticated, not stored) and signal of encrypt / decrypt / rewrap.
#[napi(object, object_to_js = false)]
pub struct CryptArgs {
    /// Bytes the ciphertext is bound to; decrypting needs the same ones.
    pub context: Option<Buffer>,
    /// Cancels the call when aborted.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<crate::runtime::Signal>,
}

/// Options of `generateDataKey`.
#[napi(object, object_to_js = false)]
pub struct DataKeyArgs {
    /// 128, 256 (the default) or 512.
    pub bits: Option<u32>,
    /// Cancels the call when aborted.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<crate::runtime::Signal>,
}

/// A key type by its name.
fn key_type(env: &Env, name: &str) -> napi::Result<KeyType> {
    KeyType::parse(name).map_err(|error| crate::errors::to_js(env, error))
}

fn context_and_signal(
    options: Option<CryptArgs>,
) -> (Option<Vec<u8>>, Option<crate::runtime::Signal>) {
    match options {
        Some(options) => (options.context.map(|bytes| bytes.to_vec()), options.signal),
        None => (None, None),
    }
}

fn text(ciphertext: Ciphertext) -> String {
    ciphertext.as_str().to_owned()
}

fn signature(signature: Signature) -> String {
    signature.as_str().to_owned()
}

#[napi]
impl Transit {
    /// Creates a key; AlreadyExistsError if the name is taken.
    #[napi(ts_return_type = "Promise<KeyInfo>")]
    pub fn create_key<'env>(
        &self,
        env: &'env Env,
        name: String,
        options: Option<CreateKeyArgs>,
    ) -> napi::Result<PromiseRaw<'env, KeyInfo>> {
        let (kind, exportable, signal) = match options {
            Some(options) => (options.key_type, options.exportable, options.signal),
            None => (None, None, None),
        };
        let options = KeyOptions {
            key_type: key_type(env, kind.as_deref().unwrap_or("aes256-gcm96"))?,
            exportable: exportable.unwrap_or(false),
        };
        let created = self.inner.create_key(name, options);
        promise(env, signal, async move { created.await.map(KeyInfo::from) })
    }

    /// Describes a key.
    #[napi(ts_return_type = "Promise<KeyInfo>")]
    pub fn read_key<'env>(
        &self,
        env: &'env Env,
        name: String,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, KeyInfo>> {
        let read = self.inner.read_key(name);
        promise(env, signal(options), async move {
            read.await.map(KeyInfo::from)
        })
    }

    /// Key names, sorted.
    #[napi(ts_return_type = "Promise<string[]>")]
    pub fn list_keys<'env>(
        &self,
        env: &'env Env,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, Vec<String>>> {
        promise(env, signal(options), self.inner.list_keys())
    }

    /// Adds a key version; new ciphertexts use it.
    #[napi(ts_return_type = "Promise<KeyInfo>")]
    pub fn rotate_key<'env>(
        &self,
        env: &'env Env,
        name: String,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, KeyInfo>> {
        let rotated = self.inner.rotate_key(name);
        promise(env, signal(options), async move {
            rotated.await.map(KeyInfo::from)
        })
    }

    /// Refuses decryption with versions older than `version`.
    #[napi(ts_return_type = "Promise<KeyInfo>")]
    pub fn set_min_decryption_version<'env>(
        &self,
        env: &'env Env,
        name: String,
        version: u32,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, KeyInfo>> {
        let set = self.inner.set_min_decryption_version(name, version);
        promise(
            env,
            signal(options),
            async move { set.await.map(KeyInfo::from) },
        )
    }

    /// Encrypts with the newest key version.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn encrypt<'env>(
        &self,
        env: &'env Env,
        name: String,
        #[napi(ts_arg_type = "SecretInput")] plaintext: Value,
        options: Option<CryptArgs>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let (context, signal) = context_and_signal(options);
        let sealed = self.inner.encrypt(name, plaintext.0, context);
        promise(env, signal, async move { sealed.await.map(text) })
    }

    /// Decrypts; IntegrityError if the ciphertext or context was altered.
    #[napi(ts_return_type = "Promise<SecretValue>")]
    pub fn decrypt<'env>(
        &self,
        env: &'env Env,
        name: String,
        ciphertext: String,
        options: Option<CryptArgs>,
    ) -> napi::Result<PromiseRaw<'env, SecretValue>> {
        let (context, signal) = context_and_signal(options);
        let opened = self
            .inner
            .decrypt(name, Ciphertext::new(ciphertext), context);
        promise(
            env,
            signal,
            async move { opened.await.map(SecretValue::from) },
        )
    }

    /// Re-encrypts under the newest key version without returning the plaintext.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn rewrap<'env>(
        &self,
        env: &'env Env,
        name: String,
        ciphertext: String,
        options: Option<CryptArgs>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let (context, signal) = context_and_signal(options);
        let rewrapped = self
            .inner
            .rewrap(name, Ciphertext::new(ciphertext), context);
        promise(env, signal, async move { rewrapped.await.map(text) })
    }

    /// Signs `data` with the newest version of a signing key.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn sign<'env>(
        &self,
        env: &'env Env,
        name: String,
        #[napi(ts_arg_type = "SecretInput")] data: Value,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let signed = self.inner.sign(name, data.0);
        promise(
            env,
            signal(options),
            async move { signed.await.map(signature) },
        )
    }

    /// Checks a signature; `false` for a wrong one.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn verify<'env>(
        &self,
        env: &'env Env,
        name: String,
        #[napi(ts_arg_type = "SecretInput")] data: Value,
        signature: String,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, bool>> {
        let checked = self.inner.verify(name, data.0, Signature::new(signature));
        promise(env, signal(options), checked)
    }

    /// HMAC-SHA256 of `data` under the newest key version.
    #[napi(ts_return_type = "Promise<string>")]
    pub fn hmac<'env>(
        &self,
        env: &'env Env,
        name: String,
        #[napi(ts_arg_type = "SecretInput")] data: Value,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, String>> {
        let mac = self.inner.hmac(name, data.0);
        promise(
            env,
            signal(options),
            async move { mac.await.map(signature) },
        )
    }

    /// Checks an HMAC; `false` for a wrong one.
    #[napi(ts_return_type = "Promise<boolean>")]
    pub fn verify_hmac<'env>(
        &self,
        env: &'env Env,
        name: String,
        #[napi(ts_arg_type = "SecretInput")] data: Value,
        hmac: String,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, bool>> {
        let checked = self.inner.verify_hmac(name, data.0, Signature::new(hmac));
        promise(env, signal(options), checked)
    }

    /// A new random data key and its ciphertext.
    #[napi(ts_return_type = "Promise<DataKey>")]
    pub fn generate_data_key<'env>(
        &self,
        env: &'env Env,
        name: String,
        options: Option<DataKeyArgs>,
    ) -> napi::Result<PromiseRaw<'env, DataKey>> {
        let (bits, signal) = match options {
            Some(options) => (options.bits, options.signal),
            None => (None, None),
        };
        let key = self.inner.generate_data_key(name, bits.unwrap_or(256));
        promise(env, signal, async move { key.await.map(DataKey::from) })
    }

    /// Creates a key from existing material (bring your own key).
    #[napi(ts_return_type = "Promise<KeyInfo>")]
    pub fn import_key<'env>(
        &self,
        env: &'env Env,
        name: String,
        key_type: String,
        #[napi(ts_arg_type = "SecretInput")] material: Value,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, KeyInfo>> {
        let kind = self::key_type(env, &key_type)?;
        let imported = self.inner.import_key(name, kind, material.0);
        promise(env, signal(options), async move {
            imported.await.map(KeyInfo::from)
        })
    }
}

/// `renew`'s increment (seconds; the backend's default when not given) and signal.
#[napi(object, object_to_js = false)]
pub struct RenewArgs {
    /// Seconds to extend by; the backend's default when not given.
    pub increment: Option<f64>,
    /// Cancels the call when aborted.
    #[napi(ts_type = "AbortSignal")]
    pub signal: Option<crate::runtime::Signal>,
}

#[napi]
impl Leases {
    /// Extends a lease.
    #[napi(ts_return_type = "Promise<Lease>")]
    pub fn renew<'env>(
        &self,
        env: &'env Env,
        lease_id: String,
        options: Option<RenewArgs>,
    ) -> napi::Result<PromiseRaw<'env, Lease>> {
        let (increment, signal) = match options {
            Some(options) => (
                convert::maybe_seconds(env, options.increment)?,
                options.signal,
            ),
            None => (None, None),
        };
        let renewed = self.inner.renew(lease_id, increment);
        promise(env, signal, async move { renewed.await.map(Lease::from) })
    }

    /// Ends a lease now; its credentials stop working.
    #[napi(ts_return_type = "Promise<void>")]
    pub fn revoke<'env>(
        &self,
        env: &'env Env,
        lease_id: String,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, Undefined>> {
        promise(env, signal(options), self.inner.revoke(lease_id))
    }

    /// The lease's current state.
    #[napi(ts_return_type = "Promise<Lease>")]
    pub fn lookup<'env>(
        &self,
        env: &'env Env,
        lease_id: String,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, Lease>> {
        let found = self.inner.lookup(lease_id);
        promise(
            env,
            signal(options),
            async move { found.await.map(Lease::from) },
        )
    }
}

#[napi]
impl Credentials {
    /// Issues new credentials under a new lease.
    #[napi(ts_return_type = "Promise<LeasedCredential>")]
    pub fn issue<'env>(
        &self,
        env: &'env Env,
        request: CredentialRequest,
        options: Option<CallOptions>,
    ) -> napi::Result<PromiseRaw<'env, LeasedCredential>> {
        let issued = self.inner.issue(request.to_core(env)?);
        promise(env, signal(options), async move {
            issued.await.map(LeasedCredential::from)
        })
    }
}
