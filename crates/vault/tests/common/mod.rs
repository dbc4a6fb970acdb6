//! What the OpenBao tests share: opening a mount of a test server as a backend.

use ironsecrets_core::{Backend, Stack};
use ironsecrets_testkit::services::openbao::OpenBao;
use ironsecrets_vault::{KvVersion, VaultConfig};

/// The config for `mount` (of `kv` version) on `bao`, as root.
pub fn config(bao: &OpenBao, mount: &str, kv: KvVersion) -> VaultConfig {
    VaultConfig {
        address: bao.addr(),
        token: Some(bao.root_token().into()),
        mount: mount.to_owned(),
        kv_version: kv,
        ..VaultConfig::default()
    }
}

/// A fresh KV mount of version `kv` on `bao`: its path, and the mount opened as root,
/// behind the default layer stack as a client has it.
pub async fn fresh_mount(bao: &OpenBao, kv: KvVersion) -> (String, Backend) {
    let mount = bao.enable_kv(match kv {
        KvVersion::V1 => 1,
        KvVersion::V2 => 2,
    });
    let backend = ironsecrets_vault::open(config(bao, &mount, kv))
        .await
        .expect("open the mount");
    (mount, Stack::default().apply(&backend))
}
