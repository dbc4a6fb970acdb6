//! Transit: encryption, rotation and rewrap, integrity, HMAC, signatures, data keys, key
//! management and import.
//!
//! Key names are flat, so each check derives its keys' names from its prefix with `/`
//! replaced by `-`. Error kinds the checks expect:
//! - decrypting a ciphertext whose key version is below the key's
//!   `min_decryption_version` is **InvalidInput**: the request asks for something the key's
//!   policy forbids (Vault answers 400), not a sign of tampering;
//! - a tampered ciphertext, or a wrong or missing context, is **Integrity**.

use std::sync::Arc;

use ironsecrets_core::{
    Backend, Ciphertext, ErrorKind, KeyInfo, KeyOptions, KeyType, SecretValue, Transit,
};

use crate::CheckResult;
use crate::check::{ensure, fails_with, ok, same_bytes};

const PLAINTEXT: &[u8] = b"conformance plaintext \x00\x01\xfe\xff";
const CONTEXT: &[u8] = b"tenant-a";

/// A flat key name derived from the check's prefix.
fn key_name(prefix: &str, suffix: &str) -> String {
    format!(
        "{}-{suffix}",
        prefix.trim_end_matches('/').replace('/', "-")
    )
}

fn engine(b: &Backend) -> Result<&Arc<dyn Transit>, String> {
    ok("transit engine", b.transit())
}

/// Creates an aes256-gcm96 key and checks what `create_key` says about it.
async fn new_aes_key(t: &dyn Transit, name: &str) -> Result<KeyInfo, String> {
    let info = ok(
        "create_key(aes256-gcm96)",
        t.create_key(name, KeyOptions::default()).await,
    )?;
    ensure!(
        info.name == name && info.key_type == KeyType::Aes256Gcm96 && info.latest_version == 1,
        "create_key returned {info:?}, expected key {name:?}, aes256-gcm96, latest_version 1"
    );
    Ok(info)
}

/// Requires `ciphertext` to carry key version `expected`.
fn made_by(step: &str, ciphertext: &Ciphertext, expected: u32) -> Result<(), String> {
    let version = ok(step, ciphertext.key_version())?;
    ensure!(
        version == expected,
        "{step}: the ciphertext carries key version {version}, expected {expected}"
    );
    Ok(())
}

/// Decrypts and compares with `expected`.
async fn decrypts_to(
    t: &dyn Transit,
    step: &str,
    name: &str,
    ciphertext: &Ciphertext,
    context: Option<&[u8]>,
    expected: &[u8],
) -> Result<(), String> {
    let plain = ok(step, t.decrypt(name, ciphertext, context).await)?;
    same_bytes(step, plain.expose(), expected)
}

/// The same ciphertext with one base64 character of its payload changed; still valid
/// base64 (the character is in the middle, away from padding bits).
fn tamper(ciphertext: &Ciphertext) -> Result<Ciphertext, String> {
    let (version, payload) = ok("parsing the ciphertext", ciphertext.parts())?;
    ensure!(
        payload.len() >= 8 && payload.is_ascii(),
        "the ciphertext payload is not base64 ({} bytes)",
        payload.len()
    );
    let middle = payload.len() / 2;
    let replacement = if &payload[middle..=middle] == "A" {
        "B"
    } else {
        "A"
    };
    let mut changed = payload.to_owned();
    changed.replace_range(middle..=middle, replacement);
    let prefix = ciphertext.as_str().split(':').next().unwrap_or_default();
    Ok(Ciphertext::compose(prefix, version, &changed))
}

/// An aes256-gcm96 key encrypts and decrypts, with and without a context; ciphertexts
/// carry key version 1, and encrypting twice gives two different ciphertexts.
pub async fn transit_round_trip(b: &Backend, prefix: &str) -> CheckResult {
    let t = engine(b)?.as_ref();
    let name = key_name(prefix, "aes");
    new_aes_key(t, &name).await?;
    let first = ok("encrypt", t.encrypt(&name, PLAINTEXT, None).await)?;
    made_by("encrypt", &first, 1)?;
    let second = ok("encrypt", t.encrypt(&name, PLAINTEXT, None).await)?;
    ensure!(
        first != second,
        "encrypting the same plaintext twice gave the same ciphertext; nonces must be fresh"
    );
    decrypts_to(t, "decrypt", &name, &first, None, PLAINTEXT).await?;
    decrypts_to(t, "decrypt", &name, &second, None, PLAINTEXT).await?;
    let bound = ok(
        "encrypt with a context",
        t.encrypt(&name, PLAINTEXT, Some(CONTEXT)).await,
    )?;
    decrypts_to(
        t,
        "decrypt with the same context",
        &name,
        &bound,
        Some(CONTEXT),
        PLAINTEXT,
    )
    .await?;
    Ok(())
}

/// A ciphertext with one base64 character changed, or decrypted with a wrong or missing
/// context, is Integrity.
pub async fn transit_integrity(b: &Backend, prefix: &str) -> CheckResult {
    let t = engine(b)?.as_ref();
    let name = key_name(prefix, "aes");
    new_aes_key(t, &name).await?;
    let ciphertext = ok(
        "encrypt with a context",
        t.encrypt(&name, PLAINTEXT, Some(CONTEXT)).await,
    )?;
    fails_with(
        "decrypt of a tampered ciphertext",
        t.decrypt(&name, &tamper(&ciphertext)?, Some(CONTEXT)).await,
        ErrorKind::Integrity,
    )?;
    fails_with(
        "decrypt with a wrong context",
        t.decrypt(&name, &ciphertext, Some(b"tenant-b")).await,
        ErrorKind::Integrity,
    )?;
    fails_with(
        "decrypt without the context",
        t.decrypt(&name, &ciphertext, None).await,
        ErrorKind::Integrity,
    )?;
    Ok(())
}

/// Creates a key, encrypts, rotates: the v1 ciphertext and the key as rotated.
async fn encrypt_then_rotate(t: &dyn Transit, name: &str) -> Result<Ciphertext, String> {
    new_aes_key(t, name).await?;
    let v1 = ok("encrypt", t.encrypt(name, PLAINTEXT, None).await)?;
    let rotated = ok("rotate_key", t.rotate_key(name).await)?;
    ensure!(
        rotated.latest_version == 2,
        "rotate_key returned latest_version {}, expected 2",
        rotated.latest_version
    );
    Ok(v1)
}

/// After `rotate_key` new ciphertexts carry version 2 and version-1 ones still decrypt;
/// `rewrap` turns a v1 ciphertext into a v2 one of the same plaintext.
pub async fn transit_rotation(b: &Backend, prefix: &str) -> CheckResult {
    let t = engine(b)?.as_ref();
    let name = key_name(prefix, "aes");
    let v1 = encrypt_then_rotate(t, &name).await?;
    let v2 = ok(
        "encrypt after rotation",
        t.encrypt(&name, PLAINTEXT, None).await,
    )?;
    made_by("encrypt after rotation", &v2, 2)?;
    decrypts_to(t, "decrypt of a v1 ciphertext", &name, &v1, None, PLAINTEXT).await?;
    let rewrapped = ok(
        "rewrap of a v1 ciphertext",
        t.rewrap(&name, &v1, None).await,
    )?;
    made_by("rewrap of a v1 ciphertext", &rewrapped, 2)?;
    decrypts_to(
        t,
        "decrypt of a rewrapped ciphertext",
        &name,
        &rewrapped,
        None,
        PLAINTEXT,
    )
    .await?;
    Ok(())
}

/// After a rotation and `set_min_decryption_version(2)`, decrypting a v1 ciphertext is
/// InvalidInput while v2 ones still decrypt.
pub async fn transit_min_decryption_version(b: &Backend, prefix: &str) -> CheckResult {
    let t = engine(b)?.as_ref();
    let name = key_name(prefix, "aes");
    let v1 = encrypt_then_rotate(t, &name).await?;
    let v2 = ok(
        "encrypt after rotation",
        t.encrypt(&name, PLAINTEXT, None).await,
    )?;
    let info = ok(
        "set_min_decryption_version(2)",
        t.set_min_decryption_version(&name, 2).await,
    )?;
    ensure!(
        info.min_decryption_version == 2,
        "set_min_decryption_version(2) returned min_decryption_version {}",
        info.min_decryption_version
    );
    fails_with(
        "decrypt of a v1 ciphertext below min_decryption_version",
        t.decrypt(&name, &v1, None).await,
        ErrorKind::InvalidInput,
    )?;
    decrypts_to(t, "decrypt of a v2 ciphertext", &name, &v2, None, PLAINTEXT).await?;
    Ok(())
}

/// An HMAC verifies for the data it was made from and not for other data.
pub async fn transit_hmac(b: &Backend, prefix: &str) -> CheckResult {
    let t = engine(b)?.as_ref();
    let name = key_name(prefix, "aes");
    new_aes_key(t, &name).await?;
    let mac = ok("hmac", t.hmac(&name, PLAINTEXT).await)?;
    let same = ok(
        "verify_hmac of the same data",
        t.verify_hmac(&name, PLAINTEXT, &mac).await,
    )?;
    ensure!(same, "verify_hmac of the same data returned false");
    let other = ok(
        "verify_hmac of other data",
        t.verify_hmac(&name, b"other data", &mac).await,
    )?;
    ensure!(!other, "verify_hmac of other data returned true");
    Ok(())
}

/// A signature by each signing key type the engine declares verifies for the signed data
/// and not for altered data. An engine that declares no signing key type passes as long as
/// it refuses to sign with an encryption key.
pub async fn transit_sign_verify(b: &Backend, prefix: &str) -> CheckResult {
    let t = engine(b)?.as_ref();
    let declared = b.capabilities().transit.unwrap_or_default();
    let signing = declared.key_types.iter().filter(|k| k.signs());
    for key_type in signing {
        sign_and_verify(t, &key_name(prefix, key_type.name()), *key_type).await?;
    }
    if !declared.signs() {
        let name = key_name(prefix, "aes");
        new_aes_key(t, &name).await?;
        if t.sign(&name, PLAINTEXT).await.is_ok() {
            return Err("sign with an aes256-gcm96 key succeeded".to_owned().into());
        }
    }
    Ok(())
}

async fn sign_and_verify(t: &dyn Transit, name: &str, key_type: KeyType) -> Result<(), String> {
    let options = KeyOptions {
        key_type,
        ..KeyOptions::default()
    };
    ok(
        &format!("create_key({key_type})"),
        t.create_key(name, options).await,
    )?;
    let signature = ok("sign", t.sign(name, PLAINTEXT).await)?;
    let genuine = ok(
        "verify of the signed data",
        t.verify(name, PLAINTEXT, &signature).await,
    )?;
    ensure!(
        genuine,
        "{key_type}: verify of the signed data returned false"
    );
    let altered = ok(
        "verify of altered data",
        t.verify(name, b"altered data", &signature).await,
    )?;
    ensure!(!altered, "{key_type}: verify of altered data returned true");
    Ok(())
}

/// `generate_data_key(256)` gives 32 plaintext bytes whose ciphertext (key version 1)
/// decrypts to them.
pub async fn transit_data_key(b: &Backend, prefix: &str) -> CheckResult {
    let t = engine(b)?.as_ref();
    let name = key_name(prefix, "aes");
    new_aes_key(t, &name).await?;
    let key = ok(
        "generate_data_key(256)",
        t.generate_data_key(&name, 256).await,
    )?;
    ensure!(
        key.plaintext.len() == 32,
        "generate_data_key(256) gave {} plaintext bytes, expected 32",
        key.plaintext.len()
    );
    made_by("generate_data_key(256)", &key.ciphertext, 1)?;
    decrypts_to(
        t,
        "decrypt of the data key's ciphertext",
        &name,
        &key.ciphertext,
        None,
        key.plaintext.expose(),
    )
    .await?;
    Ok(())
}

/// Creating an existing key is AlreadyExists; `read_key` describes a key as created and is
/// NotFound for a missing one; `list_keys` is sorted and has the created key only.
pub async fn transit_key_management(b: &Backend, prefix: &str) -> CheckResult {
    let t = engine(b)?.as_ref();
    let name = key_name(prefix, "aes");
    let missing = key_name(prefix, "missing");
    let created = new_aes_key(t, &name).await?;
    fails_with(
        "create_key of an existing name",
        t.create_key(&name, KeyOptions::default()).await,
        ErrorKind::AlreadyExists,
    )?;
    let read = ok("read_key", t.read_key(&name).await)?;
    ensure!(
        read == created,
        "read_key returned {read:?}, expected what create_key returned: {created:?}"
    );
    fails_with(
        "read_key of a missing key",
        t.read_key(&missing).await,
        ErrorKind::NotFound,
    )?;
    let names = ok("list_keys", t.list_keys().await)?;
    ensure!(
        names.contains(&name),
        "list_keys does not contain the created key {name:?}"
    );
    ensure!(
        !names.contains(&missing),
        "list_keys contains {missing:?}, which was never created"
    );
    ensure!(names.is_sorted(), "list_keys is not sorted");
    Ok(())
}

/// `import_key` of 32 random bytes as aes256-gcm96 makes a version-1 key that encrypts and
/// decrypts.
pub async fn transit_import_key(b: &Backend, prefix: &str) -> CheckResult {
    let t = engine(b)?.as_ref();
    let name = key_name(prefix, "imported");
    let material = SecretValue::new(rand::random::<[u8; 32]>());
    let info = ok(
        "import_key(aes256-gcm96)",
        t.import_key(&name, KeyType::Aes256Gcm96, material).await,
    )?;
    ensure!(
        info.key_type == KeyType::Aes256Gcm96 && info.latest_version == 1,
        "import_key returned {info:?}, expected aes256-gcm96 at latest_version 1"
    );
    let ciphertext = ok(
        "encrypt with the imported key",
        t.encrypt(&name, PLAINTEXT, None).await,
    )?;
    made_by("encrypt with the imported key", &ciphertext, 1)?;
    decrypts_to(
        t,
        "decrypt with the imported key",
        &name,
        &ciphertext,
        None,
        PLAINTEXT,
    )
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tamper_changes_one_payload_character_and_keeps_the_rest() {
        let original = Ciphertext::new("vault:v3:QUJDREVGR0hJSktMTU5PUA==");
        let tampered = tamper(&original).unwrap();
        assert_eq!(tampered.key_version().unwrap(), 3);
        assert!(tampered.as_str().starts_with("vault:v3:"));
        let (a, b) = (original.parts().unwrap().1, tampered.parts().unwrap().1);
        assert_eq!(a.len(), b.len());
        assert_eq!(a.chars().zip(b.chars()).filter(|(x, y)| x != y).count(), 1);
    }

    #[test]
    fn key_names_are_flat() {
        assert_eq!(
            key_name("conformance-0a/transit_hmac/", "aes"),
            "conformance-0a-transit_hmac-aes"
        );
    }
}
