//! Export and import of a whole store as one passphrase-protected bundle, through the
//! `SecretStore` trait, so a local store can move to any other backend (and back).
//!
//! Layout: `MAGIC || u32 header length || header JSON (KDF parameters, salt) ||
//! AES-256-GCM(nonce || ciphertext)` with the magic and header as associated data.
//! Every readable version is carried, oldest first, with tags, rotation policy and
//! max_versions. Deleted and destroyed versions, and transit keys, are not carried.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use ironsecrets_core::{
    Cas, Error, ErrorKind, MetadataUpdate, PutOptions, Result, RotationPolicy, SecretStore,
    SecretValue, VersionSelector, VersionState,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use zeroize::Zeroizing;

use crate::KdfParams;
use crate::crypto;

const MAGIC: &[u8] = b"ironsecrets-bundle-v1\n";

#[derive(Serialize, Deserialize)]
struct Header {
    kdf: KdfParams,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct BundledSecret {
    path: String,
    tags: BTreeMap<String, String>,
    rotation: Option<RotationPolicy>,
    max_versions: Option<u32>,
    /// Base64 values, oldest first.
    versions: Vec<String>,
}

/// What an import wrote.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ImportSummary {
    /// Secrets created.
    pub secrets: usize,
    /// Versions written.
    pub versions: usize,
}

async fn collect(store: &dyn SecretStore) -> Result<Vec<BundledSecret>> {
    let mut out = Vec::new();
    for path in store.list("").await? {
        let meta = store.metadata(&path).await?;
        let mut versions = Vec::new();
        for info in meta
            .versions
            .iter()
            .filter(|v| v.state == VersionState::Active)
        {
            let secret = store
                .get(&path, VersionSelector::Version(info.version.clone()))
                .await?;
            versions.push(B64.encode(secret.value.expose()));
        }
        if !versions.is_empty() {
            out.push(BundledSecret {
                path,
                tags: meta.tags,
                rotation: meta.rotation,
                max_versions: meta.max_versions,
                versions,
            });
        }
    }
    Ok(out)
}

/// Exports every readable secret version of `store`, encrypted under `passphrase`.
pub async fn export(
    store: &dyn SecretStore,
    passphrase: &SecretValue,
    kdf: KdfParams,
) -> Result<Vec<u8>> {
    if passphrase.is_empty() {
        return Err(Error::invalid_input("the bundle passphrase is empty"));
    }
    let secrets = collect(store).await?;
    let body = Zeroizing::new(
        serde_json::to_vec(&secrets)
            .map_err(|e| Error::unexpected(format!("encoding the bundle: {e}")))?,
    );
    drop(secrets);
    let salt: [u8; 16] = crypto::random_array();
    let header = serde_json::to_vec(&Header {
        kdf,
        salt: B64.encode(salt),
    })
    .expect("header serializes");
    let key = kdf.derive(passphrase, &salt)?;
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&(header.len() as u32).to_be_bytes());
    out.extend_from_slice(&header);
    let sealed = crypto::seal(&key, &out, &body);
    out.extend_from_slice(&sealed);
    Ok(out)
}

fn open_bundle(bundle: &[u8], passphrase: &SecretValue) -> Result<Vec<BundledSecret>> {
    let malformed = || Error::invalid_input("this is not an ironsecrets bundle (bad header)");
    let rest = bundle.strip_prefix(MAGIC).ok_or_else(malformed)?;
    let len = u32::from_be_bytes(
        rest.get(..4)
            .ok_or_else(malformed)?
            .try_into()
            .expect("4 bytes"),
    ) as usize;
    let header_bytes = rest.get(4..4 + len).ok_or_else(malformed)?;
    let header: Header = serde_json::from_slice(header_bytes).map_err(|_| malformed())?;
    let salt = B64.decode(&header.salt).map_err(|_| malformed())?;
    let key = header.kdf.derive(passphrase, &salt)?;
    let aad_len = MAGIC.len() + 4 + len;
    let body = crypto::open(&key, &bundle[..aad_len], &bundle[aad_len..]).map_err(|_| {
        Error::integrity("the bundle passphrase is wrong or the bundle was altered")
    })?;
    serde_json::from_slice(&body).map_err(|_| Error::integrity("the bundle's contents are damaged"))
}

/// Imports a bundle into `store`. Refuses (Conflict, naming the path) before writing
/// anything if a path in the bundle exists already.
pub async fn import(
    store: &dyn SecretStore,
    bundle: &[u8],
    passphrase: &SecretValue,
) -> Result<ImportSummary> {
    let secrets = open_bundle(bundle, passphrase)?;
    for secret in &secrets {
        match store.metadata(&secret.path).await {
            Ok(_) => {
                return Err(Error::new(
                    ErrorKind::Conflict,
                    "the target store already has a secret at this path; nothing was imported",
                )
                .with_path(&secret.path));
            }
            Err(e) if e.kind() == ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
    }
    let mut summary = ImportSummary::default();
    for secret in secrets {
        let last = secret.versions.len() - 1;
        for (index, encoded) in secret.versions.iter().enumerate() {
            let value = SecretValue::new(
                B64.decode(encoded)
                    .map_err(|_| Error::integrity("a bundled value is damaged"))?,
            );
            let options = PutOptions {
                cas: (index == 0).then_some(Cas::MustNotExist),
                metadata: if index == last {
                    MetadataUpdate {
                        tags: Some(secret.tags.clone()),
                        rotation: Some(secret.rotation),
                        max_versions: secret.max_versions,
                    }
                } else {
                    MetadataUpdate::default()
                },
            };
            store.put(&secret.path, value, options).await?;
            summary.versions += 1;
        }
        summary.secrets += 1;
    }
    Ok(summary)
}
