//! Argon2id derivation of the key-encryption key from the master key.

use argon2::{Algorithm, Argon2, Params, Version};
use ironsecrets_core::{Error, Result, SecretValue};
use serde::{Deserialize, Serialize};

use crate::crypto::Key;

/// Argon2id cost parameters, stored in the store's header so a store opens with the
/// parameters it was made with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KdfParams {
    /// Memory in KiB (default 65 536 = 64 MiB).
    pub memory_kib: u32,
    /// Passes (default 3).
    pub iterations: u32,
    /// Lanes (default 4).
    pub parallelism: u32,
}

impl Default for KdfParams {
    fn default() -> Self {
        KdfParams {
            memory_kib: 64 * 1024,
            iterations: 3,
            parallelism: 4,
        }
    }
}

impl KdfParams {
    /// Derives a 256-bit key from `secret` and `salt`.
    pub fn derive(&self, secret: &SecretValue, salt: &[u8]) -> Result<Key> {
        let params = Params::new(self.memory_kib, self.iterations, self.parallelism, Some(32))
            .map_err(|e| Error::config(format!("invalid Argon2id parameters: {e}")))?;
        let mut out = zeroize::Zeroizing::new([0u8; 32]);
        Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
            .hash_password_into(secret.expose(), salt, out.as_mut())
            .map_err(|e| Error::config(format!("Argon2id failed: {e}")))?;
        Key::from_slice(out.as_ref())
    }
}
