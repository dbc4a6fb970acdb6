//! What the manager reports: [`LeaseEvent`].

use std::sync::Arc;
use std::time::Duration;

use ironsecrets_core::{ErrorKind, Lease, LeasedCredential};

/// Something that happened to a managed lease. Credentials are
/// [`LeasedCredential`]s, whose Debug redacts every field.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum LeaseEvent {
    /// The lease was extended; `lease` is as granted.
    Renewed {
        /// The managed lease's name.
        name: Arc<str>,
        /// The lease as granted.
        lease: Lease,
    },
    /// New credentials replaced the old ones; the old lease is revoked later (see
    /// [`LeaseConfig::revoke_old_after`](crate::LeaseConfig::revoke_old_after)).
    Rotated {
        /// The managed lease's name.
        name: Arc<str>,
        /// The credential replaced.
        old: Arc<LeasedCredential>,
        /// The credential now current.
        new: Arc<LeasedCredential>,
    },
    /// A renewal, issue or revocation failed; the next attempt is in `retry_in`.
    Failed {
        /// The managed lease's name.
        name: Arc<str>,
        /// The error's kind.
        kind: ErrorKind,
        /// The error's message (never a secret).
        message: String,
        /// When the next attempt is made (zero: none for this lease, e.g. a failed
        /// revocation).
        retry_in: Duration,
    },
    /// The current lease ran out before it could be renewed or replaced; the manager
    /// keeps trying to issue a new one.
    Expired {
        /// The managed lease's name.
        name: Arc<str>,
    },
    /// A lease was revoked (an old one after rotation, or any at shutdown).
    Revoked {
        /// The managed lease's name.
        name: Arc<str>,
        /// The revoked lease's id.
        lease_id: String,
    },
}

impl LeaseEvent {
    /// The managed lease's name.
    pub fn name(&self) -> &str {
        match self {
            LeaseEvent::Renewed { name, .. }
            | LeaseEvent::Rotated { name, .. }
            | LeaseEvent::Failed { name, .. }
            | LeaseEvent::Expired { name }
            | LeaseEvent::Revoked { name, .. } => name,
        }
    }
}
