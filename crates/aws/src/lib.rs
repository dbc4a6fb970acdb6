//! The AWS backend of ironsecrets, on the official SDK crates: Secrets Manager as a
//! [`SecretStore`](ironsecrets_core::SecretStore), KMS as
//! [`Transit`](ironsecrets_core::Transit) and STS `AssumeRole` as
//! [`DynamicCredentials`](ironsecrets_core::DynamicCredentials).
//!
//! ```no_run
//! # async fn demo() -> ironsecrets_core::Result<()> {
//! use ironsecrets_core::{Options, PutOptions, SecretStore, VersionSelector};
//!
//! // Region from the options; credentials, profile and endpoint from the AWS chain.
//! let options: ironsecrets_aws::AwsOptions = Options::new().with("region", "us-east-1").parse()?;
//! let backend = ironsecrets_aws::open(&options.config()?).await?;
//! let store = backend.store();
//! store.put("app/db/password", "hunter2".into(), PutOptions::default()).await?;
//! let secret = store.get("app/db/password", VersionSelector::Latest).await?;
//! assert_eq!(secret.value.expose(), b"hunter2");
//! # Ok(()) }
//! ```
//!
//! # Opening
//! `aws-sm://<region>?endpoint=<url>&profile=<name>&recovery_days=<7..30>`, or the same
//! as options ([`AwsOptions`]); everything not given comes from the standard AWS chain
//! (`AWS_REGION`, `AWS_PROFILE`, `AWS_ENDPOINT_URL`,
//! `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, `~/.aws/config`, `~/.aws/credentials`,
//! web identity, container and instance credentials). HTTP is hyper with rustls (ring);
//! the SDK's own retries are off (the layer stack retries).
//!
//! # Secrets Manager
//! A path is a secret name, one to one (AWS names allow `/`). UTF-8 values are stored as
//! `SecretString` (a [`SecretMap`](ironsecrets_core::SecretMap) is the usual JSON
//! key/value secret), other bytes as `SecretBinary`; values are limited to 64 KiB
//! ([`MAX_VALUE_BYTES`]).
//!
//! | ironsecrets | Secrets Manager |
//! |---|---|
//! | `get` Latest / Version / Stage | `GetSecretValue` with `AWSCURRENT` / `VersionId` / `VersionStage` |
//! | `put` | `PutSecretValue`, or `CreateSecret` for a new name |
//! | `put` with `Cas::MustNotExist` | `CreateSecret` (exists: Conflict) |
//! | `put` with `Cas::CurrentVersion(v)` | new version under a temporary label, then `UpdateSecretVersionStage` moving `AWSCURRENT` from `v` (refused: Conflict) |
//! | `list` | `ListSecrets` with the `name` filter, every page, scheduled deletions included |
//! | `metadata` | `DescribeSecret` + `ListSecretVersionIds` (versions with stage labels) |
//! | `update_metadata`, tags and rotation policy | `TagResource` / `UntagResource` |
//! | `delete` | `DeleteSecret` with the recovery window (the whole secret) |
//! | `undelete` | `RestoreSecret` |
//! | `purge` | `DeleteSecret` with `ForceDeleteWithoutRecovery` |
//!
//! Tags are plain AWS tags; the rotation policy is the tags
//! `ironsecrets.rotation-period` and `ironsecrets.rotation-remind-before` (seconds; see
//! [`ironsecrets_core::metadata_keys`]).
//! `max_versions` and `destroy` are Unsupported: AWS keeps the versions it decides to.
//! A secret scheduled for deletion reads as NotFound and its versions show as Deleted.
//! [`AwsSecretsStore::describe`] adds AWS's rotation settings; [`AwsSecretsStore::rotate`],
//! [`AwsSecretsStore::put_pending`] and [`AwsSecretsStore::move_stage`] drive rotations.
//!
//! # KMS and STS
//! [`KmsTransit`] is the backend's transit engine (keys are `alias/<name>`; AES, ECDSA
//! P-256, RSA 2048 and, through [`KmsTransit::create_hmac_key`], HMAC keys; its module
//! docs give the mapping). [`StsCredentials`] issues `CredentialRequest::Cloud` as STS
//! `AssumeRole`: a non-renewable lease running to the credentials' expiry, which a lease
//! manager re-issues before it ends.
//!
//! # Caching
//! [`AwsSecretsStore`] answers [`SecretStore::current_version`](ironsecrets_core::SecretStore::current_version)
//! with `DescribeSecret`, so a cache layer ([`ironsecrets_core::Caching`]) over it
//! re-reads a value only when `AWSCURRENT` (or the stage read) moved, like AWS's caching
//! client; a value rotated elsewhere is never served past the cache's `ttl`.
//!
//! # Errors
//! By AWS error code: ResourceNotFound → NotFound, throttling → RateLimited (retryable),
//! access denied → PermissionDenied, invalid request/parameter → InvalidInput, bad
//! credentials → Unauthenticated, KMS invalid ciphertext/signature/MAC → Integrity,
//! internal errors and unreachable endpoints → Unavailable. AWS's message text is never
//! copied into ours.
#![deny(missing_docs)]

mod config;
mod describe;
mod errors;
mod kms;
mod list;
mod options;
mod rotation;
mod store;
mod sts;
mod tags;
mod time;
mod value;
mod write;

use std::sync::Arc;

use ironsecrets_core::{Backend, Result};

pub use config::{AwsConfig, SCHEME};
pub use describe::AwsSecretDescription;
pub use kms::KmsTransit;
pub use list::ListQuery;
pub use options::AwsOptions;
pub use rotation::{RotationRequest, RotationSchedule};
pub use store::{AWSCURRENT, AWSPENDING, AWSPREVIOUS, AwsSecretsStore, BACKEND};
pub use sts::StsCredentials;

/// The largest secret value Secrets Manager stores, in bytes.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;

/// Opens the backend: Secrets Manager as the store, KMS as transit, STS as dynamic
/// credentials, all on one resolved AWS configuration.
pub async fn open(config: &AwsConfig) -> Result<Backend> {
    let sdk = config.load().await?;
    let store = Arc::new(AwsSecretsStore::new(
        aws_sdk_secretsmanager::Client::new(&sdk),
        config.recovery_window_days,
    ));
    Ok(Backend::new(store)
        .with_transit(Arc::new(KmsTransit::new(aws_sdk_kms::Client::new(&sdk))))
        .with_credentials(Arc::new(StsCredentials::new(aws_sdk_sts::Client::new(
            &sdk,
        )))))
}
