//! `VaultTransit`: a transit mount as a [`Transit`](ironsecrets_core::Transit) engine —
//! keys (create, read, list, rotate, min decryption version), encrypt / decrypt (single
//! and batch), rewrap, sign / verify, HMAC, data keys, export where allowed, and key
//! import (BYOK).
//!
//! How the trait maps onto Vault's API is on [`VaultTransit`]. The files: the public
//! types here; `wire` (Vault's request and answer bodies), `refine` (what Vault's errors
//! mean for transit), `engine` (the calls), `trait_impl` (the trait on top), `import`
//! (wrapping material for BYOK import).

mod engine;
mod import;
mod refine;
mod trait_impl;
mod wire;

use ironsecrets_core::{Ciphertext, Error, Result, SecretValue};
use vaultrs::api::transit::requests::ExportKeyType;

use crate::VaultClient;

pub(crate) use wire::vault_key_type;

/// The key type every encrypt names so that Vault refuses to create a missing key.
pub(crate) const NO_UPSERT: &str = "ironsecrets-no-upsert";

/// The longest key name accepted.
pub(crate) const MAX_NAME_LEN: usize = 256;

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
    pub(crate) client: VaultClient,
    pub(crate) mount: String,
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
    pub(crate) fn vault(self) -> ExportKeyType {
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

/// Checks a key name the way Vault's routes match it: letters, digits and `_`, with
/// `-`, `.` and `@` inside, so a name can never reach another path.
pub(crate) fn check_name(name: &str) -> Result<()> {
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

#[cfg(test)]
mod tests {
    use ironsecrets_core::ErrorKind;

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
}
