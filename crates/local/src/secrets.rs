//! Secret CRUD inside one transaction: versions, metadata, check-and-set, soft delete.
//!
//! Every row read is checked against its MAC before it is used, and every row written
//! gets a new MAC, with the change folded into the header's state digest. A secret's
//! versions are always the contiguous range `[first_version, current_version]` (trimming
//! deletes the oldest; delete and destroy keep the row), and that range is in the secret
//! row's MAC, so a version inside it with no row is Integrity. The secret row also carries
//! a random id made when the path is first written; version rows are MACed with it, so
//! rows of a purged secret do not fit a new secret at the same path.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use ironsecrets_core::{
    Cas, Error, ErrorKind, MetadataUpdate, PutOptions, Result, RotationPolicy, Secret,
    SecretMetadata, SecretValue, Version, VersionInfo, VersionSelector, VersionState,
};
use rusqlite::{Connection, OptionalExtension, params};

use crate::crypto::{self, Key};
use crate::ctx::Ctx;
use crate::db::{db_error, scan};
use crate::mac::{Fields, RowMac, Tally};

/// A row of the `secrets` table as stored: times and JSON stay text, so the MAC covers
/// exactly the stored bytes.
struct SecretRow {
    path: String,
    id: Vec<u8>,
    first_version: u64,
    current_version: u64,
    created_at: String,
    updated_at: String,
    max_versions: Option<u32>,
    tags: String,
    rotation: Option<String>,
}

/// A row of the `versions` table as stored.
struct VersionRow {
    version: u64,
    created_at: String,
    deleted_at: Option<String>,
    destroyed: bool,
    key_id: u32,
    sealed: Option<Vec<u8>>,
}

const SECRET_COLUMNS: &str = "path, secret_id, first_version, current_version, created_at, \
    updated_at, max_versions, tags, rotation, mac";
const VERSION_COLUMNS: &str = "version, created_at, deleted_at, destroyed, key_id, sealed, mac";

impl SecretRow {
    fn new(path: &str, stamp: &str) -> SecretRow {
        SecretRow {
            path: path.to_owned(),
            id: crypto::random_array::<16>().to_vec(),
            first_version: 1,
            current_version: 0,
            created_at: stamp.to_owned(),
            updated_at: stamp.to_owned(),
            max_versions: None,
            tags: "{}".to_owned(),
            rotation: None,
        }
    }

    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<(SecretRow, Option<Vec<u8>>)> {
        Ok((
            SecretRow {
                path: row.get(0)?,
                id: row.get::<_, Option<Vec<u8>>>(1)?.unwrap_or_default(),
                first_version: row.get::<_, Option<u64>>(2)?.unwrap_or_default(),
                current_version: row.get(3)?,
                created_at: row.get(4)?,
                updated_at: row.get(5)?,
                max_versions: row.get(6)?,
                tags: row.get(7)?,
                rotation: row.get(8)?,
            },
            row.get(9)?,
        ))
    }

    fn mac(&self, key: &Key) -> RowMac {
        Fields::new(key, "secret")
            .text(&self.path)
            .bytes(&self.id)
            .int(self.first_version)
            .int(self.current_version)
            .text(&self.created_at)
            .text(&self.updated_at)
            .opt_int(self.max_versions.map(u64::from))
            .text(&self.tags)
            .opt_text(self.rotation.as_deref())
            .finish()
    }

    /// The row if `stored` is its MAC, with that MAC; Integrity naming the path if not.
    fn checked(self, stored: Option<Vec<u8>>, key: &Key) -> Result<(SecretRow, RowMac)> {
        let mac = self.mac(key);
        if !mac.matches(stored.as_deref()) {
            return Err(Error::integrity(
                "the secret's metadata row was edited (its MAC does not match)",
            )
            .with_path(&self.path));
        }
        Ok((self, mac))
    }

    /// Writes the row with a new MAC, replacing `old` in the state digest.
    fn save(&self, ctx: &Ctx<'_>, old: Option<&RowMac>) -> Result<()> {
        let mac = self.mac(ctx.keys.meta_key());
        ctx.conn
            .prepare_cached(
                "INSERT INTO secrets (path, secret_id, first_version, current_version, created_at,
                     updated_at, max_versions, tags, rotation, mac)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                 ON CONFLICT(path) DO UPDATE SET secret_id = excluded.secret_id,
                     first_version = excluded.first_version,
                     current_version = excluded.current_version,
                     created_at = excluded.created_at, updated_at = excluded.updated_at,
                     max_versions = excluded.max_versions, tags = excluded.tags,
                     rotation = excluded.rotation, mac = excluded.mac",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    self.path,
                    self.id,
                    self.first_version,
                    self.current_version,
                    self.created_at,
                    self.updated_at,
                    self.max_versions,
                    self.tags,
                    self.rotation,
                    &mac.bytes()[..]
                ])
            })
            .map_err(db_error)?;
        ctx.replaced(old, Some(&mac));
        Ok(())
    }

    /// The versions kept: every one has a row.
    fn kept(&self) -> std::ops::RangeInclusive<u64> {
        self.first_version..=self.current_version
    }

    fn kept_count(&self) -> u64 {
        (self.current_version + 1).saturating_sub(self.first_version)
    }

    fn tags(&self) -> Result<BTreeMap<String, String>> {
        serde_json::from_str(&self.tags).map_err(|_| damaged(&self.path, "tags"))
    }

    fn rotation(&self) -> Result<Option<RotationPolicy>> {
        self.rotation
            .as_deref()
            .map(serde_json::from_str)
            .transpose()
            .map_err(|_| damaged(&self.path, "rotation policy"))
    }
}

impl VersionRow {
    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<(VersionRow, Option<Vec<u8>>)> {
        VersionRow::read_at(row, 0)
    }

    /// Reads [`VERSION_COLUMNS`] starting at column `at`.
    fn read_at(
        row: &rusqlite::Row<'_>,
        at: usize,
    ) -> rusqlite::Result<(VersionRow, Option<Vec<u8>>)> {
        Ok((
            VersionRow {
                version: row.get(at)?,
                created_at: row.get(at + 1)?,
                deleted_at: row.get(at + 2)?,
                destroyed: row.get(at + 3)?,
                key_id: row.get(at + 4)?,
                sealed: row.get(at + 5)?,
            },
            row.get(at + 6)?,
        ))
    }

    fn mac(&self, key: &Key, secret: &SecretRow) -> RowMac {
        Fields::new(key, "version")
            .text(&secret.path)
            .bytes(&secret.id)
            .int(self.version)
            .text(&self.created_at)
            .opt_text(self.deleted_at.as_deref())
            .int(self.destroyed.into())
            .int(self.key_id.into())
            .blob_hash(self.sealed.as_deref())
            .finish()
    }

    /// The row's MAC if `stored` is it and the version lies in the kept range.
    fn checked(&self, stored: Option<&[u8]>, key: &Key, secret: &SecretRow) -> Result<RowMac> {
        if !secret.kept().contains(&self.version) {
            return Err(Error::integrity(format!(
                "a row for version {} lies outside the versions kept ({} to {})",
                self.version, secret.first_version, secret.current_version
            ))
            .with_path(&secret.path));
        }
        let mac = self.mac(key, secret);
        if !mac.matches(stored) {
            return Err(Error::integrity(format!(
                "the row of version {} was edited (its MAC does not match)",
                self.version
            ))
            .with_path(&secret.path));
        }
        Ok(mac)
    }

    /// Writes the row with a new MAC, replacing `old` in the state digest.
    fn save(&self, ctx: &Ctx<'_>, secret: &SecretRow, old: Option<&RowMac>) -> Result<()> {
        let mac = self.mac(ctx.keys.meta_key(), secret);
        ctx.conn
            .prepare_cached(
                "INSERT INTO versions (path, version, created_at, deleted_at, destroyed, key_id,
                     sealed, mac)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
                 ON CONFLICT(path, version) DO UPDATE SET deleted_at = excluded.deleted_at,
                     destroyed = excluded.destroyed, sealed = excluded.sealed, mac = excluded.mac",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    secret.path,
                    self.version,
                    self.created_at,
                    self.deleted_at,
                    self.destroyed,
                    self.key_id,
                    self.sealed,
                    &mac.bytes()[..]
                ])
            })
            .map_err(db_error)?;
        ctx.replaced(old, Some(&mac));
        Ok(())
    }

    fn info(&self, path: &str) -> Result<VersionInfo> {
        Ok(VersionInfo {
            version: Version::from(self.version),
            created_at: time(&self.created_at, path)?,
            state: if self.destroyed {
                VersionState::Destroyed
            } else if let Some(at) = &self.deleted_at {
                VersionState::Deleted {
                    at: time(at, path)?,
                }
            } else {
                VersionState::Active
            },
            stages: Vec::new(),
        })
    }
}

fn damaged(path: &str, what: &str) -> Error {
    Error::integrity(format!("the secret's {what} are damaged")).with_path(path)
}

fn time(text: &str, path: &str) -> Result<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| damaged(path, "timestamps"))
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

/// The secret row at `path`, checked, with its MAC.
fn load(ctx: &Ctx<'_>, path: &str) -> Result<Option<(SecretRow, RowMac)>> {
    ctx.conn
        .prepare_cached(&format!(
            "SELECT {SECRET_COLUMNS} FROM secrets WHERE path = ?1"
        ))
        .and_then(|mut stmt| stmt.query_row([path], SecretRow::read).optional())
        .map_err(db_error)?
        .map(|(row, stored)| row.checked(stored, ctx.keys.meta_key()))
        .transpose()
}

fn require(ctx: &Ctx<'_>, path: &str) -> Result<(SecretRow, RowMac)> {
    load(ctx, path)?.ok_or_else(|| not_found(path))
}

/// One version's row, checked: NotFound outside the kept range, Integrity when a version
/// inside it has no row or its row does not match its MAC.
fn version_row(ctx: &Ctx<'_>, secret: &SecretRow, number: u64) -> Result<(VersionRow, RowMac)> {
    if !secret.kept().contains(&number) {
        return Err(
            Error::not_found(format!("version {number} does not exist")).with_path(&secret.path)
        );
    }
    let (row, stored) = ctx
        .conn
        .prepare_cached(&format!(
            "SELECT {VERSION_COLUMNS} FROM versions WHERE path = ?1 AND version = ?2"
        ))
        .and_then(|mut stmt| {
            stmt.query_row(params![secret.path, number], VersionRow::read)
                .optional()
        })
        .map_err(db_error)?
        .ok_or_else(|| {
            Error::integrity(format!(
                "version {number} is within the versions kept but its row is missing"
            ))
            .with_path(&secret.path)
        })?;
    let mac = row.checked(stored.as_deref(), ctx.keys.meta_key(), secret)?;
    Ok((row, mac))
}

/// Every version row of a secret, oldest first, checked: exactly one per kept version.
fn versions(ctx: &Ctx<'_>, secret: &SecretRow) -> Result<Vec<(VersionRow, RowMac)>> {
    let mut stmt = ctx
        .conn
        .prepare_cached(&format!(
            "SELECT {VERSION_COLUMNS} FROM versions WHERE path = ?1 ORDER BY version"
        ))
        .map_err(db_error)?;
    let rows = stmt
        .query_map([&secret.path], VersionRow::read)
        .map_err(db_error)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db_error)?;
    let key = ctx.keys.meta_key();
    let mut rows = rows.into_iter();
    let mut out = Vec::new();
    for expected in secret.kept() {
        let missing = || {
            Error::integrity(format!(
                "version {expected} is within the versions kept but its row is missing"
            ))
            .with_path(&secret.path)
        };
        let (row, stored) = rows.next().ok_or_else(missing)?;
        let mac = row.checked(stored.as_deref(), key, secret)?;
        if row.version != expected {
            return Err(missing());
        }
        out.push((row, mac));
    }
    if let Some((row, stored)) = rows.next() {
        row.checked(stored.as_deref(), key, secret)?;
    }
    Ok(out)
}

fn version_number(selector: &VersionSelector, current: u64) -> Result<u64> {
    match selector {
        VersionSelector::Latest => Ok(current),
        VersionSelector::Version(v) => v.number().filter(|n| *n > 0).ok_or_else(|| {
            Error::invalid_input(format!(
                "'{v}' is not a version number; local versions are 1, 2, 3, ..."
            ))
        }),
        VersionSelector::Stage(_) => Err(Error::unsupported_feature("local", "get by stage")),
    }
}

/// Reads and decrypts one version.
pub fn get(ctx: &Ctx<'_>, path: &str, selector: &VersionSelector) -> Result<Secret> {
    let (secret, _) = require(ctx, path)?;
    let number = version_number(selector, secret.current_version)?;
    let (version, _) = version_row(ctx, &secret, number)?;
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
        .as_deref()
        .ok_or_else(|| Error::integrity(format!("version {number} has no stored value")))?;
    let plain = ctx
        .keys
        .open(
            version.key_id,
            &value_context(path, &number.to_be_bytes()),
            sealed,
        )
        .map_err(|e| e.with_path(path))?;
    Ok(Secret {
        path: path.to_owned(),
        version: Version::from(number),
        created_at: time(&version.created_at, path)?,
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
        check_cas(cas, existing.as_ref().map(|(row, _)| row))?;
    }
    let (created, stamp) = now();
    let (mut secret, old_mac) = match existing {
        Some((row, mac)) => (row, Some(mac)),
        None => (SecretRow::new(path, &stamp), None),
    };
    secret.current_version += 1;
    secret.updated_at.clone_from(&stamp);
    let number = secret.current_version;
    let (key_id, sealed) = ctx
        .keys
        .seal(&value_context(path, &number.to_be_bytes()), value.expose());
    apply_update(ctx, &mut secret, &options.metadata)?;
    secret.save(ctx, old_mac.as_ref())?;
    VersionRow {
        version: number,
        created_at: stamp,
        deleted_at: None,
        destroyed: false,
        key_id,
        sealed: Some(sealed),
    }
    .save(ctx, &secret, None)?;
    Ok(VersionInfo {
        version: Version::from(number),
        created_at: created,
        state: VersionState::Active,
        stages: Vec::new(),
    })
}

/// Applies a metadata change to `secret` (saved by the caller) and trims old versions.
fn apply_update(ctx: &Ctx<'_>, secret: &mut SecretRow, update: &MetadataUpdate) -> Result<()> {
    if update.max_versions == Some(0) {
        return Err(Error::invalid_input("max_versions must be at least 1"));
    }
    if let Some(tags) = &update.tags {
        secret.tags = serde_json::to_string(tags).expect("tags serialize");
    }
    if let Some(rotation) = &update.rotation {
        secret.rotation = rotation.map(|r| serde_json::to_string(&r).expect("policy serializes"));
    }
    if let Some(max) = update.max_versions {
        secret.max_versions = Some(max);
    }
    trim_versions(ctx, secret)
}

/// Deletes the oldest versions beyond the secret's limit and moves its first version.
fn trim_versions(ctx: &Ctx<'_>, secret: &mut SecretRow) -> Result<()> {
    let keep = u64::from(secret.max_versions.unwrap_or(ctx.default_max_versions));
    let first = secret
        .first_version
        .max((secret.current_version + 1).saturating_sub(keep));
    for number in secret.first_version..first {
        let (_, mac) = version_row(ctx, secret, number)?;
        ctx.conn
            .prepare_cached("DELETE FROM versions WHERE path = ?1 AND version = ?2")
            .and_then(|mut stmt| stmt.execute(params![secret.path, number]))
            .map_err(db_error)?;
        ctx.replaced(Some(&mac), None);
    }
    secret.first_version = first;
    Ok(())
}

/// The version numbers an operation applies to: the given ones, or the newest.
fn targets(secret: &SecretRow, given: &[Version]) -> Result<Vec<u64>> {
    if given.is_empty() {
        return Ok(vec![secret.current_version]);
    }
    given
        .iter()
        .map(|v| version_number(&VersionSelector::Version(v.clone()), secret.current_version))
        .collect()
}

/// Applies `change` to the given versions (the newest when none are given); every target
/// must exist before any is changed.
fn update_versions(
    ctx: &Ctx<'_>,
    path: &str,
    given: &[Version],
    change: impl Fn(&mut VersionRow, &str),
) -> Result<()> {
    let (secret, _) = require(ctx, path)?;
    let rows = targets(&secret, given)?
        .into_iter()
        .map(|n| version_row(ctx, &secret, n))
        .collect::<Result<Vec<_>>>()?;
    let (_, stamp) = now();
    for (mut row, mac) in rows {
        change(&mut row, &stamp);
        row.save(ctx, &secret, Some(&mac))?;
    }
    Ok(())
}

/// Soft-deletes versions (the newest when none are given).
pub fn delete(ctx: &Ctx<'_>, path: &str, given: &[Version]) -> Result<()> {
    update_versions(ctx, path, given, |row, stamp| {
        if row.deleted_at.is_none() {
            row.deleted_at = Some(stamp.to_owned());
        }
    })
}

/// Restores soft-deleted versions; destroyed ones stay destroyed.
pub fn undelete(ctx: &Ctx<'_>, path: &str, given: &[Version]) -> Result<()> {
    update_versions(ctx, path, given, |row, _| row.deleted_at = None)
}

/// Erases versions' ciphertexts for good.
pub fn destroy(ctx: &Ctx<'_>, path: &str, given: &[Version]) -> Result<()> {
    update_versions(ctx, path, given, |row, _| {
        row.destroyed = true;
        row.sealed = None;
    })
}

/// Removes a secret, its versions and metadata.
pub fn purge(ctx: &Ctx<'_>, path: &str) -> Result<()> {
    let (secret, mac) = require(ctx, path)?;
    for (_, version_mac) in versions(ctx, &secret)? {
        ctx.replaced(Some(&version_mac), None);
    }
    ctx.conn
        .execute("DELETE FROM versions WHERE path = ?1", [path])
        .and_then(|_| {
            ctx.conn
                .execute("DELETE FROM secrets WHERE path = ?1", [path])
        })
        .map_err(db_error)?;
    ctx.replaced(Some(&mac), None);
    Ok(())
}

/// Paths starting with `prefix` that the principal may see, sorted; each row checked.
pub fn list(ctx: &Ctx<'_>, prefix: &str) -> Result<Vec<String>> {
    let mut stmt = ctx
        .conn
        .prepare_cached(&format!(
            "SELECT {SECRET_COLUMNS} FROM secrets WHERE substr(path, 1, length(?1)) = ?1
             ORDER BY path"
        ))
        .map_err(db_error)?;
    let rows = stmt
        .query_map([prefix], SecretRow::read)
        .map_err(db_error)?
        .collect::<rusqlite::Result<Vec<_>>>()
        .map_err(db_error)?;
    rows.into_iter()
        .filter(|(row, _)| ctx.grant.covers(&row.path))
        .map(|(row, stored)| Ok(row.checked(stored, ctx.keys.meta_key())?.0.path))
        .collect()
}

/// Everything about a secret but its values.
pub fn metadata(ctx: &Ctx<'_>, path: &str) -> Result<SecretMetadata> {
    let (secret, _) = require(ctx, path)?;
    Ok(SecretMetadata {
        path: path.to_owned(),
        current_version: Version::from(secret.current_version),
        created_at: time(&secret.created_at, path)?,
        updated_at: time(&secret.updated_at, path)?,
        versions: versions(ctx, &secret)?
            .iter()
            .map(|(row, _)| row.info(path))
            .collect::<Result<_>>()?,
        max_versions: Some(secret.max_versions.unwrap_or(ctx.default_max_versions)),
        tags: secret.tags()?,
        rotation: secret.rotation()?,
    })
}

/// Applies a metadata change and returns the result.
pub fn update_metadata(
    ctx: &Ctx<'_>,
    path: &str,
    update: &MetadataUpdate,
) -> Result<SecretMetadata> {
    let (mut secret, mac) = require(ctx, path)?;
    apply_update(ctx, &mut secret, update)?;
    secret.save(ctx, Some(&mac))?;
    metadata(ctx, path)
}

/// Checks every secret and version row (open, audit verify): each MAC, each version in
/// its secret's kept range and each kept version present. Integrity names the first
/// problem.
pub fn verify_all(conn: &Connection, key: &Key) -> Result<Tally> {
    let mut tally = Tally::default();
    let mut secrets = HashMap::new();
    scan(
        conn,
        &format!("SELECT {SECRET_COLUMNS} FROM secrets"),
        SecretRow::read,
        |(row, stored)| {
            let (row, mac) = row.checked(stored, key)?;
            tally.add(&mac);
            secrets.insert(row.path.clone(), (row, 0u64));
            Ok(())
        },
    )?;
    scan(
        conn,
        &format!("SELECT path, {VERSION_COLUMNS} FROM versions"),
        |r| Ok((r.get::<_, String>(0)?, VersionRow::read_at(r, 1)?)),
        |(path, (row, stored))| {
            let (secret, seen) = secrets.get_mut(&path).ok_or_else(|| {
                Error::integrity(format!(
                    "a row for version {} belongs to no secret",
                    row.version
                ))
                .with_path(&path)
            })?;
            tally.add(&row.checked(stored.as_deref(), key, secret)?);
            *seen += 1;
            Ok(())
        },
    )?;
    for (secret, seen) in secrets.values() {
        if *seen != secret.kept_count() {
            return Err(Error::integrity(
                "a version row is missing (fewer rows than versions kept)",
            )
            .with_path(&secret.path));
        }
    }
    Ok(tally)
}

/// Gives every secret an id and its first kept version, and MACs every secret and version
/// row as it is (sealing a schema-1 store).
pub fn seal_all(conn: &Connection, key: &Key) -> Result<Tally> {
    let mut secrets = HashMap::new();
    scan(
        conn,
        "SELECT path, NULL, COALESCE((SELECT MIN(v.version) FROM versions v WHERE v.path = s.path),
             s.current_version), current_version, created_at, updated_at, max_versions, tags,
             rotation, NULL
         FROM secrets s",
        SecretRow::read,
        |(mut row, _)| {
            row.id = crypto::random_array::<16>().to_vec();
            secrets.insert(row.path.clone(), row);
            Ok(())
        },
    )?;
    let mut versions = Vec::new();
    scan(
        conn,
        &format!("SELECT path, {VERSION_COLUMNS} FROM versions"),
        |r| Ok((r.get::<_, String>(0)?, VersionRow::read_at(r, 1)?.0)),
        |row| {
            versions.push(row);
            Ok(())
        },
    )?;
    let mut tally = Tally::default();
    for secret in secrets.values() {
        let mac = secret.mac(key);
        conn.execute(
            "UPDATE secrets SET secret_id = ?2, first_version = ?3, mac = ?4 WHERE path = ?1",
            params![
                secret.path,
                secret.id,
                secret.first_version,
                &mac.bytes()[..]
            ],
        )
        .map_err(db_error)?;
        tally.add(&mac);
    }
    for (path, row) in versions {
        let Some(secret) = secrets.get(&path) else {
            continue;
        };
        let mac = row.mac(key, secret);
        conn.execute(
            "UPDATE versions SET mac = ?3 WHERE path = ?1 AND version = ?2",
            params![path, row.version, &mac.bytes()[..]],
        )
        .map_err(db_error)?;
        tally.add(&mac);
    }
    Ok(tally)
}
