//! `Kv2Store`: a KV v2 mount as a [`SecretStore`] — versions, check-and-set, soft delete,
//! undelete, destroy, and tags / rotation policy in `custom_metadata`.

use std::collections::HashMap;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ironsecrets_core::{
    Cas, Error, ErrorKind, MetadataUpdate, PutOptions, Result, Secret, SecretMetadata, SecretStore,
    SecretValue, StoreCapabilities, Version, VersionInfo, VersionSelector, VersionState,
    validate_path, validate_prefix,
};
use vaultrs::api::kv2::requests::{
    DeleteSecretMetadataRequest, DeleteSecretVersionsRequest, DestroySecretVersionsRequest,
    ListSecretsRequest, ReadSecretMetadataRequest, ReadSecretRequest, SetSecretMetadataRequest,
    SetSecretRequest, SetSecretRequestOptions, UndeleteSecretVersionsRequest,
};
use vaultrs::api::kv2::responses::{
    ListSecretsResponse, ReadSecretMetadataResponse, ReadSecretResponse, SecretVersionMetadata,
};

use crate::errors::{BACKEND, not_found_as};
use crate::{VaultClient, custom_metadata, list, value};

/// A KV v2 mount. Values are stored as described in the crate docs; tags and the rotation
/// policy live in the secret's `custom_metadata`.
#[derive(Clone, Debug)]
pub struct Kv2Store {
    client: VaultClient,
    mount: String,
}

/// What a change to existing versions does.
enum Change {
    Delete,
    Undelete,
    Destroy,
}

impl Kv2Store {
    /// The KV v2 mount at `mount` (e.g. `secret`) on `client`'s server.
    pub fn new(client: VaultClient, mount: impl Into<String>) -> Self {
        Kv2Store {
            client,
            mount: mount.into().trim_matches('/').to_owned(),
        }
    }

    /// The client this store sends its requests with.
    pub fn client(&self) -> &VaultClient {
        &self.client
    }

    /// The mount path.
    pub fn mount(&self) -> &str {
        &self.mount
    }

    async fn read_metadata(&self, path: &str) -> Result<ReadSecretMetadataResponse> {
        let request = ReadSecretMetadataRequest {
            mount: self.mount.clone(),
            path: path.to_owned(),
        };
        match self.client.call(request).await {
            Ok(reply) => reply.data(),
            Err(e) => Err(not_found_as(e, "no secret at this path")),
        }
    }

    /// Writes `update`'s max_versions and tags / rotation policy (merged into `current`'s
    /// custom_metadata); sends nothing when nothing changes.
    async fn write_metadata(
        &self,
        path: &str,
        update: &MetadataUpdate,
        current: &ReadSecretMetadataResponse,
    ) -> Result<()> {
        let custom = custom_metadata::apply(
            current.custom_metadata.as_ref().unwrap_or(&HashMap::new()),
            update,
        )?;
        if custom.is_none() && update.max_versions.is_none() {
            return Ok(());
        }
        let request = SetSecretMetadataRequest {
            mount: self.mount.clone(),
            path: path.to_owned(),
            max_versions: update.max_versions.map(u64::from),
            custom_metadata: custom,
            ..SetSecretMetadataRequest::default()
        };
        self.client.call(request).await.map(drop)
    }

    async fn read(&self, path: &str, selector: VersionSelector) -> Result<Secret> {
        validate_path(path)?;
        let version = match selector {
            VersionSelector::Latest => None,
            VersionSelector::Version(v) => Some(number(&v)?),
            VersionSelector::Stage(_) => {
                return Err(Error::unsupported_feature(BACKEND, "get by stage"));
            }
        };
        let request = ReadSecretRequest {
            mount: self.mount.clone(),
            path: path.to_owned(),
            version,
        };
        let reply = self.client.call(request).await.map_err(|e| {
            let message = match version {
                Some(n) => format!("version {n} does not exist or is deleted or destroyed"),
                None => "no readable secret at this path (missing, deleted or destroyed)".into(),
            };
            not_found_as(e, &message)
        })?;
        let secret: ReadSecretResponse = reply.data()?;
        Ok(Secret {
            path: path.to_owned(),
            version: Version::from(secret.metadata.version),
            created_at: time(&secret.metadata.created_time)?,
            value: value::decode(secret.data)?,
        })
    }

    async fn write(
        &self,
        path: &str,
        value: SecretValue,
        options: PutOptions,
    ) -> Result<VersionInfo> {
        validate_path(path)?;
        custom_metadata::check(&options.metadata)?;
        let cas = match &options.cas {
            None => None,
            Some(Cas::MustNotExist) => Some(0),
            Some(Cas::CurrentVersion(v)) => Some(
                u32::try_from(number(v)?)
                    .map_err(|_| Error::invalid_input(format!("version {v} is out of range")))?,
            ),
        };
        let request = SetSecretRequest {
            mount: self.mount.clone(),
            path: path.to_owned(),
            data: value::encode(&value),
            options: cas.map(|cas| SetSecretRequestOptions { cas }),
        };
        let reply = self
            .client
            .call(request)
            .await
            .map_err(|e| cas_conflict(e, options.cas.as_ref()))?;
        let written = written(reply.data()?)?;
        if options.metadata != MetadataUpdate::default() {
            let current = self.read_metadata(path).await?;
            self.write_metadata(path, &options.metadata, &current)
                .await?;
        }
        Ok(written)
    }

    async fn describe(&self, path: &str) -> Result<SecretMetadata> {
        validate_path(path)?;
        let meta = self.read_metadata(path).await?;
        let (tags, rotation) =
            custom_metadata::read(meta.custom_metadata.as_ref().unwrap_or(&HashMap::new()))?;
        let mut versions = Vec::with_capacity(meta.versions.len());
        for (id, info) in &meta.versions {
            let Ok(n) = id.parse::<u64>() else { continue };
            let state = if info.destroyed {
                VersionState::Destroyed
            } else {
                match info.deletion_time.as_str() {
                    "" => VersionState::Active,
                    at => match time(at)? {
                        at if at <= Utc::now() => VersionState::Deleted { at },
                        _ => VersionState::Active,
                    },
                }
            };
            versions.push((
                n,
                VersionInfo {
                    version: Version::from(n),
                    created_at: time(&info.created_time)?,
                    state,
                    stages: Vec::new(),
                },
            ));
        }
        versions.sort_by_key(|(n, _)| *n);
        Ok(SecretMetadata {
            path: path.to_owned(),
            current_version: Version::from(meta.current_version),
            created_at: time(&meta.created_time)?,
            updated_at: time(&meta.updated_time)?,
            versions: versions.into_iter().map(|(_, v)| v).collect(),
            max_versions: u32::try_from(meta.max_versions).ok().filter(|m| *m > 0),
            tags,
            rotation,
        })
    }

    async fn change(&self, path: &str, given: &[Version], change: Change) -> Result<()> {
        validate_path(path)?;
        let numbers = given.iter().map(number).collect::<Result<Vec<_>>>()?;
        let meta = self.read_metadata(path).await?;
        let versions = if numbers.is_empty() {
            vec![meta.current_version]
        } else {
            if let Some(missing) = numbers
                .iter()
                .find(|n| !meta.versions.contains_key(&n.to_string()))
            {
                return Err(Error::not_found(format!(
                    "version {missing} does not exist"
                )));
            }
            numbers
        };
        let (mount, path) = (self.mount.clone(), path.to_owned());
        let reply = match change {
            Change::Delete => {
                let request = DeleteSecretVersionsRequest {
                    mount,
                    path,
                    versions,
                };
                self.client.call(request).await
            }
            Change::Undelete => {
                let request = UndeleteSecretVersionsRequest {
                    mount,
                    path,
                    versions,
                };
                self.client.call(request).await
            }
            Change::Destroy => {
                let request = DestroySecretVersionsRequest {
                    mount,
                    path,
                    versions,
                };
                self.client.call(request).await
            }
        };
        reply.map(drop)
    }
}

/// The version a write (or patch) created, from Vault's answer.
pub(crate) fn written(version: SecretVersionMetadata) -> Result<VersionInfo> {
    Ok(VersionInfo {
        version: Version::from(version.version),
        created_at: time(&version.created_time)?,
        state: VersionState::Active,
        stages: Vec::new(),
    })
}

/// A version number Vault understands: 1, 2, 3, ...
pub(crate) fn number(version: &Version) -> Result<u64> {
    version.number().filter(|n| *n > 0).ok_or_else(|| {
        Error::invalid_input(format!(
            "'{version}' is not a version number; KV v2 versions are 1, 2, 3, ..."
        ))
    })
}

/// Vault's check-and-set refusal (a 400) as Conflict, saying what was expected.
pub(crate) fn cas_conflict(err: Error, cas: Option<&Cas>) -> Error {
    let refused = err.kind() == ErrorKind::InvalidInput
        && err
            .message()
            .contains("check-and-set parameter did not match");
    match cas {
        Some(cas) if refused => {
            let expected = match cas {
                Cas::MustNotExist => "no secret".to_owned(),
                Cas::CurrentVersion(v) => format!("version {v}"),
            };
            Error::new(
                ErrorKind::Conflict,
                format!("check-and-set expected {expected}, but the current version differs"),
            )
        }
        _ => err,
    }
}

/// A timestamp as Vault writes them (RFC 3339, nanoseconds).
fn time(text: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| Error::unexpected(format!("Vault sent '{text}' where a time belongs")))
}

#[async_trait]
impl SecretStore for Kv2Store {
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
            destroy: true,
            tags: true,
            max_versions: true,
            binary_values: true,
            empty_values: true,
            max_value_bytes: None,
        }
    }

    async fn get(&self, path: &str, version: VersionSelector) -> Result<Secret> {
        self.read(path, version).await
    }

    async fn put(
        &self,
        path: &str,
        value: SecretValue,
        options: PutOptions,
    ) -> Result<VersionInfo> {
        self.write(path, value, options).await
    }

    async fn delete(&self, path: &str, versions: &[Version]) -> Result<()> {
        self.change(path, versions, Change::Delete).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let listed = async {
            validate_prefix(prefix)?;
            list::walk(prefix, |folder| async move {
                let request = ListSecretsRequest {
                    mount: self.mount.clone(),
                    path: folder,
                };
                let listed: ListSecretsResponse = self.client.call(request).await?.data()?;
                Ok(listed.keys)
            })
            .await
        };
        listed.await
    }

    async fn metadata(&self, path: &str) -> Result<SecretMetadata> {
        self.describe(path).await
    }

    async fn update_metadata(&self, path: &str, update: MetadataUpdate) -> Result<SecretMetadata> {
        let updated = async {
            validate_path(path)?;
            custom_metadata::check(&update)?;
            let current = self.read_metadata(path).await?;
            self.write_metadata(path, &update, &current).await?;
            self.describe(path).await
        };
        updated.await
    }

    async fn purge(&self, path: &str) -> Result<()> {
        let purged = async {
            validate_path(path)?;
            self.read_metadata(path).await?;
            let request = DeleteSecretMetadataRequest {
                mount: self.mount.clone(),
                path: path.to_owned(),
            };
            self.client.call(request).await.map(drop)
        };
        purged.await
    }

    async fn undelete(&self, path: &str, versions: &[Version]) -> Result<()> {
        self.change(path, versions, Change::Undelete).await
    }

    async fn destroy(&self, path: &str, versions: &[Version]) -> Result<()> {
        self.change(path, versions, Change::Destroy).await
    }
}
