//! Printing: raw values, lines, JSON, aligned tables and `name: value` lists. Everything
//! a command prints to stdout goes through here, so a closed pipe (`| head`) ends the
//! command quietly instead of panicking.

use std::io::{self, IsTerminal, Write};

use chrono::{DateTime, SecondsFormat, Utc};
use ironsecrets::{Error, RotationPolicy};
use serde::Serialize;

use crate::error::{CliError, CliResult, io_error};

const DAY: u64 = 24 * 60 * 60;

/// Writes bytes to stdout as they are.
pub fn bytes(bytes: &[u8]) -> CliResult {
    let mut out = io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| CliError::from(io_error(e, "writing to stdout"))),
    }
}

/// Writes a value's bytes exactly as they are; on a terminal a final newline is added
/// so the prompt does not end up glued to the value.
pub fn raw_value(bytes: &[u8]) -> CliResult {
    self::bytes(bytes)?;
    if io::stdout().is_terminal() && !bytes.ends_with(b"\n") {
        self::bytes(b"\n")?;
    }
    Ok(())
}

/// Prints one line.
pub fn line(text: impl AsRef<str>) -> CliResult {
    let mut text = text.as_ref().to_owned();
    text.push('\n');
    bytes(text.as_bytes())
}

/// Prints each item on a line of its own.
pub fn lines<I, S>(items: I) -> CliResult
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    let mut text = String::new();
    for item in items {
        text.push_str(item.as_ref());
        text.push('\n');
    }
    bytes(text.as_bytes())
}

/// Prints a value as pretty JSON followed by a newline.
pub fn json<T: Serialize + ?Sized>(value: &T) -> CliResult {
    let mut text = serde_json::to_string_pretty(value)
        .map_err(|e| Error::unexpected(format!("encoding JSON output: {e}")))?;
    text.push('\n');
    bytes(text.as_bytes())
}

/// A table with a header row and left-aligned columns two spaces apart.
pub struct Table {
    headers: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers.
    pub fn new(headers: &[&'static str]) -> Self {
        Table {
            headers: headers.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (one cell per header).
    pub fn row(&mut self, cells: Vec<String>) {
        debug_assert_eq!(cells.len(), self.headers.len());
        self.rows.push(cells);
    }

    /// The table as text.
    pub fn render(&self) -> String {
        let mut widths: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (width, cell) in widths.iter_mut().zip(row) {
                *width = (*width).max(cell.chars().count());
            }
        }
        let header: Vec<String> = self.headers.iter().map(|h| h.to_string()).collect();
        let mut text = String::new();
        for row in std::iter::once(&header).chain(&self.rows) {
            let last = row.len().saturating_sub(1);
            for (index, (cell, width)) in row.iter().zip(&widths).enumerate() {
                text.push_str(cell);
                if index < last {
                    let pad = width - cell.chars().count() + 2;
                    text.extend(std::iter::repeat_n(' ', pad));
                }
            }
            text.push('\n');
        }
        text
    }

    /// Prints the table.
    pub fn print(&self) -> CliResult {
        bytes(self.render().as_bytes())
    }
}

/// Prints `name: value` lines with the values aligned.
pub fn fields(rows: &[(&str, String)]) -> CliResult {
    let width = rows
        .iter()
        .map(|(name, _)| name.len() + 1)
        .max()
        .unwrap_or(0);
    let text: String = rows
        .iter()
        .map(|(name, value)| format!("{:<width$} {value}\n", format!("{name}:")))
        .collect();
    bytes(text.as_bytes())
}

/// A timestamp as RFC 3339 in UTC, to the second.
pub fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// `N days`, with the right plural.
pub fn days(n: u64) -> String {
    if n == 1 {
        "1 day".to_owned()
    } else {
        format!("{n} days")
    }
}

/// A rotation policy in days: `90d, remind 14d`.
pub fn policy(policy: &RotationPolicy) -> String {
    format!(
        "{}d, remind {}d",
        policy.period.as_secs() / DAY,
        policy.remind_before.as_secs() / DAY
    )
}

/// A message for the person at the terminal, on stderr so stdout stays parseable.
pub fn note(text: impl AsRef<str>) {
    eprintln!("{}", text.as_ref());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_columns_are_aligned() {
        let mut table = Table::new(&["PATH", "STATUS"]);
        table.row(vec!["app/database".into(), "Healthy".into()]);
        table.row(vec!["x".into(), "Expired (3 days ago)".into()]);
        assert_eq!(
            table.render(),
            "PATH          STATUS\n\
             app/database  Healthy\n\
             x             Expired (3 days ago)\n"
        );
    }

    #[test]
    fn policies_and_days_read_naturally() {
        assert_eq!(policy(&RotationPolicy::days(90, 14)), "90d, remind 14d");
        assert_eq!(days(1), "1 day");
        assert_eq!(days(0), "0 days");
    }
}
