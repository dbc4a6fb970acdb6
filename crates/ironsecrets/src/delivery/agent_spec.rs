//! The agent's part of `ironsecrets.toml`: how often stored secrets are read again, the
//! command each template runs when its file changes, and the supervised process.
//!
//! ```toml
//! [agent]
//! poll_interval = "5m"                # stored secrets are read again this often (±10 %)
//! [agent.poll]                        # per reference (without its #field)
//! "isec://vault/app/flags" = "30s"
//!
//! [exec]                              # one supervised child process
//! command = ["./server", "--port", "8080"]
//! restart = "always"                  # always | never | signal
//! restart_signal = "SIGHUP"           # with restart = "signal"
//! stop_signal = "SIGTERM"             # then SIGKILL after kill_timeout
//! kill_timeout = "30s"
//! debounce = "2s"                     # changes closer than this restart once
//! [exec.env]                          # a bare reference, or a template
//! DB_PASSWORD = "isec://vault/database/creds/app?lease=dynamic#password"
//! DB_URL = "postgres://{{ secret('isec://vault/database/creds/app?lease=dynamic#username') }}@db/app"
//! ```

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Deserializer};

/// The `[agent]` table.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AgentSpec {
    /// How often stored secrets are read again (default 5 minutes), with ±10 % jitter.
    #[serde(default = "five_minutes", deserialize_with = "duration")]
    pub poll_interval: Duration,
    /// Intervals for particular reference keys, overriding `poll_interval`.
    #[serde(default, deserialize_with = "durations")]
    pub poll: BTreeMap<String, Duration>,
}

impl Default for AgentSpec {
    fn default() -> Self {
        AgentSpec {
            poll_interval: five_minutes(),
            poll: BTreeMap::new(),
        }
    }
}

/// The `[exec]` table: the process the agent starts with rendered environment variables
/// and restarts when they change.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecSpec {
    /// The program and its arguments.
    pub command: Vec<String>,
    /// What a change of its environment does (default: restart it).
    #[serde(default)]
    pub restart: Restart,
    /// The signal sent with `restart = "signal"` (default SIGHUP).
    #[serde(default = "sighup")]
    pub restart_signal: String,
    /// The signal that stops it (default SIGTERM); SIGKILL follows after `kill_timeout`.
    #[serde(default = "sigterm")]
    pub stop_signal: String,
    /// How long a stop signal is given before SIGKILL (default 30 s).
    #[serde(default = "thirty_seconds", deserialize_with = "duration")]
    pub kill_timeout: Duration,
    /// Changes within this window after one another lead to one restart (default 2 s).
    #[serde(default = "two_seconds", deserialize_with = "duration")]
    pub debounce: Duration,
    /// Environment variables added for the child: a bare `isec://` reference is its
    /// value, anything else is a template.
    #[serde(default)]
    pub env: BTreeMap<String, String>,
}

/// What a changed environment does to the supervised process.
#[derive(Clone, Copy, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Restart {
    /// Stop it and start it again with the new environment.
    #[default]
    Always,
    /// Leave it running (it got its environment once).
    Never,
    /// Send it `restart_signal` (it reloads files the templates wrote itself).
    Signal,
}

fn five_minutes() -> Duration {
    Duration::from_secs(300)
}

pub(super) fn thirty_seconds() -> Duration {
    Duration::from_secs(30)
}

fn two_seconds() -> Duration {
    Duration::from_secs(2)
}

fn sighup() -> String {
    "SIGHUP".to_owned()
}

fn sigterm() -> String {
    "SIGTERM".to_owned()
}

/// A duration written as `"30s"`, `"5m"`, `"1h 30m"`.
pub(super) fn duration<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Duration, D::Error> {
    let text = String::deserialize(deserializer)?;
    parse_duration(&text).map_err(serde::de::Error::custom)
}

fn durations<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<BTreeMap<String, Duration>, D::Error> {
    BTreeMap::<String, String>::deserialize(deserializer)?
        .into_iter()
        .map(|(key, text)| {
            Ok((
                key,
                parse_duration(&text).map_err(serde::de::Error::custom)?,
            ))
        })
        .collect()
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    match humantime::parse_duration(text) {
        Ok(duration) if !duration.is_zero() => Ok(duration),
        Ok(_) => Err(format!("the duration '{text}' is zero")),
        Err(e) => Err(format!(
            "'{text}' is not a duration like \"30s\" or \"5m\": {e}"
        )),
    }
}
