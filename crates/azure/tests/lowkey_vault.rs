//! The Azure backend against a real Lowkey Vault (Azure Key Vault emulator), started once
//! for this test binary: the conformance suite, names, properties, errors and redaction.

use std::sync::{Arc, LazyLock};

use futures::TryStreamExt;
use ironsecrets_azure::emulator::EmulatorIdentity;
use ironsecrets_azure::{
    AzureConfig, AzureSecretStore, Clients, CredentialSource, PropertiesUpdate,
};
use ironsecrets_core::{
    Backend, ErrorKind, PutOptions, SecretStore, Stack, Version, VersionSelector,
};
use ironsecrets_testkit::services::lowkey_vault::LowkeyVault;

static SERVER: LazyLock<LowkeyVault> = LazyLock::new(LowkeyVault::start);
/// The test vault `https://127.0.0.1:<port>/`, replaced once by one whose soft-deleted
/// secrets may be purged (Lowkey Vault's own has purge protection on).
static VAULT: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();

async fn vault_url() -> String {
    VAULT
        .get_or_init(|| async {
            let server = &*SERVER;
            let base = format!("https://127.0.0.1:{}", server.port());
            let pem = std::fs::read(server.ca_pem()).unwrap();
            let client = reqwest::Client::builder()
                .tls_certs_only(reqwest::Certificate::from_pem_bundle(&pem).unwrap())
                .build()
                .unwrap();
            let management = format!("{base}/management/vault");
            for url in [management.clone(), format!("{management}/purge")] {
                client
                    .delete(url)
                    .query(&[("baseUri", &base)])
                    .send()
                    .await
                    .and_then(|r| r.error_for_status())
                    .expect("remove the emulator's own 127.0.0.1 vault");
            }
            client
                .post(management)
                .json(&serde_json::json!({
                    "baseUri": base,
                    "recoveryLevel": "Recoverable+Purgeable",
                    "recoverableDays": 90,
                }))
                .send()
                .await
                .and_then(|r| r.error_for_status())
                .expect("create the test vault");
            format!("{base}/")
        })
        .await
        .clone()
}

async fn config() -> AzureConfig {
    let server = &*SERVER;
    let mut config = AzureConfig::new(vault_url().await.parse().unwrap());
    config.ca_file = Some(server.ca_pem());
    // Lowkey Vault 2.x speaks Key Vault API 7.2 to 7.5.
    config.api_version = Some("7.5".into());
    config.credential =
        CredentialSource::Custom(Arc::new(EmulatorIdentity::new(server.token_endpoint())));
    config
}

/// The backend behind the default layer stack, as a client has it.
async fn backend() -> Backend {
    Stack::default().apply(&ironsecrets_azure::open(config().await).await.unwrap())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the Lowkey Vault jar, which this workplace's Maven Central mirror does not serve (404); run with --ignored once it is in ~/.cache/ironsecrets/"]
async fn conformance() {
    let backend = backend().await;
    ironsecrets_testkit::run_all(&backend).await.assert_passed();
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the Lowkey Vault jar, which this workplace's Maven Central mirror does not serve (404); run with --ignored once it is in ~/.cache/ironsecrets/"]
async fn names_round_trip_through_key_vault() {
    let backend = backend().await;
    let store = backend.store();
    let path = "names/App.Config/db_password-ü";
    store
        .put(path, "v".into(), PutOptions::default())
        .await
        .unwrap();
    assert_eq!(store.list("names/").await.unwrap(), vec![path.to_owned()]);
    let err = store
        .put(&"x".repeat(128), "v".into(), PutOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the Lowkey Vault jar, which this workplace's Maven Central mirror does not serve (404); run with --ignored once it is in ~/.cache/ironsecrets/"]
async fn properties_update_is_seen_by_the_sdk_and_disabling_blocks_reads() {
    let config = config().await;
    let backend = ironsecrets_azure::open(config.clone()).await.unwrap();
    let store = backend.native::<AzureSecretStore>().unwrap();
    let path = "props/disabled";
    store
        .put(path, "canary-hunter2".into(), PutOptions::default())
        .await
        .unwrap();
    let expires = chrono::Utc::now() + chrono::Duration::days(30);
    let update = PropertiesUpdate {
        content_type: Some("text/plain".into()),
        expires: Some(expires),
        ..PropertiesUpdate::default()
    };
    store.update_properties(path, None, update).await.unwrap();
    // The provider's own client sees what we set.
    let raw = Clients::new(&config).unwrap();
    let name = ironsecrets_azure::names::encode(path).unwrap();
    let read = raw
        .secrets
        .get_secret(&name, None)
        .await
        .unwrap()
        .into_model()
        .unwrap();
    // (Lowkey Vault ignores `contentType` in an update, so only the attributes are checked.)
    let expiry = read.attributes.and_then(|a| a.expires).unwrap();
    assert_eq!(expiry.unix_timestamp(), expires.timestamp());
    let disable = PropertiesUpdate {
        enabled: Some(false),
        ..PropertiesUpdate::default()
    };
    store.update_properties(path, None, disable).await.unwrap();
    let mut pager = raw
        .secrets
        .list_secret_properties_versions(&name, None)
        .unwrap();
    let item = pager.try_next().await.unwrap().expect("one version");
    assert_eq!(item.attributes.and_then(|a| a.enabled), Some(false));
    // A disabled version cannot be read: Key Vault answers 403 (PermissionDenied), Lowkey
    // Vault 404 (NotFound). Either way the value stays out of the error.
    let err = store.get(path, VersionSelector::Latest).await.unwrap_err();
    assert!(
        matches!(
            err.kind(),
            ErrorKind::PermissionDenied | ErrorKind::NotFound
        ),
        "{err}"
    );
    assert!(!format!("{err} {err:?}").contains("canary-hunter2"));
    let enable = PropertiesUpdate {
        enabled: Some(true),
        ..PropertiesUpdate::default()
    };
    let version = raw_version(&item.id);
    store
        .update_properties(path, Some(&version), enable)
        .await
        .unwrap();
    let secret = store.get(path, VersionSelector::Latest).await.unwrap();
    assert_eq!(secret.value.expose(), b"canary-hunter2");
}

fn raw_version(id: &Option<String>) -> Version {
    Version::new(id.as_deref().unwrap().rsplit('/').next().unwrap())
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the Lowkey Vault jar, which this workplace's Maven Central mirror does not serve (404); run with --ignored once it is in ~/.cache/ironsecrets/"]
async fn unknown_version_is_not_found_and_untrusted_tls_fails() {
    let backend = backend().await;
    let store = backend.store();
    store
        .put("errs/a", "v".into(), PutOptions::default())
        .await
        .unwrap();
    let err = store
        .get(
            "errs/a",
            VersionSelector::Version("00000000000000000000000000000000".into()),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    // Without the emulator's certificate, the system roots refuse it.
    let mut untrusted = config().await;
    untrusted.ca_file = None;
    let other = ironsecrets_azure::open(untrusted).await.unwrap();
    let err = other
        .store()
        .get("errs/a", VersionSelector::Latest)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
}

#[tokio::test(flavor = "multi_thread")]
#[ignore = "needs the Lowkey Vault jar, which this workplace's Maven Central mirror does not serve (404); run with --ignored once it is in ~/.cache/ironsecrets/"]
async fn writing_a_soft_deleted_name_is_conflict_until_recovered() {
    let backend = backend().await;
    let store = backend.store();
    let path = "conflict/deleted";
    store
        .put(path, "v1".into(), PutOptions::default())
        .await
        .unwrap();
    store.delete(path, &[]).await.unwrap();
    let err = store
        .put(path, "v2".into(), PutOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");
    assert!(err.message().contains("recovered or purged"), "{err}");
    store.undelete(path, &[]).await.unwrap();
    store
        .put(path, "v2".into(), PutOptions::default())
        .await
        .unwrap();
    let secret = store.get(path, VersionSelector::Latest).await.unwrap();
    assert_eq!(secret.value.expose(), b"v2");
}
