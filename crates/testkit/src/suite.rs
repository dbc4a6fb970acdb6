//! The list of checks, the capability each needs, and the runner.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use ironsecrets_core::{Backend, Capabilities};

use crate::{CheckError, CheckResult, Entry, Report};

/// A capability a check needs; a check whose capability the backend lacks is skipped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capability {
    /// [`Capabilities::versions`].
    Versions,
    /// [`Capabilities::metadata`].
    Metadata,
    /// [`Capabilities::soft_delete`].
    SoftDelete,
    /// [`Capabilities::check_and_set`].
    CheckAndSet,
    /// [`Capabilities::undelete`].
    Undelete,
    /// [`Capabilities::destroy`].
    Destroy,
    /// [`Capabilities::tags`].
    Tags,
    /// [`Capabilities::binary_values`].
    BinaryValues,
    /// [`Capabilities::transit`].
    Transit,
}

impl Capability {
    /// The name of the [`Capabilities`] field.
    pub fn name(self) -> &'static str {
        match self {
            Capability::Versions => "versions",
            Capability::Metadata => "metadata",
            Capability::SoftDelete => "soft_delete",
            Capability::CheckAndSet => "check_and_set",
            Capability::Undelete => "undelete",
            Capability::Destroy => "destroy",
            Capability::Tags => "tags",
            Capability::BinaryValues => "binary_values",
            Capability::Transit => "transit",
        }
    }

    /// Whether `capabilities` has it.
    pub fn is_in(self, capabilities: &Capabilities) -> bool {
        match self {
            Capability::Versions => capabilities.versions,
            Capability::Metadata => capabilities.metadata,
            Capability::SoftDelete => capabilities.soft_delete,
            Capability::CheckAndSet => capabilities.check_and_set,
            Capability::Undelete => capabilities.undelete,
            Capability::Destroy => capabilities.destroy,
            Capability::Tags => capabilities.tags,
            Capability::BinaryValues => capabilities.binary_values,
            Capability::Transit => capabilities.transit,
        }
    }
}

type CheckFuture<'a> = Pin<Box<dyn Future<Output = CheckResult> + Send + 'a>>;

/// One named behaviour test and the capability it needs.
#[derive(Clone, Copy)]
pub struct Check {
    /// The check's name, which is also its function's name in this crate.
    pub name: &'static str,
    /// The capability it needs, if any.
    pub requires: Option<Capability>,
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
        if let Some(capability) = self.requires
            && !capability.is_in(&backend.capabilities())
        {
            return Err(CheckError::Skipped(format!(
                "capabilities.{} is false",
                capability.name()
            )));
        }
        (self.body)(backend, prefix).await
    }
}

macro_rules! checks {
    ($($module:ident :: $name:ident $(if $capability:ident)?),* $(,)?) => {
        /// Every check, in the order [`run_all`] runs them.
        pub static CHECKS: &[Check] = &[$(
            Check {
                name: stringify!($name),
                requires: checks!(@requires $($capability)?),
                body: |backend, prefix| Box::pin(crate::$module::$name(backend, prefix)),
            }
        ),*];
    };
    (@requires) => { None };
    (@requires $capability:ident) => { Some(Capability::$capability) };
}

checks! {
    secrets::round_trip_text,
    secrets::round_trip_empty,
    secrets::round_trip_binary if BinaryValues,
    secrets::round_trip_large,
    secrets::round_trip_unicode,
    secrets::round_trip_map,
    versions::versions_in_order if Versions,
    versions::max_versions_trims if Versions,
    cas::cas_must_not_exist if CheckAndSet,
    cas::cas_current_version if CheckAndSet,
    list::list_by_prefix,
    list::list_after_delete_and_purge if SoftDelete,
    lifecycle::delete_latest if SoftDelete,
    lifecycle::undelete_restores if Undelete,
    lifecycle::destroy_is_permanent if Destroy,
    lifecycle::purge_removes_everything,
    metadata::metadata_on_put if Tags,
    metadata::metadata_update if Tags,
    metadata::metadata_timestamps if Metadata,
    metadata::missing_is_not_found,
    invalid_input::invalid_paths_rejected,
    invalid_input::invalid_list_prefix_rejected,
    errors::errors_carry_context,
    redaction::canary_not_in_debug,
    redaction::canary_not_in_cas_error if CheckAndSet,
    transit::transit_round_trip if Transit,
    transit::transit_integrity if Transit,
    transit::transit_rotation if Transit,
    transit::transit_hmac if Transit,
    transit::transit_sign_verify if Transit,
    transit::transit_data_key if Transit,
    transit::transit_key_management if Transit,
    transit::transit_import_key if Transit,
}

/// Runs every check in [`CHECKS`]; see [`run_checks`].
pub async fn run_all(backend: &Backend) -> Report {
    run_checks(backend, CHECKS).await
}

/// Runs `checks` one after another under a fresh prefix `conformance-<random hex>/`, each in
/// its own folder `<prefix><check name>/`, and collects every result. Checks whose
/// capability is missing are recorded as skipped.
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
