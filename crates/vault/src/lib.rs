//! The HashiCorp Vault / OpenBao backend of ironsecrets, on [`vaultrs`]: KV v2 and KV v1
//! mounts as [`SecretStore`](ironsecrets_core::SecretStore)s, and `sys/health`.
//!
//! ```no_run
//! # async fn demo() -> ironsecrets_core::Result<()> {
//! use ironsecrets_core::{PutOptions, SecretStore, VersionSelector};
//!
//! // VAULT_ADDR, VAULT_TOKEN (or ~/.vault-token), VAULT_CACERT, ... as the Vault CLI reads them.
//! let backend = ironsecrets_vault::open(ironsecrets_vault::VaultConfig::from_env()?).await?;
//! let store = backend.store();
//! store.put("app/db/password", "hunter2".into(), PutOptions::default()).await?;
//! let secret = store.get("app/db/password", VersionSelector::Latest).await?;
//! assert_eq!(secret.value.expose(), b"hunter2");
//! # Ok(()) }
//! ```
//!
//! # Opening
//! - `vault://host:port?mount=secret&kv=2&namespace=ns` — https unless `tls=false`, port
//!   8200 by default; the token comes from the `token` option, `VAULT_TOKEN` or
//!   `~/.vault-token`, never from the URI; `login=approle` (and the other methods) logs
//!   in at open. Every option: [`VaultOptions`].
//! - [`VaultConfig::from_env`]: the Vault CLI's variables (`VAULT_ADDR`, `VAULT_TOKEN`,
//!   `VAULT_NAMESPACE`, `VAULT_CACERT`, `VAULT_CAPATH`, `VAULT_CLIENT_CERT`,
//!   `VAULT_CLIENT_KEY`, `VAULT_SKIP_VERIFY`, `VAULT_TLS_SERVER_NAME`).
//! - Plain http is refused for any host that is not loopback unless `allow_http` is set;
//!   a client certificate needs its key; `VAULT_SKIP_VERIFY` accepts only `true`/`1` and
//!   `false`/`0`. TLS is rustls; with a CA given, only that CA is trusted.
//!
//! # How values are stored
//! A [`SecretValue`](ironsecrets_core::SecretValue) is bytes; a KV entry is a map of
//! fields. The mapping, chosen so other Vault clients see ordinary fields:
//!
//! | the value written | the KV entry |
//! |---|---|
//! | UTF-8 text, e.g. `hunter2` | `{"value": "hunter2"}` |
//! | other bytes | `{"value": "<base64>", "encoding": "base64"}` |
//! | a [`SecretMap`](ironsecrets_core::SecretMap) (`to_value()`: compact JSON of strings, keys sorted) | the map itself: `{"username": "app", "password": "..."}` |
//!
//! Reading turns an entry whose only field is a string `value` into that text, one with
//! `value` and `encoding: "base64"` into those bytes, and any other entry (e.g. written by
//! `vault kv put path user=app port=5432`) into its compact JSON with sorted keys, which
//! `SecretMap::from_value` reads. Text that merely looks like JSON but is not in that exact
//! form, and a map whose only keys are `value` (and `encoding`), are stored as text, so
//! every value reads back byte for byte.
//!
//! # Metadata (KV v2)
//! Tags and the rotation policy live in the secret's `custom_metadata`, readable and
//! editable by any Vault client: each tag is a plain key (`owner = "team-a"`), the
//! policy is `ironsecrets.rotation-period` and `ironsecrets.rotation-remind-before`, in
//! whole seconds (`"2592000"`), as every backend writes them
//! ([`ironsecrets_core::metadata_keys`]). Keys starting with `ironsecrets.` are
//! reserved: a tag may not use the prefix. `max_versions` is Vault's own setting (`None`
//! when the mount default applies).
//!
//! # KV v2 operations
//! `get` by version, `put` with check-and-set (`MustNotExist` is `cas=0`,
//! `CurrentVersion(v)` is `cas=v`; Vault's refusal is Conflict), `list` recursive over
//! `LIST .../metadata/` with full sorted paths, `metadata` (deleted versions are Deleted
//! with their time, destroyed ones Destroyed), `update_metadata`, `delete` (soft; the
//! newest version by default), `undelete`, `destroy`, and `purge` (delete the metadata:
//! every version, for good). Calls on a path that does not exist are NotFound.
//! [`Kv2Store::patch`] (Vault-specific) merges fields into a map secret as a new version
//! ([`KvPatch`]: set and remove fields, optional check-and-set).
//!
//! # KV v1
//! One value per path, nothing else: `get`, `put`, `list`, `delete` and `purge` (both
//! remove the value for good). Versions, check-and-set, metadata, tags, undelete and
//! destroy are Unsupported and [`Capabilities`](ironsecrets_core::Capabilities) says so.
//! A read reports version `"current"` and `created_at` the Unix epoch, since KV v1 keeps
//! no times; `metadata` of an existing path is Unsupported, of a missing one NotFound.
//!
//! # Transit
//! [`VaultTransit`] is the backend's [`Transit`](ironsecrets_core::Transit) engine, on the
//! mount `transit_mount` names (URI parameter `transit`, default `transit`): keys of types
//! aes256-gcm96, chacha20-poly1305, ed25519, ecdsa-p256 and rsa-2048, a `context` as
//! Vault's `associated_data`, batches, export and BYOK import. How the trait maps onto
//! Vault's API is in [`VaultTransit`]'s module docs.
//!
//! # Leases and database credentials
//! [`VaultLeases`] is the backend's [`Leases`](ironsecrets_core::Leases) (`sys/leases`:
//! renew with an increment, revoke, lookup, plus `revoke_prefix`); [`VaultCredentials`]
//! its [`DynamicCredentials`](ironsecrets_core::DynamicCredentials), issuing
//! `CredentialRequest::Database` (a dynamic role's new user) and `DatabaseStatic` (a
//! static role's current password) from the database engine. [`VaultDatabase`] configures
//! that engine: connections, dynamic and static roles, rotation. An unknown lease is
//! NotFound; one Vault reports past its expiry is LeaseExpired ([`VaultLeases`] lists
//! each answer).
//!
//! # Cloud engines
//! [`VaultCloud`] issues credentials from Vault's AWS (`creds`, `sts`), Azure (`creds`)
//! and Google Cloud (roleset `token`, `key`) secrets engines, and `CredentialRequest::Cloud`
//! reaches it: the request names no provider, so the mount's engine type, read from
//! `sys/mounts/<mount>`, picks the engine (another type is Unsupported naming it, an
//! empty path NotFound). OpenBao has none of these engines, so they are implemented
//! from Vault's documented API and tested against recorded responses
//! (`tests/recorded/`), not a live server; only the mount-type dispatch is tested live.
//! What each call sends and returns is in [`cloud`].
//!
//! # Auth
//! [`VaultClient::login`] with a [`Login`] (AppRole, userpass, JWT, Kubernetes, TLS
//! certificate) swaps the issued token into the client and all its clones and returns
//! it as a [`TokenLease`]; [`VaultClient::renew_self`] and [`VaultClient::lookup_self`]
//! keep it alive and describe it. See [`auth`].
//!
//! # Errors
//! 404 NotFound, 403 PermissionDenied (Unauthenticated for an invalid token), 400
//! InvalidInput with Vault's own message, 412 Unavailable (retryable), 429 RateLimited
//! honouring `Retry-After`, 503 Unavailable (sealed / standby), refused connection or
//! timeout Unavailable. A TLS failure no retry fixes — the server's certificate does not
//! verify (unknown CA, another name), or the server refuses our client certificate or
//! its absence — is Config, not retryable. A refused login is Unauthenticated. Paths are
//! checked before any request. No message holds a token or a value: response bodies are
//! never copied into errors.
#![deny(missing_docs)]

pub mod auth;
mod client;
pub mod cloud;
mod config;
mod credentials;
pub mod custom_metadata;
pub mod database;
mod env;
mod errors;
mod health;
mod kv1;
mod kv2;
mod kv2_patch;
mod leases;
mod list;
mod logical;
mod options;
pub mod pki;
pub mod ssh;
pub mod totp;
mod transit;
pub mod value;

pub use auth::{KUBERNETES_TOKEN_FILE, Login, TokenInfo, TokenLease};
pub use client::VaultClient;
pub use cloud::{AwsCredsRequest, CloudEngine, GcpKeyRequest, GcpSecretType, VaultCloud};
pub use config::{
    DEFAULT_ADDRESS, DEFAULT_MOUNT, DEFAULT_TIMEOUT, DEFAULT_TRANSIT_MOUNT, KvVersion, TlsConfig,
    VaultConfig,
};
pub use credentials::VaultCredentials;
pub use database::VaultDatabase;
pub use health::{Health, HealthStatus};
pub use kv1::{KV1_VERSION, Kv1Store};
pub use kv2::Kv2Store;
pub use kv2_patch::KvPatch;
pub use leases::VaultLeases;
pub use logical::KvMount;
pub use options::{DEFAULT_PORT, LoginMethod, VaultOptions, open};
pub use pki::{
    IssuedCertificate, PkiCaOptions, PkiIssueRequest, PkiRole, SignedCertificate, VaultPki,
};
pub use ssh::{
    SignedSshKey, SshCaKey, SshCaRole, SshCertType, SshOtpRole, SshSignRequest, VaultSsh,
    VerifiedOtp,
};
pub use totp::{GeneratedTotpKey, TotpKeyInfo, TotpKeyOptions, VaultTotp};
pub use transit::{DecryptItem, EncryptItem, ExportKind, ImportOptions, VaultTransit};
pub use vaultrs;
