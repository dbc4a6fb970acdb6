//! Running commands: the repository root, cargo invocations, timed steps with banners.

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// An xtask failure: a sentence for the person at the terminal.
#[derive(Debug)]
pub struct Error(String);

impl Error {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> Self {
        Error(message.into())
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What every xtask function returns.
pub type Result<T = ()> = std::result::Result<T, Error>;

/// The workspace root (the parent of `xtask/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives one level below the workspace root")
        .to_owned()
}

/// A `cargo` command run from the workspace root, without the variables `cargo run` set
/// for xtask itself (they describe the xtask package, not what the child builds).
pub fn cargo<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    let mut command = Command::new("cargo");
    command.args(args).current_dir(repo_root());
    without_xtask_env(&mut command);
    command
}

/// Removes from `command`'s environment the variables `cargo run` set for xtask itself,
/// for any command that runs cargo (cargo, maturin).
pub fn without_xtask_env(command: &mut Command) {
    for (name, _) in std::env::vars_os() {
        let Some(name) = name.to_str() else { continue };
        let inherited_from_xtask = name == "CARGO_PRIMARY_PACKAGE"
            || [
                "CARGO_PKG_",
                "CARGO_MANIFEST_",
                "CARGO_BIN_",
                "CARGO_CRATE_",
            ]
            .iter()
            .any(|prefix| name.starts_with(prefix));
        if inherited_from_xtask {
            command.env_remove(name);
        }
    }
}

/// The target directory: `CARGO_TARGET_DIR` (relative to the current directory, as
/// cargo reads it) or `<repo>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR").filter(|dir| !dir.is_empty()) {
        Some(dir) => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                std::env::current_dir()
                    .map(|cwd| cwd.join(&dir))
                    .unwrap_or(dir)
            }
        }
        None => repo_root().join("target"),
    }
}

/// The host's target triple (`rustc -vV`). The wheel is built for it explicitly because
/// `napi build` does so too: both then share `<target>/<triple>/release`.
pub fn host_triple() -> Result<String> {
    let output = Command::new("rustc")
        .arg("-vV")
        .output()
        .map_err(|e| Error::new(format!("rustc -vV: {e}")))?;
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(str::to_owned)
        .ok_or_else(|| Error::new("rustc -vV printed no host triple"))
}

/// How a command line reads, for banners and error messages.
pub fn display(command: &Command) -> String {
    let mut text = command.get_program().to_string_lossy().into_owned();
    for arg in command.get_args() {
        text.push(' ');
        text.push_str(&arg.to_string_lossy());
    }
    text
}

/// Whether `command` runs and exits 0; its output is discarded.
pub fn succeeds(mut command: Command) -> bool {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

/// Runs `command` with inherited output and no stdin; an error names the command and
/// its exit status.
pub fn status(mut command: Command) -> Result {
    let line = display(&command);
    let status = command
        .stdin(Stdio::null())
        .status()
        .map_err(|e| Error::new(format!("could not start `{line}`: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(Error::new(format!("`{line}` failed ({status})")))
    }
}

/// `12.3s` or `1m 02.3s`.
pub fn seconds(duration: Duration) -> String {
    let secs = duration.as_secs_f64();
    if secs < 60.0 {
        format!("{secs:.1}s")
    } else {
        format!("{}m {:04.1}s", (secs / 60.0).floor(), secs % 60.0)
    }
}

/// Prints a banner (`name` and what it runs), runs `work`, prints how long it took; the
/// error says which step failed, after how long, and `hint` on what to do about it.
pub fn step(name: &str, runs: &str, hint: &str, work: impl FnOnce() -> Result) -> Result<Duration> {
    println!("\n==> {name}: {runs}");
    let started = Instant::now();
    let outcome = work();
    let took = started.elapsed();
    match outcome {
        Ok(()) => {
            println!("<== {name}: ok in {}", seconds(took));
            Ok(took)
        }
        Err(err) => {
            println!("<== {name}: FAILED after {}", seconds(took));
            Err(Error::new(format!("{name} failed: {err}\n       {hint}")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_seconds_then_minutes() {
        assert_eq!(seconds(Duration::from_millis(1_240)), "1.2s");
        assert_eq!(seconds(Duration::from_millis(62_300)), "1m 02.3s");
    }

    #[test]
    fn cargo_runs_from_the_workspace_root() {
        let command = cargo(["fmt", "--version"]);
        assert_eq!(command.get_current_dir(), Some(repo_root().as_path()));
        assert_eq!(display(&command), "cargo fmt --version");
        assert!(repo_root().join("Cargo.toml").is_file());
    }
}
