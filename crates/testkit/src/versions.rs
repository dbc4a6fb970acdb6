//! Versions: each put makes a new one, old ones stay readable, `max_versions` trims them.

use std::collections::BTreeSet;

use ironsecrets_core::{Backend, ErrorKind, MetadataUpdate, PutOptions, Version, VersionSelector};

use crate::CheckResult;
use crate::check::{ensure, fails_with, ok, same_bytes, under};

/// Writes each value as a new version of `path` and returns the versions, oldest first.
pub(crate) async fn put_all(
    b: &Backend,
    path: &str,
    values: &[&str],
) -> Result<Vec<Version>, String> {
    let mut versions = Vec::with_capacity(values.len());
    for value in values {
        let written = ok(
            "put",
            b.store()
                .put(path, (*value).into(), PutOptions::default())
                .await,
        )?;
        versions.push(written.version);
    }
    Ok(versions)
}

/// Reads `version` of `path` and compares it with `expected`.
pub(crate) async fn read_version(
    b: &Backend,
    path: &str,
    version: &Version,
    expected: &str,
) -> Result<(), String> {
    let step = format!("get version {version}");
    let secret = ok(
        &step,
        b.store()
            .get(path, VersionSelector::Version(version.clone()))
            .await,
    )?;
    same_bytes(&step, secret.value.expose(), expected.as_bytes())?;
    ensure!(
        secret.version == *version,
        "{step}: returned version {}",
        secret.version
    );
    Ok(())
}

/// Three puts give three distinct versions (increasing, where versions are numbers); each
/// reads back its own value by id; metadata lists exactly them, oldest first, with the
/// newest as `current_version`, which is also what `Latest` reads.
pub async fn versions_in_order(b: &Backend, prefix: &str) -> CheckResult {
    let path = under(prefix, "versioned");
    let values = ["first", "second", "third"];
    let written = put_all(b, &path, &values).await?;
    ensure!(
        written.iter().collect::<BTreeSet<_>>().len() == written.len(),
        "three puts returned versions {written:?}; they must differ"
    );
    if let Some(numbers) = written
        .iter()
        .map(Version::number)
        .collect::<Option<Vec<_>>>()
    {
        ensure!(
            numbers.windows(2).all(|w| w[0] < w[1]),
            "numbered versions must increase with each put; got {numbers:?}"
        );
    }
    for (version, value) in written.iter().zip(values) {
        read_version(b, &path, version, value).await?;
    }
    let latest = ok(
        "get Latest",
        b.store().get(&path, VersionSelector::Latest).await,
    )?;
    ensure!(
        latest.version == written[2],
        "get Latest returned version {}, expected {}",
        latest.version,
        written[2]
    );
    let meta = ok("metadata", b.store().metadata(&path).await)?;
    let listed: Vec<Version> = meta.versions.iter().map(|v| v.version.clone()).collect();
    ensure!(
        listed == written,
        "metadata lists versions {listed:?}, expected {written:?} oldest first"
    );
    ensure!(
        meta.current_version == written[2],
        "metadata current_version is {}, expected the newest, {}",
        meta.current_version,
        written[2]
    );
    Ok(())
}

/// With `max_versions = 2` set through `update_metadata`, the next put leaves only the two
/// newest versions: metadata lists them alone and older versions are NotFound.
pub async fn max_versions_trims(b: &Backend, prefix: &str) -> CheckResult {
    let path = under(prefix, "trimmed");
    let mut written = put_all(b, &path, &["v1", "v2", "v3"]).await?;
    let update = MetadataUpdate {
        max_versions: Some(2),
        ..MetadataUpdate::default()
    };
    let meta = ok(
        "update_metadata(max_versions = 2)",
        b.store().update_metadata(&path, update).await,
    )?;
    ensure!(
        meta.max_versions == Some(2),
        "update_metadata returned max_versions {:?}, expected Some(2)",
        meta.max_versions
    );
    written.extend(put_all(b, &path, &["v4"]).await?);
    let meta = ok("metadata", b.store().metadata(&path).await)?;
    let listed: Vec<Version> = meta.versions.iter().map(|v| v.version.clone()).collect();
    ensure!(
        listed == written[2..],
        "with max_versions = 2 metadata lists {listed:?}, expected {:?}",
        &written[2..]
    );
    for old in &written[..2] {
        fails_with(
            &format!("get trimmed version {old}"),
            b.store()
                .get(&path, VersionSelector::Version(old.clone()))
                .await,
            ErrorKind::NotFound,
        )?;
    }
    read_version(b, &path, &written[2], "v3").await?;
    read_version(b, &path, &written[3], "v4").await?;
    Ok(())
}
