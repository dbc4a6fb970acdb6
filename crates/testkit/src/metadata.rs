//! Metadata: tags and rotation policy round-trip, timestamps are ordered, missing is NotFound.

use std::collections::BTreeMap;

use ironsecrets_core::{
    Backend, ErrorKind, MetadataUpdate, PutOptions, RotationPolicy, SecretMetadata, VersionSelector,
};

use crate::CheckResult;
use crate::check::{ensure, fails_with, ok, under};
use crate::versions::put_all;

fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Requires `meta` to carry exactly these tags and this rotation policy.
fn carries(
    step: &str,
    meta: &SecretMetadata,
    tags: &BTreeMap<String, String>,
    rotation: Option<RotationPolicy>,
) -> Result<(), String> {
    ensure!(
        meta.tags == *tags,
        "{step}: tags are {:?}, expected {tags:?}",
        meta.tags
    );
    ensure!(
        meta.rotation == rotation,
        "{step}: rotation policy is {:?}, expected {rotation:?}",
        meta.rotation
    );
    Ok(())
}

/// Tags and a rotation policy given in `PutOptions::metadata` are in the metadata.
pub async fn metadata_on_put(b: &Backend, prefix: &str) -> CheckResult {
    let path = under(prefix, "tagged");
    let tags = tags(&[("owner", "team-a"), ("env", "prod"), ("note", "ünïcode")]);
    let policy = RotationPolicy::days(30, 7);
    let options = PutOptions {
        metadata: MetadataUpdate {
            tags: Some(tags.clone()),
            rotation: Some(Some(policy)),
            max_versions: None,
        },
        ..PutOptions::default()
    };
    ok(
        "put with metadata",
        b.store().put(&path, "value".into(), options).await,
    )?;
    let meta = ok("metadata", b.store().metadata(&path).await)?;
    carries("metadata after put", &meta, &tags, Some(policy))?;
    Ok(())
}

/// `update_metadata` sets tags and a rotation policy without writing a version, replaces
/// all tags on the next update, and `rotation: Some(None)` clears the policy.
pub async fn metadata_update(b: &Backend, prefix: &str) -> CheckResult {
    let path = under(prefix, "updated");
    let written = put_all(b, &path, &["value"]).await?;
    let store = b.store();
    let first_tags = tags(&[("owner", "team-a"), ("env", "prod")]);
    let policy = RotationPolicy::days(60, 10);
    let set = MetadataUpdate {
        tags: Some(first_tags.clone()),
        rotation: Some(Some(policy)),
        max_versions: None,
    };
    let returned = ok("update_metadata", store.update_metadata(&path, set).await)?;
    carries(
        "update_metadata's answer",
        &returned,
        &first_tags,
        Some(policy),
    )?;
    let meta = ok("metadata", store.metadata(&path).await)?;
    carries("metadata after update", &meta, &first_tags, Some(policy))?;
    ensure!(
        meta.current_version == written[0],
        "update_metadata changed current_version from {} to {}",
        written[0],
        meta.current_version
    );
    let second_tags = tags(&[("owner", "team-b")]);
    let replace = MetadataUpdate {
        tags: Some(second_tags.clone()),
        rotation: Some(None),
        max_versions: None,
    };
    ok(
        "update_metadata replacing tags and clearing rotation",
        store.update_metadata(&path, replace).await,
    )?;
    let meta = ok("metadata", store.metadata(&path).await)?;
    carries(
        "metadata after the second update",
        &meta,
        &second_tags,
        None,
    )?;
    Ok(())
}

/// `created_at <= updated_at`; a second put keeps `created_at` and does not move
/// `updated_at` back; versions' write times do not decrease; `path` is the secret's.
pub async fn metadata_timestamps(b: &Backend, prefix: &str) -> CheckResult {
    let path = under(prefix, "timed");
    let store = b.store();
    put_all(b, &path, &["one"]).await?;
    let first = ok("metadata", store.metadata(&path).await)?;
    put_all(b, &path, &["two"]).await?;
    let second = ok("metadata", store.metadata(&path).await)?;
    for meta in [&first, &second] {
        ensure!(
            meta.path == path,
            "metadata path is {:?}, expected {path:?}",
            meta.path
        );
        ensure!(
            meta.created_at <= meta.updated_at,
            "created_at {} is after updated_at {}",
            meta.created_at,
            meta.updated_at
        );
        ensure!(
            meta.versions
                .windows(2)
                .all(|w| w[0].created_at <= w[1].created_at),
            "versions' created_at decrease: {:?}",
            meta.versions
                .iter()
                .map(|v| v.created_at)
                .collect::<Vec<_>>()
        );
    }
    ensure!(
        second.created_at == first.created_at,
        "a second put moved created_at from {} to {}",
        first.created_at,
        second.created_at
    );
    ensure!(
        second.updated_at >= first.updated_at,
        "a second put moved updated_at back from {} to {}",
        first.updated_at,
        second.updated_at
    );
    Ok(())
}

/// `get` and `metadata` of a path never written are NotFound.
pub async fn missing_is_not_found(b: &Backend, prefix: &str) -> CheckResult {
    let path = under(prefix, "never-written");
    fails_with(
        "get of a missing path",
        b.store().get(&path, VersionSelector::Latest).await,
        ErrorKind::NotFound,
    )?;
    fails_with(
        "metadata of a missing path",
        b.store().metadata(&path).await,
        ErrorKind::NotFound,
    )?;
    Ok(())
}
