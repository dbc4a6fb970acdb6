//! [`SecretStore`] over Key Vault secrets.
//!
//! - `get` reads the newest version or one by id (Key Vault's 32-character version ids);
//!   stage selectors are InvalidInput.
//! - `put` sets a new version. Check-and-set is Unsupported (Key Vault has none).
//! - `list` pages through live and soft-deleted secrets and returns the paths that
//!   decode (see [`crate::names`]), filtered by prefix and sorted.
//! - `metadata` lists every version, ordered by write time; for a soft-deleted secret it
//!   reports the deleted secret's newest version as Deleted.
//! - `delete(path, [])` soft-deletes the whole secret: Key Vault cannot delete a single
//!   version, so naming versions is Unsupported. `undelete` recovers the whole secret;
//!   `purge` soft-deletes if needed and then purges. `destroy` is Unsupported.

use std::collections::HashMap;
use std::time::Duration;

use async_trait::async_trait;
use azure_core::http::RequestContent;
use azure_core::time::OffsetDateTime;
use azure_security_keyvault_secrets::models::{
    SecretClientGetSecretOptions, SecretClientUpdateSecretPropertiesOptions, SetSecretParameters,
    UpdateSecretPropertiesParameters,
};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use ironsecrets_core::{
    Error, ErrorKind, MetadataUpdate, Operation, PutOptions, Result, Secret, SecretMetadata,
    SecretStore, SecretValue, StoreCapabilities, Version, VersionInfo, VersionSelector,
    VersionState, validate_prefix,
};

use crate::client::Clients;
use crate::errors::map_error;
use crate::names::{decode, encode};
use crate::tags::{self, UserMetadata};
use crate::{BACKEND, properties::PropertiesUpdate};

/// How long to wait for Key Vault to finish a soft delete or recovery.
const SETTLE_TIMEOUT: Duration = Duration::from_secs(30);
const SETTLE_POLL: Duration = Duration::from_millis(200);

/// Key Vault secrets as a [`SecretStore`].
#[derive(Clone)]
pub struct AzureSecretStore {
    clients: Clients,
}

/// A version as listed: id, write time, tags.
struct Listed {
    version: Version,
    written: DateTime<Utc>,
}

impl AzureSecretStore {
    /// A store on these clients.
    pub fn new(clients: Clients) -> Self {
        AzureSecretStore { clients }
    }

    /// Changes Key Vault's own properties of a version (the newest when `version` is
    /// `None`): content type, enabled, expiry and not-before.
    pub async fn update_properties(
        &self,
        path: &str,
        version: Option<&Version>,
        update: PropertiesUpdate,
    ) -> Result<()> {
        let name = encode(path)?;
        let version = match version {
            Some(v) => v.clone(),
            None => {
                let latest = self.read(&name, None).await?;
                id_version(latest.id.as_deref())?
            }
        };
        let parameters = UpdateSecretPropertiesParameters {
            content_type: update.content_type.clone(),
            secret_attributes: Some(update.attributes()),
            tags: None,
        };
        self.patch(&name, &version, parameters).await
    }

    /// Updates one version's properties or tags.
    async fn patch(
        &self,
        name: &str,
        version: &Version,
        parameters: UpdateSecretPropertiesParameters,
    ) -> Result<()> {
        self.clients
            .secrets
            .update_secret_properties(
                name,
                content(parameters)?,
                Some(SecretClientUpdateSecretPropertiesOptions {
                    secret_version: Some(version.as_str().to_owned()),
                    ..Default::default()
                }),
            )
            .await
            .map_err(map_error)?;
        Ok(())
    }

    async fn read(
        &self,
        name: &str,
        version: Option<&str>,
    ) -> Result<azure_security_keyvault_secrets::models::Secret> {
        let options = SecretClientGetSecretOptions {
            secret_version: version.map(str::to_owned),
            ..Default::default()
        };
        self.clients
            .secrets
            .get_secret(name, Some(options))
            .await
            .map_err(map_error)?
            .into_model()
            .map_err(map_error)
    }

    async fn versions(&self, name: &str) -> Result<Vec<Listed>> {
        let mut pager = self
            .clients
            .secrets
            .list_secret_properties_versions(name, None)
            .map_err(map_error)?;
        let mut out = Vec::new();
        while let Some(item) = pager.try_next().await.map_err(map_error)? {
            let Some(version) = item.id.as_deref().and_then(version_of) else {
                continue;
            };
            out.push(Listed {
                version,
                written: write_time(
                    item.tags.as_ref(),
                    item.attributes.as_ref().and_then(|a| a.created),
                ),
            });
        }
        Ok(out)
    }

    /// Names of live secrets and of soft-deleted ones, every page.
    async fn all_names(&self) -> Result<Vec<String>> {
        let secrets = &self.clients.secrets;
        let failed = |e| map_error(e);
        let mut names = collect_names(secrets.list_secret_properties(None).map_err(failed)?, |i| {
            i.id.as_deref()
        })
        .await?;
        names.extend(
            collect_names(
                secrets
                    .list_deleted_secret_properties(None)
                    .map_err(failed)?,
                |i| i.id.as_deref(),
            )
            .await?,
        );
        Ok(names)
    }

    /// Metadata of a soft-deleted secret: its newest version, Deleted.
    async fn deleted_metadata(&self, name: &str, path: &str) -> Result<SecretMetadata> {
        let deleted = self
            .clients
            .secrets
            .get_deleted_secret(name, None)
            .await
            .map_err(map_error)?
            .into_model()
            .map_err(map_error)?;
        let version = id_version(deleted.id.as_deref())?;
        let created = write_time(
            deleted.tags.as_ref(),
            deleted.attributes.as_ref().and_then(|a| a.created),
        );
        let at = deleted.deleted_date.map(to_chrono).unwrap_or_else(Utc::now);
        let user = UserMetadata::read(deleted.tags.as_ref())?;
        Ok(SecretMetadata {
            path: path.to_owned(),
            current_version: version.clone(),
            created_at: created,
            updated_at: created,
            versions: vec![VersionInfo {
                version,
                created_at: created,
                state: VersionState::Deleted { at },
                stages: Vec::new(),
            }],
            max_versions: None,
            tags: user.tags,
            rotation: user.rotation,
        })
    }

    /// Waits until `probe` stops answering NotFound (Key Vault deletes and recovers
    /// asynchronously).
    async fn settle<F, Fut, T>(&self, operation: Operation, probe: F) -> Result<()>
    where
        F: Fn() -> Fut,
        Fut: std::future::Future<Output = Result<T>>,
    {
        let deadline = tokio::time::Instant::now() + SETTLE_TIMEOUT;
        loop {
            match probe().await {
                Ok(_) => return Ok(()),
                Err(e) if e.kind() == ErrorKind::NotFound => {}
                Err(e) => return Err(e),
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(Error::new(
                    ErrorKind::Unavailable,
                    format!("Key Vault did not finish the {operation} within {SETTLE_TIMEOUT:?}"),
                ));
            }
            tokio::time::sleep(SETTLE_POLL).await;
        }
    }

    async fn soft_delete(&self, name: &str, operation: Operation) -> Result<()> {
        self.clients
            .secrets
            .delete_secret(name, None)
            .await
            .map_err(map_error)?;
        self.settle(operation, || async {
            self.clients
                .secrets
                .get_deleted_secret(name, None)
                .await
                .map_err(map_error)
        })
        .await
    }
}

#[async_trait]
impl SecretStore for AzureSecretStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn capabilities(&self) -> StoreCapabilities {
        StoreCapabilities {
            versions: true,
            metadata: true,
            soft_delete: true,
            check_and_set: false,
            undelete: true,
            destroy: false,
            tags: true,
            max_versions: false,
            binary_values: true,
            empty_values: true,
            // Key Vault's documented limit for a secret value: 25 KB.
            max_value_bytes: Some(25 * 1024),
        }
    }

    async fn get(&self, path: &str, version: VersionSelector) -> Result<Secret> {
        let name = encode(path)?;
        let wanted = match &version {
            VersionSelector::Latest => None,
            VersionSelector::Version(v) => Some(v.as_str()),
            VersionSelector::Stage(stage) => {
                return Err(Error::invalid_input(format!(
                    "Key Vault has no version stages; '{stage}' cannot be read"
                )));
            }
        };
        let secret = self.read(&name, wanted).await?;
        let value = tags::decode_value(
            secret.tags.as_ref(),
            secret.value.as_deref().unwrap_or_default(),
        )?;
        let version = id_version(secret.id.as_deref())?;
        Ok(Secret {
            path: path.to_owned(),
            version,
            created_at: write_time(
                secret.tags.as_ref(),
                secret.attributes.as_ref().and_then(|a| a.created),
            ),
            value,
        })
    }

    async fn put(
        &self,
        path: &str,
        value: SecretValue,
        options: PutOptions,
    ) -> Result<VersionInfo> {
        let name = encode(path)?;
        if options.cas.is_some() {
            return Err(Error::unsupported_feature(BACKEND, "check-and-set"));
        }
        let mut user = if options.metadata.tags.is_some() && options.metadata.rotation.is_some() {
            UserMetadata::default()
        } else {
            match self.read(&name, None).await {
                Ok(latest) => UserMetadata::read(latest.tags.as_ref())?,
                Err(e) if e.kind() == ErrorKind::NotFound => UserMetadata::default(),
                Err(e) => return Err(e),
            }
        };
        user.apply(&options.metadata)?;
        let now = Utc::now();
        let mut reserved = vec![(
            tags::WRITTEN,
            now.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true),
        )];
        let (text, encoding) = tags::encode_value(&value);
        reserved.extend(encoding.map(|e| (tags::ENCODING, e.to_owned())));
        let parameters = SetSecretParameters {
            value: Some(text),
            tags: Some(user.to_tags(&reserved)?),
            ..Default::default()
        };
        let written = self
            .clients
            .secrets
            .set_secret(&name, content(parameters)?, None)
            .await
            .map_err(map_error)?
            .into_model()
            .map_err(map_error)?;
        let version = id_version(written.id.as_deref())?;
        Ok(VersionInfo {
            version,
            created_at: now,
            state: VersionState::Active,
            stages: Vec::new(),
        })
    }

    async fn delete(&self, path: &str, versions: &[Version]) -> Result<()> {
        let name = encode(path)?;
        if !versions.is_empty() {
            return Err(
                Error::unsupported_feature(BACKEND, "delete of single versions").with_path(path),
            );
        }
        self.soft_delete(&name, Operation::Delete).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        validate_prefix(prefix)?;
        let mut paths: Vec<String> = self
            .all_names()
            .await?
            .into_iter()
            .filter_map(|name| decode(&name))
            .filter(|path| path.starts_with(prefix))
            .collect();
        paths.sort();
        paths.dedup();
        Ok(paths)
    }

    async fn metadata(&self, path: &str) -> Result<SecretMetadata> {
        let name = encode(path)?;
        let latest = match self.read(&name, None).await {
            Ok(latest) => latest,
            Err(e) if e.kind() == ErrorKind::NotFound => {
                return self.deleted_metadata(&name, path).await;
            }
            Err(e) => return Err(e),
        };
        let current = id_version(latest.id.as_deref())?;
        let mut listed = self.versions(&name).await?;
        // Oldest first; the current version last among equal times.
        listed.sort_by_key(|l| (l.written, l.version == current));
        let user = UserMetadata::read(latest.tags.as_ref())?;
        let created_at = listed.first().map(|l| l.written).unwrap_or_else(Utc::now);
        let updated_at = listed.last().map(|l| l.written).unwrap_or(created_at);
        Ok(SecretMetadata {
            path: path.to_owned(),
            current_version: current,
            created_at,
            updated_at,
            versions: listed
                .into_iter()
                .map(|l| VersionInfo {
                    version: l.version,
                    created_at: l.written,
                    state: VersionState::Active,
                    stages: Vec::new(),
                })
                .collect(),
            max_versions: None,
            tags: user.tags,
            rotation: user.rotation,
        })
    }

    async fn update_metadata(&self, path: &str, update: MetadataUpdate) -> Result<SecretMetadata> {
        let name = encode(path)?;
        tags::check(&update)?;
        let latest = self.read(&name, None).await?;
        let mut user = UserMetadata::read(latest.tags.as_ref())?;
        user.apply(&update)?;
        let reserved: Vec<(&str, String)> = [tags::WRITTEN, tags::ENCODING]
            .into_iter()
            .filter_map(|key| {
                let value = latest.tags.as_ref()?.get(key)?;
                Some((key, value.clone()))
            })
            .collect();
        let parameters = UpdateSecretPropertiesParameters {
            tags: Some(user.to_tags(&reserved)?),
            ..Default::default()
        };
        let version = id_version(latest.id.as_deref())?;
        self.patch(&name, &version, parameters).await?;
        self.metadata(path).await
    }

    async fn purge(&self, path: &str) -> Result<()> {
        let name = encode(path)?;
        match self.soft_delete(&name, Operation::Purge).await {
            Ok(()) => {}
            // Already soft-deleted (or missing: then purging says NotFound).
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        self.clients
            .secrets
            .purge_deleted_secret(&name, None)
            .await
            .map_err(map_error)?;
        Ok(())
    }

    async fn undelete(&self, path: &str, versions: &[Version]) -> Result<()> {
        let name = encode(path)?;
        let _ = versions; // Key Vault recovers the whole secret, every version.
        self.clients
            .secrets
            .recover_deleted_secret(&name, None)
            .await
            .map_err(map_error)?;
        self.settle(Operation::Undelete, || self.read(&name, None))
            .await
    }
}

/// The secret names in every item of a pager.
async fn collect_names<T>(
    mut items: impl futures::Stream<Item = azure_core::Result<T>> + Unpin,
    id: impl Fn(&T) -> Option<&str>,
) -> Result<Vec<String>> {
    let mut names = Vec::new();
    while let Some(item) = items.try_next().await.map_err(map_error)? {
        names.extend(id(&item).and_then(name_of));
    }
    Ok(names)
}

fn content<T: serde::Serialize>(parameters: T) -> Result<RequestContent<T>>
where
    RequestContent<T>: TryFrom<T, Error = azure_core::Error>,
{
    RequestContent::try_from(parameters)
        .map_err(|e| Error::unexpected(format!("cannot encode the Key Vault request: {e}")))
}

/// The version in an id Key Vault must have sent.
fn id_version(id: Option<&str>) -> Result<Version> {
    id.and_then(version_of)
        .ok_or_else(|| Error::unexpected("Key Vault sent a secret without an id"))
}

/// The version in an id `https://vault/secrets/<name>/<version>`.
fn version_of(id: &str) -> Option<Version> {
    let url = url::Url::parse(id).ok()?;
    let segments: Vec<&str> = url.path_segments()?.filter(|s| !s.is_empty()).collect();
    match segments.as_slice() {
        [_, _, version] => Some(Version::new(*version)),
        _ => None,
    }
}

/// The name in an id `https://vault/secrets/<name>[/<version>]` or `.../deletedsecrets/<name>`.
fn name_of(id: &str) -> Option<String> {
    let url = url::Url::parse(id).ok()?;
    let mut segments = url.path_segments()?;
    let _collection = segments.next()?;
    segments.next().map(str::to_owned)
}

/// Our precise write time, else Key Vault's creation time.
fn write_time(
    tags: Option<&HashMap<String, String>>,
    created: Option<OffsetDateTime>,
) -> DateTime<Utc> {
    tags::written(tags)
        .or_else(|| created.map(to_chrono))
        .unwrap_or(DateTime::UNIX_EPOCH)
}

fn to_chrono(t: OffsetDateTime) -> DateTime<Utc> {
    DateTime::from_timestamp(t.unix_timestamp(), t.nanosecond()).unwrap_or(DateTime::UNIX_EPOCH)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_split_into_name_and_version() {
        let id = "https://v.vault.azure.net/secrets/app-sdb/0123abcd";
        assert_eq!(version_of(id), Some(Version::new("0123abcd")));
        assert_eq!(name_of(id).as_deref(), Some("app-sdb"));
        assert_eq!(
            name_of("https://v.vault.azure.net/deletedsecrets/x").as_deref(),
            Some("x")
        );
    }
}
