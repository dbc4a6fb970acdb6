//! The store's keys: data keys wrapped by the Argon2id-derived master key, and the
//! audit-chain and metadata keys derived from the first data key.
//!
//! Schema-2 stores wrap data keys with the label `data-key v2` in the associated data,
//! schema-1 stores with `data-key`. Only the master key can turn one into the other, so
//! the wrapping tells a store whose metadata has never been sealed (schema 1: sealed on
//! this open) from one whose seals were stripped (Integrity, never sealed again).

use std::collections::BTreeMap;

use hkdf::Hkdf;
use ironsecrets_core::{Error, Result, SecretValue};
use rusqlite::{Connection, params};
use sha2::Sha256;

use crate::KdfParams;
use crate::crypto::{self, Key, aad};
use crate::db::db_error;
use crate::header::Header;

/// Unlocked keys of one store, held in memory while it is open.
pub struct Keyring {
    store_id: [u8; 16],
    data_keys: BTreeMap<u32, Key>,
    audit_key: Key,
    meta_key: Key,
}

/// How a store's data keys were wrapped when it was unlocked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wrapping {
    /// Schema 2: the metadata is sealed.
    Sealed,
    /// Schema 1: re-wrapped the schema-2 way in the caller's transaction; the metadata
    /// still has to be sealed in it.
    Legacy,
}

fn wrap_aad(store_id: &[u8], id: u32) -> Vec<u8> {
    aad(&[b"data-key v2", store_id, &id.to_be_bytes()])
}

fn legacy_wrap_aad(store_id: &[u8], id: u32) -> Vec<u8> {
    aad(&[b"data-key", store_id, &id.to_be_bytes()])
}

fn derive(store_id: &[u8; 16], first: &Key, label: &[u8]) -> Key {
    let mut out = zeroize::Zeroizing::new([0u8; 32]);
    Hkdf::<Sha256>::new(Some(store_id), first.bytes())
        .expand(label, out.as_mut())
        .expect("32 bytes is a valid HKDF-SHA256 length");
    Key::from_slice(out.as_ref()).expect("32 bytes")
}

impl Keyring {
    /// Writes a new header (sealed when the creating transaction commits) and the first
    /// data key into an empty store.
    pub fn create(
        conn: &Connection,
        master: &SecretValue,
        kdf: KdfParams,
        max_versions: u32,
    ) -> Result<(Keyring, Header)> {
        let header = Header::new(kdf, max_versions);
        let kek = kdf.derive(master, header.salt())?;
        header.insert(conn)?;
        let keys = Keyring::from_keys(header.store_id, BTreeMap::from([(1, Key::random())]));
        keys.wrap_all(conn, &kek)?;
        Ok((keys, header))
    }

    /// Unwraps the data keys with the master key; Integrity if the key is wrong.
    pub fn unlock(
        conn: &Connection,
        header: &Header,
        master: &SecretValue,
    ) -> Result<(Keyring, Wrapping)> {
        let kek = header.kdf()?.derive(master, header.salt())?;
        let wrapped = Self::wrapped_keys(conn)?;
        if wrapped.is_empty() {
            return Err(Error::integrity("the store has no data key; it is damaged"));
        }
        let unwrap_all = |label: fn(&[u8], u32) -> Vec<u8>| -> Option<BTreeMap<u32, Key>> {
            wrapped
                .iter()
                .map(|(id, blob)| {
                    let bytes = crypto::open(&kek, &label(&header.store_id, *id), blob).ok()?;
                    Some((*id, Key::from_slice(&bytes).ok()?))
                })
                .collect()
        };
        if let Some(data_keys) = unwrap_all(wrap_aad) {
            return Ok((
                Keyring::from_keys(header.store_id, data_keys),
                Wrapping::Sealed,
            ));
        }
        let data_keys = unwrap_all(legacy_wrap_aad).ok_or_else(|| {
            Error::integrity(
                "the master key is wrong for this store (it does not unwrap the data key)",
            )
        })?;
        let keys = Keyring::from_keys(header.store_id, data_keys);
        keys.wrap_all(conn, &kek)?;
        Ok((keys, Wrapping::Legacy))
    }

    /// Re-wraps every data key under a new master key (values are not re-encrypted) and
    /// puts the new KDF parameters and salt into `header`.
    pub fn rewrap(
        &self,
        conn: &Connection,
        header: &mut Header,
        new_master: &SecretValue,
        kdf: KdfParams,
    ) -> Result<()> {
        let salt: [u8; 16] = crypto::random_array();
        let kek = kdf.derive(new_master, &salt)?;
        self.wrap_all(conn, &kek)?;
        header.set_kdf(kdf, &salt);
        Ok(())
    }

    fn wrap_all(&self, conn: &Connection, kek: &Key) -> Result<()> {
        for (id, key) in &self.data_keys {
            conn.execute(
                "INSERT INTO data_keys (id, wrapped) VALUES (?1, ?2)
                 ON CONFLICT(id) DO UPDATE SET wrapped = excluded.wrapped",
                params![
                    id,
                    crypto::seal(kek, &wrap_aad(&self.store_id, *id), key.bytes())
                ],
            )
            .map_err(db_error)?;
        }
        Ok(())
    }

    fn wrapped_keys(conn: &Connection) -> Result<Vec<(u32, Vec<u8>)>> {
        let mut stmt = conn
            .prepare("SELECT id, wrapped FROM data_keys ORDER BY id")
            .map_err(db_error)?;
        let rows = stmt
            .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
            .map_err(db_error)?;
        rows.collect::<rusqlite::Result<_>>().map_err(db_error)
    }

    fn from_keys(store_id: [u8; 16], data_keys: BTreeMap<u32, Key>) -> Keyring {
        let first = data_keys.values().next().expect("at least one data key");
        Keyring {
            store_id,
            audit_key: derive(&store_id, first, b"ironsecrets audit chain v1"),
            meta_key: derive(&store_id, first, b"ironsecrets metadata v1"),
            data_keys,
        }
    }

    /// The data key new values are sealed with, and its id.
    pub fn current(&self) -> (u32, &Key) {
        let (id, key) = self
            .data_keys
            .last_key_value()
            .expect("at least one data key");
        (*id, key)
    }

    /// A data key by id; Integrity if the store does not have it.
    pub fn data_key(&self, id: u32) -> Result<&Key> {
        self.data_keys
            .get(&id)
            .ok_or_else(|| Error::integrity(format!("a value refers to unknown data key {id}")))
    }

    /// The key that chains audit rows.
    pub fn audit_key(&self) -> &Key {
        &self.audit_key
    }

    /// The key that MACs metadata rows and the header.
    pub fn meta_key(&self) -> &Key {
        &self.meta_key
    }

    /// Seals a value with the current data key, bound to `context`.
    pub fn seal(&self, context: &[&[u8]], plaintext: &[u8]) -> (u32, Vec<u8>) {
        let (id, key) = self.current();
        (id, crypto::seal(key, &self.bind(id, context), plaintext))
    }

    /// Opens a value sealed by [`Keyring::seal`] with the same context.
    pub fn open(
        &self,
        key_id: u32,
        context: &[&[u8]],
        sealed: &[u8],
    ) -> Result<zeroize::Zeroizing<Vec<u8>>> {
        crypto::open(self.data_key(key_id)?, &self.bind(key_id, context), sealed)
    }

    fn bind(&self, key_id: u32, context: &[&[u8]]) -> Vec<u8> {
        let id = key_id.to_be_bytes();
        let mut parts: Vec<&[u8]> = vec![&self.store_id, &id];
        parts.extend_from_slice(context);
        aad(&parts)
    }
}
