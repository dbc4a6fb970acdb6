//! `audit tail` and `audit verify`: the local store's HMAC-chained audit trail.

use ironsecrets::{Client, Error};

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
        AuditCommand::Verify => {
            let report = store.audit_verify().await?;
            let Some(row) = report.first_broken else {
                return output::line(format!("audit chain intact: {} rows checked", report.rows));
            };
            let reason = report
                .reason
                .as_deref()
                .unwrap_or("it does not fit the chain");
            Err(CliError::from(
                Error::integrity(format!("the audit chain is broken at row {row}: {reason}"))
                    .with_backend("local")
                    .with_operation(ironsecrets::Operation::AuditVerify),
            )
            .hint("rows before it are intact; compare the store with a backup to see what was changed"))
        }
    }
}
