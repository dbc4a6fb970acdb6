//! AES-256-GCM sealing with random 96-bit nonces, and unambiguous associated data.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use ironsecrets_core::{Error, Result};
use rand::RngCore;
use zeroize::Zeroizing;

/// Nonce length for AES-GCM.
pub const NONCE_LEN: usize = 12;

/// A 256-bit symmetric key, wiped on drop.
#[derive(Clone)]
pub struct Key(Zeroizing<[u8; 32]>);

impl Key {
    /// A fresh random key.
    pub fn random() -> Self {
        Key(Zeroizing::new(random_array()))
    }

    /// A key from exactly 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Result<Self> {
        let array: [u8; 32] = bytes
            .try_into()
            .map_err(|_| Error::integrity("a stored key has the wrong length"))?;
        Ok(Key(Zeroizing::new(array)))
    }

    /// The raw key bytes.
    pub fn bytes(&self) -> &[u8; 32] {
        &self.0
    }
}

/// Random bytes from the operating system's generator.
pub fn random_array<const N: usize>() -> [u8; N] {
    let mut out = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut out);
    out
}

/// Encrypts `plaintext`, binding it to `aad`; returns `nonce || ciphertext+tag`.
pub fn seal(key: &Key, aad: &[u8], plaintext: &[u8]) -> Vec<u8> {
    let cipher = Aes256Gcm::new(key.bytes().into());
    let nonce: [u8; NONCE_LEN] = random_array();
    let sealed = cipher
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad,
            },
        )
        .expect("AES-GCM encryption of an in-memory buffer cannot fail");
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    out
}

/// Decrypts `nonce || ciphertext+tag`; Integrity if it was altered, moved or the key is wrong.
pub fn open(key: &Key, aad: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>> {
    if sealed.len() < NONCE_LEN + 16 {
        return Err(Error::integrity("a sealed blob is truncated"));
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let cipher = Aes256Gcm::new(key.bytes().into());
    cipher
        .decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad })
        .map(Zeroizing::new)
        .map_err(|_| {
            Error::integrity("decryption failed: the data was altered, moved, or the key is wrong")
        })
}

/// Associated data from several parts, each length-prefixed so no two lists collide.
pub fn aad(parts: &[&[u8]]) -> Vec<u8> {
    let mut out = Vec::new();
    for part in parts {
        out.extend_from_slice(&(part.len() as u32).to_be_bytes());
        out.extend_from_slice(part);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use ironsecrets_core::ErrorKind;

    #[test]
    fn seal_round_trips_and_detects_every_flipped_byte() {
        let key = Key::random();
        let sealed = seal(&key, b"ad", b"value");
        assert_eq!(&open(&key, b"ad", &sealed).unwrap()[..], b"value");
        for i in 0..sealed.len() {
            let mut bad = sealed.clone();
            bad[i] ^= 0x01;
            assert_eq!(
                open(&key, b"ad", &bad).unwrap_err().kind(),
                ErrorKind::Integrity
            );
        }
    }

    #[test]
    fn other_aad_or_key_fails() {
        let key = Key::random();
        let sealed = seal(&key, b"row-1", b"value");
        assert_eq!(
            open(&key, b"row-2", &sealed).unwrap_err().kind(),
            ErrorKind::Integrity
        );
        assert_eq!(
            open(&Key::random(), b"row-1", &sealed).unwrap_err().kind(),
            ErrorKind::Integrity
        );
    }

    #[test]
    fn aad_parts_are_unambiguous() {
        assert_ne!(aad(&[b"ab", b"c"]), aad(&[b"a", b"bc"]));
    }
}
