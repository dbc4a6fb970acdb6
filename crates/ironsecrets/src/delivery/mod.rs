//! Delivery without code changes: `isec://` references resolved from the config file's
//! named stores ([`Config`], [`Resolver`]). The command line's `run`, `render` and `scan`
//! are built on these, and so can the bindings be.

mod config;
mod resolver;

pub use config::{CONFIG_ENV, CONFIG_FILE, Config, TemplateSpec};
pub use resolver::{Resolved, Resolver};
