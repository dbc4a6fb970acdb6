//! Writing values: create, new versions, check-and-set through a stage move, and the
//! tags that carry our metadata.
//!
//! A plain `put` is `PutSecretValue` (the new version gets `AWSCURRENT`, the old one
//! `AWSPREVIOUS`), or `CreateSecret` when the secret does not exist yet.
//! `Cas::MustNotExist` is `CreateSecret` alone. `Cas::CurrentVersion(v)` writes the new
//! version under a temporary label, then moves `AWSCURRENT` to it with
//! `UpdateSecretVersionStage(RemoveFromVersionId = v)`, which AWS refuses unless `v`
//! holds `AWSCURRENT` at that moment: the check and the switch are one step. A refused
//! move leaves the new version unlabelled (deprecated) and is Conflict.

use chrono::Utc;
use ironsecrets_core::{
    Cas, Error, ErrorKind, MetadataUpdate, PutOptions, Result, SecretValue, Version, VersionInfo,
    VersionState,
};

use crate::store::{AWSCURRENT, AwsSecretsStore, refuse_max_versions, sm_error};
use crate::tags;
use crate::value::StoredValue;

/// The label a check-and-set write holds until `AWSCURRENT` moves to it.
const CAS_PENDING: &str = "IRONSECRETS_CAS_PENDING";

/// A version just written.
fn written(version: &str, stages: &[String]) -> VersionInfo {
    VersionInfo {
        version: Version::new(version),
        created_at: Utc::now(),
        state: VersionState::Active,
        stages: stages.to_vec(),
    }
}

impl AwsSecretsStore {
    /// `put`: validates the options, writes, then applies tag changes.
    pub(crate) async fn write(
        &self,
        path: &str,
        value: &SecretValue,
        options: &PutOptions,
    ) -> Result<VersionInfo> {
        refuse_max_versions(&options.metadata)?;
        if value.is_empty() {
            return Err(Error::invalid_input(
                "Secrets Manager cannot store an empty value",
            ));
        }
        if let Some(user) = &options.metadata.tags {
            tags::check_user_tags(user)?;
        }
        let stored = StoredValue::from_value(value);
        let (info, tagged) = match &options.cas {
            Some(Cas::MustNotExist) => match self.create(path, &stored, &options.metadata).await {
                Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                    return Err(Error::new(
                        ErrorKind::Conflict,
                        "check-and-set failed: the secret exists already",
                    ));
                }
                other => (other?, true),
            },
            Some(Cas::CurrentVersion(expected)) => {
                (self.put_if_current(path, &stored, expected).await?, false)
            }
            None => match self.put_version(path, &stored, AWSCURRENT).await {
                Err(e) if e.kind() == ErrorKind::NotFound => {
                    match self.create(path, &stored, &options.metadata).await {
                        Err(e) if e.kind() == ErrorKind::AlreadyExists => {
                            (self.put_version(path, &stored, AWSCURRENT).await?, false)
                        }
                        other => (other?, true),
                    }
                }
                other => (other?, false),
            },
        };
        let metadata = &options.metadata;
        if !tagged && (metadata.tags.is_some() || metadata.rotation.is_some()) {
            self.retag(path, metadata).await?;
        }
        Ok(info)
    }

    /// `CreateSecret` with the value and the tags `metadata` asks for.
    async fn create(
        &self,
        path: &str,
        stored: &StoredValue,
        metadata: &MetadataUpdate,
    ) -> Result<VersionInfo> {
        let all_tags = tags::apply(Default::default(), metadata)?;
        let request = self
            .client
            .create_secret()
            .name(path)
            .set_tags(Some(tags::to_aws(&all_tags)).filter(|t| !t.is_empty()));
        let (text, binary) = stored.fields();
        let out = request
            .set_secret_string(text)
            .set_secret_binary(binary)
            .send()
            .await
            .map_err(sm_error)?;
        Ok(written(
            out.version_id().unwrap_or_default(),
            &[AWSCURRENT.to_owned()],
        ))
    }

    /// `PutSecretValue` labelled `stage` (and an optional version id, for rotations).
    pub(crate) async fn put_version_with(
        &self,
        path: &str,
        stored: &StoredValue,
        stage: &str,
        token: Option<&str>,
    ) -> Result<VersionInfo> {
        let request = self
            .client
            .put_secret_value()
            .secret_id(path)
            .version_stages(stage)
            .set_client_request_token(token.map(str::to_owned));
        let (text, binary) = stored.fields();
        let out = request
            .set_secret_string(text)
            .set_secret_binary(binary)
            .send()
            .await
            .map_err(sm_error)?;
        Ok(written(
            out.version_id().unwrap_or_default(),
            out.version_stages(),
        ))
    }

    async fn put_version(
        &self,
        path: &str,
        stored: &StoredValue,
        stage: &str,
    ) -> Result<VersionInfo> {
        self.put_version_with(path, stored, stage, None).await
    }

    /// Writes under [`CAS_PENDING`], then moves `AWSCURRENT` from `expected` to it.
    async fn put_if_current(
        &self,
        path: &str,
        stored: &StoredValue,
        expected: &Version,
    ) -> Result<VersionInfo> {
        let mut info = self.put_version(path, stored, CAS_PENDING).await?;
        let moved = self
            .move_stage(path, AWSCURRENT, Some(expected), Some(&info.version))
            .await;
        // The temporary label goes either way; a leftover one is harmless.
        let _ = self
            .move_stage(path, CAS_PENDING, Some(&info.version), None)
            .await;
        match moved {
            Ok(()) => {
                info.stages = vec![AWSCURRENT.to_owned()];
                Ok(info)
            }
            Err(e) if e.kind() == ErrorKind::InvalidInput => Err(Error::new(
                ErrorKind::Conflict,
                format!("check-and-set failed: version {expected} is not the current one"),
            )),
            Err(e) => Err(e),
        }
    }

    /// Applies tag and rotation-policy changes to the secret's AWS tags.
    pub(crate) async fn retag(&self, path: &str, update: &MetadataUpdate) -> Result<()> {
        let described = self.describe_output(path).await?;
        let current = tags::from_aws(described.tags())?;
        let wanted = tags::apply(current, update)?;
        let stale: Vec<String> = described
            .tags()
            .iter()
            .filter_map(|t| t.key())
            .filter(|k| !k.starts_with("aws:") && !wanted.contains_key(*k))
            .map(str::to_owned)
            .collect();
        if !stale.is_empty() {
            self.client
                .untag_resource()
                .secret_id(path)
                .set_tag_keys(Some(stale))
                .send()
                .await
                .map_err(sm_error)?;
        }
        if !wanted.is_empty() {
            self.client
                .tag_resource()
                .secret_id(path)
                .set_tags(Some(tags::to_aws(&wanted)))
                .send()
                .await
                .map_err(sm_error)?;
        }
        Ok(())
    }
}
