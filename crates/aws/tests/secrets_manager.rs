//! Secrets Manager against a real moto server: the conformance suite, stages, binary
//! values, pagination, caching across clients, boto3 interop and error mapping.

mod common;

use std::sync::Arc;
use std::time::Duration;

use ironsecrets_aws::{
    AWSCURRENT, AWSPENDING, AWSPREVIOUS, AwsConfig, AwsOptions, ListQuery, RotationRequest,
    RotationSchedule,
};
use ironsecrets_core::{
    CacheConfig, Cas, ErrorKind, MetadataUpdate, PutOptions, RotationPolicy, SecretMap,
    SecretStore, SecretValue, Stack, StoreUri, Version, VersionSelector,
};
use ironsecrets_testkit::services::moto::Moto;

const CANARY: &str = "canary-aws-5e1f0c";

/// The configuration a URI stands for.
fn options(uri: &str) -> AwsConfig {
    StoreUri::parse(uri)
        .unwrap()
        .backend_options::<AwsOptions>()
        .unwrap()
        .config()
        .unwrap()
}

async fn read(store: &dyn SecretStore, path: &str, selector: VersionSelector) -> String {
    let secret = store.get(path, selector).await.unwrap();
    secret.value.expose_str().unwrap().to_owned()
}

#[tokio::test]
async fn passes_the_conformance_suite() {
    let backend = common::backend().await;
    // What AWS cannot do it does not declare, and the suite checks it is refused: empty
    // values (`empty_value_is_refused`), versioned ciphertexts and a minimum decryption
    // version (KMS finds the key material itself;
    // `kms_sts::encrypt_decrypt_rewrap_and_data_keys_round_trip`), HMAC with an AES key
    // (`kms_sts::sign_verify_and_mac` uses an HMAC key).
    let report = ironsecrets_testkit::run_all(&backend).await;
    eprintln!("{report}");
    report.assert_passed();
}

/// `RotateSecret` records the schedule; then a rotation as a rotation Lambda performs
/// it: the new value is written as an `AWSPENDING` version, `AWSCURRENT` moves to it and
/// `AWSPREVIOUS` follows to the old one. (moto runs no Lambda: without one it promotes a
/// copy of the current value at once, which is what the first part checks.)
#[tokio::test]
async fn stages_after_a_rotation() {
    let store = common::store().await;
    let path = common::unique("rotated/db");
    let one = store
        .put(&path, "one".into(), PutOptions::default())
        .await
        .unwrap();
    let request = RotationRequest {
        schedule: Some(RotationSchedule::Days(30)),
        rotate_immediately: false,
        ..RotationRequest::default()
    };
    let rotated = store
        .rotate(&path, &request)
        .await
        .unwrap()
        .expect("a new version");
    assert_ne!(rotated, one.version);
    let described = store.describe(&path).await.unwrap();
    assert_eq!(described.rotation_days, Some(30));
    assert!(described.last_rotated.is_some());
    assert_eq!(read(&store, &path, VersionSelector::Latest).await, "one");

    let two = store
        .put(&path, "two".into(), PutOptions::default())
        .await
        .unwrap();
    let pending = Version::new(format!("{:0>32}", common::unique("v").replace('-', "")));
    store
        .put_pending(&path, &pending, &"three".into())
        .await
        .unwrap();
    assert_eq!(
        read(&store, &path, VersionSelector::Stage(AWSPENDING.into())).await,
        "three"
    );
    assert_eq!(read(&store, &path, VersionSelector::Latest).await, "two");

    store
        .move_stage(&path, AWSCURRENT, Some(&two.version), Some(&pending))
        .await
        .unwrap();
    assert_eq!(read(&store, &path, VersionSelector::Latest).await, "three");
    assert_eq!(
        read(&store, &path, VersionSelector::Stage(AWSCURRENT.into())).await,
        "three"
    );
    assert_eq!(
        read(&store, &path, VersionSelector::Stage(AWSPREVIOUS.into())).await,
        "two"
    );
    assert_eq!(
        read(&store, &path, VersionSelector::Version(one.version.clone())).await,
        "one"
    );

    let meta = store.metadata(&path).await.unwrap();
    assert_eq!(meta.current_version, pending);
    let stages_of = |v: &Version| {
        let info = meta.versions.iter().find(|i| i.version == *v).unwrap();
        info.stages.clone()
    };
    assert!(stages_of(&pending).contains(&AWSCURRENT.to_owned()));
    assert!(stages_of(&two.version).contains(&AWSPREVIOUS.to_owned()));

    // Moving AWSCURRENT from a version that does not hold it is refused.
    let err = store
        .move_stage(&path, AWSCURRENT, Some(&two.version), Some(&pending))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
}

/// Non-UTF-8 bytes are a `SecretBinary` that boto3 reads as the same bytes, and
/// boto3's `SecretBinary` reads back here byte for byte.
#[tokio::test]
async fn binary_secrets_round_trip_with_boto3() {
    let store = common::store().await;
    let moto = Moto::shared();
    let path = common::unique("binary/key");
    let bytes: Vec<u8> = (0..=255u8).rev().collect();
    store
        .put(
            &path,
            SecretValue::new(bytes.clone()),
            PutOptions::default(),
        )
        .await
        .unwrap();
    let seen = moto.boto3(
        "import boto3,sys; r=boto3.client('secretsmanager').get_secret_value(SecretId=sys.argv[1]); \
         print('SecretString' in r, r['SecretBinary'].hex())",
        &[&path],
    );
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(seen, format!("False {hex}"));

    let other = common::unique("binary/from-boto3");
    moto.boto3(
        "import boto3,sys; boto3.client('secretsmanager').create_secret(Name=sys.argv[1], SecretBinary=bytes([0,255,1,254]))",
        &[&other],
    );
    let secret = store.get(&other, VersionSelector::Latest).await.unwrap();
    assert_eq!(secret.value.expose(), &[0, 255, 1, 254]);
}

/// Text and JSON key/value secrets written by boto3 read here (the JSON as a
/// `SecretMap`), and ours read in boto3, tags and rotation policy included.
#[tokio::test]
async fn boto3_reads_ours_and_we_read_boto3s() {
    let store = common::store().await;
    let moto = Moto::shared();
    let theirs = common::unique("interop/theirs");
    moto.boto3(
        "import boto3,sys,json; boto3.client('secretsmanager').create_secret(Name=sys.argv[1], \
         SecretString=json.dumps({'username': 'app', 'port': 5432}), Tags=[{'Key': 'owner', 'Value': 'team-a'}])",
        &[&theirs],
    );
    let secret = store.get(&theirs, VersionSelector::Latest).await.unwrap();
    let map = SecretMap::from_value(&secret.value).unwrap();
    assert_eq!(map.get("username").unwrap().expose_str().unwrap(), "app");
    assert_eq!(map.get("port").unwrap().expose_str().unwrap(), "5432");
    let meta = store.metadata(&theirs).await.unwrap();
    assert_eq!(meta.tags.get("owner").map(String::as_str), Some("team-a"));

    let ours = common::unique("interop/ours");
    let map: SecretMap = [("user", "svc"), ("password", CANARY)]
        .into_iter()
        .collect();
    let options = PutOptions {
        metadata: MetadataUpdate {
            tags: Some([("env".to_owned(), "prod".to_owned())].into()),
            rotation: Some(Some(RotationPolicy::days(30, 7))),
            max_versions: None,
        },
        ..PutOptions::default()
    };
    store
        .put(&ours, map.to_value().unwrap(), options)
        .await
        .unwrap();
    let seen = moto.boto3(
        "import boto3,sys,json; c=boto3.client('secretsmanager'); \
         v=json.loads(c.get_secret_value(SecretId=sys.argv[1])['SecretString']); \
         t={x['Key']: x['Value'] for x in c.describe_secret(SecretId=sys.argv[1])['Tags']}; \
         print(v['user'], v['password'] == sys.argv[2], t['env'], t['ironsecrets.rotation-period'])",
        &[&ours, CANARY],
    );
    assert_eq!(seen, "svc True prod 2592000");
}

/// `list` follows `NextToken` over several pages; tag filters narrow it.
#[tokio::test]
async fn list_pages_and_filters() {
    let store = common::store().await;
    let folder = format!("{}/", common::unique("paged"));
    let mut expected = Vec::new();
    for i in 0..7 {
        let path = format!("{folder}s{i}");
        let tags = if i % 2 == 0 { "even" } else { "odd" };
        let options = PutOptions {
            metadata: MetadataUpdate {
                tags: Some([("parity".to_owned(), tags.to_owned())].into()),
                ..MetadataUpdate::default()
            },
            ..PutOptions::default()
        };
        store.put(&path, "v".into(), options).await.unwrap();
        expected.push(path);
    }
    let query = ListQuery {
        page_size: 3,
        ..ListQuery::prefix(&folder)
    };
    assert_eq!(store.list_names(&query).await.unwrap(), expected);
    let odd = ListQuery {
        tag_values: vec!["odd".into()],
        ..query
    };
    let listed = store.list_names(&odd).await.unwrap();
    assert_eq!(listed, [1, 3, 5].map(|i| format!("{folder}s{i}")));
    assert_eq!(store.list(&folder).await.unwrap(), expected);
}

/// A cached read notices a value another client rotated once the cache's ttl has
/// passed, and not before.
#[tokio::test]
async fn cached_get_notices_rotation_by_another_client() {
    let store: Arc<dyn SecretStore> = Arc::new(common::store().await);
    let ttl = Duration::from_millis(1500);
    let stack = Stack {
        cache: Some(CacheConfig {
            ttl,
            refresh_ahead: None,
            ..CacheConfig::default()
        }),
        ..Stack::default()
    };
    let cached = Arc::clone(stack.apply(&common::backend().await).store());
    let path = common::unique("cached/token");
    store
        .put(&path, "v1".into(), PutOptions::default())
        .await
        .unwrap();
    assert_eq!(
        read(cached.as_ref(), &path, VersionSelector::Latest).await,
        "v1"
    );
    tokio::time::sleep(ttl + Duration::from_millis(200)).await;
    // Expired but unchanged: DescribeSecret says AWSCURRENT did not move.
    assert_eq!(
        read(cached.as_ref(), &path, VersionSelector::Latest).await,
        "v1"
    );

    // Another client (its own SDK client and connection pool) rotates the value.
    let other = common::store().await;
    other
        .put(&path, "v2".into(), PutOptions::default())
        .await
        .unwrap();
    assert_eq!(
        read(cached.as_ref(), &path, VersionSelector::Latest).await,
        "v1",
        "within ttl"
    );
    tokio::time::sleep(ttl + Duration::from_millis(200)).await;
    assert_eq!(
        read(cached.as_ref(), &path, VersionSelector::Latest).await,
        "v2"
    );
}

/// Secrets Manager stores no empty value; we say so before asking.
#[tokio::test]
async fn empty_value_is_refused() {
    let store = common::store().await;
    let path = common::unique("empty");
    let err = store
        .put(&path, "".into(), PutOptions::default())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");
    assert!(err.to_string().contains("empty"), "{err}");
}

/// Each AWS error moto can produce maps to its kind, with context and no value.
#[tokio::test]
async fn errors_map_to_kinds() {
    let backend = common::backend().await;
    let store = backend.store();
    let missing = common::unique("errors/missing");
    let err = store
        .get(&missing, VersionSelector::Latest)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    assert_eq!(err.path(), Some(missing.as_str()));
    assert!(
        err.to_string().contains("ResourceNotFoundException"),
        "{err}"
    );

    let path = common::unique("errors/present");
    store
        .put(&path, CANARY.into(), PutOptions::default())
        .await
        .unwrap();
    let err = store
        .put(
            &path,
            CANARY.into(),
            PutOptions {
                cas: Some(Cas::MustNotExist),
                ..PutOptions::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Conflict, "{err}");

    // A wrong version id is an invalid parameter to AWS.
    let err = common::store()
        .await
        .move_stage(
            &path,
            AWSCURRENT,
            Some(&Version::new("not-a-version")),
            None,
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");

    let err = store
        .update_metadata(
            &path,
            MetadataUpdate {
                max_versions: Some(2),
                ..MetadataUpdate::default()
            },
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unsupported, "{err}");

    let err = store
        .delete(&path, &[Version::new("some-old-version")])
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidInput, "{err}");

    // A deleted secret reads as NotFound until restored.
    store.delete(&path, &[]).await.unwrap();
    let err = store.get(&path, VersionSelector::Latest).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
    store.undelete(&path, &[]).await.unwrap();
    assert_eq!(
        read(store.as_ref(), &path, VersionSelector::Latest).await,
        CANARY
    );

    // An endpoint nobody listens on is Unavailable (retryable).
    let mut config = common::config();
    config.endpoint_url = Some("http://127.0.0.1:9".into());
    let backend = ironsecrets_aws::open(&config).await.unwrap();
    let err = backend
        .store()
        .get(&path, VersionSelector::Latest)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Unavailable, "{err}");
    assert!(err.is_retryable());
}

/// IAM refusal: a known user without permissions is PermissionDenied. On a server of its
/// own, since moto checks IAM server-wide once switched on (`/moto-api/reset-auth`).
/// moto answers auth failures with an XML body the SDK reads no code from, so this also
/// covers the mapping by HTTP status (403).
#[tokio::test]
async fn a_user_without_permissions_is_permission_denied() {
    let moto = Moto::start();
    let keys = moto.boto3(
        "import boto3, os, urllib.request; iam = boto3.client('iam'); \
         iam.create_user(UserName='nobody'); \
         k = iam.create_access_key(UserName='nobody')['AccessKey']; \
         urllib.request.urlopen(urllib.request.Request(os.environ['AWS_ENDPOINT_URL'] + \
         '/moto-api/reset-auth', data=b'0', method='POST', headers={'Content-Type': 'text/plain'})); \
         print(k['AccessKeyId'], k['SecretAccessKey'])",
        &[],
    );
    let (id, secret) = keys.split_once(' ').expect("an access key id and secret");
    let uri = format!("aws-sm://{}?endpoint={}", Moto::REGION, moto.endpoint());
    let config = options(&uri);
    let denied = ironsecrets_aws::open(&config.with_static_credentials(id, secret))
        .await
        .unwrap();
    let err = denied
        .store()
        .get("app/db", VersionSelector::Latest)
        .await
        .unwrap_err();
    assert_eq!(err.kind(), ErrorKind::PermissionDenied, "{err}");
    assert!(!err.to_string().contains(secret), "{err}");
}

/// `delete` schedules the deletion for the URI's recovery window (7 days here): the secret
/// is listed with every version Deleted until then, and `undelete` brings it back;
/// `purge` deletes at once.
#[tokio::test]
async fn delete_keeps_the_secret_for_the_recovery_window() {
    let uri = format!("{}&recovery_days=7", common::uri());
    let config =
        options(&uri).with_static_credentials(Moto::ACCESS_KEY_ID, Moto::SECRET_ACCESS_KEY);
    let backend = ironsecrets_aws::open(&config).await.unwrap();
    let store = backend
        .native::<ironsecrets_aws::AwsSecretsStore>()
        .unwrap();
    let path = common::unique("recoverable/key");
    store
        .put(&path, "v".into(), PutOptions::default())
        .await
        .unwrap();
    store.delete(&path, &[]).await.unwrap();
    let described = store.describe(&path).await.unwrap();
    let left = described.deleted_at.expect("scheduled for deletion") - chrono::Utc::now();
    assert!((6..=7).contains(&left.num_days()), "deleted in {left}");
    assert!(
        described
            .metadata
            .versions
            .iter()
            .all(|v| matches!(v.state, ironsecrets_core::VersionState::Deleted { .. }))
    );
    assert_eq!(store.list(&path).await.unwrap(), [path.as_str()]);
    store.undelete(&path, &[]).await.unwrap();
    assert_eq!(store.describe(&path).await.unwrap().deleted_at, None);
    store.purge(&path).await.unwrap();
    let err = store.metadata(&path).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::NotFound, "{err}");
}
