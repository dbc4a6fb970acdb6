//! Delivery without code changes: `isec://` references resolved from the config file's
//! named stores ([`Config`], [`Resolver`]), and kept current for a long-running process
//! ([`Watcher`]: leases renewed and re-issued, stored secrets read again). The command
//! line's `run`, `render`, `scan` and `agent` are built on these, and so can the bindings
//! be.

mod agent_spec;
#[cfg(feature = "vault")]
mod auth;
mod config;
mod read;
mod resolver;
mod watch;

pub use agent_spec::{AgentSpec, ExecSpec, Restart};
#[cfg(feature = "vault")]
pub use auth::{AuthSpec, Credential};
pub use config::{CONFIG_ENV, CONFIG_FILE, Config, Engine, TemplateSpec};
pub use resolver::{Resolved, Resolver};
pub use watch::{Poll, WatchEvent, Watcher, jittered};
