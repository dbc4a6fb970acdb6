//! The `transit_keys` and `transit_key_versions` tables: key descriptions and sealed key
//! material, each row MACed and checked when read.
//!
//! A key row's MAC covers its latest version, so a dropped newest version row is
//! Integrity (versions run from 1 to latest), and so is a lowered
//! `min_decryption_version`. A version row's MAC covers a hash of its sealed material.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use ironsecrets_core::{Error, ErrorKind, KeyInfo, KeyOptions, KeyType, Result};
use rusqlite::{Connection, OptionalExtension, params};
use zeroize::Zeroizing;

use crate::crypto::Key;
use crate::ctx::Ctx;
use crate::db::{db_error, scan};
use crate::mac::{Fields, RowMac, Tally};

/// A `transit_keys` row as stored.
struct KeyRow {
    name: String,
    key_type: String,
    min_decryption_version: u32,
    exportable: bool,
    created_at: String,
    latest_version: u32,
}

/// A `transit_key_versions` row as stored: `sealed` is the data key id (4 bytes, big
/// endian) followed by the sealed material.
struct VersionRow {
    name: String,
    version: u32,
    created_at: String,
    sealed: Vec<u8>,
}

const KEY_SELECT: &str = "SELECT name, key_type, min_decryption_version, exportable, created_at,
    latest_version, mac FROM transit_keys";
const VERSION_SELECT: &str =
    "SELECT name, version, created_at, sealed, mac FROM transit_key_versions";

impl KeyRow {
    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<(KeyRow, Option<Vec<u8>>)> {
        Ok((
            KeyRow {
                name: row.get(0)?,
                key_type: row.get(1)?,
                min_decryption_version: row.get(2)?,
                exportable: row.get(3)?,
                created_at: row.get(4)?,
                latest_version: row.get::<_, Option<u32>>(5)?.unwrap_or_default(),
            },
            row.get(6)?,
        ))
    }

    fn mac(&self, key: &Key) -> RowMac {
        Fields::new(key, "transit key")
            .text(&self.name)
            .text(&self.key_type)
            .int(self.min_decryption_version.into())
            .int(self.exportable.into())
            .text(&self.created_at)
            .int(self.latest_version.into())
            .finish()
    }

    fn checked(&self, stored: Option<&[u8]>, key: &Key) -> Result<RowMac> {
        let mac = self.mac(key);
        if mac.matches(stored) {
            Ok(mac)
        } else {
            Err(Error::integrity(format!(
                "transit key '{}' was edited (its MAC does not match)",
                self.name
            )))
        }
    }

    fn save(&self, ctx: &Ctx<'_>, old: Option<&RowMac>) -> Result<()> {
        let mac = self.mac(ctx.keys.meta_key());
        ctx.conn
            .prepare_cached(
                "INSERT INTO transit_keys (name, key_type, min_decryption_version, exportable,
                     created_at, latest_version, mac)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT(name) DO UPDATE SET
                     min_decryption_version = excluded.min_decryption_version,
                     latest_version = excluded.latest_version, mac = excluded.mac",
            )
            .and_then(|mut stmt| {
                stmt.execute(params![
                    self.name,
                    self.key_type,
                    self.min_decryption_version,
                    self.exportable,
                    self.created_at,
                    self.latest_version,
                    &mac.bytes()[..]
                ])
            })
            .map_err(db_error)?;
        ctx.replaced(old, Some(&mac));
        Ok(())
    }

    fn info(&self) -> Result<KeyInfo> {
        Ok(KeyInfo {
            name: self.name.clone(),
            key_type: KeyType::parse(&self.key_type)?,
            latest_version: self.latest_version,
            min_decryption_version: self.min_decryption_version,
            created_at: DateTime::parse_from_rfc3339(&self.created_at)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| Error::integrity("a transit key's creation time is damaged"))?,
            exportable: self.exportable,
        })
    }
}

impl VersionRow {
    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<(VersionRow, Option<Vec<u8>>)> {
        Ok((
            VersionRow {
                name: row.get(0)?,
                version: row.get(1)?,
                created_at: row.get(2)?,
                sealed: row.get(3)?,
            },
            row.get(4)?,
        ))
    }

    fn mac(&self, key: &Key) -> RowMac {
        Fields::new(key, "transit key version")
            .text(&self.name)
            .int(self.version.into())
            .text(&self.created_at)
            .blob_hash(Some(&self.sealed))
            .finish()
    }

    fn checked(&self, stored: Option<&[u8]>, key: &Key, latest: u32) -> Result<RowMac> {
        if !(1..=latest).contains(&self.version) {
            return Err(Error::integrity(format!(
                "transit key '{}' has a row for version {}, beyond its latest version {latest}",
                self.name, self.version
            )));
        }
        let mac = self.mac(key);
        if mac.matches(stored) {
            Ok(mac)
        } else {
            Err(Error::integrity(format!(
                "version {} of transit key '{}' was edited (its MAC does not match)",
                self.version, self.name
            )))
        }
    }
}

fn material_context<'a>(name: &'a str, version: &'a [u8; 4]) -> [&'a [u8]; 3] {
    [b"transit", name.as_bytes(), version]
}

fn load(ctx: &Ctx<'_>, name: &str) -> Result<Option<(KeyRow, RowMac)>> {
    ctx.conn
        .prepare_cached(&format!("{KEY_SELECT} WHERE name = ?1"))
        .and_then(|mut stmt| stmt.query_row([name], KeyRow::read).optional())
        .map_err(db_error)?
        .map(|(row, stored)| {
            let mac = row.checked(stored.as_deref(), ctx.keys.meta_key())?;
            Ok((row, mac))
        })
        .transpose()
}

fn require(ctx: &Ctx<'_>, name: &str) -> Result<(KeyRow, RowMac)> {
    load(ctx, name)?.ok_or_else(|| Error::not_found(format!("no transit key named '{name}'")))
}

/// A key's description, checked.
pub fn read_info(ctx: &Ctx<'_>, name: &str) -> Result<KeyInfo> {
    require(ctx, name)?.0.info()
}

/// Writes a new key's row, with no versions yet; AlreadyExists if the name is taken.
pub fn insert(ctx: &Ctx<'_>, name: &str, options: &KeyOptions) -> Result<()> {
    if load(ctx, name)?.is_some() {
        return Err(Error::new(
            ErrorKind::AlreadyExists,
            format!("transit key '{name}' exists already"),
        ));
    }
    KeyRow {
        name: name.to_owned(),
        key_type: options.key_type.name().to_owned(),
        min_decryption_version: 1,
        exportable: options.exportable,
        created_at: Utc::now().to_rfc3339(),
        latest_version: 0,
    }
    .save(ctx, None)
}

/// Seals `material` as version `version` of the key, which must be the next one, and
/// makes it the latest.
pub fn add_version(ctx: &Ctx<'_>, name: &str, version: u32, material: &[u8]) -> Result<()> {
    let (mut key_row, old) = require(ctx, name)?;
    if version != key_row.latest_version + 1 {
        return Err(Error::unexpected(format!(
            "transit key '{name}' is at version {}; version {version} cannot come next",
            key_row.latest_version
        )));
    }
    let (key_id, sealed) = ctx
        .keys
        .seal(&material_context(name, &version.to_be_bytes()), material);
    let row = VersionRow {
        name: name.to_owned(),
        version,
        created_at: Utc::now().to_rfc3339(),
        sealed: [&key_id.to_be_bytes()[..], &sealed].concat(),
    };
    let mac = row.mac(ctx.keys.meta_key());
    ctx.conn
        .execute(
            "INSERT INTO transit_key_versions (name, version, created_at, sealed, mac)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                row.name,
                row.version,
                row.created_at,
                row.sealed,
                &mac.bytes()[..]
            ],
        )
        .map_err(db_error)?;
    ctx.replaced(None, Some(&mac));
    key_row.latest_version = version;
    key_row.save(ctx, Some(&old))
}

/// A version's material, checked and unsealed: InvalidInput for a version the key does
/// not have, Integrity for one it has whose row is missing or was edited.
pub fn material(ctx: &Ctx<'_>, name: &str, version: u32) -> Result<Zeroizing<Vec<u8>>> {
    let (key_row, _) = require(ctx, name)?;
    if !(1..=key_row.latest_version).contains(&version) {
        return Err(Error::invalid_input(format!(
            "key '{name}' has no version {version}"
        )));
    }
    let (row, stored) = ctx
        .conn
        .prepare_cached(&format!("{VERSION_SELECT} WHERE name = ?1 AND version = ?2"))
        .and_then(|mut stmt| stmt.query_row(params![name, version], VersionRow::read).optional())
        .map_err(db_error)?
        .ok_or_else(|| {
            Error::integrity(format!(
                "version {version} of transit key '{name}' is missing (the key's latest version is {})",
                key_row.latest_version
            ))
        })?;
    row.checked(
        stored.as_deref(),
        ctx.keys.meta_key(),
        key_row.latest_version,
    )?;
    if row.sealed.len() < 4 {
        return Err(Error::integrity("a transit key's material is damaged"));
    }
    let key_id = u32::from_be_bytes(row.sealed[..4].try_into().expect("4 bytes"));
    ctx.keys.open(
        key_id,
        &material_context(name, &version.to_be_bytes()),
        &row.sealed[4..],
    )
}

/// Sets the oldest version that may still decrypt or verify; InvalidInput outside
/// `1..=latest`.
pub fn set_min_decryption_version(ctx: &Ctx<'_>, name: &str, version: u32) -> Result<()> {
    let (mut row, old) = require(ctx, name)?;
    if version == 0 || version > row.latest_version {
        return Err(Error::invalid_input(format!(
            "min_decryption_version must be between 1 and {}",
            row.latest_version
        )));
    }
    row.min_decryption_version = version;
    row.save(ctx, Some(&old))
}

/// Every key's name, sorted; each row checked.
pub fn names(ctx: &Ctx<'_>) -> Result<Vec<String>> {
    let mut names = Vec::new();
    scan(
        ctx.conn,
        &format!("{KEY_SELECT} ORDER BY name"),
        KeyRow::read,
        |(row, stored)| {
            row.checked(stored.as_deref(), ctx.keys.meta_key())?;
            names.push(row.name);
            Ok(())
        },
    )?;
    Ok(names)
}

/// Checks every key and version row (open, audit verify): each MAC, and versions 1 to
/// latest present for every key.
pub fn verify_all(conn: &Connection, key: &Key) -> Result<Tally> {
    let mut tally = Tally::default();
    let mut keys = HashMap::new();
    scan(conn, KEY_SELECT, KeyRow::read, |(row, stored)| {
        tally.add(&row.checked(stored.as_deref(), key)?);
        keys.insert(row.name, (row.latest_version, 0u32));
        Ok(())
    })?;
    scan(conn, VERSION_SELECT, VersionRow::read, |(row, stored)| {
        let (latest, seen) = keys.get_mut(&row.name).ok_or_else(|| {
            Error::integrity(format!(
                "a row for version {} belongs to no transit key ('{}')",
                row.version, row.name
            ))
        })?;
        tally.add(&row.checked(stored.as_deref(), key, *latest)?);
        *seen += 1;
        Ok(())
    })?;
    if let Some((name, (latest, _))) = keys.iter().find(|(_, (latest, seen))| latest != seen) {
        return Err(Error::integrity(format!(
            "a version row of transit key '{name}' is missing (its latest version is {latest})"
        )));
    }
    Ok(tally)
}

/// Sets every key's latest version and MACs every row as it is (sealing a schema-1 store).
pub fn seal_all(conn: &Connection, key: &Key) -> Result<Tally> {
    conn.execute(
        "UPDATE transit_keys SET latest_version = (SELECT COALESCE(MAX(version), 0)
             FROM transit_key_versions v WHERE v.name = transit_keys.name)",
        [],
    )
    .map_err(db_error)?;
    let mut tally = Tally::default();
    let mut keys = Vec::new();
    scan(conn, KEY_SELECT, KeyRow::read, |(row, _)| {
        keys.push(row);
        Ok(())
    })?;
    for row in keys {
        let mac = row.mac(key);
        conn.execute(
            "UPDATE transit_keys SET mac = ?2 WHERE name = ?1",
            params![row.name, &mac.bytes()[..]],
        )
        .map_err(db_error)?;
        tally.add(&mac);
    }
    let mut versions = Vec::new();
    scan(conn, VERSION_SELECT, VersionRow::read, |(row, _)| {
        versions.push(row);
        Ok(())
    })?;
    for row in versions {
        let mac = row.mac(key);
        conn.execute(
            "UPDATE transit_key_versions SET mac = ?3 WHERE name = ?1 AND version = ?2",
            params![row.name, row.version, &mac.bytes()[..]],
        )
        .map_err(db_error)?;
        tally.add(&mac);
    }
    Ok(tally)
}
