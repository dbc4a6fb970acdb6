//! Lease renewal and credential rotation for ironsecrets.
//!
//! A [`LeaseManager`] keeps any number of leases alive from one tokio task with a timer
//! heap. Each lease comes from a [`LeaseSource`]: [`DynamicSource`] for any backend's
//! dynamic credentials, [`VaultTokenSource`] (feature `vault`, on by default) for a Vault
//! / OpenBao client's own token. The policy ([`LeaseConfig`]):
//!
//! - renew at 2/3 of the remaining ttl, ±10 % jitter, asking for the ttl the lease was
//!   issued with;
//! - when the lease cannot be extended — the server granted less than asked (max ttl
//!   reached), it is not renewable, or renewal was refused (InvalidInput; NotFound and
//!   LeaseExpired re-issue at once) — stop renewing and issue a new credential when 85 %
//!   of the final window has passed (at least `reissue_lead` before its end), emit
//!   [`LeaseEvent::Rotated`], and revoke the old lease just before it would end anyway
//!   (or after `revoke_old_after`);
//! - a re-issue that returns the same secret (a static credential such as a Vault static
//!   role's password, which the server replaces on its own schedule) is not a rotation: the
//!   manager asks again when it ends, then every `backoff_initial` until it changes;
//! - on errors back off exponentially (bounded by the time left, never below
//!   `backoff_initial`); a lease that expires anyway emits [`LeaseEvent::Expired`] and
//!   the manager keeps re-issuing;
//! - child leases ([`LeaseManager::manage_child`]) are re-issued whenever their parent
//!   (e.g. the token they were issued under) rotates.
//!
//! The scheduler task never awaits a call to a source inline (a revocation asked by
//! [`ManagedLease::stop`] or at shutdown runs beside the other leases' timers) and never
//! runs user code: events go to subscribers ([`LeaseManager::subscribe`]), and
//! [`LeaseManager::on_event`] callbacks run on a forwarding task of their own.
//!
//! A pool whose connections follow a lease's rotations is two halves:
//!
//! - [`Generations`], driver-neutral: the current credential with its generation
//!   number, a [`Ticket`] per open connection (refused as [`Stale`] if the credential
//!   rotated while connecting), the stale check, and the revocation of an old
//!   generation's lease once its last ticket is dropped (or just before the lease ends),
//!   reported as [`Drained`] and counted in [`RotationStats`];
//! - an adapter that only wires a driver's hooks to it: [`RotatingPool`] for sqlx
//!   (features `sqlx-postgres` and `sqlx-mysql`, on by default); the Python and Node
//!   bindings wire their pools to the same type.
//!
//! Nothing here logs or prints a secret: credentials' Debug is redacted and error
//! messages never hold values.
#![deny(missing_docs)]

mod config;
mod dynamic;
mod event_stream;
mod events;
#[cfg(test)]
mod fake_source;
mod generations;
mod manager;
#[cfg(any(feature = "sqlx-postgres", feature = "sqlx-mysql"))]
mod pool;
mod schedule;
mod source;
#[cfg(feature = "vault")]
mod vault_token;

pub use config::LeaseConfig;
pub use dynamic::DynamicSource;
pub use event_stream::EventStream;
pub use events::LeaseEvent;
pub use generations::{
    Drained, Generation, Generations, GenerationsConfig, RotationStats, Stale, Ticket,
};
pub use manager::{LeaseManager, ManagedLease};
#[cfg(any(feature = "sqlx-postgres", feature = "sqlx-mysql"))]
pub use pool::{ConnectOptions, PASSWORD, RotatingDatabase, RotatingPool, USERNAME};
pub use source::LeaseSource;
#[cfg(feature = "vault")]
pub use vault_token::{ACCESSOR, TOKEN, VaultTokenSource};
