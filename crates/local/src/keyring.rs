//! The store's keys: data keys wrapped by the Argon2id-derived master key, and the
//! audit-chain key derived from the first data key.

use std::collections::BTreeMap;

use hkdf::Hkdf;
use ironsecrets_core::{Error, Result, SecretValue};
use rusqlite::{Connection, OptionalExtension, params};
use sha2::Sha256;

use crate::KdfParams;
use crate::crypto::{self, Key, aad};
use crate::db::db_error;

/// Unlocked keys of one store, held in memory while it is open.
pub struct Keyring {
    store_id: [u8; 16],
    data_keys: BTreeMap<u32, Key>,
    audit_key: Key,
}

/// The parts of the header a store needs after unlocking.
pub struct Header {
    pub store_id: [u8; 16],
    pub kdf: KdfParams,
    pub salt: Vec<u8>,
    pub max_versions: u32,
}

fn wrap_aad(store_id: &[u8], id: u32) -> Vec<u8> {
    aad(&[b"data-key", store_id, &id.to_be_bytes()])
}

impl Keyring {
    /// Writes a new header and first data key into an empty store.
    pub fn create(
        conn: &Connection,
        master: &SecretValue,
        kdf: KdfParams,
        max_versions: u32,
    ) -> Result<Keyring> {
        let store_id: [u8; 16] = crypto::random_array();
        let salt: [u8; 16] = crypto::random_array();
        let kek = kdf.derive(master, &salt)?;
        let data_key = Key::random();
        conn.execute(
            "INSERT INTO header (id, store_id, kdf, salt, max_versions, created_at)
             VALUES (1, ?1, ?2, ?3, ?4, ?5)",
            params![
                &store_id[..],
                serde_json::to_string(&kdf).expect("KDF parameters serialize"),
                &salt[..],
                max_versions,
                chrono::Utc::now().to_rfc3339()
            ],
        )
        .map_err(db_error)?;
        conn.execute(
            "INSERT INTO data_keys (id, wrapped) VALUES (1, ?1)",
            [crypto::seal(
                &kek,
                &wrap_aad(&store_id, 1),
                data_key.bytes(),
            )],
        )
        .map_err(db_error)?;
        Ok(Keyring::from_keys(
            store_id,
            BTreeMap::from([(1, data_key)]),
        ))
    }

    /// Reads the header, if the store has one.
    pub fn header(conn: &Connection) -> Result<Option<Header>> {
        conn.query_row(
            "SELECT store_id, kdf, salt, max_versions FROM header WHERE id = 1",
            [],
            |row| {
                Ok((
                    row.get::<_, Vec<u8>>(0)?,
                    row.get::<_, String>(1)?,
                    row.get::<_, Vec<u8>>(2)?,
                    row.get::<_, u32>(3)?,
                ))
            },
        )
        .optional()
        .map_err(db_error)?
        .map(|(id, kdf, salt, max_versions)| {
            Ok(Header {
                store_id: id
                    .try_into()
                    .map_err(|_| Error::integrity("the store header is damaged (store id)"))?,
                kdf: serde_json::from_str(&kdf).map_err(|_| {
                    Error::integrity("the store header is damaged (KDF parameters)")
                })?,
                salt,
                max_versions,
            })
        })
        .transpose()
    }

    /// Unwraps the data keys with the master key; Integrity if the key is wrong.
    pub fn unlock(conn: &Connection, header: &Header, master: &SecretValue) -> Result<Keyring> {
        let kek = header.kdf.derive(master, &header.salt)?;
        let mut data_keys = BTreeMap::new();
        for (id, wrapped) in Self::wrapped_keys(conn)? {
            let bytes =
                crypto::open(&kek, &wrap_aad(&header.store_id, id), &wrapped).map_err(|_| {
                    Error::integrity(
                        "the master key is wrong for this store (it does not unwrap the data key)",
                    )
                })?;
            data_keys.insert(id, Key::from_slice(&bytes)?);
        }
        if data_keys.is_empty() {
            return Err(Error::integrity("the store has no data key; it is damaged"));
        }
        Ok(Keyring::from_keys(header.store_id, data_keys))
    }

    /// Re-wraps every data key under a new master key (values are not re-encrypted).
    pub fn rewrap(
        &self,
        conn: &Connection,
        new_master: &SecretValue,
        kdf: KdfParams,
    ) -> Result<()> {
        let salt: [u8; 16] = crypto::random_array();
        let kek = kdf.derive(new_master, &salt)?;
        for (id, key) in &self.data_keys {
            conn.execute(
                "UPDATE data_keys SET wrapped = ?1 WHERE id = ?2",
                params![
                    crypto::seal(&kek, &wrap_aad(&self.store_id, *id), key.bytes()),
                    id
                ],
            )
            .map_err(db_error)?;
        }
        conn.execute(
            "UPDATE header SET salt = ?1, kdf = ?2 WHERE id = 1",
            params![
                &salt[..],
                serde_json::to_string(&kdf).expect("KDF parameters serialize")
            ],
        )
        .map_err(db_error)?;
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
        let mut audit = [0u8; 32];
        Hkdf::<Sha256>::new(Some(&store_id), first.bytes())
            .expand(b"ironsecrets audit chain v1", &mut audit)
            .expect("32 bytes is a valid HKDF-SHA256 length");
        let audit_key = Key::from_slice(&audit).expect("32 bytes");
        zeroize::Zeroize::zeroize(&mut audit);
        Keyring {
            store_id,
            data_keys,
            audit_key,
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
