//! The npm package `ironsecrets`: the Rust client as a Node-API addon, loaded by the
//! hand-written `index.js`. Thin by design: it maps names, values and errors; every
//! behaviour is the Rust core's.
//!
//! - `runtime`: promises over the core's futures, `AbortSignal`;
//! - `errors`: core errors as the kind's error class (made in `index.js`);
//! - `convert`, `values`, `types`: arguments in, results out;
//! - `client`, `engines`, `vault`: the client classes;
//! - `leases`, `generations`: managed leases and credential generations for pools.

mod capabilities;
mod client;
mod convert;
mod engines;
mod errors;
mod generations;
mod leases;
mod runtime;
mod types;
mod values;
mod vault;

use ironsecrets::Operation;
use napi_derive::napi;

/// What `index.js` calls at load to make the error classes.
pub use errors::{error_kinds, set_error_factory};

/// The package version.
#[napi]
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

/// Every operation's name, in the core's order.
#[napi]
pub fn operations() -> Vec<&'static str> {
    Operation::ALL.iter().map(|op| op.name()).collect()
}
