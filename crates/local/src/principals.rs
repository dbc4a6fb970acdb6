//! The `principals` table: each principal's grant, MACed over name, role and prefixes, and
//! checked whenever it is read (every call reads its caller's).

use ironsecrets_core::{Error, Result};
use rusqlite::{Connection, OptionalExtension};

use crate::crypto::Key;
use crate::ctx::Ctx;
use crate::db::{db_error, scan};
use crate::mac::{Fields, RowMac, Tally};
use crate::rbac::Grant;

/// A row as stored: the role and the prefixes' JSON stay text, so the MAC covers exactly
/// the stored bytes.
struct Row {
    name: String,
    role: String,
    prefixes: String,
}

impl Row {
    fn of(grant: &Grant) -> Row {
        Row {
            name: grant.principal.clone(),
            role: grant.role.name().to_owned(),
            prefixes: serde_json::to_string(&grant.prefixes).expect("prefixes serialize"),
        }
    }

    fn read(row: &rusqlite::Row<'_>) -> rusqlite::Result<(Row, Option<Vec<u8>>)> {
        Ok((
            Row {
                name: row.get(0)?,
                role: row.get(1)?,
                prefixes: row.get(2)?,
            },
            row.get(3)?,
        ))
    }

    fn mac(&self, key: &Key) -> RowMac {
        Fields::new(key, "principal")
            .text(&self.name)
            .text(&self.role)
            .text(&self.prefixes)
            .finish()
    }

    /// The row's MAC if `stored` is it; Integrity naming the principal if not.
    fn checked(&self, stored: Option<&[u8]>, key: &Key) -> Result<RowMac> {
        let mac = self.mac(key);
        if mac.matches(stored) {
            Ok(mac)
        } else {
            Err(Error::integrity(format!(
                "the role of principal '{}' was edited (its MAC does not match)",
                self.name
            )))
        }
    }

    fn grant(self) -> Result<Grant> {
        Ok(Grant {
            role: self.role.parse()?,
            prefixes: serde_json::from_str(&self.prefixes)
                .map_err(|_| Error::integrity("a role's prefixes are damaged"))?,
            principal: self.name,
        })
    }
}

const SELECT: &str = "SELECT name, role, prefixes, mac FROM principals";

fn load_row(conn: &Connection, key: &Key, principal: &str) -> Result<Option<(Row, RowMac)>> {
    conn.prepare_cached(&format!("{SELECT} WHERE name = ?1"))
        .and_then(|mut stmt| stmt.query_row([principal], Row::read).optional())
        .map_err(db_error)?
        .map(|(row, stored)| {
            let mac = row.checked(stored.as_deref(), key)?;
            Ok((row, mac))
        })
        .transpose()
}

/// A principal's grant, checked against its MAC.
pub fn load(conn: &Connection, key: &Key, principal: &str) -> Result<Option<Grant>> {
    load_row(conn, key, principal)?
        .map(|(row, _)| row.grant())
        .transpose()
}

/// Writes (or replaces) a grant.
pub fn save(ctx: &Ctx<'_>, grant: &Grant) -> Result<()> {
    let old = load_row(ctx.conn, ctx.keys.meta_key(), &grant.principal)?;
    let row = Row::of(grant);
    let mac = row.mac(ctx.keys.meta_key());
    ctx.conn
        .execute(
            "INSERT INTO principals (name, role, prefixes, mac) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(name) DO UPDATE SET role = excluded.role,
                 prefixes = excluded.prefixes, mac = excluded.mac",
            (&row.name, &row.role, &row.prefixes, &mac.bytes()[..]),
        )
        .map_err(db_error)?;
    ctx.replaced(old.as_ref().map(|(_, mac)| mac), Some(&mac));
    Ok(())
}

/// Removes a principal's grant; NotFound if it has none.
pub fn revoke(ctx: &Ctx<'_>, principal: &str) -> Result<()> {
    let (_, mac) = load_row(ctx.conn, ctx.keys.meta_key(), principal)?
        .ok_or_else(|| Error::not_found(format!("principal '{principal}' has no role")))?;
    ctx.conn
        .execute("DELETE FROM principals WHERE name = ?1", [principal])
        .map_err(db_error)?;
    ctx.replaced(Some(&mac), None);
    Ok(())
}

/// All grants, by principal, each checked.
pub fn all(ctx: &Ctx<'_>) -> Result<Vec<Grant>> {
    let mut grants = Vec::new();
    scan(
        ctx.conn,
        &format!("{SELECT} ORDER BY name"),
        Row::read,
        |(row, stored)| {
            row.checked(stored.as_deref(), ctx.keys.meta_key())?;
            grants.push(row.grant()?);
            Ok(())
        },
    )?;
    Ok(grants)
}

/// Checks every row (open, audit verify).
pub fn verify_all(conn: &Connection, key: &Key) -> Result<Tally> {
    let mut tally = Tally::default();
    scan(conn, SELECT, Row::read, |(row, stored)| {
        tally.add(&row.checked(stored.as_deref(), key)?);
        Ok(())
    })?;
    Ok(tally)
}

/// MACs every row as it is (sealing a schema-1 store).
pub fn seal_all(conn: &Connection, key: &Key) -> Result<Tally> {
    let mut rows = Vec::new();
    scan(conn, SELECT, Row::read, |(row, _)| {
        rows.push(row);
        Ok(())
    })?;
    let mut tally = Tally::default();
    for row in rows {
        let mac = row.mac(key);
        conn.execute(
            "UPDATE principals SET mac = ?2 WHERE name = ?1",
            (&row.name, &mac.bytes()[..]),
        )
        .map_err(db_error)?;
        tally.add(&mac);
    }
    Ok(tally)
}
