//! `LocalStore`: opening (which checks the whole sealed state), the per-call transaction
//! (header and caller's role checked, audit row, header sealed again), and the
//! `SecretStore` implementation.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use ironsecrets_core::{
    Error, ErrorKind, MetadataUpdate, Operation, PutOptions, Result, Secret, SecretMetadata,
    SecretStore, SecretValue, StoreCapabilities, Version, VersionInfo, VersionSelector,
    validate_path, validate_prefix,
};
use rusqlite::{Connection, TransactionBehavior};

use crate::anchor::AuditAnchor;
use crate::audit::{self, AuditEntry, AuditRecord};
use crate::ctx::Ctx;
use crate::db::db_error;
use crate::header::Header;
use crate::keyring::{Keyring, Wrapping};
use crate::options::master_key_from_env;
use crate::rbac::{Access, Grant, Role};
use crate::verify::{self, AuditReport};
use crate::{KdfParams, OpenOptions, principals, schema, secrets, state};

const BACKEND: &str = "local";

/// The connection and the `synchronous` mode it is in, so the pragma runs only when
/// an operation needs the other mode.
struct Db {
    conn: Connection,
    durable: Option<bool>,
}

struct Inner {
    db: Mutex<Db>,
    keys: Keyring,
    principal: String,
    client: Option<String>,
    default_max_versions: u32,
    file: PathBuf,
}

/// The embedded store. Cheap to clone; clones share one connection.
#[derive(Clone)]
pub struct LocalStore {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for LocalStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LocalStore")
            .field("file", &self.inner.file)
            .field("principal", &self.inner.principal)
            .finish_non_exhaustive()
    }
}

/// Makes sure the store file exists as `options` allow, and says whether this call
/// created it. A new file is created owner-only (mode 0600) and atomically (`O_EXCL`): an
/// existing file is never replaced, and with `create_new` it is AlreadyExists. A missing
/// file without `create` is a Config error pointing at `ironsecrets init`.
fn prepare_file(file: &Path, options: &OpenOptions) -> Result<bool> {
    if !options.create && !options.create_new {
        return match std::fs::metadata(file) {
            Ok(_) => Ok(false),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(Error::config(format!(
                "no store at {}; run `ironsecrets init` first",
                file.display()
            ))),
            Err(e) => Err(Error::config(format!(
                "cannot read the store file {}: {e}",
                file.display()
            ))),
        };
    }
    let mut new_file = std::fs::OpenOptions::new();
    new_file.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut new_file, 0o600);
    match new_file.open(file) {
        Ok(_) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && !options.create_new => Ok(false),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(Error::new(
            ErrorKind::AlreadyExists,
            format!(
                "a store already exists at {}; nothing was changed",
                file.display()
            ),
        )),
        Err(e) => Err(Error::config(format!(
            "cannot create the store file {}: {e}",
            file.display()
        ))),
    }
}

/// Removes a store file this process created and could not initialise, with SQLite's
/// side files.
fn remove_new_file(file: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut name = file.as_os_str().to_owned();
        name.push(suffix);
        let _ = std::fs::remove_file(name);
    }
}

fn connect(file: &Path, options: &OpenOptions) -> Result<Connection> {
    // Never SQLITE_OPEN_CREATE: `prepare_file` decided whether the file may be new, and
    // a file removed since then must not come back empty.
    let flags = rusqlite::OpenFlags::SQLITE_OPEN_READ_WRITE
        | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX
        | rusqlite::OpenFlags::SQLITE_OPEN_URI;
    let conn = Connection::open_with_flags(file, flags).map_err(|e| {
        Error::config(format!(
            "cannot open the store file {}: {e}",
            file.display()
        ))
    })?;
    conn.busy_timeout(options.busy_timeout).map_err(db_error)?;
    conn.pragma_update(None, "journal_mode", "WAL")
        .map_err(db_error)?;
    conn.pragma_update(None, "foreign_keys", "ON")
        .map_err(db_error)?;
    Ok(conn)
}

/// Unlocks an existing store and checks its header and whole state (O(rows)); a
/// schema-1 store is sealed instead, in the same transaction.
fn unlock(
    tx: &Connection,
    header: &mut Header,
    master: &SecretValue,
    options: &OpenOptions,
) -> Result<Keyring> {
    let (keys, wrapping) = Keyring::unlock(tx, header, master)?;
    match wrapping {
        Wrapping::Sealed => {
            header.check(keys.meta_key());
            state::require_intact(tx, &keys, header)?;
        }
        Wrapping::Legacy => state::migrate(
            tx,
            &keys,
            header,
            &options.principal,
            options.client.as_deref(),
        )?,
    }
    Ok(keys)
}

/// Writes a new store: header, data key, the creating principal as Admin, the `init` row.
fn create(tx: &Connection, master: &SecretValue, options: &OpenOptions) -> Result<Keyring> {
    let (keys, header) = Keyring::create(tx, master, options.kdf, options.max_versions)?;
    let header = RefCell::new(header);
    let grant = Grant {
        principal: options.principal.clone(),
        role: Role::Admin,
        prefixes: Vec::new(),
    };
    principals::save(
        &Ctx {
            conn: tx,
            keys: &keys,
            grant: &grant,
            default_max_versions: options.max_versions,
            header: &header,
        },
        &grant,
    )?;
    audit::append(
        tx,
        &keys,
        &mut header.borrow_mut(),
        &AuditRecord {
            principal: &options.principal,
            operation: Operation::Init.name(),
            path: "",
            result: "ok",
            client: options.client.as_deref(),
        },
    )?;
    Ok(keys)
}

/// Opens or creates the store file and unlocks it (Argon2id runs here). A file this
/// call created is removed again if the store cannot be initialised in it.
fn open_blocking(file: PathBuf, master: SecretValue, options: OpenOptions) -> Result<LocalStore> {
    if master.is_empty() {
        return Err(Error::config("the master key is empty"));
    }
    let created = prepare_file(&file, &options)?;
    let opened = unlock_or_create(file.clone(), &master, options, created);
    if opened.is_err() && created {
        remove_new_file(&file);
    }
    opened
}

fn unlock_or_create(
    file: PathBuf,
    master: &SecretValue,
    options: OpenOptions,
    created: bool,
) -> Result<LocalStore> {
    let mut conn = connect(&file, &options)?;
    schema::migrate(&mut conn)?;
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(db_error)?;
    let (keys, max_versions) = match Header::load(&tx)? {
        Some(mut header) => (
            unlock(&tx, &mut header, master, &options)?,
            header.max_versions,
        ),
        None if created || options.create => (create(&tx, master, &options)?, options.max_versions),
        None => {
            return Err(Error::config(format!(
                "{} is not an ironsecrets store",
                file.display()
            )));
        }
    };
    tx.commit().map_err(db_error)?;
    Ok(LocalStore {
        inner: Arc::new(Inner {
            db: Mutex::new(Db {
                conn,
                durable: None,
            }),
            keys,
            principal: options.principal,
            client: options.client,
            default_max_versions: max_versions,
            file,
        }),
    })
}

impl LocalStore {
    /// Opens the store at `file` with `master`, creating it if `options.create` allows.
    /// A wrong master key is Integrity; an unreadable file is Config.
    pub async fn open(
        file: impl AsRef<Path>,
        master: &SecretValue,
        options: OpenOptions,
    ) -> Result<Self> {
        let file = file.as_ref().to_owned();
        let master = master.clone();
        tokio::task::spawn_blocking(move || open_blocking(file, master, options))
            .await
            .map_err(|e| Error::unexpected(format!("the open task failed: {e}")))?
            .map_err(|e| e.with_backend(BACKEND).with_operation(Operation::Open))
    }

    /// Opens with the master key from `IRONSECRETS_MASTER_KEY` and the principal from
    /// `IRONSECRETS_PRINCIPAL` (default `admin`).
    pub async fn open_from_env(file: impl AsRef<Path>) -> Result<Self> {
        let master = master_key_from_env()
            .map_err(|e| e.with_backend(BACKEND).with_operation(Operation::Open))?;
        Self::open(file, &master, OpenOptions::from_env()).await
    }

    /// The principal this handle acts as.
    pub fn principal(&self) -> &str {
        &self.inner.principal
    }

    /// The store file.
    pub fn file(&self) -> &Path {
        &self.inner.file
    }

    /// Runs `op` in one immediate transaction: loads and checks the header, checks the
    /// principal's row (its MAC) and role for `access` on `path`, runs the operation,
    /// writes the audit row, seals the header with the state the operation left, commits.
    /// A failed operation (a write on an edited header included) is rolled back and
    /// audited with its error kind. Writes are fsynced (`durable`);
    /// reads commit their audit row without waiting for the disk.
    pub(crate) async fn run<T, F>(
        &self,
        operation: Operation,
        path: &str,
        access: Access,
        durable: bool,
        op: F,
    ) -> Result<T>
    where
        T: Send + 'static,
        F: FnOnce(&Ctx<'_>) -> Result<T> + Send + 'static,
    {
        let inner = self.inner.clone();
        let owned_path = path.to_owned();
        tokio::task::spawn_blocking(move || {
            inner.transact(operation, &owned_path, access, durable, op)
        })
        .await
        .map_err(|e| Error::unexpected(format!("the {operation} task failed: {e}")))?
    }

    /// Gives `principal` a role (Admin only).
    pub async fn grant(&self, grant: Grant) -> Result<()> {
        let target = grant.principal.clone();
        self.run(Operation::Grant, &target, Access::Admin, true, move |ctx| {
            principals::save(ctx, &grant)
        })
        .await
    }

    /// Removes `principal`'s role (Admin only); it can do nothing afterwards.
    pub async fn revoke_grant(&self, principal: &str) -> Result<()> {
        let target = principal.to_owned();
        self.run(
            Operation::RevokeGrant,
            principal,
            Access::Admin,
            true,
            move |ctx| principals::revoke(ctx, &target),
        )
        .await
    }

    /// Every principal's role (Admin only).
    pub async fn grants(&self) -> Result<Vec<Grant>> {
        self.run(Operation::Grants, "", Access::Admin, false, principals::all)
            .await
    }

    /// The newest `n` audit rows, oldest first (Admin only).
    pub async fn audit_tail(&self, n: u64) -> Result<Vec<AuditEntry>> {
        self.run(Operation::AuditTail, "", Access::Admin, false, move |ctx| {
            audit::tail(ctx.conn, n)
        })
        .await
    }

    /// Checks the whole audit chain (the first edited, deleted or reordered row), the
    /// header and every metadata row against their MACs, and the state digest (a row
    /// removed or replaced by an older copy); the report names the check that failed
    /// (Admin only).
    pub async fn audit_verify(&self) -> Result<AuditReport> {
        self.run(Operation::AuditVerify, "", Access::Admin, false, |ctx| {
            verify::run(ctx, None)
        })
        .await
    }

    /// [`LocalStore::audit_verify`], and also that the trail still holds `anchor`'s row
    /// with its MAC: a copy of the whole file from before the anchor was taken is
    /// consistent in itself and passes every other check (Admin only).
    pub async fn audit_verify_anchored(&self, anchor: &AuditAnchor) -> Result<AuditReport> {
        let anchor = *anchor;
        self.run(
            Operation::AuditVerify,
            "",
            Access::Admin,
            false,
            move |ctx| verify::run(ctx, Some(&anchor)),
        )
        .await
    }

    /// The audit trail's newest row as an anchor, to keep outside the store and pass to
    /// [`LocalStore::audit_verify_anchored`] later (Admin only).
    pub async fn audit_anchor(&self) -> Result<AuditAnchor> {
        self.run(Operation::AuditAnchor, "", Access::Admin, false, |ctx| {
            audit::anchor(
                ctx.conn,
                ctx.keys.audit_key(),
                ctx.header.borrow().audit_head.as_deref(),
            )
        })
        .await
    }

    /// Re-wraps the data key under a new master key; values are not re-encrypted
    /// (Admin only). Other open handles keep working; new opens need the new key.
    pub async fn rotate_master_key(&self, new_master: &SecretValue, kdf: KdfParams) -> Result<()> {
        if new_master.is_empty() {
            return Err(Error::config("the new master key is empty"));
        }
        let new_master = new_master.clone();
        self.run(
            Operation::RotateMasterKey,
            "",
            Access::Admin,
            true,
            move |ctx| {
                ctx.keys
                    .rewrap(ctx.conn, &mut ctx.header.borrow_mut(), &new_master, kdf)
            },
        )
        .await
    }
}

impl Inner {
    fn transact<T>(
        &self,
        operation: Operation,
        path: &str,
        access: Access,
        durable: bool,
        op: impl FnOnce(&Ctx<'_>) -> Result<T>,
    ) -> Result<T> {
        let mut db = self
            .db
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if db.durable != Some(durable) {
            db.durable = None;
            db.conn
                .pragma_update(None, "synchronous", if durable { "FULL" } else { "NORMAL" })
                .map_err(db_error)?;
            db.durable = Some(durable);
        }
        let conn = &mut db.conn;
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_error)?;
        let header = RefCell::new(Header::load_checked(&tx, self.keys.meta_key())?);
        let outcome = principals::load(&tx, self.keys.meta_key(), &self.principal)
            .and_then(|grant| {
                grant.ok_or_else(|| {
                    Error::new(
                        ErrorKind::PermissionDenied,
                        format!("principal '{}' has no role in this store", self.principal),
                    )
                })
            })
            .and_then(|grant| {
                grant.allows(access, path)?;
                op(&Ctx {
                    conn: &tx,
                    keys: &self.keys,
                    grant: &grant,
                    default_max_versions: self.default_max_versions,
                    header: &header,
                })
            })
            .and_then(|value| {
                self.record(&tx, &mut header.into_inner(), operation, path, "ok")?;
                Ok(value)
            });
        match outcome {
            Ok(value) => {
                tx.commit().map_err(db_error)?;
                Ok(value)
            }
            Err(err) => {
                drop(tx);
                self.record_failure(conn, operation, path, &err);
                Err(err)
            }
        }
    }

    /// Appends the call's audit row and seals the header (with the state the call left).
    fn record(
        &self,
        conn: &Connection,
        header: &mut Header,
        operation: Operation,
        path: &str,
        result: &str,
    ) -> Result<()> {
        audit::append(
            conn,
            &self.keys,
            header,
            &AuditRecord {
                principal: &self.principal,
                operation: operation.name(),
                path,
                result,
                client: self.client.as_deref(),
            },
        )
    }

    /// Audits a failed operation in a transaction of its own; if even that fails the
    /// operation's own error is what the caller sees, and the audit failure is logged.
    fn record_failure(&self, conn: &mut Connection, operation: Operation, path: &str, err: &Error) {
        let written = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(db_error)
            .and_then(|tx| {
                let mut header = Header::load_checked(&tx, self.keys.meta_key())?;
                self.record(&tx, &mut header, operation, path, err.kind().name())?;
                tx.commit().map_err(db_error)
            });
        if let Err(audit_err) = written {
            tracing::warn!(operation = operation.name(), path, error = %audit_err, "could not audit a failed operation");
        }
    }
}

fn checked(path: &str) -> Result<()> {
    validate_path(path)
}

#[async_trait]
impl SecretStore for LocalStore {
    fn backend(&self) -> &'static str {
        BACKEND
    }

    fn capabilities(&self) -> StoreCapabilities {
        StoreCapabilities {
            versions: true,
            metadata: true,
            soft_delete: true,
            check_and_set: true,
            undelete: true,
            destroy: true,
            tags: true,
            max_versions: true,
            binary_values: true,
            empty_values: true,
            max_value_bytes: None,
        }
    }

    async fn get(&self, path: &str, version: VersionSelector) -> Result<Secret> {
        checked(path)?;
        let p = path.to_owned();
        self.run(Operation::Get, path, Access::ReadValue, false, move |ctx| {
            secrets::get(ctx, &p, &version)
        })
        .await
    }

    async fn put(
        &self,
        path: &str,
        value: SecretValue,
        options: PutOptions,
    ) -> Result<VersionInfo> {
        checked(path)?;
        let p = path.to_owned();
        self.run(Operation::Put, path, Access::Write, true, move |ctx| {
            secrets::put(ctx, &p, &value, &options)
        })
        .await
    }

    async fn delete(&self, path: &str, versions: &[Version]) -> Result<()> {
        checked(path)?;
        let (p, v) = (path.to_owned(), versions.to_vec());
        self.run(Operation::Delete, path, Access::Write, true, move |ctx| {
            secrets::delete(ctx, &p, &v)
        })
        .await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<String>> {
        validate_prefix(prefix)?;
        let p = prefix.to_owned();
        self.run(Operation::List, prefix, Access::List, false, move |ctx| {
            secrets::list(ctx, &p)
        })
        .await
    }

    async fn metadata(&self, path: &str) -> Result<SecretMetadata> {
        checked(path)?;
        let p = path.to_owned();
        self.run(
            Operation::Metadata,
            path,
            Access::ReadMetadata,
            false,
            move |ctx| secrets::metadata(ctx, &p),
        )
        .await
    }

    async fn update_metadata(&self, path: &str, update: MetadataUpdate) -> Result<SecretMetadata> {
        checked(path)?;
        let p = path.to_owned();
        self.run(
            Operation::UpdateMetadata,
            path,
            Access::Write,
            true,
            move |ctx| secrets::update_metadata(ctx, &p, &update),
        )
        .await
    }

    async fn purge(&self, path: &str) -> Result<()> {
        checked(path)?;
        let p = path.to_owned();
        self.run(Operation::Purge, path, Access::Write, true, move |ctx| {
            secrets::purge(ctx, &p)
        })
        .await
    }

    async fn undelete(&self, path: &str, versions: &[Version]) -> Result<()> {
        checked(path)?;
        let (p, v) = (path.to_owned(), versions.to_vec());
        self.run(Operation::Undelete, path, Access::Write, true, move |ctx| {
            secrets::undelete(ctx, &p, &v)
        })
        .await
    }

    async fn destroy(&self, path: &str, versions: &[Version]) -> Result<()> {
        checked(path)?;
        let (p, v) = (path.to_owned(), versions.to_vec());
        self.run(Operation::Destroy, path, Access::Write, true, move |ctx| {
            secrets::destroy(ctx, &p, &v)
        })
        .await
    }
}
