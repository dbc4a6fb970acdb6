//! The agent's supervised process: started with the rendered environment in a process
//! group of its own, its output masked, stopped with a signal and then SIGKILL for the
//! whole group (so a helper it started cannot keep the agent waiting).

use std::process::{ExitStatus, Stdio};
use std::sync::Arc;
use std::time::Duration;

use ironsecrets::{Error, ErrorKind};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::child_output::{Output, drain};
use crate::error::{CliResult, io_error};
use crate::mask::Patterns;

/// How long a child's output is still copied after it ended.
const DRAIN: Duration = Duration::from_secs(1);

/// A signal by name: `SIGHUP` or `HUP`.
pub fn parse_signal(name: &str) -> CliResult<Signal> {
    let full = if name.starts_with("SIG") {
        name.to_owned()
    } else {
        format!("SIG{name}")
    };
    full.parse::<Signal>().map_err(|_| {
        Error::config(format!(
            "[exec]: '{name}' is not a signal name like SIGTERM"
        ))
        .into()
    })
}

/// A running child and the task copying its output.
pub struct Child {
    process: tokio::process::Child,
    pid: Pid,
    output: JoinHandle<()>,
}

impl Child {
    /// Starts `command` with our environment plus `env`, its stdout and stderr masked
    /// with `patterns` (which follow new values as they are resolved).
    pub fn start(
        command: &[String],
        env: &[(String, String)],
        patterns: watch::Receiver<Arc<Patterns>>,
    ) -> CliResult<Child> {
        let mut process = tokio::process::Command::new(&command[0])
            .args(&command[1..])
            .envs(env.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::inherit())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .process_group(0)
            .spawn()
            .map_err(|e| io_error(e, &command[0]))?;
        let pid = Pid::from_raw(process.id().expect("running") as i32);
        let (stdout, stderr) = (process.stdout.take(), process.stderr.take());
        let readers = vec![
            (Box::new(stdout.expect("piped")) as _, Output::Stdout),
            (Box::new(stderr.expect("piped")) as _, Output::Stderr),
        ];
        let output = tokio::spawn(drain(readers, patterns));
        Ok(Child {
            process,
            pid,
            output,
        })
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.pid.as_raw() as u32
    }

    /// Sends `signal`.
    pub fn signal(&self, signal: Signal) {
        let _ = kill(self.pid, signal);
    }

    /// Waits for the child to end and its output to be copied (for at most a second
    /// after it ended: a process it started may hold the pipes open).
    pub async fn wait(&mut self) -> CliResult<ExitStatus> {
        let status = self.process.wait().await.map_err(|e| io_error(e, "wait"))?;
        if tokio::time::timeout(DRAIN, &mut self.output).await.is_err() {
            self.output.abort();
        }
        Ok(status)
    }

    /// SIGKILL for the child's whole process group.
    fn kill_group(&self) {
        let _ = kill(Pid::from_raw(-self.pid.as_raw()), Signal::SIGKILL);
    }

    /// Sends `signal`, waits `timeout` for the child to end, then kills its group.
    pub async fn stop(mut self, signal: Signal, timeout: Duration) -> CliResult<ExitStatus> {
        self.signal(signal);
        if let Ok(status) = tokio::time::timeout(timeout, self.wait()).await {
            return status;
        }
        self.kill_group();
        self.wait().await
    }
}

/// Runs a template's `command` to its end (killed after `timeout`), its output masked.
pub async fn run_command(
    command: &[String],
    timeout: Duration,
    patterns: watch::Receiver<Arc<Patterns>>,
) -> CliResult<ExitStatus> {
    let mut child = Child::start(command, &[], patterns)?;
    match tokio::time::timeout(timeout, child.wait()).await {
        Ok(status) => status,
        Err(_) => {
            child.kill_group();
            let _ = child.wait().await;
            Err(Error::new(
                ErrorKind::Unavailable,
                format!(
                    "{} did not finish within {}s and was killed",
                    command[0],
                    timeout.as_secs_f64()
                ),
            )
            .into())
        }
    }
}
