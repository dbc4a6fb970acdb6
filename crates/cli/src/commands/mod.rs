//! The commands, grouped by what they work on. Each takes the opened client (or, for
//! `run`, `render` and `mcp`, the reference resolver; for `agent`, the config file) and its parsed arguments and prints
//! through [`crate::output`].

pub mod agent;
pub mod audit;
pub mod bundle;
pub mod completions;
pub mod init;
pub mod mcp;
pub mod metadata;
pub mod render;
pub mod role;
pub mod run;
pub mod scan;
pub mod secrets;
pub mod status;
pub mod transit;
