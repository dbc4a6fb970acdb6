//! `DescribeSecret` + `ListSecretVersionIds` → metadata, with AWS's rotation settings.

use chrono::{DateTime, Utc};
use ironsecrets_core::{
    Error, Operation, Result, SecretMetadata, Version, VersionInfo, VersionState,
};

use crate::store::{AWSCURRENT, AwsSecretsStore, sm_error};
use crate::tags;
use crate::time::utc;

/// Everything Secrets Manager says about a secret, without its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AwsSecretDescription {
    /// The portable metadata: versions with their stage labels (oldest first), tags,
    /// rotation policy; `updated_at` is when the `AWSCURRENT` version was written.
    pub metadata: SecretMetadata,
    /// The secret's ARN.
    pub arn: String,
    /// Whether Secrets Manager rotates it on a schedule.
    pub rotation_enabled: bool,
    /// The rotation Lambda, if one is configured.
    pub rotation_lambda_arn: Option<String>,
    /// The rotation interval in days, if set that way.
    pub rotation_days: Option<i64>,
    /// The rotation `rate(...)`/`cron(...)` expression, if set that way.
    pub rotation_expression: Option<String>,
    /// When the last rotation ran.
    pub last_rotated: Option<DateTime<Utc>>,
    /// When the secret (value or settings) last changed.
    pub last_changed: Option<DateTime<Utc>>,
    /// When the next rotation is due.
    pub next_rotation: Option<DateTime<Utc>>,
    /// When a secret scheduled for deletion goes for good.
    pub deleted_at: Option<DateTime<Utc>>,
}

impl AwsSecretsStore {
    /// Describes a secret: metadata, stages and AWS's rotation settings.
    pub async fn describe(&self, path: &str) -> Result<AwsSecretDescription> {
        self.description(path)
            .await
            .map_err(|e| e.context(crate::BACKEND, Operation::Describe, path))
    }

    /// [`AwsSecretsStore::describe`] without its error context (`metadata` has its own).
    pub(crate) async fn description(&self, path: &str) -> Result<AwsSecretDescription> {
        let out = self.describe_output(path).await?;
        let deleted_at = out.deleted_date().map(|d| utc(Some(d)));
        let versions = self.versions(path, deleted_at).await?;
        let current = versions
            .iter()
            .find(|v| v.stages.iter().any(|s| s == AWSCURRENT))
            .ok_or_else(|| Error::not_found("the secret has no current version"))?;
        let (tags, rotation) = tags::from_aws(out.tags())?;
        let rules = out.rotation_rules();
        let metadata = SecretMetadata {
            path: path.to_owned(),
            current_version: current.version.clone(),
            created_at: utc(out.created_date()),
            updated_at: current.created_at,
            versions,
            max_versions: None,
            tags,
            rotation,
        };
        Ok(AwsSecretDescription {
            metadata,
            arn: out.arn().unwrap_or_default().to_owned(),
            rotation_enabled: out.rotation_enabled().unwrap_or(false),
            rotation_lambda_arn: out
                .rotation_lambda_arn()
                .filter(|a| !a.is_empty())
                .map(str::to_owned),
            rotation_days: rules.and_then(|r| r.automatically_after_days()),
            rotation_expression: rules
                .and_then(|r| r.schedule_expression())
                .map(str::to_owned),
            last_rotated: out.last_rotated_date().map(|d| utc(Some(d))),
            last_changed: out.last_changed_date().map(|d| utc(Some(d))),
            next_rotation: out.next_rotation_date().map(|d| utc(Some(d))),
            deleted_at,
        })
    }

    /// Every version (labelled or deprecated), oldest first, over every page.
    async fn versions(
        &self,
        path: &str,
        deleted_at: Option<DateTime<Utc>>,
    ) -> Result<Vec<VersionInfo>> {
        let state = match deleted_at {
            Some(at) => VersionState::Deleted { at },
            None => VersionState::Active,
        };
        let mut versions = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let out = self
                .client
                .list_secret_version_ids()
                .secret_id(path)
                .include_deprecated(true)
                .set_next_token(token.take())
                .send()
                .await
                .map_err(sm_error)?;
            versions.extend(out.versions().iter().map(|v| VersionInfo {
                version: Version::new(v.version_id().unwrap_or_default()),
                created_at: utc(v.created_date()),
                state: state.clone(),
                stages: v.version_stages().to_vec(),
            }));
            match out.next_token() {
                Some(next) if !next.is_empty() => token = Some(next.to_owned()),
                _ => break,
            }
        }
        // Stable: versions written in the same second keep AWS's order.
        versions.sort_by_key(|v| v.created_at);
        Ok(versions)
    }
}
