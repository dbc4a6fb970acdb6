//! The TOTP engine against a real OpenBao: codes Vault makes validate and wrong or reused
//! ones do not; a key imported with a known seed makes the codes RFC 6238 computes here
//! (HMAC-SHA1 from RustCrypto); seeds, URLs and codes never show in Debug.

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use hmac::{Hmac, Mac};
use ironsecrets_core::{ErrorKind, SecretValue};
use ironsecrets_testkit::services::openbao::OpenBao;
use ironsecrets_vault::{KvVersion, TotpKeyOptions, VaultClient, VaultTotp};
use sha1::Sha1;

/// RFC 6238's SHA1 test seed, and its base32 form.
const RFC_SEED: &[u8] = b"12345678901234567890";
const RFC_SEED_BASE32: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// A server and a fresh TOTP mount on it.
async fn setup() -> (OpenBao, VaultTotp) {
    let bao = OpenBao::start();
    let (_, backend) = common::fresh_mount(&bao, KvVersion::V2).await;
    let client = backend.native::<VaultClient>().unwrap().clone();
    bao.run(&["secrets", "enable", "-path=otp/totp", "totp"]);
    (bao, VaultTotp::new(client, "otp/totp"))
}

/// RFC 6238 TOTP with HMAC-SHA1 at Unix time `at`.
fn reference_code(seed: &[u8], at: u64, period: u64, digits: u32) -> String {
    let mut mac = Hmac::<Sha1>::new_from_slice(seed).unwrap();
    mac.update(&(at / period).to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[hash.len() - 1] & 0x0f);
    let word = u32::from_be_bytes(hash[offset..offset + 4].try_into().unwrap()) & 0x7fff_ffff;
    format!(
        "{:0width$}",
        word % 10u32.pow(digits),
        width = digits as usize
    )
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A code of the same length as `code` and different from it (that it is valid in a
/// neighbouring period is a one-in-a-million chance).
fn wrong_code(code: &str) -> String {
    let n: u64 = code.parse().unwrap();
    let modulus = 10u64.pow(code.len() as u32);
    format!(
        "{:0width$}",
        (n + modulus / 2) % modulus,
        width = code.len()
    )
}

#[test]
fn the_reference_matches_rfc_6238() {
    // RFC 6238 appendix B, SHA1, 8 digits.
    assert_eq!(reference_code(RFC_SEED, 59, 30, 8), "94287082");
    assert_eq!(reference_code(RFC_SEED, 1111111109, 30, 8), "07081804");
    assert_eq!(reference_code(RFC_SEED, 20000000000, 30, 8), "65353130");
}

#[tokio::test]
async fn codes_from_vault_validate_and_wrong_or_reused_ones_do_not() {
    let (_bao, totp) = setup().await;
    let key = totp
        .create_key("alice", &TotpKeyOptions::new("Acme", "alice@example.com"))
        .await
        .unwrap();
    let url = key.url.expose_str().unwrap();
    assert!(
        url.starts_with("otpauth://totp/Acme:alice@example.com?"),
        "{url}"
    );
    assert!(url.contains("secret="), "{url}");
    let barcode = key.barcode.as_ref().expect("a QR code");
    assert!(barcode.expose().starts_with(b"\x89PNG\r\n\x1a\n"));
    let shown = format!("{key:?}");
    assert!(
        !shown.contains("otpauth") && !shown.contains("secret="),
        "{shown}"
    );

    let code = totp.code("alice").await.unwrap();
    let text = code.expose_str().unwrap().to_owned();
    assert_eq!(text.len(), 6);
    assert!(text.bytes().all(|b| b.is_ascii_digit()), "{text}");
    assert!(!format!("{code:?}").contains(&text));

    assert!(!totp.validate("alice", &wrong_code(&text)).await.unwrap());
    assert!(totp.validate("alice", &text).await.unwrap());
    assert!(!totp.validate("alice", &text).await.unwrap(), "used up");
    assert!(!totp.validate("alice", "12").await.unwrap(), "too short");

    let info = totp.read_key("alice").await.unwrap();
    assert_eq!(info.issuer, "Acme");
    assert_eq!(info.account_name, "alice@example.com");
    assert_eq!(
        (info.algorithm.as_str(), info.digits, info.period),
        ("SHA1", 6, 30)
    );

    // Without a QR code.
    let options = TotpKeyOptions {
        qr_size: Some(0),
        ..TotpKeyOptions::new("Acme", "bob")
    };
    let key = totp.create_key("bob", &options).await.unwrap();
    assert!(key.barcode.is_none());
}

#[tokio::test]
async fn a_key_imported_with_a_known_seed_makes_the_reference_codes() {
    let (_bao, totp) = setup().await;
    totp.import_key(
        "rfc",
        &SecretValue::from(RFC_SEED_BASE32),
        &TotpKeyOptions::new("Acme", "rfc"),
    )
    .await
    .unwrap();
    let before = now();
    let code = totp.code("rfc").await.unwrap();
    let after = now();
    let expected = [
        reference_code(RFC_SEED, before, 30, 6),
        reference_code(RFC_SEED, after, 30, 6),
    ];
    assert!(
        expected.contains(&code.expose_str().unwrap().to_owned()),
        "Vault's code is not the reference code"
    );

    // The same seed from an otpauth URL, 8 digits every 60 s; the reference validates.
    let url =
        format!("otpauth://totp/Acme:url?secret={RFC_SEED_BASE32}&issuer=Acme&digits=8&period=60");
    totp.import_key_url("url", &SecretValue::from(url))
        .await
        .unwrap();
    let info = totp.read_key("url").await.unwrap();
    assert_eq!((info.digits, info.period), (8, 60));
    let reference = reference_code(RFC_SEED, now(), 60, 8);
    assert!(totp.validate("url", &reference).await.unwrap());
    assert!(!totp.validate("url", &wrong_code(&reference)).await.unwrap());

    totp.delete_key("url").await.unwrap();
    let err = totp.read_key("url").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

#[tokio::test]
async fn unknown_keys_are_not_found_and_bad_input_is_invalid() {
    let (_bao, totp) = setup().await;
    let err = totp.code("nope").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(err.path(), Some("otp/totp/nope"));
    let err = totp.validate("nope", "123456").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    let err = totp.read_key("nope").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");

    // Generating needs an account name; a URL must be one. Vault's messages, no seed.
    let err = totp
        .create_key("k", &TotpKeyOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let canary = "otpauth://totp/x?secret=CANARYCANARY";
    let err = totp
        .import_key_url("k", &SecretValue::from(format!("{canary} not a url")))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(!format!("{err:?}").contains("CANARY"), "{err:?}");
    let err = totp.code("a/b").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
}
