//! Vault's logical API as it is, for code that needs the server's own response shape
//! (consul-template compatible templates): read, write and list any path, and the KV
//! mount a path is under (what `sys/internal/ui/mounts/<path>` says).

use ironsecrets_core::{ErrorKind, Result};
use serde::Deserialize;

use crate::VaultClient;
use crate::client::ApiRequest;

/// The KV mount a path is under.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KvMount {
    /// The mount path, with its trailing `/` (`secret/`).
    pub path: String,
    /// The KV version (1 or 2).
    pub version: u8,
}

impl VaultClient {
    /// `GET /v1/<path>[?query]`: the whole response body (`data`, `lease_id`,
    /// `lease_duration`, `renewable`, `warnings`, ...), or `None` where Vault answers
    /// 404. The body holds secrets: never print it.
    pub async fn read_logical(
        &self,
        path: &str,
        query: &[(String, String)],
    ) -> Result<Option<serde_json::Value>> {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(query)
            .finish();
        let request = ApiRequest::get(path.trim_start_matches('/')).with_query(query);
        self.logical(request).await
    }

    /// `POST /v1/<path>` with `data` (what the Vault CLI's `write` sends): the whole response body, `None` when Vault answers
    /// 204 or 404.
    pub async fn write_logical(
        &self,
        path: &str,
        data: serde_json::Map<String, serde_json::Value>,
    ) -> Result<Option<serde_json::Value>> {
        let path = path.trim_start_matches('/').to_owned();
        self.logical(ApiRequest::post(path, serde_json::Value::Object(data)))
            .await
    }

    /// `LIST /v1/<path>`: the keys, sorted (none where Vault answers 404).
    pub async fn list_logical(&self, path: &str) -> Result<Vec<String>> {
        #[derive(Deserialize)]
        struct Keys {
            keys: Vec<String>,
        }
        let request = ApiRequest::get(path.trim_matches('/')).with_query("list=true".into());
        match self.send(request).await?.success() {
            Ok(reply) => {
                let mut keys = reply.data::<Keys>()?.keys;
                keys.sort();
                Ok(keys)
            }
            Err(e) if e.kind() == ErrorKind::NotFound => Ok(Vec::new()),
            Err(e) => Err(e),
        }
    }

    /// The KV mount `path` is under, or `None` when it is not under a KV mount (or the
    /// token may not ask).
    pub async fn kv_mount(&self, path: &str) -> Result<Option<KvMount>> {
        #[derive(Deserialize)]
        struct Mount {
            path: String,
            #[serde(rename = "type")]
            kind: String,
            #[serde(default)]
            options: Option<std::collections::BTreeMap<String, String>>,
        }
        let request = ApiRequest::get(format!(
            "sys/internal/ui/mounts/{}",
            path.trim_start_matches('/')
        ));
        let reply = match self.send(request).await?.success() {
            Ok(reply) => reply,
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::PermissionDenied) => {
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        let mount = reply.data::<Mount>()?;
        if mount.kind != "kv" && mount.kind != "generic" {
            return Ok(None);
        }
        let version = mount
            .options
            .as_ref()
            .and_then(|o| o.get("version"))
            .map_or(1, |v| if v == "2" { 2 } else { 1 });
        Ok(Some(KvMount {
            path: mount.path,
            version,
        }))
    }

    async fn logical(&self, request: ApiRequest) -> Result<Option<serde_json::Value>> {
        let reply = self.send(request).await?;
        if reply.status == 204 || reply.status == 404 {
            return Ok(None);
        }
        let reply = reply.success()?;
        reply.json().map(Some)
    }
}
