//! [`SecretStore`] over Secret Manager.
//!
//! A path is one GCP secret (see [`crate::names`]); each `put` adds a version. `delete`
//! disables versions, `undelete` enables them, `destroy` destroys them, `purge` deletes
//! the secret. `Cas::MustNotExist` is atomic (CreateSecret fails if the secret exists);
//! `Cas::CurrentVersion` is Unsupported because AddSecretVersion takes no precondition.
//! `update_metadata` is conditional on the secret's etag, so a concurrent change makes
//! it fail with Conflict instead of being overwritten. GCP has no version-count limit, so
//! `max_versions` is Unsupported. Payloads are limited by GCP to 64 KiB.

use async_trait::async_trait;
use google_cloud_secretmanager_v1::client::SecretManagerService;
use google_cloud_secretmanager_v1::model::{
    Replication, Secret as GcpSecret, SecretPayload, SecretVersion, replication,
};
use google_cloud_wkt::FieldMask;
use ironsecrets_core::{
    Cas, Error, ErrorKind, MetadataUpdate, PutOptions, Result, Secret, SecretMetadata, SecretStore,
    SecretValue, StoreCapabilities, Version, VersionInfo, VersionSelector, VersionState,
};

use crate::annotations::Annotated;
use crate::errors::{BACKEND, map_error};
use crate::names::{id_prefix, path_of, secret_id};
use crate::versions::{sort_oldest_first, time, version_info, version_name, version_of};
use crate::{GcpConfig, connect};

/// Secrets and versions listed per request.
const PAGE_SIZE: i32 = 250;
/// Largest value GCP stores in one version (64 KiB).
pub const MAX_VALUE_LEN: usize = 64 * 1024;

/// The Secret Manager secret store of one project.
#[derive(Clone, Debug)]
pub struct GcpStore {
    client: SecretManagerService,
    parent: String,
}

impl GcpStore {
    /// A store over an existing client for `project`.
    pub fn new(client: SecretManagerService, project: &str) -> Self {
        GcpStore {
            client,
            parent: format!("projects/{project}"),
        }
    }

    /// Connects to Secret Manager as `config` says.
    pub async fn connect(config: &GcpConfig) -> Result<Self> {
        Ok(GcpStore {
            client: connect(config).await?,
            parent: config.parent(),
        })
    }

    /// The underlying SDK client, for calls ironsecrets does not wrap.
    pub fn client(&self) -> &SecretManagerService {
        &self.client
    }

    fn secret_name(&self, path: &str) -> Result<String> {
        Ok(format!("{}/secrets/{}", self.parent, secret_id(path)?))
    }

    async fn create_secret(&self, path: &str, update: &MetadataUpdate) -> Result<()> {
        let mut annotated = Annotated::default();
        annotated.apply(update);
        let secret = GcpSecret::new()
            .set_replication(Replication::new().set_automatic(replication::Automatic::new()))
            .set_annotations(annotated.annotations)
            .set_labels(annotated.labels);
        self.client
            .create_secret()
            .set_parent(self.parent.clone())
            .set_secret_id(secret_id(path)?)
            .set_secret(secret)
            .send()
            .await
            .map_err(map_error)?;
        Ok(())
    }

    /// Writes tags and rotation policy into the secret's annotations and labels, on
    /// condition of the etag just read (a concurrent change fails with Conflict).
    async fn update_annotations(&self, path: &str, update: &MetadataUpdate) -> Result<()> {
        let name = self.secret_name(path)?;
        let secret = self.get_secret(&name).await?;
        let mut annotated = Annotated {
            annotations: secret.annotations.clone(),
            labels: secret.labels.clone(),
        };
        if !annotated.apply(update) {
            return Ok(());
        }
        let changed = secret
            .set_annotations(annotated.annotations)
            .set_labels(annotated.labels);
        self.client
            .update_secret()
            .set_secret(changed)
            .set_update_mask(FieldMask::default().set_paths(["annotations", "labels"]))
            .send()
            .await
            .map_err(map_error)?;
        Ok(())
    }

    async fn add_version(&self, secret: &str, value: &SecretValue) -> Result<SecretVersion> {
        self.client
            .add_secret_version()
            .set_parent(secret.to_owned())
            .set_payload(SecretPayload::new().set_data(value.expose().to_vec()))
            .send()
            .await
            .map_err(map_error)
    }

    async fn get_secret(&self, secret: &str) -> Result<GcpSecret> {
        self.client
            .get_secret()
            .set_name(secret.to_owned())
            .send()
            .await
            .map_err(map_error)
    }

    /// Every version of a secret, page by page, oldest first.
    async fn versions(&self, secret: &str) -> Result<Vec<VersionInfo>> {
        let mut versions = Vec::new();
        let mut token = String::new();
        loop {
            let page = self
                .client
                .list_secret_versions()
                .set_parent(secret.to_owned())
                .set_page_size(PAGE_SIZE)
                .set_page_token(token)
                .send()
                .await
                .map_err(map_error)?;
            versions.extend(page.versions.iter().map(version_info));
            if page.next_page_token.is_empty() {
                break;
            }
            token = page.next_page_token;
        }
        sort_oldest_first(&mut versions);
        Ok(versions)
    }

    /// The version a selector names, as `{secret}/versions/{n}` or `.../latest`.
    async fn resolve(&self, secret: &str, selector: &VersionSelector) -> Result<String> {
        match selector {
            VersionSelector::Latest => Ok(format!("{secret}/versions/latest")),
            VersionSelector::Version(v) => version_name(secret, v),
            VersionSelector::Stage(alias) => {
                let found = self.get_secret(secret).await?;
                let n = found.version_aliases.get(alias).ok_or_else(|| {
                    Error::not_found(format!("the secret has no version alias {alias:?}"))
                })?;
                Ok(format!("{secret}/versions/{n}"))
            }
        }
    }

    /// The newest ENABLED version, when `latest` is disabled or destroyed.
    async fn newest_enabled(&self, secret: &str) -> Result<String> {
        let versions = self.versions(secret).await?;
        versions
            .iter()
            .rev()
            .find(|v| v.state == VersionState::Active)
            .map(|v| format!("{secret}/versions/{}", v.version))
            .ok_or_else(|| Error::not_found("every version of the secret is deleted"))
    }

    async fn access(&self, name: String) -> Result<(String, SecretValue)> {
        let response = self
            .client
            .access_secret_version()
            .set_name(name)
            .send()
            .await
            .map_err(map_error)?;
        let data = response.payload.map(|p| p.data).unwrap_or_default();
        Ok((response.name, SecretValue::new(data.to_vec())))
    }

    async fn get_version(&self, name: String) -> Result<SecretVersion> {
        self.client
            .get_secret_version()
            .set_name(name)
            .send()
            .await
            .map_err(map_error)
    }

    /// The value and the version metadata (for its creation time) of version `name`,
    /// requested in parallel so a read costs one round trip.
    async fn read(&self, name: String) -> Result<(SecretVersion, SecretValue)> {
        let (accessed, version) = tokio::join!(self.access(name.clone()), self.get_version(name));
        let (resolved, value) = accessed?;
        let version = version?;
        if version.name == resolved {
            return Ok((version, value));
        }
        // `latest` moved between the two requests: describe the version that was read.
        Ok((self.get_version(resolved).await?, value))
    }

    /// Applies `change` (disable, enable, destroy) to each version; the newest when
    /// `versions` is empty.
    async fn each_version<F, Fut>(&self, path: &str, versions: &[Version], change: F) -> Result<()>
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = std::result::Result<SecretVersion, google_cloud_gax::error::Error>>,
    {
        let secret = self.secret_name(path)?;
        let names = if versions.is_empty() {
            let latest = self
                .get_version(format!("{secret}/versions/latest"))
                .await?;
            vec![latest.name]
        } else {
            versions
                .iter()
                .map(|v| version_name(&secret, v))
                .collect::<Result<_>>()?
        };
        for name in names {
            change(name).await.map_err(map_error)?;
        }
        Ok(())
    }
}

fn unsupported_max_versions(update: &MetadataUpdate) -> Result<()> {
    match update.max_versions {
        Some(_) => Err(Error::new(
            ErrorKind::Unsupported,
            "GCP Secret Manager keeps every version; max_versions is not supported",
        )
        .with_backend(BACKEND)),
        None => Ok(()),
    }
}

#[async_trait]
impl SecretStore for GcpStore {
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
            destroy: true,
            tags: true,
            max_versions: false,
            binary_values: true,
            empty_values: true,
            max_value_bytes: Some(MAX_VALUE_LEN),
        }
    }

    async fn get(&self, path: &str, selector: VersionSelector) -> Result<Secret> {
        let run = async {
            let secret = self.secret_name(path)?;
            let name = self.resolve(&secret, &selector).await?;
            let (version, value) = match self.read(name).await {
                Err(e) if e.kind() == ErrorKind::Conflict => {
                    if selector != VersionSelector::Latest {
                        return Err(Error::not_found(format!(
                            "version {selector:?} is deleted (disabled or destroyed)"
                        )));
                    }
                    self.read(self.newest_enabled(&secret).await?).await?
                }
                other => other?,
            };
            Ok(Secret {
                path: path.to_owned(),
                version: version_of(&version.name),
                created_at: time(version.create_time.as_ref()),
                value,
            })
        };
        run.await
    }

    async fn put(
        &self,
        path: &str,
        value: SecretValue,
        options: PutOptions,
    ) -> Result<VersionInfo> {
        let run = async {
            let secret = self.secret_name(path)?;
            if value.len() > MAX_VALUE_LEN {
                return Err(Error::invalid_input(format!(
                    "the value is {} bytes; GCP Secret Manager stores at most {MAX_VALUE_LEN} \
                     bytes (64 KiB) per version",
                    value.len()
                )));
            }
            unsupported_max_versions(&options.metadata)?;
            let mut created = false;
            match options.cas {
                Some(Cas::CurrentVersion(_)) => {
                    return Err(Error::unsupported_feature(
                        BACKEND,
                        "check-and-set on a version",
                    ));
                }
                Some(Cas::MustNotExist) => {
                    self.create_secret(path, &options.metadata)
                        .await
                        .map_err(|e| match e.kind() {
                            ErrorKind::AlreadyExists => Error::new(
                                ErrorKind::Conflict,
                                "the secret exists already (Cas::MustNotExist)",
                            ),
                            _ => e,
                        })?;
                    created = true;
                }
                None => {}
            }
            let added = match self.add_version(&secret, &value).await {
                Err(e) if e.kind() == ErrorKind::NotFound && !created => {
                    match self.create_secret(path, &options.metadata).await {
                        Err(e) if e.kind() != ErrorKind::AlreadyExists => return Err(e),
                        _ => created = true,
                    }
                    self.add_version(&secret, &value).await?
                }
                other => other?,
            };
            if !created && options.metadata != MetadataUpdate::default() {
                self.update_annotations(path, &options.metadata).await?;
            }
            Ok(version_info(&added))
        };
        run.await
    }

    async fn delete(&self, path: &str, versions: &[Version]) -> Result<()> {
        self.each_version(path, versions, |name| {
            self.client.disable_secret_version().set_name(name).send()
        })
        .await
    }

    async fn undelete(&self, path: &str, versions: &[Version]) -> Result<()> {
        self.each_version(path, versions, |name| {
            self.client.enable_secret_version().set_name(name).send()
        })
        .await
    }

    async fn destroy(&self, path: &str, versions: &[Version]) -> Result<()> {
        self.each_version(path, versions, |name| {
            self.client.destroy_secret_version().set_name(name).send()
        })
        .await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let run = async {
            let wanted = id_prefix(prefix)?;
            let mut paths = Vec::new();
            let mut token = String::new();
            loop {
                let page = self
                    .client
                    .list_secrets()
                    .set_parent(self.parent.clone())
                    .set_page_size(PAGE_SIZE)
                    .set_page_token(token)
                    .send()
                    .await
                    .map_err(map_error)?;
                paths.extend(page.secrets.iter().filter_map(|s| {
                    let id = s.name.rsplit('/').next()?;
                    id.starts_with(&wanted).then(|| path_of(id)).flatten()
                }));
                if page.next_page_token.is_empty() {
                    break;
                }
                token = page.next_page_token;
            }
            paths.sort();
            Ok(paths)
        };
        run.await
    }

    async fn metadata(&self, path: &str) -> Result<SecretMetadata> {
        let run = async {
            let name = self.secret_name(path)?;
            let secret = self.get_secret(&name).await?;
            let versions = self.versions(&name).await?;
            let newest = versions
                .last()
                .ok_or_else(|| Error::not_found("the secret has no versions"))?;
            let annotated = Annotated {
                annotations: secret.annotations.clone(),
                labels: secret.labels.clone(),
            };
            Ok(SecretMetadata {
                path: path.to_owned(),
                current_version: newest.version.clone(),
                created_at: time(secret.create_time.as_ref()),
                updated_at: newest.created_at,
                max_versions: None,
                tags: annotated.tags()?,
                rotation: annotated.rotation()?,
                versions,
            })
        };
        run.await
    }

    async fn update_metadata(&self, path: &str, update: MetadataUpdate) -> Result<SecretMetadata> {
        unsupported_max_versions(&update)?;
        self.update_annotations(path, &update).await?;
        self.metadata(path).await
    }

    async fn purge(&self, path: &str) -> Result<()> {
        let run = async {
            let name = self.secret_name(path)?;
            self.client
                .delete_secret()
                .set_name(name)
                .send()
                .await
                .map_err(map_error)?;
            Ok(())
        };
        run.await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_max_versions_is_refused() {
        assert!(unsupported_max_versions(&MetadataUpdate::default()).is_ok());
        let err = unsupported_max_versions(&MetadataUpdate {
            max_versions: Some(2),
            ..MetadataUpdate::default()
        })
        .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unsupported);
        assert_eq!(err.backend(), Some(BACKEND));
    }
}
