//! `audit verify`: the audit chain, the sealed metadata state and, when given, an anchor
//! kept outside the store, in one report.

use ironsecrets_core::Result;
use serde::Serialize;

use crate::anchor::AuditAnchor;
use crate::audit;
use crate::ctx::Ctx;
use crate::state;

/// Which check of [`crate::LocalStore::audit_verify`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum AuditCheck {
    /// The HMAC chain of audit rows and its sealed head.
    Chain,
    /// The header, the metadata rows' MACs and the state digest.
    Metadata,
    /// The anchor's audit row and MAC.
    Anchor,
}

/// The outcome of [`crate::LocalStore::audit_verify`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    /// Audit rows checked.
    pub rows: u64,
    /// The first audit row that does not fit the chain, if any.
    pub first_broken: Option<u64>,
    /// Why the failed check failed.
    pub reason: Option<String>,
    /// The check that failed, if any (chain first, then metadata, then anchor).
    pub failed: Option<AuditCheck>,
    /// Metadata rows (secrets, versions, principals, transit keys) checked.
    pub metadata_rows: u64,
    /// Write transactions sealed into the store's state.
    pub writes: u64,
}

impl AuditReport {
    /// Whether every check passed.
    pub fn is_intact(&self) -> bool {
        self.failed.is_none()
    }
}

/// Runs every check; the report names the first that failed.
pub fn run(ctx: &Ctx<'_>, anchor: Option<&AuditAnchor>) -> Result<AuditReport> {
    let header = ctx.header.borrow();
    let (rows, broken) =
        audit::verify(ctx.conn, ctx.keys.audit_key(), header.audit_head.as_deref())?;
    let state = state::verify(ctx.conn, ctx.keys, &header)?;
    let anchor_problem = anchor
        .map(|anchor| audit::check_anchor(ctx.conn, anchor))
        .transpose()?
        .flatten();
    let mut report = AuditReport {
        rows,
        first_broken: None,
        reason: None,
        failed: None,
        metadata_rows: state.rows,
        writes: state.writes,
    };
    if let Some(broken) = broken {
        report.first_broken = Some(broken.seq);
        report.reason = Some(broken.reason);
        report.failed = Some(AuditCheck::Chain);
    } else if let Some(problem) = state.problem {
        report.reason = Some(problem);
        report.failed = Some(AuditCheck::Metadata);
    } else if let Some(problem) = anchor_problem {
        report.reason = Some(problem);
        report.failed = Some(AuditCheck::Anchor);
    }
    Ok(report)
}
