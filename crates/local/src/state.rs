//! The store-wide state: a counter of write transactions and the XOR digest of every
//! metadata row's MAC (secrets, versions, principals, transit keys and their versions),
//! both sealed by the header's MAC.
//!
//! Each write folds `old MAC ^ new MAC` of every row it changes into the digest inside its
//! own IMMEDIATE transaction, so concurrent writers serialize on it and reads never write
//! it. A row MAC catches an edited row; the digest catches what a row MAC cannot: a row
//! deleted, or put back as an older copy of itself. Open and `audit verify` recompute it
//! from every row, which is O(rows).

use ironsecrets_core::{Error, ErrorKind, Result};
use rusqlite::Connection;

use crate::audit::{self, AuditRecord};
use crate::header::Header;
use crate::keyring::Keyring;
use crate::mac::Tally;
use crate::{principals, secrets, transit_keys};

/// The operation name of the audit row written when a schema-1 store is sealed.
const MIGRATE: &str = ironsecrets_core::Operation::Migrate.name();

/// What a full check of the state found.
pub struct StateReport {
    /// Metadata rows checked.
    pub rows: u64,
    /// Write transactions sealed into the state.
    pub writes: u64,
    /// The first problem, if any.
    pub problem: Option<String>,
}

fn scan_all(conn: &Connection, keys: &Keyring) -> Result<Tally> {
    let key = keys.meta_key();
    let mut tally = secrets::verify_all(conn, key)?;
    tally.merge(&principals::verify_all(conn, key)?);
    tally.merge(&transit_keys::verify_all(conn, key)?);
    Ok(tally)
}

/// Checks the header's MAC, every row's MAC and the digest; Integrity findings become
/// the report's problem, other errors are returned.
pub fn verify(conn: &Connection, keys: &Keyring, header: &Header) -> Result<StateReport> {
    let report = |rows, problem: Option<String>| StateReport {
        rows,
        writes: header.writes(),
        problem,
    };
    if !header.is_intact() {
        return Ok(report(
            0,
            Some("the store header was edited (its MAC does not match)".to_owned()),
        ));
    }
    let tally = match scan_all(conn, keys) {
        Ok(tally) => tally,
        Err(err) if err.kind() == ErrorKind::Integrity => {
            let problem = match err.path() {
                Some(path) => format!("secret '{path}': {}", err.message()),
                None => err.message().to_owned(),
            };
            return Ok(report(0, Some(problem)));
        }
        Err(err) => return Err(err),
    };
    let problem = (tally.digest != *header.digest()).then(|| {
        "the store state does not match its sealed digest: a row was removed or replaced \
         with an older copy"
            .to_owned()
    });
    Ok(report(tally.rows, problem))
}

/// Verifies the state on open, and that the audit trail ends at the sealed head;
/// Integrity naming the problem if there is one.
pub fn require_intact(conn: &Connection, keys: &Keyring, header: &Header) -> Result<()> {
    if let Some(problem) = verify(conn, keys, header)?.problem {
        return Err(Error::integrity(problem));
    }
    audit::check_head(conn, keys.audit_key(), header.audit_head.as_deref())
}

/// Seals a schema-1 store as it is, in the caller's transaction: MACs every row, sets the
/// digest, seals the header and audits it. Refused if the trail shows the store was
/// sealed before (its data keys were then wrapped the schema-1 way by someone else).
pub fn migrate(
    conn: &Connection,
    keys: &Keyring,
    header: &mut Header,
    principal: &str,
    client: Option<&str>,
) -> Result<()> {
    if audit::recorded(conn, MIGRATE)? {
        return Err(Error::integrity(
            "the store's data keys are wrapped the schema-1 way, but its audit trail shows it \
             was sealed before: the file was tampered with",
        ));
    }
    let key = keys.meta_key();
    let mut tally = secrets::seal_all(conn, key)?;
    tally.merge(&principals::seal_all(conn, key)?);
    tally.merge(&transit_keys::seal_all(conn, key)?);
    header.adopt(tally.digest);
    audit::append(
        conn,
        keys,
        header,
        &AuditRecord {
            principal,
            operation: MIGRATE,
            path: "",
            result: "ok",
            client,
        },
    )
}
