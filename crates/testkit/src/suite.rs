//! The list of checks, the capability each needs, and the runner.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use ironsecrets_core::{Backend, Capabilities};

use crate::{CheckError, CheckResult, Entry, Report};

/// What a check needs from a backend's declared [`Capabilities`]: a check runs when its
/// requirement holds and is recorded as skipped (naming the capability) otherwise. A
/// check that runs must pass: an Unsupported answer to an operation the backend declared
/// is a failure, not a skip.
#[derive(Clone, Copy)]
pub struct Requirement {
    /// The capability, as its field path (`store.undelete`, `transit.hmac`).
    pub name: &'static str,
    /// Whether `capabilities` has it.
    pub holds: fn(&Capabilities) -> bool,
}

impl fmt::Debug for Requirement {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

type CheckFuture<'a> = Pin<Box<dyn Future<Output = CheckResult> + Send + 'a>>;

/// One named behaviour test and the capability it needs.
#[derive(Clone, Copy)]
pub struct Check {
    /// The check's name, which is also its function's name in this crate.
    pub name: &'static str,
    /// The capability it needs, if any.
    pub requires: Option<Requirement>,
    body: for<'a> fn(&'a Backend, &'a str) -> CheckFuture<'a>,
}

impl fmt::Debug for Check {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Check")
            .field("name", &self.name)
            .field("requires", &self.requires)
            .finish_non_exhaustive()
    }
}

impl Check {
    /// Runs the check under `prefix`, or skips it when the backend lacks its capability.
    pub async fn run(&self, backend: &Backend, prefix: &str) -> CheckResult {
        if let Some(requirement) = self.requires
            && !(requirement.holds)(&backend.capabilities())
        {
            return Err(CheckError::Skipped(format!(
                "capabilities.{} is not declared",
                requirement.name
            )));
        }
        (self.body)(backend, prefix).await
    }
}

macro_rules! checks {
    ($($module:ident :: $name:ident $(if $($field:ident).+)?),* $(,)?) => {
        /// Every check, in the order [`run_all`] runs them.
        pub static CHECKS: &[Check] = &[$(
            Check {
                name: stringify!($name),
                requires: checks!(@requires $($($field).+)?),
                body: |backend, prefix| Box::pin(crate::$module::$name(backend, prefix)),
            }
        ),*];
    };
    (@requires) => { None };
    (@requires store . $field:ident) => {
        Some(Requirement {
            name: concat!("store.", stringify!($field)),
            holds: |c| c.store.$field,
        })
    };
    (@requires transit) => {
        Some(Requirement {
            name: "transit",
            holds: |c| c.transit.is_some(),
        })
    };
    (@requires transit . $field:ident) => {
        Some(Requirement {
            name: concat!("transit.", stringify!($field)),
            holds: |c| c.transit_has(|t| t.$field),
        })
    };
}

checks! {
    secrets::round_trip_text,
    secrets::round_trip_empty if store.empty_values,
    secrets::round_trip_binary if store.binary_values,
    secrets::round_trip_large,
    secrets::round_trip_unicode,
    secrets::round_trip_map,
    versions::versions_in_order if store.versions,
    versions::max_versions_trims if store.max_versions,
    cas::cas_must_not_exist if store.check_and_set,
    cas::cas_current_version if store.check_and_set,
    list::list_by_prefix,
    list::list_after_delete_and_purge if store.soft_delete,
    lifecycle::delete_latest if store.soft_delete,
    lifecycle::undelete_restores if store.undelete,
    lifecycle::destroy_is_permanent if store.destroy,
    lifecycle::purge_removes_everything,
    metadata::metadata_on_put if store.tags,
    metadata::metadata_update if store.tags,
    metadata::metadata_timestamps if store.metadata,
    metadata::missing_is_not_found,
    invalid_input::invalid_paths_rejected,
    invalid_input::invalid_list_prefix_rejected,
    errors::errors_carry_context,
    redaction::canary_not_in_debug,
    redaction::canary_not_in_cas_error if store.check_and_set,
    declared::undeclared_store_operations_are_refused,
    declared::undeclared_engines_are_unsupported,
    declared::undeclared_transit_features_are_refused if transit,
    transit::transit_round_trip if transit,
    transit::transit_integrity if transit,
    transit::transit_rotation if transit.versioned_ciphertexts,
    transit::transit_min_decryption_version if transit.min_decryption_version,
    transit::transit_hmac if transit.hmac,
    transit::transit_sign_verify if transit,
    transit::transit_data_key if transit.data_keys,
    transit::transit_key_management if transit,
    transit::transit_import_key if transit.import,
}

/// Runs every check in [`CHECKS`]; see [`run_checks`].
pub async fn run_all(backend: &Backend) -> Report {
    run_checks(backend, CHECKS).await
}

/// Runs `checks` one after another under a fresh prefix `conformance-<random hex>/`, each in
/// its own folder `<prefix><check name>/`, and collects every result. Checks whose
/// capability is not declared are recorded as skipped. Run it on a backend behind the
/// layer stack (`Stack::default().apply(&backend)`, or a client's `backend()`): that is
/// what users get, and where error context comes from.
pub async fn run_checks(backend: &Backend, checks: &[Check]) -> Report {
    let prefix = format!("conformance-{:016x}/", rand::random::<u64>());
    let mut entries = Vec::with_capacity(checks.len());
    for check in checks {
        let result = check
            .run(backend, &format!("{prefix}{}/", check.name))
            .await;
        entries.push(Entry {
            name: check.name,
            result,
        });
    }
    Report {
        backend: backend.name().to_owned(),
        prefix,
        entries,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_names_are_unique() {
        let mut names: Vec<_> = CHECKS.iter().map(|c| c.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), CHECKS.len());
    }
}
