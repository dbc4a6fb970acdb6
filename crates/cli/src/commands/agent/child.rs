//! The agent's supervised process: started with the rendered environment, its output
//! masked, stopped with a signal and then SIGKILL.

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

    /// Waits for the child to end and its output to be copied.
    pub async fn wait(&mut self) -> CliResult<ExitStatus> {
        let status = self.process.wait().await.map_err(|e| io_error(e, "wait"))?;
        let _ = (&mut self.output).await;
        Ok(status)
    }

    /// Sends `signal`, waits `timeout` for the child to end, then kills it.
    pub async fn stop(mut self, signal: Signal, timeout: Duration) -> CliResult<ExitStatus> {
        self.signal(signal);
        if let Ok(status) = tokio::time::timeout(timeout, self.wait()).await {
            return status;
        }
        self.process
            .kill()
            .await
            .map_err(|e| Error::unexpected(format!("cannot kill process {}: {e}", self.pid)))?;
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
            let _ = child.process.kill().await;
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
