//! Round trips: what `put` stores, `get` returns byte for byte, with its path and version.

use ironsecrets_core::{Backend, PutOptions, SecretMap, SecretValue, VersionSelector};

use crate::CheckResult;
use crate::check::{ensure, folder, ok, same_bytes, under};

/// Writes `value` at `path`, reads it back, and compares the bytes, path and version.
pub(crate) async fn put_and_read_back(b: &Backend, path: &str, value: &[u8]) -> Result<(), String> {
    let store = b.store();
    let written = ok(
        "put",
        store
            .put(path, SecretValue::from(value), PutOptions::default())
            .await,
    )?;
    let secret = ok("get", store.get(path, VersionSelector::Latest).await)?;
    same_bytes("get after put", secret.value.expose(), value)?;
    ensure!(
        secret.path == path,
        "get returned path {:?}, expected {path:?}",
        secret.path
    );
    ensure!(
        secret.version == written.version,
        "get returned version {}, but put wrote version {}",
        secret.version,
        written.version
    );
    Ok(())
}

/// A short UTF-8 text value round-trips.
pub async fn round_trip_text(b: &Backend, prefix: &str) -> CheckResult {
    put_and_read_back(b, &under(prefix, "text"), b"correct horse battery staple").await?;
    Ok(())
}

/// An empty value is a value: it is stored and read back empty, not refused or lost.
pub async fn round_trip_empty(b: &Backend, prefix: &str) -> CheckResult {
    put_and_read_back(b, &under(prefix, "empty"), b"").await?;
    Ok(())
}

/// A binary value holding every byte value 0..=255 round-trips (not UTF-8).
pub async fn round_trip_binary(b: &Backend, prefix: &str) -> CheckResult {
    let bytes: Vec<u8> = (0..=255).collect();
    put_and_read_back(b, &under(prefix, "binary"), &bytes).await?;
    Ok(())
}

/// A 1 MiB text value round-trips without truncation; a backend with a documented
/// smaller limit ([`Capabilities::max_value_bytes`](ironsecrets_core::Capabilities))
/// round-trips a value of exactly that size instead.
pub async fn round_trip_large(b: &Backend, prefix: &str) -> CheckResult {
    let size = b
        .capabilities()
        .store
        .max_value_bytes
        .map_or(1usize << 20, |limit| limit.min(1 << 20));
    let bytes: Vec<u8> = (0..size)
        .map(|i| b'a' + ((i * 7 + i / 4096) % 26) as u8)
        .collect();
    put_and_read_back(b, &under(prefix, "large"), &bytes).await?;
    Ok(())
}

/// Unicode path segments and a unicode value round-trip, and `list` returns the path as
/// it was written.
pub async fn round_trip_unicode(b: &Backend, prefix: &str) -> CheckResult {
    let path = under(prefix, "ünïcode/ключ/秘密");
    put_and_read_back(b, &path, "pä55 — 秘密 🔑 ключ".as_bytes()).await?;
    let listed = ok("list", b.store().list(&folder(prefix)).await)?;
    ensure!(
        listed == [path.as_str()],
        "list returned {listed:?}, expected [{path:?}]"
    );
    Ok(())
}

/// A key/value secret written with [`SecretMap::to_value`] reads back, through
/// [`SecretMap::from_value`], as the same map.
pub async fn round_trip_map(b: &Backend, prefix: &str) -> CheckResult {
    let map: SecretMap = [
        ("username", "app"),
        ("password", "pä55 wörd \"quoted\" \\ slash"),
        ("ключ", "значение"),
        ("empty", ""),
    ]
    .into_iter()
    .collect();
    let path = under(prefix, "map");
    let store = b.store();
    let value = ok("SecretMap::to_value", map.to_value())?;
    ok("put", store.put(&path, value, PutOptions::default()).await)?;
    let secret = ok("get", store.get(&path, VersionSelector::Latest).await)?;
    let back = ok(
        "SecretMap::from_value",
        SecretMap::from_value(&secret.value),
    )?;
    ensure!(
        back == map,
        "map differs (fields {:?} vs {:?} expected)",
        back.keys().collect::<Vec<_>>(),
        map.keys().collect::<Vec<_>>()
    );
    Ok(())
}
