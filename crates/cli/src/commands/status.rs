//! `status`: where each secret stands against its rotation policy, with `--check` for
//! CI and cron (exit code 20 when anything is expired).

use ironsecrets::{Client, Error, RotationEntry, RotationStatus};

use crate::error::{CliError, CliResult};
use crate::output::{self, Table};
use crate::{StatusArgs, exit_code};

/// Prints the rotation table (or JSON); with `--check`, fails if any secret is expired.
pub async fn run(client: &Client, args: StatusArgs) -> CliResult {
    let at = args.at.unwrap_or_else(chrono::Utc::now);
    let entries = client
        .rotation_status_at(args.prefix.unwrap_or_default(), at)
        .await?;
    if args.json {
        print_json(&entries)?;
    } else {
        print_table(&entries)?;
    }
    let expired: Vec<&str> = entries
        .iter()
        .filter(|e| matches!(e.status, RotationStatus::Expired { .. }))
        .map(|e| e.path.as_str())
        .collect();
    if args.check && !expired.is_empty() {
        let noun = if expired.len() == 1 {
            "secret is"
        } else {
            "secrets are"
        };
        return Err(CliError::new(
            exit_code::ROTATION_EXPIRED,
            format!(
                "{} {noun} past the rotation period: {}",
                expired.len(),
                expired.join(", ")
            ),
        )
        .hint("write a new value with `ironsecrets put PATH ...`, or change the policy with `ironsecrets metadata PATH --rotate-days N`"));
    }
    Ok(())
}

/// "Healthy", "Expiring soon (N days)" or "Expired (N days ago)".
pub fn summary(status: RotationStatus) -> String {
    match status {
        RotationStatus::Healthy => "Healthy".to_owned(),
        RotationStatus::ExpiringSoon { days } => {
            format!("Expiring soon ({})", output::days(days))
        }
        RotationStatus::Expired { days: 0 } => "Expired (today)".to_owned(),
        RotationStatus::Expired { days } => format!("Expired ({} ago)", output::days(days)),
    }
}

fn print_table(entries: &[RotationEntry]) -> CliResult {
    let mut table = Table::new(&["PATH", "LAST ROTATED", "POLICY", "STATUS"]);
    for entry in entries {
        let mut policy = output::policy(&entry.policy);
        if entry.default_policy {
            policy.push_str(" (default)");
        }
        table.row(vec![
            entry.path.clone(),
            output::time(entry.last_rotated),
            policy,
            summary(entry.status),
        ]);
    }
    table.print()
}

/// The facade's `RotationEntry` as it serializes, plus the human `summary`.
fn print_json(entries: &[RotationEntry]) -> CliResult {
    let mut rows = Vec::with_capacity(entries.len());
    for entry in entries {
        let mut row = serde_json::to_value(entry)
            .map_err(|e| Error::unexpected(format!("encoding JSON output: {e}")))?;
        if let Some(object) = row.as_object_mut() {
            object.insert("summary".to_owned(), summary(entry.status).into());
        }
        rows.push(row);
    }
    output::json(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summaries_read_as_documented() {
        assert_eq!(summary(RotationStatus::Healthy), "Healthy");
        assert_eq!(
            summary(RotationStatus::ExpiringSoon { days: 3 }),
            "Expiring soon (3 days)"
        );
        assert_eq!(
            summary(RotationStatus::Expired { days: 10 }),
            "Expired (10 days ago)"
        );
        assert_eq!(
            summary(RotationStatus::Expired { days: 0 }),
            "Expired (today)"
        );
    }
}
