//! Bring your own key: key material wrapped for Vault's transit import, as Vault
//! documents it.
//!
//! 1. `GET <mount>/wrapping_key` gives Vault's RSA-4096 wrapping key (PEM).
//! 2. A fresh 256-bit AES key wraps the material with AES key wrap with padding
//!    (KWP, RFC 5649).
//! 3. That AES key is encrypted under the wrapping key with RSA-OAEP, SHA-256.
//! 4. `POST <mount>/keys/<name>/import` with `ciphertext = base64(rsa_ct || kwp_ct)`,
//!    `hash_function = SHA256` and the key `type`.
//!
//! What the material is, per key type:
//! - aes256-gcm96 and chacha20-poly1305: the 32 raw key bytes.
//! - ed25519: the 32-byte seed (turned into PKCS#8 here), or a PKCS#8 private key.
//! - ecdsa-p256 and rsa-2048: a PKCS#8 private key.
//!
//! A PKCS#8 key is given as DER, or as PEM (`-----BEGIN PRIVATE KEY-----`); Vault parses
//! it and refuses one of the wrong type. The material, the AES key and every
//! intermediate copy are wiped after use, and no error quotes them.

use aes_kw::KekAes256;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ironsecrets_core::{Error, KeyType, Result, SecretValue};
use rand::RngCore;
use rsa::pkcs8::{DecodePublicKey, SecretDocument};
use rsa::{Oaep, RsaPublicKey};
use serde::Deserialize;
use sha2::Sha256;
use vaultrs::api::transit::HashFunction;
use vaultrs::api::transit::requests::{GetWrappingKeyRequest, ImportKeyRequest};
use zeroize::Zeroizing;

use crate::client::Reply;
use crate::errors;
use crate::transit::{ImportOptions, VaultTransit, vault_key_type};

/// The PKCS#8 v1 prefix of an ed25519 private key; the 32-byte seed follows
/// (RFC 8410, section 7).
const ED25519_PKCS8_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

#[derive(Deserialize)]
struct WrappingKey {
    public_key: String,
}

/// Imports `material` as key `name` of `key_type`; AlreadyExists if the name is taken.
/// Returns Vault's answer to the import.
pub(crate) async fn import(
    transit: &VaultTransit,
    name: &str,
    key_type: KeyType,
    material: &SecretValue,
    options: ImportOptions,
) -> Result<Reply> {
    let vault_type = vault_key_type(key_type)?;
    let key = key_bytes(key_type, material)?;
    transit.must_not_exist(name).await?;
    let request = GetWrappingKeyRequest {
        mount: transit.mount().to_owned(),
    };
    let wrapping: WrappingKey = transit.client().call(request).await?.data()?;
    let ciphertext = wrap(&wrapping.public_key, &key)?;
    let request = ImportKeyRequest {
        mount: transit.mount().to_owned(),
        name: name.to_owned(),
        ciphertext: Some(ciphertext),
        hash_function: Some(HashFunction::Sha256),
        key_type: vault_type,
        allow_rotation: Some(options.allow_rotation),
        exportable: Some(options.exportable),
        ..ImportKeyRequest::default()
    };
    transit.client().call(request).await
}

/// The bytes Vault expects for `key_type`, from what the caller gave.
fn key_bytes(key_type: KeyType, material: &SecretValue) -> Result<Zeroizing<Vec<u8>>> {
    let given = material.expose();
    match key_type {
        KeyType::Aes256Gcm96 | KeyType::Chacha20Poly1305 => {
            if given.len() != 32 {
                return Err(Error::invalid_input(format!(
                    "{key_type} key material must be 32 raw bytes, got {}",
                    given.len()
                )));
            }
            Ok(Zeroizing::new(given.to_vec()))
        }
        KeyType::Ed25519 if given.len() == 32 => {
            let mut der = Zeroizing::new(Vec::with_capacity(48));
            der.extend_from_slice(&ED25519_PKCS8_PREFIX);
            der.extend_from_slice(given);
            Ok(der)
        }
        _ => pkcs8_der(key_type, given),
    }
}

/// A PKCS#8 private key as DER, from DER or PEM.
fn pkcs8_der(key_type: KeyType, given: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    let expected = || {
        let seed = if key_type == KeyType::Ed25519 {
            "a 32-byte seed or "
        } else {
            ""
        };
        Error::invalid_input(format!(
            "{key_type} key material must be {seed}a PKCS#8 private key (DER, or PEM \
             'BEGIN PRIVATE KEY')"
        ))
    };
    if given.starts_with(b"-----BEGIN") {
        let text = std::str::from_utf8(given).map_err(|_| expected())?;
        let (label, document) = SecretDocument::from_pem(text).map_err(|_| expected())?;
        if label != "PRIVATE KEY" {
            return Err(expected());
        }
        Ok(Zeroizing::new(document.as_bytes().to_vec()))
    } else if given.first() == Some(&0x30) {
        Ok(Zeroizing::new(given.to_vec()))
    } else {
        Err(expected())
    }
}

/// `base64(RSA-OAEP-SHA256(wrapping key, k) || AES-KWP(k, key))` for a fresh AES key `k`.
fn wrap(wrapping_key_pem: &str, key: &[u8]) -> Result<String> {
    let public = RsaPublicKey::from_public_key_pem(wrapping_key_pem.trim()).map_err(|_| {
        Error::unexpected("Vault's transit wrapping key is not a PEM RSA public key")
    })?;
    let mut ephemeral = Zeroizing::new([0u8; 32]);
    rand::rngs::OsRng.fill_bytes(ephemeral.as_mut());
    let wrapped_key = KekAes256::from(*ephemeral)
        .wrap_with_padding_vec(key)
        .map(Zeroizing::new)
        .map_err(|_| Error::invalid_input("the key material is too large to wrap"))?;
    let wrapped_ephemeral = public
        .encrypt(
            &mut rand::rngs::OsRng,
            Oaep::new::<Sha256>(),
            ephemeral.as_ref(),
        )
        .map_err(|_| errors::request_build("RSA-OAEP encryption under the wrapping key failed"))?;
    let mut joined = Zeroizing::new(wrapped_ephemeral);
    joined.extend_from_slice(&wrapped_key);
    Ok(STANDARD.encode(joined.as_slice()))
}

#[cfg(test)]
mod tests {
    use ironsecrets_core::ErrorKind;
    use rsa::RsaPrivateKey;
    use rsa::pkcs8::EncodePublicKey;

    use super::*;

    #[test]
    fn wrapped_material_unwraps_with_the_private_key() {
        let private = RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
        let pem = private
            .to_public_key()
            .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
            .unwrap();
        let key: Vec<u8> = (0..32).collect();
        let joined = STANDARD.decode(wrap(&pem, &key).unwrap()).unwrap();
        let (rsa_part, kwp_part) = joined.split_at(256);
        let ephemeral = private.decrypt(Oaep::new::<Sha256>(), rsa_part).unwrap();
        let ephemeral: [u8; 32] = ephemeral.try_into().unwrap();
        let unwrapped = KekAes256::from(ephemeral)
            .unwrap_with_padding_vec(kwp_part)
            .unwrap();
        assert_eq!(unwrapped, key);
    }

    #[test]
    fn symmetric_material_is_32_raw_bytes() {
        let err = key_bytes(KeyType::Aes256Gcm96, &SecretValue::new(vec![7; 16])).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        let ok = key_bytes(KeyType::Chacha20Poly1305, &SecretValue::new(vec![7; 32])).unwrap();
        assert_eq!(ok.as_slice(), &[7; 32]);
    }

    #[test]
    fn an_ed25519_seed_becomes_pkcs8() {
        let der = key_bytes(KeyType::Ed25519, &SecretValue::new(vec![9; 32])).unwrap();
        assert_eq!(der.len(), 48);
        assert_eq!(&der[..16], &ED25519_PKCS8_PREFIX);
        assert_eq!(&der[16..], &[9; 32]);
    }

    #[test]
    fn pkcs8_pem_is_read_as_der_and_garbage_refused_without_echo() {
        let der = key_bytes(KeyType::Ed25519, &SecretValue::new(vec![9; 32])).unwrap();
        let pem = SecretDocument::try_from(der.as_slice())
            .unwrap()
            .to_pem("PRIVATE KEY", rsa::pkcs8::LineEnding::LF)
            .unwrap();
        let back = key_bytes(KeyType::EcdsaP256, &SecretValue::from(pem.as_str())).unwrap();
        assert_eq!(back.as_slice(), der.as_slice());
        let err = key_bytes(KeyType::Rsa2048, &SecretValue::from("canary-material")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
        assert!(!err.to_string().contains("canary"), "{err}");
    }
}
