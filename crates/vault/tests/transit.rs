//! The transit engine against real OpenBao: the conformance suite with transit, every key
//! type, batches, ciphertexts exchanged with the `bao` CLI, BYOK import, export, errors
//! and redaction. Each test has its own server and a transit mount at a fresh path.

mod common;

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ironsecrets_core::{
    Backend, Ciphertext, ErrorKind, KeyOptions, KeyType, SecretValue, Signature, Stack, StoreUri,
    Transit,
};
use ironsecrets_testkit::services::openbao::OpenBao;
use ironsecrets_vault::{
    DecryptItem, EncryptItem, ExportKind, ImportOptions, Kv2Store, KvVersion, VaultClient,
    VaultOptions, VaultTransit,
};
use rsa::pkcs8::EncodePrivateKey;

const CANARY: &str = "canary-transit-5f1d2c";

/// A transit mount at a fresh path on `bao`, and the engine on it as root.
async fn fresh_transit(bao: &OpenBao) -> (String, VaultTransit) {
    let mount = format!("transit-{:08x}", rand::random::<u32>());
    bao.run(&["secrets", "enable", &format!("-path={mount}"), "transit"]);
    let config = common::config(bao, "secret", KvVersion::V2);
    let client = VaultClient::connect(&config).await.expect("connect");
    (mount.clone(), VaultTransit::new(client, mount))
}

/// `engine` behind the default layer stack, as a client's `transit()` has it.
fn layered(engine: &VaultTransit) -> Arc<dyn Transit> {
    let store = Kv2Store::new(engine.client().clone(), "secret");
    let raw = Backend::new(Arc::new(store)).with_transit(Arc::new(engine.clone()));
    Arc::clone(Stack::default().apply(&raw).transit().expect("transit"))
}

fn options(key_type: KeyType, exportable: bool) -> KeyOptions {
    KeyOptions {
        key_type,
        exportable,
    }
}

/// The same ciphertext with one payload character changed (still valid base64).
fn tampered(ciphertext: &Ciphertext) -> Ciphertext {
    let (version, payload) = ciphertext.parts().unwrap();
    let middle = payload.len() / 2;
    let swap = if &payload[middle..=middle] == "A" {
        "B"
    } else {
        "A"
    };
    let mut changed = payload.to_owned();
    changed.replace_range(middle..=middle, swap);
    Ciphertext::compose("vault", version, &changed)
}

#[tokio::test]
async fn kv2_with_transit_passes_the_conformance_suite() {
    let bao = OpenBao::start();
    let (_, transit) = fresh_transit(&bao).await;
    let (mount, opened) = common::fresh_mount(&bao, KvVersion::V2).await;
    let client = opened.native::<VaultClient>().expect("the client").clone();
    let store = Kv2Store::new(client, mount);
    let raw = Backend::new(Arc::new(store)).with_transit(Arc::new(transit));
    let backend = Stack::default().apply(&raw);
    let report = ironsecrets_testkit::run_all(&backend).await;
    eprintln!("{report}");
    report.assert_passed();
    let transit_checks: Vec<_> = report
        .passed()
        .filter(|name| name.starts_with("transit_"))
        .collect();
    assert_eq!(
        transit_checks.len(),
        9,
        "every transit check runs and passes: {transit_checks:?}"
    );
}

#[tokio::test]
async fn open_adds_the_transit_mount_the_config_names() {
    let bao = OpenBao::start();
    let (mount, engine) = fresh_transit(&bao).await;
    let kv = bao.enable_kv(2);
    let mut config = common::config(&bao, &kv, KvVersion::V2);
    config.transit_mount = mount.clone();
    let backend = ironsecrets_vault::open(config).await.unwrap();
    assert!(backend.capabilities().transit.is_some());
    let transit = backend.transit().unwrap();
    transit
        .create_key("opened", KeyOptions::default())
        .await
        .unwrap();
    let listed = bao.run(&["list", "-format=json", &format!("{mount}/keys")]);
    assert!(listed.contains("\"opened\""), "{listed}");

    // The URI names the mount with `transit=`; `transit` by default.
    let uri = |text: &str| {
        let options: VaultOptions = StoreUri::parse(text).unwrap().backend_options().unwrap();
        options.resolve(|_| None).unwrap().0
    };
    assert_eq!(uri("vault://127.0.0.1?tls=false").transit_mount, "transit");
    assert_eq!(
        uri("vault://127.0.0.1?tls=false&transit=team/tx/").transit_mount,
        "team/tx"
    );

    // A mount with no transit engine says so.
    let unmounted = VaultTransit::new(engine.client().clone(), "no-such-transit");
    for err in [
        unmounted.list_keys().await.unwrap_err(),
        unmounted
            .create_key("k", KeyOptions::default())
            .await
            .unwrap_err(),
        unmounted.encrypt("k", b"x", None).await.unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::Config, "{err}");
    }
}

#[tokio::test]
async fn every_key_type_round_trips() {
    let bao = OpenBao::start();
    let (_, t) = fresh_transit(&bao).await;
    let data = b"payload \x00\xff";
    for key_type in [KeyType::Aes256Gcm96, KeyType::Chacha20Poly1305] {
        let name = format!("enc-{key_type}");
        let created = t.create_key(&name, options(key_type, false)).await.unwrap();
        assert_eq!(created.key_type, key_type);
        assert_eq!(t.read_key(&name).await.unwrap(), created);
        let plain = t.encrypt(&name, data, None).await.unwrap();
        assert_eq!(t.decrypt(&name, &plain, None).await.unwrap().expose(), data);
        let bound = t.encrypt(&name, data, Some(b"ctx")).await.unwrap();
        assert_eq!(
            t.decrypt(&name, &bound, Some(b"ctx"))
                .await
                .unwrap()
                .expose(),
            data
        );
        for wrong in [Some(&b"other"[..]), None] {
            let err = t.decrypt(&name, &bound, wrong).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::Integrity, "{key_type}: {err}");
        }
        let err = t.decrypt(&name, &tampered(&plain), None).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Integrity, "{key_type}: {err}");

        // Rotation, and rewrap with and without a context.
        assert_eq!(t.rotate_key(&name).await.unwrap().latest_version, 2);
        let rewrapped = t.rewrap(&name, &bound, Some(b"ctx")).await.unwrap();
        assert_eq!(rewrapped.key_version().unwrap(), 2);
        assert_eq!(
            t.decrypt(&name, &rewrapped, Some(b"ctx"))
                .await
                .unwrap()
                .expose(),
            data
        );
        let err = t.rewrap(&name, &bound, Some(b"other")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Integrity);
        let rewrapped = t.rewrap(&name, &plain, None).await.unwrap();
        assert_eq!(rewrapped.key_version().unwrap(), 2);

        // Data keys of every size, HMACs.
        for bits in [128, 256, 512] {
            let key = t.generate_data_key(&name, bits).await.unwrap();
            assert_eq!(key.plaintext.len() * 8, bits as usize);
            let back = t.decrypt(&name, &key.ciphertext, None).await.unwrap();
            assert_eq!(back, key.plaintext);
        }
        let mac = t.hmac(&name, data).await.unwrap();
        assert!(t.verify_hmac(&name, data, &mac).await.unwrap());
        assert!(!t.verify_hmac(&name, b"other", &mac).await.unwrap());
    }
    for key_type in [KeyType::Ed25519, KeyType::EcdsaP256, KeyType::Rsa2048] {
        let name = format!("sign-{key_type}");
        let created = t.create_key(&name, options(key_type, false)).await.unwrap();
        assert_eq!(created.key_type, key_type);
        assert_eq!(t.read_key(&name).await.unwrap(), created);
        let signature = t.sign(&name, data).await.unwrap();
        assert_eq!(signature.parts().unwrap().0, 1);
        assert!(
            t.verify(&name, data, &signature).await.unwrap(),
            "{key_type}"
        );
        assert!(!t.verify(&name, b"other", &signature).await.unwrap());
        let garbage = Signature::compose("vault", 1, "AAAA");
        assert!(
            !t.verify(&name, data, &garbage).await.unwrap(),
            "{key_type}: a malformed signature is a wrong one"
        );
        t.rotate_key(&name).await.unwrap();
        let newer = t.sign(&name, data).await.unwrap();
        assert_eq!(newer.parts().unwrap().0, 2);
        assert!(t.verify(&name, data, &signature).await.unwrap());
        let err = t.encrypt(&name, data, Some(b"ctx")).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput, "{key_type}: {err}");
    }
    // RSA keys also encrypt, without a context.
    let ciphertext = t.encrypt("sign-rsa-2048", data, None).await.unwrap();
    let back = t.decrypt("sign-rsa-2048", &ciphertext, None).await.unwrap();
    assert_eq!(back.expose(), data);
    let mut names = t.list_keys().await.unwrap();
    assert!(names.is_sorted());
    names.retain(|n| n.starts_with("enc-") || n.starts_with("sign-"));
    assert_eq!(names.len(), 5);
}

#[tokio::test]
async fn batches_report_each_item() {
    let bao = OpenBao::start();
    let (_, t) = fresh_transit(&bao).await;
    t.create_key("batch", KeyOptions::default()).await.unwrap();
    let items = vec![
        EncryptItem {
            plaintext: "one".into(),
            context: None,
        },
        EncryptItem {
            plaintext: SecretValue::new(vec![0, 1, 2, 255]),
            context: Some(b"ctx".to_vec()),
        },
        EncryptItem {
            plaintext: "".into(),
            context: None,
        },
    ];
    let ciphertexts: Vec<Ciphertext> = t
        .encrypt_batch("batch", items.clone())
        .await
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let decrypt = |ciphertext: &Ciphertext, context: Option<&[u8]>| DecryptItem {
        ciphertext: ciphertext.clone(),
        context: context.map(<[u8]>::to_vec),
    };
    let results = t
        .decrypt_batch(
            "batch",
            vec![
                decrypt(&ciphertexts[0], None),
                decrypt(&tampered(&ciphertexts[0]), None),
                decrypt(&ciphertexts[1], Some(b"ctx")),
                decrypt(&ciphertexts[1], Some(b"wrong")),
                decrypt(&ciphertexts[2], None),
            ],
        )
        .await
        .unwrap();
    assert_eq!(results.len(), 5);
    assert_eq!(results[0].as_ref().unwrap(), &items[0].plaintext);
    assert_eq!(
        results[1].as_ref().unwrap_err().kind(),
        ErrorKind::Integrity
    );
    assert_eq!(results[2].as_ref().unwrap(), &items[1].plaintext);
    assert_eq!(
        results[3].as_ref().unwrap_err().kind(),
        ErrorKind::Integrity
    );
    assert_eq!(results[4].as_ref().unwrap(), &items[2].plaintext);

    // Every item bad: still one result per item, not a failed request.
    let all_bad = t
        .decrypt_batch("batch", vec![decrypt(&tampered(&ciphertexts[0]), None)])
        .await
        .unwrap();
    assert_eq!(
        all_bad[0].as_ref().unwrap_err().kind(),
        ErrorKind::Integrity
    );
    // A missing key fails the whole request, and creates nothing.
    let err = t.encrypt_batch("nokey", items).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert!(!t.list_keys().await.unwrap().contains(&"nokey".to_owned()));
    assert!(
        t.encrypt_batch("batch", Vec::new())
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn ciphertexts_travel_between_the_bao_cli_and_ironsecrets() {
    let bao = OpenBao::start();
    let (mount, t) = fresh_transit(&bao).await;
    t.create_key("shared", KeyOptions::default()).await.unwrap();
    let data = "made by one, read by the other";
    let context = b"tenant-a";

    // bao encrypts, ironsecrets decrypts.
    let made_by_bao = bao.run(&[
        "write",
        "-field=ciphertext",
        &format!("{mount}/encrypt/shared"),
        &format!("plaintext={}", STANDARD.encode(data)),
        &format!("associated_data={}", STANDARD.encode(context)),
    ]);
    let ciphertext = Ciphertext::new(made_by_bao.trim());
    let plain = t
        .decrypt("shared", &ciphertext, Some(context))
        .await
        .unwrap();
    assert_eq!(plain.expose_str().unwrap(), data);

    // ironsecrets encrypts, bao decrypts.
    let ours = t
        .encrypt("shared", data.as_bytes(), Some(context))
        .await
        .unwrap();
    let decrypted = bao.run(&[
        "write",
        "-field=plaintext",
        &format!("{mount}/decrypt/shared"),
        &format!("ciphertext={ours}"),
        &format!("associated_data={}", STANDARD.encode(context)),
    ]);
    assert_eq!(STANDARD.decode(decrypted.trim()).unwrap(), data.as_bytes());

    // And signatures made by one verify with the other.
    t.create_key("signer", options(KeyType::Ed25519, false))
        .await
        .unwrap();
    let signature = t.sign("signer", data.as_bytes()).await.unwrap();
    let valid = bao.run(&[
        "write",
        "-field=valid",
        &format!("{mount}/verify/signer"),
        &format!("input={}", STANDARD.encode(data)),
        &format!("signature={signature}"),
    ]);
    assert_eq!(valid.trim(), "true");
}

#[tokio::test]
async fn imported_keys_work_and_export_the_same_material() {
    let bao = OpenBao::start();
    let (_, t) = fresh_transit(&bao).await;
    let exportable = ImportOptions {
        exportable: true,
        ..ImportOptions::default()
    };

    // AES: 32 raw bytes.
    let aes: [u8; 32] = rand::random();
    let info = t
        .import_key_with(
            "byok-aes",
            KeyType::Aes256Gcm96,
            aes.to_vec().into(),
            exportable,
        )
        .await
        .unwrap();
    assert_eq!(
        (info.key_type, info.latest_version),
        (KeyType::Aes256Gcm96, 1)
    );
    assert!(info.exportable);
    let ciphertext = t.encrypt("byok-aes", b"data", Some(b"ctx")).await.unwrap();
    let back = t
        .decrypt("byok-aes", &ciphertext, Some(b"ctx"))
        .await
        .unwrap();
    assert_eq!(back.expose(), b"data");
    let exported = t
        .export_key("byok-aes", ExportKind::EncryptionKey)
        .await
        .unwrap();
    assert_eq!(exported.keys().collect::<Vec<_>>(), ["1"]);
    assert_eq!(exported.get("1").unwrap().expose(), aes);
    // Imported keys rotate like created ones (allow_rotation is on by default).
    assert_eq!(t.rotate_key("byok-aes").await.unwrap().latest_version, 2);
    let err = t
        .import_key("byok-aes", KeyType::Aes256Gcm96, aes.to_vec().into())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::AlreadyExists, "{err}");

    // ChaCha20-Poly1305 through the trait.
    let chacha: [u8; 32] = rand::random();
    t.import_key(
        "byok-chacha",
        KeyType::Chacha20Poly1305,
        chacha.to_vec().into(),
    )
    .await
    .unwrap();
    let ciphertext = t.encrypt("byok-chacha", b"data", None).await.unwrap();
    assert_eq!(
        t.decrypt("byok-chacha", &ciphertext, None)
            .await
            .unwrap()
            .expose(),
        b"data"
    );

    // ed25519: a 32-byte seed; Vault exports the seed followed by the public key.
    let seed: [u8; 32] = rand::random();
    t.import_key_with(
        "byok-ed",
        KeyType::Ed25519,
        seed.to_vec().into(),
        exportable,
    )
    .await
    .unwrap();
    let signature = t.sign("byok-ed", b"data").await.unwrap();
    assert!(t.verify("byok-ed", b"data", &signature).await.unwrap());
    let exported = t
        .export_key("byok-ed", ExportKind::SigningKey)
        .await
        .unwrap();
    let private = exported.get("1").unwrap().expose();
    assert_eq!(private.len(), 64);
    assert_eq!(&private[..32], seed);
    // The same seed as a PKCS#8 PEM is the same key.
    let mut der = vec![
        0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04,
        0x20,
    ];
    der.extend_from_slice(&seed);
    let pem = rsa::pkcs8::SecretDocument::try_from(der.as_slice())
        .unwrap()
        .to_pem("PRIVATE KEY", rsa::pkcs8::LineEnding::LF)
        .unwrap();
    t.import_key("byok-ed-pem", KeyType::Ed25519, pem.as_str().into())
        .await
        .unwrap();
    let public = |name: &'static str| {
        let t = &t;
        async move { t.export_key(name, ExportKind::PublicKey).await.unwrap() }
    };
    assert_eq!(public("byok-ed").await, public("byok-ed-pem").await);

    // RSA-2048: a PKCS#8 private key, DER.
    let rsa = rsa::RsaPrivateKey::new(&mut rand::rngs::OsRng, 2048).unwrap();
    let der = rsa.to_pkcs8_der().unwrap();
    t.import_key("byok-rsa", KeyType::Rsa2048, der.as_bytes().to_vec().into())
        .await
        .unwrap();
    let signature = t.sign("byok-rsa", b"data").await.unwrap();
    assert!(t.verify("byok-rsa", b"data", &signature).await.unwrap());
    let public = t
        .export_key("byok-rsa", ExportKind::PublicKey)
        .await
        .unwrap();
    let pem = public.get("1").unwrap().expose_str().unwrap().to_owned();
    assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----"), "{pem}");

    // Material of the wrong shape is refused before any request, without echoing it.
    let err = t
        .import_key("byok-bad", KeyType::Aes256Gcm96, SecretValue::from(CANARY))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    let err = t
        .import_key("byok-bad", KeyType::EcdsaP256, SecretValue::from(CANARY))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
    assert!(!format!("{err} {err:?}").contains(CANARY));
    // A PKCS#8 key of another type is refused by Vault.
    let err = t
        .import_key(
            "byok-bad",
            KeyType::EcdsaP256,
            der.as_bytes().to_vec().into(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err.kind(), ErrorKind::InvalidInput | ErrorKind::Unexpected),
        "{err}"
    );
}

#[tokio::test]
async fn exportable_keys_export_every_version_and_others_refuse() {
    let bao = OpenBao::start();
    let (_, t) = fresh_transit(&bao).await;
    t.create_key("exp", options(KeyType::Aes256Gcm96, true))
        .await
        .unwrap();
    t.rotate_key("exp").await.unwrap();
    let exported = t
        .export_key("exp", ExportKind::EncryptionKey)
        .await
        .unwrap();
    assert_eq!(exported.keys().collect::<Vec<_>>(), ["1", "2"]);
    assert!(exported.iter().all(|(_, key)| key.len() == 32));
    assert_ne!(exported.get("1"), exported.get("2"));
    let hmac = t.export_key("exp", ExportKind::HmacKey).await.unwrap();
    assert_eq!(hmac.len(), 2);
    // Debug shows the versions, never the material.
    let shown = format!("{exported:?}");
    let one = STANDARD.encode(exported.get("1").unwrap().expose());
    assert!(shown.contains("\"1\"") && !shown.contains(&one), "{shown}");

    t.create_key("locked", KeyOptions::default()).await.unwrap();
    let err = t
        .export_key("locked", ExportKind::EncryptionKey)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    t.create_key("ed", options(KeyType::Ed25519, true))
        .await
        .unwrap();
    let public = t.export_key("ed", ExportKind::PublicKey).await.unwrap();
    assert_eq!(public.get("1").unwrap().len(), 32);
    let err = t
        .export_key("ed", ExportKind::EncryptionKey)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
}

#[tokio::test]
async fn errors_name_the_problem() {
    let bao = OpenBao::start();
    let (_, engine) = fresh_transit(&bao).await;
    let t = layered(&engine);
    t.create_key("aes", KeyOptions::default()).await.unwrap();
    let ciphertext = t.encrypt("aes", b"x", None).await.unwrap();
    let signature = Signature::compose("vault", 1, "AAAA");

    let missing = "nokey";
    let results = [
        t.read_key(missing).await.map(drop),
        t.encrypt(missing, b"x", None).await.map(drop),
        t.decrypt(missing, &ciphertext, None).await.map(drop),
        t.rewrap(missing, &ciphertext, None).await.map(drop),
        t.rotate_key(missing).await.map(drop),
        t.set_min_decryption_version(missing, 1).await.map(drop),
        t.sign(missing, b"x").await.map(drop),
        t.verify(missing, b"x", &signature).await.map(drop),
        t.hmac(missing, b"x").await.map(drop),
        t.verify_hmac(missing, b"x", &signature).await.map(drop),
        t.generate_data_key(missing, 256).await.map(drop),
        engine
            .export_key(missing, ExportKind::EncryptionKey)
            .await
            .map(drop),
    ];
    for result in results {
        let err = result.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
        assert_eq!(err.backend(), Some("vault"));
        assert_eq!(err.path(), Some(missing), "{err}");
    }
    // Encrypting never created the missing key.
    assert_eq!(t.list_keys().await.unwrap(), ["aes"]);

    let kind = |result: ironsecrets_core::Result<()>| result.unwrap_err().kind();
    assert_eq!(
        kind(t.sign("aes", b"x").await.map(drop)),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(t.create_key("aes", KeyOptions::default()).await.map(drop)),
        ErrorKind::AlreadyExists
    );
    assert_eq!(
        kind(
            t.create_key("aes", options(KeyType::Ed25519, false))
                .await
                .map(drop)
        ),
        ErrorKind::AlreadyExists
    );
    for bad in ["a/b", "../sys", "", "x?y"] {
        assert_eq!(
            kind(t.read_key(bad).await.map(drop)),
            ErrorKind::InvalidInput,
            "{bad}"
        );
    }
    assert_eq!(
        kind(t.generate_data_key("aes", 100).await.map(drop)),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(t.set_min_decryption_version("aes", 0).await.map(drop)),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(t.set_min_decryption_version("aes", 5).await.map(drop)),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(
            t.decrypt("aes", &Ciphertext::new("not a ciphertext"), None)
                .await
                .map(drop)
        ),
        ErrorKind::InvalidInput
    );
    // Below min_decryption_version is InvalidInput, also for rewrap.
    t.rotate_key("aes").await.unwrap();
    let info = t.set_min_decryption_version("aes", 2).await.unwrap();
    assert_eq!((info.latest_version, info.min_decryption_version), (2, 2));
    assert_eq!(
        kind(t.decrypt("aes", &ciphertext, None).await.map(drop)),
        ErrorKind::InvalidInput
    );
    assert_eq!(
        kind(t.rewrap("aes", &ciphertext, None).await.map(drop)),
        ErrorKind::InvalidInput
    );
}

#[tokio::test]
async fn the_plaintext_never_shows() {
    let bao = OpenBao::start();
    let (_, t) = fresh_transit(&bao).await;
    t.create_key("aes", KeyOptions::default()).await.unwrap();
    let ciphertext = t
        .encrypt("aes", CANARY.as_bytes(), Some(b"ctx"))
        .await
        .unwrap();
    assert!(!ciphertext.as_str().contains(CANARY));
    let plain = t.decrypt("aes", &ciphertext, Some(b"ctx")).await.unwrap();
    assert_eq!(plain.expose_str().unwrap(), CANARY);
    assert!(!format!("{plain:?} {plain}").contains(CANARY));

    let encoded = STANDARD.encode(CANARY);
    let failures = [
        t.decrypt("aes", &ciphertext, None).await.unwrap_err(),
        t.decrypt("aes", &tampered(&ciphertext), Some(b"ctx"))
            .await
            .unwrap_err(),
        t.encrypt("nokey", CANARY.as_bytes(), None)
            .await
            .unwrap_err(),
        t.sign("aes", CANARY.as_bytes()).await.unwrap_err(),
    ];
    for err in failures {
        let shown = format!("{err} {err:?}");
        assert!(
            !shown.contains(CANARY) && !shown.contains(&encoded),
            "{shown}"
        );
    }
    let results = t
        .decrypt_batch(
            "aes",
            vec![DecryptItem {
                ciphertext: ciphertext.clone(),
                context: Some(b"ctx".to_vec()),
            }],
        )
        .await
        .unwrap();
    let shown = format!("{results:?}");
    assert!(
        !shown.contains(CANARY) && !shown.contains(&encoded),
        "{shown}"
    );
    let item = EncryptItem {
        plaintext: CANARY.into(),
        context: None,
    };
    assert!(!format!("{item:?}").contains(CANARY));
    let key = t.generate_data_key("aes", 256).await.unwrap();
    let secret = STANDARD.encode(key.plaintext.expose());
    assert!(!format!("{key:?}").contains(&secret));
}
