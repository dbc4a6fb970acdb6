//! The commands, grouped by what they work on. Each takes the opened client and its
//! parsed arguments and prints through [`crate::output`].

pub mod audit;
pub mod bundle;
pub mod completions;
pub mod init;
pub mod metadata;
pub mod role;
pub mod secrets;
pub mod status;
pub mod transit;
