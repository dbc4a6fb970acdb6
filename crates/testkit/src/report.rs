//! The outcome of a conformance run: every check's result, failures collected, not fatal.

use std::fmt;

use crate::{CheckError, CheckResult};

/// One check's name and result.
#[derive(Clone, Debug)]
pub struct Entry {
    /// The check's name (its function's name).
    pub name: &'static str,
    /// Passed, failed with a message, or skipped with a reason.
    pub result: CheckResult,
}

/// Every check's result from one run, in the order the checks ran.
#[derive(Clone, Debug)]
pub struct Report {
    /// The backend's short name.
    pub backend: String,
    /// The random prefix the run wrote under, ending with `/`.
    pub prefix: String,
    /// One entry per check.
    pub entries: Vec<Entry>,
}

impl Report {
    /// Names of the checks that passed.
    pub fn passed(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.entries
            .iter()
            .filter(|e| e.result.is_ok())
            .map(|e| e.name)
    }

    /// Names and messages of the checks that failed.
    pub fn failures(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.entries.iter().filter_map(|e| match &e.result {
            Err(CheckError::Failed(message)) => Some((e.name, message.as_str())),
            _ => None,
        })
    }

    /// Names and reasons of the checks that were skipped.
    pub fn skipped(&self) -> impl Iterator<Item = (&'static str, &str)> {
        self.entries.iter().filter_map(|e| match &e.result {
            Err(CheckError::Skipped(reason)) => Some((e.name, reason.as_str())),
            _ => None,
        })
    }

    /// Whether no check failed (skipped checks do not count against it).
    pub fn is_success(&self) -> bool {
        self.failures().next().is_none()
    }

    /// Panics with the whole report, every failure listed, unless no check failed.
    #[track_caller]
    pub fn assert_passed(&self) {
        if !self.is_success() {
            panic!("{self}");
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "conformance of the '{}' backend under '{}': {} passed, {} failed, {} skipped",
            self.backend,
            self.prefix,
            self.passed().count(),
            self.failures().count(),
            self.skipped().count()
        )?;
        for (name, message) in self.failures() {
            write!(f, "\n  FAILED  {name}: {message}")?;
        }
        for (name, reason) in self.skipped() {
            write!(f, "\n  skipped {name}: {reason}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        let entry = |name, result| Entry { name, result };
        Report {
            backend: "test".into(),
            prefix: "conformance-0/".into(),
            entries: vec![
                entry("a", Ok(())),
                entry("b", Err(CheckError::Failed("put: boom".into()))),
                entry(
                    "c",
                    Err(CheckError::Skipped("capabilities.tags is false".into())),
                ),
                entry("d", Err(CheckError::Failed("get: bang".into()))),
            ],
        }
    }

    #[test]
    fn display_counts_and_lists_every_failure_and_skip() {
        let shown = report().to_string();
        assert!(shown.starts_with(
            "conformance of the 'test' backend under 'conformance-0/': 1 passed, 2 failed, 1 skipped"
        ));
        assert!(shown.contains("FAILED  b: put: boom"));
        assert!(shown.contains("FAILED  d: get: bang"));
        assert!(shown.contains("skipped c: capabilities.tags is false"));
    }

    #[test]
    #[should_panic(expected = "FAILED  d: get: bang")]
    fn assert_passed_panics_listing_failures() {
        report().assert_passed();
    }

    #[test]
    fn skips_alone_pass() {
        let mut report = report();
        report
            .entries
            .retain(|e| !matches!(e.result, Err(CheckError::Failed(_))));
        report.assert_passed();
    }
}
