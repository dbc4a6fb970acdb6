//! The conformance suite every ironsecrets backend must pass: behaviour tests written once,
//! run against any [`Backend`](ironsecrets_core::Backend), selected by its [`Capabilities`](ironsecrets_core::Capabilities).
//!
//! A backend runs the whole suite in one line, behind the layer stack users get:
//!
//! ```no_run
//! # async fn conformance(backend: ironsecrets_core::Backend) {
//! // inside `#[tokio::test] async fn conformance() { ... }`
//! let layered = ironsecrets_core::Stack::default().apply(&backend);
//! ironsecrets_testkit::run_all(&layered).await.assert_passed();
//! # }
//! ```
//!
//! [`run_all`] writes everything under a fresh prefix `conformance-<random hex>/`, one
//! folder per check, so several runs can share one backend. It runs every check in
//! [`CHECKS`] whose [`Requirement`] the backend's declared capabilities meet (the
//! others are recorded as skipped), fails a declared operation that answers Unsupported,
//! checks that every undeclared one is refused (the `undeclared_*` checks), and collects every
//! failure into a [`Report`] instead of stopping at the first; [`Report::assert_passed`]
//! panics listing them all. [`run_checks`] runs a chosen subset, and each check is also a
//! public function taking the backend and a prefix of its own, e.g.
//! `round_trip_text(&backend, "mytest/").await.unwrap()`.
//!
//! Failure messages name the step and the error, never a secret value: values are compared
//! and a mismatch is reported by length.
//!
//! # The contract, where the providers differ
//! - An empty value is a value: it round-trips.
//! - `list("p/")` returns full paths, recursively, sorted; `pa/x` is not under `p/`. A
//!   soft-deleted secret is still listed (as in Vault, until its metadata goes); `purge`
//!   removes it.
//! - `delete` of the only version makes `get Latest` NotFound; metadata stays and shows
//!   the version Deleted.
//! - Decrypting below a key's `min_decryption_version` is InvalidInput; a tampered
//!   ciphertext or a wrong context is Integrity.
//! - Malformed paths are InvalidInput from the store itself, not only from the facade.
#![deny(missing_docs)]

mod cas;
mod check;
mod declared;
mod errors;
mod invalid_input;
mod lifecycle;
mod list;
mod metadata;
mod redaction;
mod report;
mod secrets;
mod suite;
mod transit;
mod versions;

pub mod services;

pub use cas::{cas_current_version, cas_must_not_exist};
pub use check::{CheckError, CheckResult};
pub use declared::{
    undeclared_engines_are_unsupported, undeclared_refused_before_any_request,
    undeclared_store_operations_are_refused, undeclared_transit_features_are_refused,
};
pub use errors::errors_carry_context;
pub use invalid_input::{invalid_list_prefix_rejected, invalid_paths_rejected};
pub use lifecycle::{
    delete_latest, destroy_is_permanent, purge_removes_everything, undelete_restores,
};
pub use list::{list_after_delete_and_purge, list_by_prefix};
pub use metadata::{metadata_on_put, metadata_timestamps, metadata_update, missing_is_not_found};
pub use redaction::{canary_not_in_cas_error, canary_not_in_debug};
pub use report::{Entry, Report};
pub use secrets::{
    round_trip_binary, round_trip_empty, round_trip_large, round_trip_map, round_trip_text,
    round_trip_unicode,
};
pub use suite::{CHECKS, Check, Requirement, run_all, run_checks};
pub use transit::{
    transit_data_key, transit_hmac, transit_import_key, transit_integrity, transit_key_management,
    transit_min_decryption_version, transit_rotation, transit_round_trip, transit_sign_verify,
};
pub use versions::{max_versions_trims, versions_in_order};
