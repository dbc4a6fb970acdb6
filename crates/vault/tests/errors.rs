//! Error mapping against a real OpenBao: denied, unauthenticated, refused, conflicting,
//! malformed and unsupported calls, each with the right kind and no secret in the text.

mod common;

use std::error::Error as _;
use std::net::TcpListener;
use std::time::{Duration, Instant};

use ironsecrets_core::{
    Backend, Cas, Error, ErrorKind, PutOptions, Stack, Version, VersionSelector,
};
use ironsecrets_testkit::services::openbao::OpenBao;
use ironsecrets_vault::{KvVersion, VaultConfig};

/// Display, Debug, message and sources' Display of an error.
fn texts(err: &Error) -> String {
    let mut all = format!("{err}\n{err:?}\n{}", err.message());
    let mut source = err.source();
    while let Some(cause) = source {
        all.push_str(&format!("\n{cause}\n{cause:?}"));
        source = cause.source();
    }
    all
}

/// A backend on a loopback port nothing listens on.
async fn nobody_listening(timeout: Duration) -> Backend {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .unwrap()
        .port();
    let config = VaultConfig {
        address: format!("http://127.0.0.1:{port}"),
        token: Some("s.never-sent".into()),
        timeout,
        ..VaultConfig::default()
    };
    ironsecrets_vault::open(config).await.unwrap()
}

#[tokio::test]
async fn a_token_without_the_policy_is_permission_denied() {
    let bao = OpenBao::start();
    let (mount, root) = common::fresh_mount(&bao, KvVersion::V2).await;
    root.store()
        .put("team-a/db", "canary-denied-1".into(), PutOptions::default())
        .await
        .unwrap();
    let token = bao.token_with_policy(
        "only-team-b",
        &format!("path \"{mount}/data/team-b/*\" {{ capabilities = [\"read\"] }}"),
    );
    let mut config = common::config(&bao, &mount, KvVersion::V2);
    config.token = Some(token.as_str().into());
    let limited = Stack::default().apply(&ironsecrets_vault::open(config).await.unwrap());
    let store = limited.store();
    let err = store
        .get("team-a/db", VersionSelector::Latest)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert!(!err.is_retryable());
    assert_eq!(err.backend(), Some("vault"));
    assert_eq!(err.path(), Some("team-a/db"));
    let shown = texts(&err);
    assert!(!shown.contains(&token), "{shown}");
    assert!(!shown.contains("canary-denied-1"), "{shown}");
    let err = store
        .put("team-a/db", "x".into(), PutOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
}

#[tokio::test]
async fn an_unknown_token_is_denied_and_a_missing_one_unauthenticated() {
    let bao = OpenBao::start();
    let mount = bao.enable_kv(2);
    let mut config = common::config(&bao, &mount, KvVersion::V2);
    config.token = Some("s.canary-not-a-token".into());
    let backend = ironsecrets_vault::open(config.clone()).await.unwrap();
    let err = backend
        .store()
        .get("any", VersionSelector::Latest)
        .await
        .unwrap_err();
    // OpenBao answers an unknown token as it answers a missing policy.
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert!(!texts(&err).contains("canary-not-a-token"));
    config.token = None;
    let backend = ironsecrets_vault::open(config).await.unwrap();
    let err = backend
        .store()
        .get("any", VersionSelector::Latest)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unauthenticated, "{err}");
    assert!(err.message().contains("VAULT_TOKEN"), "{err}");
}

#[tokio::test]
async fn bad_paths_are_invalid_input_before_any_request() {
    // Nothing listens: any request would be Unavailable, so InvalidInput proves none left.
    let backend = nobody_listening(Duration::from_secs(30)).await;
    let store = backend.store();
    for bad in ["", "a//b", "a/../b", "/a", "a/", "a\0b"] {
        let kinds = [
            store.get(bad, VersionSelector::Latest).await.err(),
            store
                .put(bad, "v".into(), PutOptions::default())
                .await
                .err(),
            store.delete(bad, &[]).await.err(),
            store.metadata(bad).await.err(),
            store.purge(bad).await.err(),
        ]
        .map(|e| e.map(|e| e.kind()));
        assert!(
            kinds.iter().all(|k| *k == Some(ErrorKind::InvalidInput)),
            "{bad:?}: {kinds:?}"
        );
    }
    let err = store.list("../").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput);
}

#[tokio::test]
async fn connection_refused_is_unavailable_without_waiting_for_the_timeout() {
    let timeout = Duration::from_secs(60);
    let backend = nobody_listening(timeout).await;
    let started = Instant::now();
    let err = backend
        .store()
        .get("app/db", VersionSelector::Latest)
        .await
        .unwrap_err();
    assert!(
        started.elapsed() < timeout / 2,
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.is_retryable());
    assert!(err.message().contains("cannot connect"), "{err}");
    assert!(!texts(&err).contains("s.never-sent"));
}

#[tokio::test]
async fn check_and_set_failures_are_conflicts_without_the_value() {
    let bao = OpenBao::start();
    let (_, backend) = common::fresh_mount(&bao, KvVersion::V2).await;
    let store = backend.store();
    let first = store
        .put("cas/key", "canary-cas-1".into(), PutOptions::default())
        .await
        .unwrap();
    store
        .put("cas/key", "two".into(), PutOptions::default())
        .await
        .unwrap();
    for cas in [Cas::MustNotExist, Cas::CurrentVersion(first.version)] {
        let options = PutOptions {
            cas: Some(cas.clone()),
            ..PutOptions::default()
        };
        let err = store
            .put("cas/key", "canary-cas-2".into(), options)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Conflict, "{cas:?}: {err}");
        assert!(!err.is_retryable());
        assert!(!texts(&err).contains("canary"), "{err}");
    }
    let options = PutOptions {
        cas: Some(Cas::CurrentVersion(Version::from(2))),
        ..PutOptions::default()
    };
    let third = store.put("cas/key", "three".into(), options).await.unwrap();
    assert_eq!(third.version, Version::from(3));
}

#[tokio::test]
async fn a_canary_value_or_token_never_shows_in_debug_or_errors() {
    let bao = OpenBao::start();
    let mount = bao.enable_kv(2);
    let config = common::config(&bao, &mount, KvVersion::V2);
    assert!(!format!("{config:?}").contains(bao.root_token()));
    let backend = ironsecrets_vault::open(config).await.unwrap();
    let client = backend
        .native::<ironsecrets_vault::VaultClient>()
        .expect("a Vault backend's native handle is its client");
    let shown = format!("{backend:?} {client:?}");
    assert!(!shown.contains(bao.root_token()), "{shown}");
    let store = backend.store();
    let canary = "canary-9d1e4f";
    let written = store
        .put("canary/value", canary.into(), PutOptions::default())
        .await
        .unwrap();
    let secret = store
        .get("canary/value", VersionSelector::Latest)
        .await
        .unwrap();
    assert_eq!(secret.value.expose(), canary.as_bytes());
    let meta = store.metadata("canary/value").await.unwrap();
    for shown in [
        format!("{written:?}"),
        format!("{secret:?}"),
        secret.value.to_string(),
        format!("{meta:?}"),
    ] {
        assert!(!shown.contains(canary), "{shown}");
    }
    let missing = store
        .get("canary/value", VersionSelector::from(9))
        .await
        .unwrap_err();
    assert_eq!(missing.kind(), ErrorKind::NotFound);
    assert!(!texts(&missing).contains(canary));
}

#[tokio::test]
async fn kv1_says_unsupported_for_what_it_does_not_have() {
    let bao = OpenBao::start();
    let (_, backend) = common::fresh_mount(&bao, KvVersion::V1).await;
    let store = backend.store();
    let caps = backend.capabilities();
    let declared = caps.store;
    assert!(
        !declared.versions && !declared.check_and_set && !declared.undelete && !declared.destroy
    );
    assert!(!declared.tags && declared.binary_values);
    store
        .put("one", "v".into(), PutOptions::default())
        .await
        .unwrap();
    let cas = PutOptions {
        cas: Some(Cas::MustNotExist),
        ..PutOptions::default()
    };
    let unsupported = [
        store.put("one", "w".into(), cas).await.err(),
        store.get("one", VersionSelector::from(2)).await.err(),
        store.metadata("one").await.err(),
        store.update_metadata("one", Default::default()).await.err(),
        store.undelete("one", &[]).await.err(),
        store.destroy("one", &[]).await.err(),
    ];
    for err in unsupported {
        let err = err.expect("an unsupported call failed");
        assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");
        assert!(err.to_string().contains("vault"), "{err}");
    }
    let err = store.metadata("missing").await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    store.delete("one", &[]).await.unwrap();
    let err = store.get("one", VersionSelector::Latest).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
    let err = store.delete("one", &[]).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound);
}

#[tokio::test]
async fn tls_settings_that_cannot_work_are_config_errors_and_https_to_http_is_unavailable() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    let mut config = VaultConfig::new("https://127.0.0.1:8200");
    config.tls.ca_cert = Some(dir.path().join("missing.pem"));
    for (what, tls) in [
        ("a missing CA file", config.tls.clone()),
        (
            "a CA file without a certificate",
            ironsecrets_vault::TlsConfig {
                ca_cert: Some(garbage.clone()),
                ..Default::default()
            },
        ),
        (
            "a client certificate and key that are not PEM",
            ironsecrets_vault::TlsConfig {
                client_cert: Some(garbage.clone()),
                client_key: Some(garbage.clone()),
                ..Default::default()
            },
        ),
    ] {
        config.tls = tls;
        let Err(err) = ironsecrets_vault::open(config.clone()).await else {
            panic!("{what} was accepted");
        };
        assert_eq!(err.kind(), ErrorKind::Config, "{what}: {err}");
    }

    // https to a server that speaks plain http: the handshake fails, nothing hangs.
    let bao = OpenBao::start();
    let mut config = common::config(&bao, "secret", KvVersion::V2);
    config.address = config.address.replace("http://", "https://");
    let backend = ironsecrets_vault::open(config).await.unwrap();
    let err = backend
        .store()
        .get("k", VersionSelector::Latest)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(!texts(&err).contains(bao.root_token()));
}

#[tokio::test]
async fn a_rate_limit_quota_is_rate_limited_with_retry_after() {
    let bao = OpenBao::start();
    let (mount, backend) = common::fresh_mount(&bao, KvVersion::V2).await;
    // Vault sends Retry-After only when asked to.
    bao.run(&[
        "write",
        "sys/quotas/config",
        "enable_rate_limit_response_headers=true",
    ]);
    bao.run(&[
        "write",
        "sys/quotas/rate-limit/one-per-minute",
        &format!("path={mount}/"),
        "rate=1",
        "interval=60s",
        "block_interval=60s",
    ]);
    let store = backend.store();
    let mut outcome = Ok(());
    for _ in 0..3 {
        outcome = store
            .put("limited", "v".into(), PutOptions::default())
            .await
            .map(drop);
        if outcome.is_err() {
            break;
        }
    }
    let err = outcome.expect_err("the quota never refused a request");
    assert_eq!(err.kind(), ErrorKind::RateLimited, "{err}");
    assert!(err.is_retryable());
    let after = err.retry_after().expect("Retry-After is kept");
    assert!(
        after > Duration::ZERO && after <= Duration::from_secs(60),
        "{after:?}"
    );
}
