//! The engines every client has (Unsupported on each call where the backend has none):
//! transit, leases, dynamic credentials.

use ironsecrets::{
    Ciphertext, CredentialClient, KeyOptions, KeyType, LeaseClient, Signature, TransitClient,
};
use pyo3::prelude::*;

use crate::convert::{Seconds, Value, duration};
use crate::flavor::{both_flavors, handle_class};
use crate::types::{PyCredentialRequest, PyDataKey, PyKeyInfo, PyLease, PyLeasedCredential};
use crate::values::PySecretValue;

handle_class!(
    /// The transit engine: keys that never leave the backend.
    PyTransit(TransitClient),
    "Transit"
);
handle_class!(
    /// The transit engine, as awaitables.
    PyAsyncTransit(TransitClient),
    "AsyncTransit"
);
handle_class!(
    /// Lease renewal, revocation and lookup.
    PyLeases(LeaseClient),
    "Leases"
);
handle_class!(
    /// Lease renewal, revocation and lookup, as awaitables.
    PyAsyncLeases(LeaseClient),
    "AsyncLeases"
);
handle_class!(
    /// Dynamic credentials: database, SSH, PKI, cloud.
    PyCredentials(CredentialClient),
    "Credentials"
);
handle_class!(
    /// Dynamic credentials, as awaitables.
    PyAsyncCredentials(CredentialClient),
    "AsyncCredentials"
);

/// A key type by its name (`aes256-gcm96`, `ed25519`, ...).
fn key_type(py: Python<'_>, name: &str) -> PyResult<KeyType> {
    KeyType::parse(name).map_err(|err| crate::errors::to_py(py, err))
}

fn text(ciphertext: Ciphertext) -> String {
    ciphertext.as_str().to_owned()
}

fn signature(signature: Signature) -> String {
    signature.as_str().to_owned()
}

both_flavors!(PyTransit / PyAsyncTransit, {
    /// Creates a key; AlreadyExistsError if the name is taken.
    #[pyo3(signature = (name, key_type = "aes256-gcm96", exportable = false))]
    fn create_key<'py>(
        &self,
        py: Python<'py>,
        name: String,
        key_type: &str,
        exportable: bool,
    ) -> PyResult<Bound<'py, PyAny>> {
        let options = KeyOptions {
            key_type: self::key_type(py, key_type)?,
            exportable,
        };
        let created = self.handle()?.create_key(name, options);
        flavor::run(py, async move { created.await.map(PyKeyInfo::from) })
    }

    /// Describes a key.
    fn read_key<'py>(&self, py: Python<'py>, name: String) -> PyResult<Bound<'py, PyAny>> {
        let read = self.handle()?.read_key(name);
        flavor::run(py, async move { read.await.map(PyKeyInfo::from) })
    }

    /// Key names, sorted.
    fn list_keys<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        flavor::run(py, self.handle()?.list_keys())
    }

    /// Adds a key version; new ciphertexts use it.
    fn rotate_key<'py>(&self, py: Python<'py>, name: String) -> PyResult<Bound<'py, PyAny>> {
        let rotated = self.handle()?.rotate_key(name);
        flavor::run(py, async move { rotated.await.map(PyKeyInfo::from) })
    }

    /// Refuses decryption with versions older than `version`.
    fn set_min_decryption_version<'py>(
        &self,
        py: Python<'py>,
        name: String,
        version: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        let set = self.handle()?.set_min_decryption_version(name, version);
        flavor::run(py, async move { set.await.map(PyKeyInfo::from) })
    }

    /// Encrypts with the newest key version; `context` is authenticated, not stored.
    #[pyo3(signature = (name, plaintext, context = None))]
    fn encrypt<'py>(
        &self,
        py: Python<'py>,
        name: String,
        plaintext: Value,
        context: Option<Vec<u8>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let sealed = self
            .handle()?
            .encrypt(name, plaintext.into_inner(), context);
        flavor::run(py, async move { sealed.await.map(text) })
    }

    /// Decrypts; IntegrityError if the ciphertext or context was altered.
    #[pyo3(signature = (name, ciphertext, context = None))]
    fn decrypt<'py>(
        &self,
        py: Python<'py>,
        name: String,
        ciphertext: String,
        context: Option<Vec<u8>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let opened = self
            .handle()?
            .decrypt(name, Ciphertext::new(ciphertext), context);
        flavor::run(py, async move { opened.await.map(PySecretValue) })
    }

    /// Re-encrypts under the newest key version without returning the plaintext.
    #[pyo3(signature = (name, ciphertext, context = None))]
    fn rewrap<'py>(
        &self,
        py: Python<'py>,
        name: String,
        ciphertext: String,
        context: Option<Vec<u8>>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let rewrapped = self
            .handle()?
            .rewrap(name, Ciphertext::new(ciphertext), context);
        flavor::run(py, async move { rewrapped.await.map(text) })
    }

    /// Signs `data` with the newest version of a signing key.
    fn sign<'py>(&self, py: Python<'py>, name: String, data: Value) -> PyResult<Bound<'py, PyAny>> {
        let signed = self.handle()?.sign(name, data.into_inner());
        flavor::run(py, async move { signed.await.map(signature) })
    }

    /// Checks a signature; `False` for a wrong one.
    fn verify<'py>(
        &self,
        py: Python<'py>,
        name: String,
        data: Value,
        signature: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let checked = self
            .handle()?
            .verify(name, data.into_inner(), Signature::new(signature));
        flavor::run(py, checked)
    }

    /// HMAC-SHA256 of `data` under the newest key version.
    fn hmac<'py>(&self, py: Python<'py>, name: String, data: Value) -> PyResult<Bound<'py, PyAny>> {
        let mac = self.handle()?.hmac(name, data.into_inner());
        flavor::run(py, async move { mac.await.map(signature) })
    }

    /// Checks an HMAC; `False` for a wrong one.
    fn verify_hmac<'py>(
        &self,
        py: Python<'py>,
        name: String,
        data: Value,
        hmac: String,
    ) -> PyResult<Bound<'py, PyAny>> {
        let checked = self
            .handle()?
            .verify_hmac(name, data.into_inner(), Signature::new(hmac));
        flavor::run(py, checked)
    }

    /// A new random data key of `bits` (128, 256 or 512) and its ciphertext.
    #[pyo3(signature = (name, bits = 256))]
    fn generate_data_key<'py>(
        &self,
        py: Python<'py>,
        name: String,
        bits: u32,
    ) -> PyResult<Bound<'py, PyAny>> {
        let key = self.handle()?.generate_data_key(name, bits);
        flavor::run(py, async move { key.await.map(PyDataKey::from) })
    }

    /// Creates a key from existing material (bring your own key).
    fn import_key<'py>(
        &self,
        py: Python<'py>,
        name: String,
        key_type: &str,
        material: Value,
    ) -> PyResult<Bound<'py, PyAny>> {
        let key_type = self::key_type(py, key_type)?;
        let imported = self
            .handle()?
            .import_key(name, key_type, material.into_inner());
        flavor::run(py, async move { imported.await.map(PyKeyInfo::from) })
    }
});

both_flavors!(PyLeases / PyAsyncLeases, {
    /// Extends a lease by `increment` (the backend's default when not given).
    #[pyo3(signature = (lease_id, increment = None))]
    fn renew<'py>(
        &self,
        py: Python<'py>,
        lease_id: String,
        increment: Option<Seconds>,
    ) -> PyResult<Bound<'py, PyAny>> {
        let renewed = self.handle()?.renew(lease_id, duration(increment));
        flavor::run(py, async move { renewed.await.map(PyLease) })
    }

    /// Ends a lease now; its credentials stop working.
    fn revoke<'py>(&self, py: Python<'py>, lease_id: String) -> PyResult<Bound<'py, PyAny>> {
        flavor::run(py, self.handle()?.revoke(lease_id))
    }

    /// The lease's current state.
    fn lookup<'py>(&self, py: Python<'py>, lease_id: String) -> PyResult<Bound<'py, PyAny>> {
        let found = self.handle()?.lookup(lease_id);
        flavor::run(py, async move { found.await.map(PyLease) })
    }
});

both_flavors!(PyCredentials / PyAsyncCredentials, {
    /// Issues new credentials under a new lease.
    fn issue<'py>(
        &self,
        py: Python<'py>,
        request: PyCredentialRequest,
    ) -> PyResult<Bound<'py, PyAny>> {
        let issued = self.handle()?.issue(request.0);
        flavor::run(
            py,
            async move { issued.await.map(PyLeasedCredential::from) },
        )
    }
});
