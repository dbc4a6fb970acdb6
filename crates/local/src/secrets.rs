//! Secret CRUD inside one transaction: versions, metadata, check-and-set, soft delete.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ironsecrets_core::{
    Cas, Error, ErrorKind, MetadataUpdate, PutOptions, Result, RotationPolicy, Secret,
    SecretMetadata, SecretValue, Version, VersionInfo, VersionSelector, VersionState,
};
use rusqlite::{OptionalExtension, params};

use crate::ctx::Ctx;
use crate::db::db_error;

/// A row of the `secrets` table.
struct SecretRow {
    current_version: u64,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    max_versions: Option<u32>,
    tags: BTreeMap<String, String>,
    rotation: Option<RotationPolicy>,
}

/// A row of the `versions` table.
struct VersionRow {
    version: u64,
    created_at: DateTime<Utc>,
    deleted_at: Option<DateTime<Utc>>,
    destroyed: bool,
    key_id: u32,
    sealed: Option<Vec<u8>>,
}

impl VersionRow {
    fn info(&self) -> VersionInfo {
        VersionInfo {
            version: Version::from(self.version),
            created_at: self.created_at,
            state: if self.destroyed {
                VersionState::Destroyed
            } else if let Some(at) = self.deleted_at {
                VersionState::Deleted { at }
            } else {
                VersionState::Active
            },
            stages: Vec::new(),
        }
    }
}

fn time(text: String) -> rusqlite::Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(&text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
        })
}

fn now() -> (DateTime<Utc>, String) {
    let now = Utc::now();
    (
        now,
        now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
    )
}

fn value_context<'a>(path: &'a str, version: &'a [u8; 8]) -> [&'a [u8]; 3] {
    [b"secret", path.as_bytes(), version]
}

fn not_found(path: &str) -> Error {
    Error::not_found("no secret at this path").with_path(path)
}

fn load(ctx: &Ctx<'_>, path: &str) -> Result<Option<SecretRow>> {
    ctx.conn
        .prepare_cached(
            "SELECT current_version, created_at, updated_at, max_versions, tags, rotation
             FROM secrets WHERE path = ?1",
        )
        .and_then(|mut stmt| {
            stmt.query_row([path], |row| {
                Ok(SecretRow {
                    current_version: row.get(0)?,
                    created_at: time(row.get(1)?)?,
                    updated_at: time(row.get(2)?)?,
                    max_versions: row.get(3)?,
                    tags: serde_json::from_str(&row.get::<_, String>(4)?).unwrap_or_default(),
                    rotation: row
                        .get::<_, Option<String>>(5)?
                        .and_then(|r| serde_json::from_str(&r).ok()),
                })
            })
            .optional()
        })
        .map_err(db_error)
}

fn require(ctx: &Ctx<'_>, path: &str) -> Result<SecretRow> {
    load(ctx, path)?.ok_or_else(|| not_found(path))
}

fn version_row(ctx: &Ctx<'_>, path: &str, version: u64) -> Result<Option<VersionRow>> {
    ctx.conn
        .prepare_cached(
            "SELECT version, created_at, deleted_at, destroyed, key_id, sealed
             FROM versions WHERE path = ?1 AND version = ?2",
        )
        .and_then(|mut stmt| {
            stmt.query_row(params![path, version], read_version)
                .optional()
        })
        .map_err(db_error)
}

fn read_version(row: &rusqlite::Row<'_>) -> rusqlite::Result<VersionRow> {
    Ok(VersionRow {
        version: row.get(0)?,
        created_at: time(row.get(1)?)?,
        deleted_at: row.get::<_, Option<String>>(2)?.map(time).transpose()?,
        destroyed: row.get(3)?,
        key_id: row.get(4)?,
        sealed: row.get(5)?,
    })
}

fn versions(ctx: &Ctx<'_>, path: &str) -> Result<Vec<VersionRow>> {
    let mut stmt = ctx
        .conn
        .prepare_cached(
            "SELECT version, created_at, deleted_at, destroyed, key_id, NULL
             FROM versions WHERE path = ?1 ORDER BY version",
        )
        .map_err(db_error)?;
    let rows = stmt.query_map([path], read_version).map_err(db_error)?;
    rows.collect::<rusqlite::Result<_>>().map_err(db_error)
}

fn version_number(selector: &VersionSelector, current: u64) -> Result<u64> {
    match selector {
        VersionSelector::Latest => Ok(current),
        VersionSelector::Version(v) => v.number().filter(|n| *n > 0).ok_or_else(|| {
            Error::invalid_input(format!(
                "'{v}' is not a version number; local versions are 1, 2, 3, ..."
            ))
        }),
        VersionSelector::Stage(_) => Err(Error::unsupported("local", "get by stage")),
    }
}

/// Reads and decrypts one version.
pub fn get(ctx: &Ctx<'_>, path: &str, selector: &VersionSelector) -> Result<Secret> {
    let row = require(ctx, path)?;
    let number = version_number(selector, row.current_version)?;
    let version = version_row(ctx, path, number)?.ok_or_else(|| {
        Error::not_found(format!("version {number} does not exist")).with_path(path)
    })?;
    if version.destroyed {
        return Err(Error::not_found(format!("version {number} was destroyed")).with_path(path));
    }
    if version.deleted_at.is_some() {
        return Err(Error::not_found(format!(
            "version {number} is deleted (undelete restores it)"
        ))
        .with_path(path));
    }
    let sealed = version
        .sealed
        .ok_or_else(|| Error::integrity(format!("version {number} has no stored value")))?;
    let plain = ctx
        .keys
        .open(
            version.key_id,
            &value_context(path, &number.to_be_bytes()),
            &sealed,
        )
        .map_err(|e| e.with_path(path))?;
    Ok(Secret {
        path: path.to_owned(),
        version: Version::from(number),
        created_at: version.created_at,
        value: SecretValue::new(plain.as_slice()),
    })
}

fn check_cas(cas: &Cas, existing: Option<&SecretRow>) -> Result<()> {
    let conflict = |why: String| Err(Error::new(ErrorKind::Conflict, why));
    match (cas, existing) {
        (Cas::MustNotExist, Some(row)) => conflict(format!(
            "check-and-set expected no secret, but version {} exists",
            row.current_version
        )),
        (Cas::CurrentVersion(v), None) => conflict(format!(
            "check-and-set expected version {v}, but the secret does not exist"
        )),
        (Cas::CurrentVersion(v), Some(row)) if v.number() != Some(row.current_version) => {
            conflict(format!(
                "check-and-set expected version {v}, but the current version is {}",
                row.current_version
            ))
        }
        _ => Ok(()),
    }
}

/// Writes a new version, applying CAS, metadata changes and the version limit.
pub fn put(
    ctx: &Ctx<'_>,
    path: &str,
    value: &SecretValue,
    options: &PutOptions,
) -> Result<VersionInfo> {
    let existing = load(ctx, path)?;
    if let Some(cas) = &options.cas {
        check_cas(cas, existing.as_ref())?;
    }
    let (created, stamp) = now();
    let number = existing.as_ref().map_or(1, |row| row.current_version + 1);
    let (key_id, sealed) = ctx
        .keys
        .seal(&value_context(path, &number.to_be_bytes()), value.expose());
    let write = || -> rusqlite::Result<()> {
        if existing.is_some() {
            ctx.conn
                .prepare_cached(
                    "UPDATE secrets SET current_version = ?2, updated_at = ?3 WHERE path = ?1",
                )?
                .execute(params![path, number, stamp])?;
        } else {
            ctx.conn
                .prepare_cached(
                    "INSERT INTO secrets (path, current_version, created_at, updated_at, tags)
                     VALUES (?1, ?2, ?3, ?3, '{}')",
                )?
                .execute(params![path, number, stamp])?;
        }
        ctx.conn
            .prepare_cached(
                "INSERT INTO versions (path, version, created_at, key_id, sealed) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![path, number, stamp, key_id, sealed])?;
        Ok(())
    };
    write().map_err(db_error)?;
    apply_update(ctx, path, &options.metadata)?;
    Ok(VersionInfo {
        version: Version::from(number),
        created_at: created,
        state: VersionState::Active,
        stages: Vec::new(),
    })
}

fn apply_update(ctx: &Ctx<'_>, path: &str, update: &MetadataUpdate) -> Result<()> {
    if let Some(tags) = &update.tags {
        ctx.conn
            .execute(
                "UPDATE secrets SET tags = ?2 WHERE path = ?1",
                params![path, serde_json::to_string(tags).expect("tags serialize")],
            )
            .map_err(db_error)?;
    }
    if let Some(rotation) = &update.rotation {
        let text = rotation.map(|r| serde_json::to_string(&r).expect("policy serializes"));
        ctx.conn
            .execute(
                "UPDATE secrets SET rotation = ?2 WHERE path = ?1",
                params![path, text],
            )
            .map_err(db_error)?;
    }
    if let Some(max) = update.max_versions {
        if max == 0 {
            return Err(Error::invalid_input("max_versions must be at least 1"));
        }
        ctx.conn
            .execute(
                "UPDATE secrets SET max_versions = ?2 WHERE path = ?1",
                params![path, max],
            )
            .map_err(db_error)?;
    }
    trim_versions(ctx, path)
}

fn trim_versions(ctx: &Ctx<'_>, path: &str) -> Result<()> {
    ctx.conn
        .prepare_cached(
            "DELETE FROM versions WHERE path = ?1 AND version <= (
                SELECT s.current_version - COALESCE(s.max_versions, ?2) FROM secrets s WHERE s.path = ?1)",
        )
        .and_then(|mut stmt| stmt.execute(params![path, ctx.default_max_versions]))
        .map_err(db_error)?;
    Ok(())
}

/// The version numbers an operation applies to: the given ones, or the newest.
fn targets(ctx: &Ctx<'_>, path: &str, given: &[Version]) -> Result<Vec<u64>> {
    let row = require(ctx, path)?;
    if given.is_empty() {
        return Ok(vec![row.current_version]);
    }
    given
        .iter()
        .map(|v| {
            let n = version_number(&VersionSelector::Version(v.clone()), row.current_version)?;
            match version_row(ctx, path, n)? {
                Some(_) => Ok(n),
                None => {
                    Err(Error::not_found(format!("version {n} does not exist")).with_path(path))
                }
            }
        })
        .collect()
}

fn update_versions(ctx: &Ctx<'_>, path: &str, given: &[Version], sql: &str) -> Result<()> {
    let (_, stamp) = now();
    for n in targets(ctx, path, given)? {
        ctx.conn
            .prepare_cached(sql)
            .and_then(|mut stmt| stmt.execute(params![path, n, stamp]))
            .map_err(db_error)?;
    }
    Ok(())
}

/// Soft-deletes versions (the newest when none are given).
pub fn delete(ctx: &Ctx<'_>, path: &str, given: &[Version]) -> Result<()> {
    update_versions(
        ctx,
        path,
        given,
        "UPDATE versions SET deleted_at = ?3 WHERE path = ?1 AND version = ?2 AND deleted_at IS NULL",
    )
}

/// Restores soft-deleted versions; destroyed ones stay destroyed.
pub fn undelete(ctx: &Ctx<'_>, path: &str, given: &[Version]) -> Result<()> {
    update_versions(
        ctx,
        path,
        given,
        "UPDATE versions SET deleted_at = NULL WHERE path = ?1 AND version = ?2 AND ?3 IS NOT NULL",
    )
}

/// Erases versions' ciphertexts for good.
pub fn destroy(ctx: &Ctx<'_>, path: &str, given: &[Version]) -> Result<()> {
    update_versions(
        ctx,
        path,
        given,
        "UPDATE versions SET destroyed = 1, sealed = NULL WHERE path = ?1 AND version = ?2 AND ?3 IS NOT NULL",
    )
}

/// Removes a secret, its versions and metadata.
pub fn purge(ctx: &Ctx<'_>, path: &str) -> Result<()> {
    require(ctx, path)?;
    ctx.conn
        .execute("DELETE FROM versions WHERE path = ?1", [path])
        .and_then(|_| {
            ctx.conn
                .execute("DELETE FROM secrets WHERE path = ?1", [path])
        })
        .map_err(db_error)?;
    Ok(())
}

/// Paths starting with `prefix` that the principal may see, sorted.
pub fn list(ctx: &Ctx<'_>, prefix: &str) -> Result<Vec<String>> {
    let mut stmt = ctx
        .conn
        .prepare_cached(
            "SELECT path FROM secrets WHERE substr(path, 1, length(?1)) = ?1 ORDER BY path",
        )
        .map_err(db_error)?;
    let paths = stmt
        .query_map([prefix], |row| row.get::<_, String>(0))
        .map_err(db_error)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db_error)?;
    Ok(paths.into_iter().filter(|p| ctx.grant.covers(p)).collect())
}

/// Everything about a secret but its values.
pub fn metadata(ctx: &Ctx<'_>, path: &str) -> Result<SecretMetadata> {
    let row = require(ctx, path)?;
    Ok(SecretMetadata {
        path: path.to_owned(),
        current_version: Version::from(row.current_version),
        created_at: row.created_at,
        updated_at: row.updated_at,
        versions: versions(ctx, path)?.iter().map(VersionRow::info).collect(),
        max_versions: Some(row.max_versions.unwrap_or(ctx.default_max_versions)),
        tags: row.tags,
        rotation: row.rotation,
    })
}

/// Applies a metadata change and returns the result.
pub fn update_metadata(
    ctx: &Ctx<'_>,
    path: &str,
    update: &MetadataUpdate,
) -> Result<SecretMetadata> {
    require(ctx, path)?;
    apply_update(ctx, path, update)?;
    metadata(ctx, path)
}
