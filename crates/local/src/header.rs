//! The header row: store id, KDF parameters, salt, default `max_versions`, creation time,
//! the audit head, and the store-wide state (a write counter and the XOR digest of every
//! row MAC), all under one MAC.
//!
//! Every call loads and checks the header inside its transaction and seals it again when
//! it commits (its audit row moves the audit head). A header whose MAC does not match is
//! never sealed again, so an edit cannot be laundered: reads still run (they do not
//! depend on it, and `audit verify` must be able to report it), writes are refused.

use ironsecrets_core::{Error, Result};
use rusqlite::{Connection, OptionalExtension, params};

use crate::KdfParams;
use crate::crypto::{self, Key};
use crate::db::db_error;
use crate::mac::{Digest, Fields, RowMac};

/// The header as stored, with whether its MAC matched when it was loaded.
pub struct Header {
    /// The store's random id.
    pub store_id: [u8; 16],
    kdf: String,
    salt: Vec<u8>,
    /// Versions kept per secret unless a secret says otherwise.
    pub max_versions: u32,
    created_at: String,
    /// The sealed audit head (see `audit`).
    pub audit_head: Option<Vec<u8>>,
    writes: u64,
    digest: Digest,
    mac: Option<Vec<u8>>,
    intact: bool,
    dirty: bool,
}

impl Header {
    /// A header for a new store, trusted and not written yet.
    pub fn new(kdf: KdfParams, max_versions: u32) -> Header {
        Header {
            store_id: crypto::random_array(),
            kdf: serde_json::to_string(&kdf).expect("KDF parameters serialize"),
            salt: crypto::random_array::<16>().to_vec(),
            max_versions,
            created_at: chrono::Utc::now().to_rfc3339(),
            audit_head: None,
            writes: 0,
            digest: Digest::default(),
            mac: None,
            intact: true,
            dirty: true,
        }
    }

    /// Inserts a new store's header; it is sealed when the creating transaction commits.
    pub fn insert(&self, conn: &Connection) -> Result<()> {
        conn.execute(
            "INSERT INTO header (id, store_id, kdf, salt, max_versions, created_at)
             VALUES (1, ?1, ?2, ?3, ?4, ?5)",
            params![
                &self.store_id[..],
                self.kdf,
                self.salt,
                self.max_versions,
                self.created_at
            ],
        )
        .map_err(db_error)?;
        Ok(())
    }

    /// Reads the header, if the store has one; not trusted until [`Header::check`].
    pub fn load(conn: &Connection) -> Result<Option<Header>> {
        conn.prepare_cached(
            "SELECT store_id, kdf, salt, max_versions, created_at, audit_head, writes, digest, mac
             FROM header WHERE id = 1",
        )
        .and_then(|mut stmt| {
            stmt.query_row([], |row| {
                Ok((
                    row.get::<_, Vec<u8>>(0)?,
                    Header {
                        store_id: [0; 16],
                        kdf: row.get(1)?,
                        salt: row.get(2)?,
                        max_versions: row.get(3)?,
                        created_at: row.get(4)?,
                        audit_head: row.get(5)?,
                        writes: row.get(6)?,
                        digest: Digest::from_stored(row.get::<_, Option<Vec<u8>>>(7)?.as_deref()),
                        mac: row.get(8)?,
                        intact: false,
                        dirty: false,
                    },
                ))
            })
            .optional()
        })
        .map_err(db_error)?
        .map(|(id, header)| {
            Ok(Header {
                store_id: id
                    .try_into()
                    .map_err(|_| Error::integrity("the store header is damaged (store id)"))?,
                ..header
            })
        })
        .transpose()
    }

    /// Loads the header and checks its MAC; Integrity if the store has none.
    pub fn load_checked(conn: &Connection, key: &Key) -> Result<Header> {
        let mut header =
            Header::load(conn)?.ok_or_else(|| Error::integrity("the store header is missing"))?;
        header.check(key);
        Ok(header)
    }

    /// The KDF parameters the master key is stretched with.
    pub fn kdf(&self) -> Result<KdfParams> {
        serde_json::from_str(&self.kdf)
            .map_err(|_| Error::integrity("the store header is damaged (KDF parameters)"))
    }

    /// The salt the master key is stretched with.
    pub fn salt(&self) -> &[u8] {
        &self.salt
    }

    /// Write transactions sealed into the state so far.
    pub fn writes(&self) -> u64 {
        self.writes
    }

    /// The XOR digest of every row MAC, as sealed.
    pub fn digest(&self) -> &Digest {
        &self.digest
    }

    /// Checks the MAC and remembers the outcome ([`Header::is_intact`]).
    pub fn check(&mut self, key: &Key) {
        self.intact = self.compute_mac(key).matches(self.mac.as_deref());
    }

    /// Whether the MAC matched when the header was checked (or this process made it).
    pub fn is_intact(&self) -> bool {
        self.intact
    }

    /// Records that a row's MAC changed from `old` to `new` (`None`: no row).
    pub fn replaced(&mut self, old: Option<&RowMac>, new: Option<&RowMac>) {
        for mac in [old, new].into_iter().flatten() {
            self.digest.toggle(mac);
        }
        self.dirty = true;
    }

    /// Sets new KDF parameters and salt (master-key rotation).
    pub fn set_kdf(&mut self, kdf: KdfParams, salt: &[u8]) {
        self.kdf = serde_json::to_string(&kdf).expect("KDF parameters serialize");
        self.salt = salt.to_vec();
        self.dirty = true;
    }

    /// Trusts this header as it is and sets the digest from a full scan: only for sealing a
    /// schema-1 store, whose header had no MAC, once the master key has unlocked it.
    pub fn adopt(&mut self, digest: Digest) {
        self.digest = digest;
        self.intact = true;
        self.dirty = true;
    }

    /// Writes the header back. A call that changed rows counts one write; the MAC is
    /// recomputed only over a header that was intact, and a changed one that was not is
    /// refused (Integrity).
    pub fn save(&mut self, conn: &Connection, key: &Key) -> Result<()> {
        if self.dirty {
            if !self.intact {
                return Err(Error::integrity(
                    "the store header was edited (its MAC does not match); writes are refused",
                ));
            }
            self.writes += 1;
            self.dirty = false;
        }
        if self.intact {
            self.mac = Some(self.compute_mac(key).bytes().to_vec());
        }
        conn.prepare_cached(
            "UPDATE header SET kdf = ?1, salt = ?2, audit_head = ?3, writes = ?4, digest = ?5,
             mac = ?6 WHERE id = 1",
        )
        .and_then(|mut stmt| {
            stmt.execute(params![
                self.kdf,
                self.salt,
                self.audit_head,
                self.writes,
                &self.digest.bytes()[..],
                self.mac
            ])
        })
        .map_err(db_error)?;
        Ok(())
    }

    fn compute_mac(&self, key: &Key) -> RowMac {
        Fields::new(key, "header")
            .bytes(&self.store_id)
            .text(&self.kdf)
            .bytes(&self.salt)
            .int(self.max_versions.into())
            .text(&self.created_at)
            .opt_bytes(self.audit_head.as_deref())
            .int(self.writes)
            .bytes(self.digest.bytes())
            .finish()
    }
}
