//! The commands, grouped by what they work on. Each takes the opened client (or, for
//! `run` and `render`, the reference resolver) and its parsed arguments and prints
//! through [`crate::output`].

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
