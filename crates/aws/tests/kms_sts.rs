//! KMS as transit and STS as dynamic credentials against a real moto server.

mod common;

use std::sync::Arc;
use std::time::Duration;

use ironsecrets_aws::KmsTransit;
use ironsecrets_core::{Ciphertext, CredentialRequest, ErrorKind, KeyOptions, KeyType, Signature};
use ironsecrets_lease::{DynamicSource, LeaseConfig, LeaseEvent, LeaseManager};

const CANARY: &[u8] = b"canary-kms-91b3d2";

/// A tampered ciphertext (one byte of KMS's blob flipped).
fn tampered(ciphertext: &Ciphertext) -> Ciphertext {
    use base64::Engine;
    let b64 = base64::engine::general_purpose::STANDARD;
    let (version, payload) = ciphertext.parts().unwrap();
    let mut blob = b64.decode(payload).unwrap();
    let middle = blob.len() / 2;
    blob[middle] ^= 0x01;
    Ciphertext::compose("aws-kms", version, &b64.encode(blob))
}

#[tokio::test]
async fn encrypt_decrypt_rewrap_and_data_keys_round_trip() {
    let backend = common::backend().await;
    let kms = backend.transit().unwrap();
    let name = common::unique("app-key");
    let info = kms.create_key(&name, KeyOptions::default()).await.unwrap();
    assert_eq!(info.key_type, KeyType::Aes256Gcm96);
    assert_eq!(info.latest_version, 1);
    let err = kms
        .create_key(&name, KeyOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");
    assert!(kms.list_keys().await.unwrap().contains(&name));

    let ciphertext = kms.encrypt(&name, CANARY, Some(b"row-7")).await.unwrap();
    assert!(ciphertext.as_str().starts_with("aws-kms:v1:"));
    let plain = kms
        .decrypt(&name, &ciphertext, Some(b"row-7"))
        .await
        .unwrap();
    assert_eq!(plain.expose(), CANARY);

    let rewrapped = kms
        .rewrap(&name, &ciphertext, Some(b"row-7"))
        .await
        .unwrap();
    let plain = kms
        .decrypt(&name, &rewrapped, Some(b"row-7"))
        .await
        .unwrap();
    assert_eq!(plain.expose(), CANARY);

    let rotated = kms.rotate_key(&name).await.unwrap();
    assert_eq!(rotated.latest_version, 2);
    let plain = kms
        .decrypt(&name, &ciphertext, Some(b"row-7"))
        .await
        .unwrap();
    assert_eq!(
        plain.expose(),
        CANARY,
        "old ciphertexts decrypt after a rotation"
    );

    for bits in [128, 256, 512] {
        let data_key = kms.generate_data_key(&name, bits).await.unwrap();
        assert_eq!(data_key.plaintext.len() * 8, bits as usize);
        let back = kms
            .decrypt(&name, &data_key.ciphertext, None)
            .await
            .unwrap();
        assert_eq!(back, data_key.plaintext);
    }
    let err = kms.generate_data_key(&name, 100).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");

    let native = KmsTransit::new(aws_sdk_kms::Client::new(
        &common::config().load().await.unwrap(),
    ));
    native.enable_key_rotation(&name, 90).await.unwrap();
}

#[tokio::test]
async fn tampered_ciphertext_or_wrong_context_is_integrity() {
    let backend = common::backend().await;
    let kms = backend.transit().unwrap();
    let name = common::unique("tamper-key");
    kms.create_key(&name, KeyOptions::default()).await.unwrap();
    let ciphertext = kms.encrypt(&name, CANARY, Some(b"ctx")).await.unwrap();
    for (what, result) in [
        (
            "tampered",
            kms.decrypt(&name, &tampered(&ciphertext), Some(b"ctx"))
                .await,
        ),
        (
            "wrong context",
            kms.decrypt(&name, &ciphertext, Some(b"other")).await,
        ),
    ] {
        let err = result.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Integrity, "{what}: {err}");
        assert!(
            !format!("{err} {err:?}").contains("canary"),
            "{what}: {err}"
        );
    }
    let err = kms
        .decrypt(&name, &Ciphertext::new("aws-kms:v1:!!!"), None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    let err = kms
        .encrypt(&common::unique("no-such-key"), CANARY, None)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}

#[tokio::test]
async fn sign_verify_and_mac() {
    let backend = common::backend().await;
    let kms = backend.transit().unwrap();
    for key_type in [KeyType::EcdsaP256, KeyType::Rsa2048] {
        let name = common::unique("signer");
        let options = KeyOptions {
            key_type,
            exportable: false,
        };
        kms.create_key(&name, options).await.unwrap();
        let signature = kms.sign(&name, b"message").await.unwrap();
        assert!(
            kms.verify(&name, b"message", &signature).await.unwrap(),
            "{key_type}"
        );
        assert!(
            !kms.verify(&name, b"other message", &signature)
                .await
                .unwrap(),
            "{key_type}"
        );
    }
    let err = kms
        .create_key(
            &common::unique("ed"),
            KeyOptions {
                key_type: KeyType::Ed25519,
                exportable: false,
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");

    let native = KmsTransit::new(aws_sdk_kms::Client::new(
        &common::config().load().await.unwrap(),
    ));
    let name = common::unique("mac-key");
    native.create_hmac_key(&name).await.unwrap();
    let mac = kms.hmac(&name, b"message").await.unwrap();
    assert!(kms.verify_hmac(&name, b"message", &mac).await.unwrap());
    assert!(!kms.verify_hmac(&name, b"other", &mac).await.unwrap());
    let wrong = Signature::new(format!("aws-kms:v1:{}", "AAAA".repeat(11)));
    assert!(!kms.verify_hmac(&name, b"message", &wrong).await.unwrap());
}

/// AssumeRole gives a non-renewable lease running to the credentials' expiry; the lease
/// manager re-issues it before that expiry.
#[tokio::test]
async fn sts_credentials_are_reissued_by_the_lease_manager_before_expiry() {
    let backend = common::backend().await;
    let request = CredentialRequest::Cloud {
        mount: "ironsecrets-test".into(),
        role: "arn:aws:iam::123456789012:role/app".into(),
        ttl: Some(Duration::from_secs(900)),
    };
    let first = backend
        .credentials()
        .unwrap()
        .issue(request.clone())
        .await
        .unwrap();
    assert!(!first.lease.renewable);
    let ttl = first.lease.ttl.as_secs();
    assert!(
        (890..=900).contains(&ttl),
        "ttl {ttl}s from STS's expiration"
    );
    for field in [
        "access_key_id",
        "secret_access_key",
        "session_token",
        "expiration",
    ] {
        assert!(first.data.get(field).is_some(), "{field}");
    }
    assert!(
        !format!("{first:?}").contains(
            first
                .data
                .get("secret_access_key")
                .unwrap()
                .expose_str()
                .unwrap()
        )
    );

    // Re-issue after 0.2 % of the 15-minute window (~1.8 s) instead of 85 %.
    let manager = LeaseManager::new(LeaseConfig {
        reissue_fraction: 0.002,
        ..LeaseConfig::default()
    });
    let mut events = manager.subscribe();
    let managed = manager
        .manage(
            "sts",
            Arc::new(DynamicSource::new(backend.clone(), request)),
        )
        .await
        .unwrap();
    let old_expiry = managed.lease().expires_at();
    let rotated = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if let Ok(LeaseEvent::Rotated { old, new, .. }) = events.recv().await {
                return (old, new);
            }
        }
    })
    .await
    .expect("the manager re-issues the STS credential");
    let (old, new) = rotated;
    assert!(
        chrono::Utc::now() < old_expiry,
        "re-issued before the old credential expired"
    );
    assert_ne!(old.data.get("access_key_id"), new.data.get("access_key_id"));
    assert!(new.lease.expires_at() > old.lease.expires_at());
    manager.shutdown(false).await;
}

#[tokio::test]
async fn sts_refuses_other_requests() {
    let backend = common::backend().await;
    let request = CredentialRequest::Database {
        mount: "db".into(),
        role: "r".into(),
    };
    let err = backend
        .credentials()
        .unwrap()
        .issue(request)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
}
