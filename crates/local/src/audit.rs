//! The tamper-evident audit trail: one row per operation, written in the operation's own
//! transaction, each row's HMAC chained to the previous row's, and the newest row's MAC
//! sealed into the header so a cut-off tail is detected too. The header's own MAC covers
//! that head, which ties the rest of the file to the trail: an [`AuditAnchor`] kept
//! elsewhere then detects a rollback of the whole file.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use ironsecrets_core::{Error, Result};
use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::Sha256;

use crate::anchor::AuditAnchor;
use crate::crypto::Key;
use crate::db::db_error;
use crate::header::Header;
use crate::keyring::Keyring;

type HmacSha256 = Hmac<Sha256>;

/// One audit row.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    /// Position in the chain, from 1.
    pub seq: u64,
    /// When the operation ran.
    pub time: DateTime<Utc>,
    /// Who ran it.
    pub principal: String,
    /// What it was (`get`, `put`, ...).
    pub operation: String,
    /// The secret path or key name (never a value); empty for store-wide operations.
    pub path: String,
    /// `ok` or the error kind (`PermissionDenied`, `NotFound`, ...).
    pub result: String,
    /// The client address when known.
    pub client: Option<String>,
}

/// What an operation records; the row's time and sequence are added on append.
pub struct AuditRecord<'a> {
    pub principal: &'a str,
    pub operation: &'a str,
    pub path: &'a str,
    pub result: &'a str,
    pub client: Option<&'a str>,
}

fn row_mac(key: &Key, prev: &[u8], entry: &AuditEntry) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key.bytes()).expect("HMAC takes any key length");
    let time = entry.time.to_rfc3339();
    let fields: [&[u8]; 6] = [
        time.as_bytes(),
        entry.principal.as_bytes(),
        entry.operation.as_bytes(),
        entry.path.as_bytes(),
        entry.result.as_bytes(),
        entry.client.as_deref().unwrap_or("").as_bytes(),
    ];
    mac.update(prev);
    mac.update(&entry.seq.to_be_bytes());
    for field in fields {
        mac.update(&(field.len() as u32).to_be_bytes());
        mac.update(field);
    }
    mac.finalize().into_bytes().to_vec()
}

fn head_mac(key: &Key, seq: u64, last: &[u8]) -> Vec<u8> {
    let mut mac = HmacSha256::new_from_slice(key.bytes()).expect("HMAC takes any key length");
    mac.update(b"audit head");
    mac.update(&seq.to_be_bytes());
    mac.update(last);
    mac.finalize().into_bytes().to_vec()
}

fn newest(conn: &Connection) -> Result<Option<(u64, Vec<u8>)>> {
    conn.prepare_cached("SELECT seq, mac FROM audit ORDER BY seq DESC LIMIT 1")
        .and_then(|mut stmt| {
            stmt.query_row([], |row| Ok((row.get(0)?, row.get(1)?)))
                .optional()
        })
        .map_err(db_error)
}

/// Whether the sealed `head` names the newest row (or the trail is empty and has none).
fn head_fits(key: &Key, head: Option<&[u8]>, newest: Option<&(u64, Vec<u8>)>) -> bool {
    match newest {
        Some((seq, mac)) => head == Some(&head_mac(key, *seq, mac)[..]),
        None => head.is_none_or(<[u8]>::is_empty),
    }
}

/// Integrity unless the sealed head names the newest row (O(1): open checks it, so an
/// older header put back with older rows over a newer trail is refused).
pub fn check_head(conn: &Connection, key: &Key, head: Option<&[u8]>) -> Result<()> {
    if head_fits(key, head, newest(conn)?.as_ref()) {
        Ok(())
    } else {
        Err(Error::integrity(
            "the audit trail does not end at its sealed head: rows at the end were removed \
             or added, or an older header was put back",
        ))
    }
}

/// Appends one row chained to the newest one, moves the sealed head in `header` and
/// writes the header back (sealing it again when it was intact). When the head did not
/// name the newest row it stays where it was, so a cut trail is never sealed again.
pub fn append(
    conn: &Connection,
    keys: &Keyring,
    header: &mut Header,
    record: &AuditRecord<'_>,
) -> Result<()> {
    let key = keys.audit_key();
    let newest = newest(conn)?;
    let move_head = head_fits(key, header.audit_head.as_deref(), newest.as_ref());
    let (last_seq, prev) = newest.unwrap_or((0, Vec::new()));
    let entry = AuditEntry {
        seq: last_seq + 1,
        time: Utc::now(),
        principal: record.principal.to_owned(),
        operation: record.operation.to_owned(),
        path: record.path.to_owned(),
        result: record.result.to_owned(),
        client: record.client.map(str::to_owned),
    };
    let mac = row_mac(key, &prev, &entry);
    conn.prepare_cached(
        "INSERT INTO audit (seq, time, principal, operation, path, result, client, mac)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .and_then(|mut stmt| {
        stmt.execute(params![
            entry.seq,
            entry.time.to_rfc3339(),
            entry.principal,
            entry.operation,
            entry.path,
            entry.result,
            entry.client,
            mac
        ])
    })
    .map_err(db_error)?;
    if move_head {
        header.audit_head = Some(head_mac(key, entry.seq, &mac));
    }
    header.save(conn, keys.meta_key())
}

fn read_entries(conn: &Connection, sql: &str, limit: u64) -> Result<Vec<(AuditEntry, Vec<u8>)>> {
    let mut stmt = conn.prepare(sql).map_err(db_error)?;
    let rows = stmt
        .query_map([limit], |row| {
            let time: String = row.get(1)?;
            Ok((
                AuditEntry {
                    seq: row.get(0)?,
                    time: DateTime::parse_from_rfc3339(&time)
                        .map(|t| t.with_timezone(&Utc))
                        .unwrap_or(DateTime::<Utc>::MIN_UTC),
                    principal: row.get(2)?,
                    operation: row.get(3)?,
                    path: row.get(4)?,
                    result: row.get(5)?,
                    client: row.get(6)?,
                },
                row.get(7)?,
            ))
        })
        .map_err(db_error)?;
    rows.collect::<rusqlite::Result<_>>().map_err(db_error)
}

/// The newest `n` rows, oldest first.
pub fn tail(conn: &Connection, n: u64) -> Result<Vec<AuditEntry>> {
    let mut rows = read_entries(
        conn,
        "SELECT seq, time, principal, operation, path, result, client, mac
         FROM audit ORDER BY seq DESC LIMIT ?1",
        n,
    )?;
    rows.reverse();
    Ok(rows.into_iter().map(|(entry, _)| entry).collect())
}

/// Where the chain breaks: the first row that does not fit, and why.
pub struct Break {
    /// The row's sequence number.
    pub seq: u64,
    /// Why it does not fit.
    pub reason: String,
}

/// Walks the whole chain up to the sealed `head`; returns the rows checked and the first
/// row that does not fit.
pub fn verify(conn: &Connection, key: &Key, head: Option<&[u8]>) -> Result<(u64, Option<Break>)> {
    let rows = read_entries(
        conn,
        "SELECT seq, time, principal, operation, path, result, client, mac
         FROM audit ORDER BY seq LIMIT ?1",
        i64::MAX as u64,
    )?;
    let broken = |seq: u64, rows: u64, why: &str| {
        Ok((
            rows,
            Some(Break {
                seq,
                reason: why.to_owned(),
            }),
        ))
    };
    let mut prev = Vec::new();
    let mut expected_seq = 1;
    for (index, (entry, mac)) in rows.iter().enumerate() {
        let checked = index as u64 + 1;
        if entry.seq != expected_seq {
            return broken(
                expected_seq,
                checked,
                &format!(
                    "row {expected_seq} is missing (the next row is {})",
                    entry.seq
                ),
            );
        }
        if row_mac(key, &prev, entry) != *mac {
            return broken(entry.seq, checked, "the row was edited, moved or reordered");
        }
        prev.clone_from(mac);
        expected_seq += 1;
    }
    let head = head.unwrap_or_default();
    let last_seq = expected_seq - 1;
    let head_fits = if last_seq == 0 {
        head.is_empty()
    } else {
        head == head_mac(key, last_seq, &prev)
    };
    if !head_fits {
        return broken(
            last_seq + 1,
            last_seq,
            "rows at the end were removed (the sealed head does not match the last row)",
        );
    }
    Ok((last_seq, None))
}

/// The newest row as an anchor; Integrity if it does not match the sealed head.
pub fn anchor(conn: &Connection, key: &Key, head: Option<&[u8]>) -> Result<AuditAnchor> {
    check_head(conn, key, head)?;
    let (seq, mac) = newest(conn)?.ok_or_else(|| Error::integrity("the audit trail is empty"))?;
    AuditAnchor::new(seq, &mac)
}

/// Why the trail does not contain `anchor`'s row with its MAC, if it does not.
pub fn check_anchor(conn: &Connection, anchor: &AuditAnchor) -> Result<Option<String>> {
    let stored: Option<Vec<u8>> = conn
        .query_row(
            "SELECT mac FROM audit WHERE seq = ?1",
            [anchor.seq],
            |row| row.get(0),
        )
        .optional()
        .map_err(db_error)?;
    let newest = newest(conn)?.map_or(0, |(seq, _)| seq);
    Ok(match stored {
        Some(mac) if mac[..] == anchor.mac[..] => None,
        Some(_) => Some(format!(
            "audit row {} differs from the anchor: the store was rolled back and written again, or replaced",
            anchor.seq
        )),
        None => Some(format!(
            "audit row {} named by the anchor is missing (the trail ends at row {newest}): the store was rolled back to an older copy",
            anchor.seq
        )),
    })
}

/// Whether any row records `operation`.
pub fn recorded(conn: &Connection, operation: &str) -> Result<bool> {
    conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM audit WHERE operation = ?1)",
        [operation],
        |row| row.get(0),
    )
    .map_err(db_error)
}
