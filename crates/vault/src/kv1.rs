//! `Kv1Store`: a KV v1 mount as a [`SecretStore`]. KV v1 keeps one value per path and
//! nothing else: no versions, check-and-set, metadata, tags, undelete or destroy; those
//! calls are Unsupported, and `delete` removes the value for good.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ironsecrets_core::{
    Error, MetadataUpdate, PutOptions, Result, Secret, SecretMetadata, SecretStore, SecretValue,
    StoreCapabilities, Version, VersionInfo, VersionSelector, VersionState, validate_path,
    validate_prefix,
};
use serde::Deserialize;
use vaultrs::api::kv1::requests::{
    DeleteSecretRequest, GetSecretRequest, ListSecretRequest, SetSecretRequest,
};

use crate::errors::{BACKEND, not_found_as};
use crate::{VaultClient, list, value};

/// The only version id a KV v1 secret has: its current value.
pub const KV1_VERSION: &str = "current";

/// A KV v1 mount. Values are stored as described in the crate docs. A read reports
/// version [`KV1_VERSION`] and, as KV v1 records no times, `created_at` the Unix epoch.
#[derive(Clone, Debug)]
pub struct Kv1Store {
    client: VaultClient,
    mount: String,
}

#[derive(Deserialize)]
struct Keys {
    keys: Vec<String>,
}

impl Kv1Store {
    /// The KV v1 mount at `mount` (e.g. `kv`) on `client`'s server.
    pub fn new(client: VaultClient, mount: impl Into<String>) -> Self {
        Kv1Store {
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

    async fn read(&self, path: &str, selector: &VersionSelector) -> Result<SecretValue> {
        validate_path(path)?;
        match selector {
            VersionSelector::Latest => {}
            VersionSelector::Version(v) if v.as_str() == KV1_VERSION => {}
            _ => return Err(Error::unsupported_feature(BACKEND, "versions on KV v1")),
        }
        let request = GetSecretRequest {
            mount: self.mount.clone(),
            path: path.to_owned(),
        };
        let reply = self
            .client
            .call(request)
            .await
            .map_err(|e| not_found_as(e, "no secret at this path"))?;
        value::decode(reply.data()?)
    }

    async fn write(&self, path: &str, value: &SecretValue, options: &PutOptions) -> Result<()> {
        validate_path(path)?;
        if options.cas.is_some() {
            return Err(Error::unsupported_feature(
                BACKEND,
                "check-and-set on KV v1",
            ));
        }
        if options.metadata != MetadataUpdate::default() {
            return Err(Error::unsupported_feature(BACKEND, "metadata on KV v1"));
        }
        let request = SetSecretRequest {
            mount: self.mount.clone(),
            path: path.to_owned(),
            data: serde_json::to_vec(&value::encode(value))
                .map_err(|_| Error::unexpected("the value could not be encoded as JSON"))?,
        };
        self.client.call(request).await.map(drop)
    }

    /// Removes the value for good, after checking it exists (Vault itself would answer
    /// a delete of nothing with success).
    async fn remove(&self, path: &str, versions: &[Version]) -> Result<()> {
        if versions.iter().any(|v| v.as_str() != KV1_VERSION) {
            return Err(Error::unsupported_feature(BACKEND, "versions on KV v1"));
        }
        self.read(path, &VersionSelector::Latest).await?;
        let request = DeleteSecretRequest {
            mount: self.mount.clone(),
            path: path.to_owned(),
        };
        self.client.call(request).await.map(drop)
    }
}

#[async_trait]
impl SecretStore for Kv1Store {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn capabilities(&self) -> StoreCapabilities {
        StoreCapabilities {
            binary_values: true,
            empty_values: true,
            ..StoreCapabilities::default()
        }
    }

    async fn get(&self, path: &str, version: VersionSelector) -> Result<Secret> {
        let value = self.read(path, &version).await?;
        Ok(Secret {
            path: path.to_owned(),
            version: Version::new(KV1_VERSION),
            created_at: DateTime::UNIX_EPOCH,
            value,
        })
    }

    async fn put(
        &self,
        path: &str,
        value: SecretValue,
        options: PutOptions,
    ) -> Result<VersionInfo> {
        self.write(path, &value, &options).await?;
        Ok(VersionInfo {
            version: Version::new(KV1_VERSION),
            created_at: Utc::now(),
            state: VersionState::Active,
            stages: Vec::new(),
        })
    }

    /// Deletes the value for good: KV v1 has no soft delete.
    async fn delete(&self, path: &str, versions: &[Version]) -> Result<()> {
        self.remove(path, versions).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        let listed = async {
            validate_prefix(prefix)?;
            list::walk(prefix, |folder| async move {
                let request = ListSecretRequest {
                    mount: self.mount.clone(),
                    path: folder,
                };
                Ok(self.client.call(request).await?.data::<Keys>()?.keys)
            })
            .await
        };
        listed.await
    }

    /// NotFound for a missing path; otherwise Unsupported, as KV v1 keeps no metadata.
    async fn metadata(&self, path: &str) -> Result<SecretMetadata> {
        let described = async {
            self.read(path, &VersionSelector::Latest).await?;
            Err(Error::unsupported_feature(BACKEND, "metadata on KV v1"))
        };
        described.await
    }

    async fn update_metadata(&self, path: &str, update: MetadataUpdate) -> Result<SecretMetadata> {
        let _ = update;
        Err(Error::unsupported_feature(BACKEND, "metadata on KV v1").with_path(path))
    }

    async fn purge(&self, path: &str) -> Result<()> {
        self.remove(path, &[]).await
    }
}
