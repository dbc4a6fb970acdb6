//! What a backend does not declare, it refuses: an operation whose capability is `false`
//! answers Unsupported (a value the backend cannot hold, InvalidInput) — never success,
//! never a silent no-op — and leaves what was stored as it was. With the checks that run
//! only where a capability is declared (and fail on Unsupported), this keeps declared and
//! actual behaviour the same in both directions.

use ironsecrets_core::{
    Backend, Cas, ErrorKind, KeyOptions, KeyType, MetadataUpdate, PutOptions, RotationPolicy,
    SecretValue, Version, VersionSelector,
};

use crate::CheckResult;
use crate::check::{ensure, ok, same_bytes, under};

/// Requires `result` to be a refusal of one of `kinds`.
fn refused<T>(
    step: &str,
    result: ironsecrets_core::Result<T>,
    kinds: &[ErrorKind],
) -> Result<(), String> {
    match result {
        Ok(_) => Err(format!(
            "{step}: succeeded although the capability is not declared"
        )),
        Err(e) if kinds.contains(&e.kind()) => Ok(()),
        Err(e) => Err(format!(
            "{step}: expected {kinds:?} for an undeclared capability, got {}: {e}",
            e.kind()
        )),
    }
}

const UNSUPPORTED: &[ErrorKind] = &[ErrorKind::Unsupported];
const CANNOT_HOLD: &[ErrorKind] = &[ErrorKind::Unsupported, ErrorKind::InvalidInput];

/// The refusals that need nothing stored (or work on `path` as it is): versions (a
/// version other than `latest`), check-and-set, `max_versions`, undelete and destroy.
async fn refuses_version_and_cas_operations(
    b: &Backend,
    path: &str,
    latest: &Version,
) -> Result<(), String> {
    let declared = b.capabilities().store;
    let store = b.store();
    if !declared.versions {
        // Another version than the newest (which a backend without versions may still
        // name, as Vault KV v1's `current` does).
        let other = Version::from(if *latest == Version::from(1) { 2 } else { 1 });
        refused(
            "get of an older version",
            store.get(path, VersionSelector::Version(other)).await,
            UNSUPPORTED,
        )?;
    }
    if !declared.check_and_set {
        let options = PutOptions {
            cas: Some(Cas::CurrentVersion(latest.clone())),
            ..PutOptions::default()
        };
        refused(
            "put with check-and-set",
            store.put(path, "v2".into(), options).await,
            UNSUPPORTED,
        )?;
    }
    if !declared.max_versions {
        let update = MetadataUpdate {
            max_versions: Some(2),
            ..MetadataUpdate::default()
        };
        refused(
            "update_metadata with max_versions",
            store.update_metadata(path, update).await,
            UNSUPPORTED,
        )?;
    }
    if !declared.undelete {
        refused("undelete", store.undelete(path, &[]).await, UNSUPPORTED)?;
    }
    if !declared.destroy {
        let versions = std::slice::from_ref(latest);
        refused("destroy", store.destroy(path, versions).await, UNSUPPORTED)?;
    }
    Ok(())
}

/// Every store operation whose capability is `false` is refused, and the secret it was
/// tried on still reads as written. A hard delete (no `soft_delete`) removes the path
/// from `list`.
pub async fn undeclared_store_operations_are_refused(b: &Backend, prefix: &str) -> CheckResult {
    let declared = b.capabilities().store;
    let store = b.store();
    let path = under(prefix, "declared");
    let written = ok(
        "put",
        store.put(&path, "v1".into(), PutOptions::default()).await,
    )?;
    refuses_version_and_cas_operations(b, &path, &written.version).await?;
    if !declared.metadata {
        refused("metadata", store.metadata(&path).await, UNSUPPORTED)?;
    }
    if !declared.tags {
        let update = MetadataUpdate {
            tags: Some([("owner".to_owned(), "checks".to_owned())].into()),
            rotation: Some(Some(RotationPolicy::days(30, 7))),
            max_versions: None,
        };
        refused(
            "update_metadata with tags",
            store.update_metadata(&path, update).await,
            UNSUPPORTED,
        )?;
    }
    for (step, undeclared, value) in [
        ("put of an empty value", !declared.empty_values, Vec::new()),
        (
            "put of a binary value",
            !declared.binary_values,
            vec![0xff, 0x00],
        ),
    ] {
        if undeclared {
            let other = under(prefix, "value");
            let value = SecretValue::new(value);
            refused(
                step,
                store.put(&other, value, PutOptions::default()).await,
                CANNOT_HOLD,
            )?;
        }
    }
    let read = ok(
        "get after the refused operations",
        store.get(&path, VersionSelector::Latest).await,
    )?;
    same_bytes(
        "get after the refused operations",
        read.value.expose(),
        b"v1",
    )?;
    if !declared.soft_delete {
        ok("delete", store.delete(&path, &[]).await)?;
        let listed = ok("list after a hard delete", store.list(prefix).await)?;
        ensure!(
            !listed.contains(&path),
            "without soft_delete, a deleted path must leave list; it is still listed"
        );
    }
    Ok(())
}

/// For a backend tested without a server (its calls fail as Unavailable): every store
/// operation it does not declare, and every engine it lacks, is refused before any
/// request is sent. The other direction (a declared operation works) needs a server.
pub async fn undeclared_refused_before_any_request(b: &Backend, prefix: &str) -> CheckResult {
    let path = under(prefix, "offline");
    refuses_version_and_cas_operations(b, &path, &Version::from(1)).await?;
    undeclared_engines_are_unsupported(b, prefix).await
}

/// An engine the backend does not have is Unsupported, naming the backend.
pub async fn undeclared_engines_are_unsupported(b: &Backend, _prefix: &str) -> CheckResult {
    let declared = b.capabilities();
    let unsupported = |step: &str, kind: Option<ErrorKind>| -> Result<(), String> {
        ensure!(
            kind == Some(ErrorKind::Unsupported),
            "{step}: expected Unsupported for an engine the backend does not declare, got {kind:?}"
        );
        Ok(())
    };
    if declared.transit.is_none() {
        unsupported("transit", b.transit().err().map(|e| e.kind()))?;
    }
    if !declared.leases {
        unsupported("leases", b.leases().err().map(|e| e.kind()))?;
    }
    if !declared.dynamic_credentials {
        unsupported("credentials", b.credentials().err().map(|e| e.kind()))?;
    }
    Ok(())
}

/// Every transit feature the engine does not declare is refused: key types it does not
/// list, HMAC, minimum decryption versions, data keys and import.
pub async fn undeclared_transit_features_are_refused(b: &Backend, prefix: &str) -> CheckResult {
    let declared = b.capabilities().transit.unwrap_or_default();
    let t = ok("transit engine", b.transit())?.as_ref();
    let key = |suffix: &str| {
        format!(
            "{}-{suffix}",
            prefix.trim_end_matches('/').replace('/', "-")
        )
    };
    for key_type in KeyType::ALL.iter().filter(|k| !declared.creates(**k)) {
        let options = KeyOptions {
            key_type: *key_type,
            ..KeyOptions::default()
        };
        refused(
            &format!("create_key({key_type})"),
            t.create_key(&key(key_type.name()), options).await,
            UNSUPPORTED,
        )?;
    }
    let aes = key("aes");
    ok(
        "create_key(aes256-gcm96)",
        t.create_key(&aes, KeyOptions::default()).await,
    )?;
    if !declared.hmac {
        refused("hmac", t.hmac(&aes, b"data").await, CANNOT_HOLD)?;
    }
    if !declared.min_decryption_version {
        refused(
            "set_min_decryption_version",
            t.set_min_decryption_version(&aes, 1).await,
            UNSUPPORTED,
        )?;
    }
    if !declared.data_keys {
        refused(
            "generate_data_key",
            t.generate_data_key(&aes, 256).await,
            UNSUPPORTED,
        )?;
    }
    if !declared.import {
        let material = SecretValue::new(rand::random::<[u8; 32]>());
        refused(
            "import_key",
            t.import_key(&key("imported"), KeyType::Aes256Gcm96, material)
                .await,
            UNSUPPORTED,
        )?;
    }
    // The engine still works after the refusals.
    let ciphertext = ok("encrypt", t.encrypt(&aes, b"data", None).await)?;
    let plain = ok("decrypt", t.decrypt(&aes, &ciphertext, None).await)?;
    same_bytes("decrypt", plain.expose(), b"data")?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_listed_kinds_count_as_refusals() {
        let unsupported = ironsecrets_core::Error::unsupported_feature("x", "y");
        assert!(refused::<()>("s", Err(unsupported), UNSUPPORTED).is_ok());
        let found = ironsecrets_core::Error::not_found("gone");
        assert!(refused::<()>("s", Err(found), UNSUPPORTED).is_err());
        assert!(refused("s", Ok(()), CANNOT_HOLD).is_err());
    }
}
