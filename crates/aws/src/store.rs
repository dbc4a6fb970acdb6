//! [`AwsSecretsStore`]: Secrets Manager as a [`SecretStore`].

use async_trait::async_trait;
use aws_sdk_secretsmanager::Client;
use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use aws_sdk_secretsmanager::operation::describe_secret::DescribeSecretOutput;
use ironsecrets_core::{
    Error, ErrorKind, MetadataUpdate, Operation, PutOptions, Result, Secret, SecretMetadata,
    SecretStore, SecretValue, StoreCapabilities, Version, VersionInfo, VersionSelector,
    validate_path, validate_prefix,
};

use crate::errors;
use crate::time::utc;
use crate::value::read_value;

/// The backend's short name.
pub const BACKEND: &str = "aws";

/// The stage label of the version a plain read returns.
pub const AWSCURRENT: &str = "AWSCURRENT";

/// The stage label AWS moves to the version that was current before.
pub const AWSPREVIOUS: &str = "AWSPREVIOUS";

/// The stage label a rotation writes its new version under.
pub const AWSPENDING: &str = "AWSPENDING";

/// AWS Secrets Manager as a [`SecretStore`]. Paths are secret names, one to one (AWS
/// allows `/` in names). See the crate docs for how each operation maps.
#[derive(Clone, Debug)]
pub struct AwsSecretsStore {
    pub(crate) client: Client,
    pub(crate) recovery_window_days: Option<i64>,
}

/// Maps a Secrets Manager SDK error (the layer stack, or an AWS-specific entry point,
/// names the operation and path).
pub(crate) fn sm_error<E>(err: SdkError<E>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    errors::from_sdk("Secrets Manager", err)
}

impl AwsSecretsStore {
    /// A store on an SDK client; `recovery_window_days` is how long `delete` keeps a
    /// secret restorable (AWS's 30 days when `None`).
    pub fn new(client: Client, recovery_window_days: Option<i64>) -> Self {
        AwsSecretsStore {
            client,
            recovery_window_days,
        }
    }

    /// The SDK client, for calls this crate does not wrap.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Reads a secret's value by version id or stage label; the plain read uses
    /// `AWSCURRENT`.
    async fn read(&self, path: &str, version: &VersionSelector) -> Result<Secret> {
        let request = self.client.get_secret_value().secret_id(path);
        let request = match version {
            VersionSelector::Latest => request.version_stage(AWSCURRENT),
            VersionSelector::Version(v) => request.version_id(v.as_str()),
            VersionSelector::Stage(stage) => request.version_stage(stage),
        };
        let out = match request.send().await {
            Ok(out) => out,
            Err(err) => return Err(self.read_error(path, sm_error(err)).await),
        };
        let value = read_value(out.secret_string(), out.secret_binary())
            .ok_or_else(|| Error::not_found("this version has no value yet"))?;
        Ok(Secret {
            path: path.to_owned(),
            version: Version::new(out.version_id().unwrap_or_default()),
            created_at: utc(out.created_date()),
            value,
        })
    }

    /// AWS refuses reads of a secret scheduled for deletion as an invalid request; to
    /// us that secret is NotFound (until `undelete`).
    async fn read_error(&self, path: &str, err: Error) -> Error {
        if err.kind() != ErrorKind::InvalidInput {
            return err;
        }
        match self.describe_output(path).await {
            Ok(out) if out.deleted_date().is_some() => {
                Error::not_found("the secret is scheduled for deletion; undelete restores it")
            }
            _ => err,
        }
    }

    /// `DescribeSecret`'s answer, errors mapped for `operation`.
    pub(crate) async fn describe_output(&self, path: &str) -> Result<DescribeSecretOutput> {
        self.client
            .describe_secret()
            .secret_id(path)
            .send()
            .await
            .map_err(sm_error)
    }

    /// The version `AWSCURRENT` is on, from `DescribeSecret` (no value is read).
    pub async fn current_version_of(&self, path: &str) -> Result<Version> {
        let outcome = async {
            self.version_at_stage(path, AWSCURRENT)
                .await?
                .ok_or_else(|| Error::not_found("the secret has no current version"))
        };
        outcome
            .await
            .map_err(|e: Error| e.context(crate::BACKEND, Operation::CurrentVersion, path))
    }

    /// The version holding stage label `stage`, from `DescribeSecret`.
    async fn version_at_stage(&self, path: &str, stage: &str) -> Result<Option<Version>> {
        let out = self.describe_output(path).await?;
        Ok(out
            .version_ids_to_stages()
            .into_iter()
            .flatten()
            .find(|(_, stages)| stages.iter().any(|s| s == stage))
            .map(|(id, _)| Version::new(id.as_str())))
    }

    /// Deletes the whole secret: restorable for the recovery window, or at once.
    async fn delete_secret(&self, path: &str, force: bool) -> Result<()> {
        let request = self.client.delete_secret().secret_id(path);
        let request = if force {
            request.force_delete_without_recovery(true)
        } else {
            request.set_recovery_window_in_days(self.recovery_window_days)
        };
        request.send().await.map_err(sm_error)?;
        Ok(())
    }
}

/// Refuses `max_versions`: Secrets Manager decides itself which versions it keeps.
pub(crate) fn refuse_max_versions(update: &MetadataUpdate) -> Result<()> {
    match update.max_versions {
        Some(_) => Err(Error::unsupported_feature(BACKEND, "max_versions")),
        None => Ok(()),
    }
}

#[async_trait]
impl SecretStore for AwsSecretsStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn capabilities(&self) -> StoreCapabilities {
        StoreCapabilities {
            versions: true,
            metadata: true,
            soft_delete: true,
            check_and_set: true,
            undelete: true,
            destroy: false,
            tags: true,
            max_versions: false,
            binary_values: true,
            empty_values: false,
            max_value_bytes: Some(crate::MAX_VALUE_BYTES),
        }
    }

    async fn get(&self, path: &str, version: VersionSelector) -> Result<Secret> {
        validate_path(path)?;
        self.read(path, &version).await
    }

    async fn put(
        &self,
        path: &str,
        value: SecretValue,
        options: PutOptions,
    ) -> Result<VersionInfo> {
        validate_path(path)?;
        self.write(path, &value, &options).await
    }

    async fn delete(&self, path: &str, versions: &[Version]) -> Result<()> {
        validate_path(path)?;
        if !versions.is_empty() {
            let current = self.current_version_of(path).await?;
            if versions.iter().any(|v| *v != current) {
                return Err(Error::invalid_input(
                    "Secrets Manager deletes whole secrets: name no version or the current one",
                ));
            }
        }
        self.delete_secret(path, false).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        validate_prefix(prefix)?;
        self.list_names(&crate::ListQuery::prefix(prefix)).await
    }

    async fn metadata(&self, path: &str) -> Result<SecretMetadata> {
        validate_path(path)?;
        Ok(self.description(path).await?.metadata)
    }

    async fn update_metadata(&self, path: &str, update: MetadataUpdate) -> Result<SecretMetadata> {
        validate_path(path)?;
        refuse_max_versions(&update)?;
        self.retag(path, &update).await?;
        Ok(self.description(path).await?.metadata)
    }

    async fn purge(&self, path: &str) -> Result<()> {
        validate_path(path)?;
        self.delete_secret(path, true).await
    }

    async fn undelete(&self, path: &str, _versions: &[Version]) -> Result<()> {
        validate_path(path)?;
        self.client
            .restore_secret()
            .secret_id(path)
            .send()
            .await
            .map_err(sm_error)?;
        Ok(())
    }

    async fn current_version(
        &self,
        path: &str,
        selector: &VersionSelector,
    ) -> Result<Option<Version>> {
        match selector {
            VersionSelector::Latest => self.version_at_stage(path, AWSCURRENT).await,
            VersionSelector::Stage(stage) => self.version_at_stage(path, stage).await,
            // A version's value never changes; whether it still exists, `get` tells.
            VersionSelector::Version(_) => Ok(None),
        }
    }
}
