//! `cargo xtask bench ...`: builds the `ironsecrets-bench` program in release mode and
//! runs it; the program measures and writes the report.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::run::{self, Error, Result};

/// Where `cargo xtask bench local` writes its report, relative to the workspace root.
pub const DEFAULT_LOCAL_REPORT: &str = "docs/bench/local.md";

/// Where `cargo xtask bench vault` writes its report, relative to the workspace root.
pub const DEFAULT_VAULT_REPORT: &str = "docs/bench/vault.md";

/// Where `cargo xtask bench lease` writes its report, relative to the workspace root.
pub const DEFAULT_LEASE_REPORT: &str = "docs/bench/lease.md";
/// Where `cargo xtask bench aws` writes its report, relative to the workspace root.
pub const DEFAULT_AWS_REPORT: &str = "docs/bench/aws.md";
/// Where `cargo xtask bench azure` writes its report, relative to the workspace root.
pub const DEFAULT_AZURE_REPORT: &str = "docs/bench/azure.md";

/// `cargo xtask bench <name> --out FILE [-- ARGS]`: runs benchmark `name` of the
/// `ironsecrets-bench` program, writing its report to `out` (default: `default_report`
/// in the workspace root).
pub fn run(name: &str, default_report: &str, out: Option<&Path>, extra: &[String]) -> Result {
    let out = report_path(out, default_report)?;
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::new(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut command = run::cargo([
        "run",
        "--release",
        "-p",
        "ironsecrets-bench",
        "--",
        name,
        "--out",
    ]);
    command.arg(&out).args(extra);
    let runs = run::display(&command);
    run::step(
        &format!("bench {name}"),
        &runs,
        "see the benchmark's output above",
        || run::status(command),
    )?;
    println!("report written to {}", out.display());
    Ok(())
}

/// The default report is in the workspace root; a path given on the command line is
/// relative to the current directory.
pub(crate) fn report_path(out: Option<&Path>, default_report: &str) -> Result<PathBuf> {
    let Some(out) = out else {
        return Ok(run::repo_root().join(default_report));
    };
    if out.is_absolute() {
        return Ok(out.to_owned());
    }
    let cwd = std::env::current_dir()
        .map_err(|e| Error::new(format!("cannot read the current directory: {e}")))?;
    Ok(cwd.join(out))
}

/// Builds what the binding benchmarks use: the test kit's `ironsecrets-testkit-serve`
/// (debug) and `ironsecrets-bench` (release).
pub(crate) fn build_tools() -> Result {
    run::step(
        "build",
        "cargo build -p ironsecrets-testkit --bin ironsecrets-testkit-serve && cargo build \
         --release -p ironsecrets-bench",
        "see the build output above",
        || {
            run::status(run::cargo([
                "build",
                "-p",
                "ironsecrets-testkit",
                "--bin",
                "ironsecrets-testkit-serve",
            ]))?;
            run::status(run::cargo([
                "build",
                "--release",
                "-p",
                "ironsecrets-bench",
            ]))
        },
    )
    .map(|_| ())
}

/// The OpenBao of `ironsecrets-testkit-serve services openbao`: up until its stdin
/// closes (on [`Server::stop`], or when this is dropped).
pub(crate) struct Server {
    child: Child,
    /// Its address (`http://127.0.0.1:PORT`).
    pub(crate) address: String,
    /// Its root token.
    pub(crate) token: String,
}

impl Server {
    /// Starts it and reads where it is.
    pub(crate) fn start(serve: &Path) -> Result<Server> {
        let mut child = Command::new(serve)
            .args(["services", "openbao"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| Error::new(format!("start {}: {e}", serve.display())))?;
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout is piped");
        let read = BufReader::new(stdout).read_line(&mut line);
        let fields = match read {
            Ok(_) => json_string(&line, "address").zip(json_string(&line, "token")),
            Err(_) => None,
        };
        let Some((address, token)) = fields else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::new(format!(
                "{} printed no openbao address and token: {line:?}",
                serve.display()
            )));
        };
        Ok(Server {
            child,
            address,
            token,
        })
    }

    /// Closes stdin and waits for the services to stop.
    pub(crate) fn stop(mut self) -> Result {
        drop(self.child.stdin.take());
        let status = self
            .child
            .wait()
            .map_err(|e| Error::new(format!("wait for ironsecrets-testkit-serve: {e}")))?;
        if status.success() {
            Ok(())
        } else {
            Err(Error::new(format!(
                "ironsecrets-testkit-serve exited with {status}"
            )))
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.child.stdin.take());
        let _ = self.child.wait();
    }
}

/// The first string value of `"key"` after `"openbao"` in serve's one line of JSON
/// (plain strings: an address and a token have no escapes).
fn json_string(line: &str, key: &str) -> Option<String> {
    let rest = &line[line.find("\"openbao\"")?..];
    let rest = &rest[rest.find(&format!("\"{key}\""))? + key.len() + 2..];
    let rest = rest.trim_start().strip_prefix(':')?.trim_start();
    let rest = rest.strip_prefix('"')?;
    Some(rest[..rest.find('"')?].to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_address_and_token_are_read_from_serves_line() {
        let line = r#"{"openbao":{"address":"http://127.0.0.1:8200","token":"root-1","kv_mount":"secret"}}"#;
        assert_eq!(
            json_string(line, "address").as_deref(),
            Some("http://127.0.0.1:8200")
        );
        assert_eq!(json_string(line, "token").as_deref(), Some("root-1"));
        assert_eq!(json_string(line, "nothing"), None);
    }
}
