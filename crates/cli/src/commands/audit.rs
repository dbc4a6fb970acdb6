//! `audit tail`, `audit verify` and `audit anchor`: the local store's HMAC-chained audit
//! trail, its authenticated metadata, and anchors that catch a rolled-back file.

use ironsecrets::{Client, Error};
use ironsecrets_local::{AuditAnchor, AuditCheck};

use crate::error::{CliError, CliResult};
use crate::output::{self, Table};
use crate::{AuditCommand, client};

/// Runs an audit subcommand (local stores only).
pub async fn run(client: &Client, command: AuditCommand) -> CliResult {
    let store = client::local(client, "the audit trail")?;
    match command {
        AuditCommand::Tail { lines, json } => {
            let entries = store.audit_tail(lines).await?;
            if json {
                return output::json(&entries);
            }
            let mut table = Table::new(&[
                "SEQ",
                "TIME",
                "PRINCIPAL",
                "OPERATION",
                "PATH",
                "RESULT",
                "CLIENT",
            ]);
            let or_dash = |text: &str| if text.is_empty() { "-" } else { text }.to_owned();
            for entry in entries {
                table.row(vec![
                    entry.seq.to_string(),
                    output::time(entry.time),
                    entry.principal,
                    entry.operation,
                    or_dash(&entry.path),
                    entry.result,
                    or_dash(entry.client.as_deref().unwrap_or("")),
                ]);
            }
            table.print()
        }
        AuditCommand::Verify { anchor } => {
            let report = match anchor {
                Some(text) => {
                    let anchor: AuditAnchor = text.parse()?;
                    store.audit_verify_anchored(&anchor).await?
                }
                None => store.audit_verify().await?,
            };
            let Some(check) = report.failed else {
                return output::line(format!(
                    "audit chain intact: {} rows checked; metadata intact: {} rows checked",
                    report.rows, report.metadata_rows
                ));
            };
            let reason = report.reason.as_deref().unwrap_or("it does not fit");
            let (message, hint) = match (check, report.first_broken) {
                (AuditCheck::Chain, Some(row)) => (
                    format!("the audit chain is broken at row {row}: {reason}"),
                    "rows before it are intact; compare the store with a backup to see what was changed",
                ),
                (AuditCheck::Anchor, _) => (
                    format!("the store does not match the anchor: {reason}"),
                    "the file was replaced by an older copy; compare it with a backup",
                ),
                _ => (
                    format!("the store's metadata failed verification: {reason}"),
                    "the file was edited outside ironsecrets; compare it with a backup",
                ),
            };
            Err(CliError::from(
                Error::integrity(message)
                    .with_backend("local")
                    .with_operation(ironsecrets::Operation::AuditVerify),
            )
            .hint(hint))
        }
        AuditCommand::Anchor => output::line(store.audit_anchor().await?.to_string()),
    }
}
