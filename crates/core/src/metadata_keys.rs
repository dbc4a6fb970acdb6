//! Our own metadata keys: what ironsecrets keeps beside a secret's tags (the rotation
//! policy), named and encoded from one table, so every backend writes them the same way
//! and other clients of the provider (the Vault CLI, boto3, the Azure portal) see the
//! same keys.
//!
//! The keys are `ironsecrets.<name>` (a spelling Vault custom metadata, AWS tags, Azure
//! Key Vault tags and GCP annotations all accept), with values in whole seconds as
//! decimal digits (`ironsecrets.rotation-period = "2592000"`). The prefix is reserved:
//! a user tag may not start with it, and reserved keys a backend does not know are left
//! as they are.

use std::time::Duration;

use crate::{Error, Result, RotationPolicy};

/// The prefix of every key ironsecrets keeps beside the user's tags.
pub const RESERVED_PREFIX: &str = "ironsecrets.";

/// A field ironsecrets keeps beside a secret's tags.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ReservedKey {
    /// How often the value should change, in seconds.
    RotationPeriod,
    /// How long before the end of the period to remind, in seconds.
    RotationRemindBefore,
}

impl ReservedKey {
    /// Every reserved key.
    pub const ALL: &'static [ReservedKey] = &[
        ReservedKey::RotationPeriod,
        ReservedKey::RotationRemindBefore,
    ];

    /// The key as stored (`ironsecrets.rotation-period`).
    pub fn key(self) -> &'static str {
        match self {
            ReservedKey::RotationPeriod => "ironsecrets.rotation-period",
            ReservedKey::RotationRemindBefore => "ironsecrets.rotation-remind-before",
        }
    }
}

/// Whether `key` is one of ours (a user tag may not use the prefix).
pub fn is_reserved(key: &str) -> bool {
    key.starts_with(RESERVED_PREFIX)
}

/// InvalidInput when a user tag uses the reserved prefix.
pub fn check_tag(key: &str) -> Result<()> {
    if is_reserved(key) {
        return Err(Error::invalid_input(format!(
            "tag '{key}' uses the reserved prefix '{RESERVED_PREFIX}'"
        )));
    }
    Ok(())
}

/// The stored entries of a rotation policy.
pub fn rotation_entries(policy: &RotationPolicy) -> [(&'static str, String); 2] {
    [
        (
            ReservedKey::RotationPeriod.key(),
            policy.period.as_secs().to_string(),
        ),
        (
            ReservedKey::RotationRemindBefore.key(),
            policy.remind_before.as_secs().to_string(),
        ),
    ]
}

/// The rotation policy stored in the entries `get` finds; `None` without a period. A
/// value another client spoiled is an Unexpected error naming the key, rather than a
/// policy silently dropped; a missing reminder takes the default.
pub fn read_rotation<'a>(get: impl Fn(&str) -> Option<&'a str>) -> Result<Option<RotationPolicy>> {
    let Some(period) = get(ReservedKey::RotationPeriod.key()) else {
        return Ok(None);
    };
    let remind_before = match get(ReservedKey::RotationRemindBefore.key()) {
        Some(text) => seconds(ReservedKey::RotationRemindBefore, text)?,
        None => RotationPolicy::default().remind_before,
    };
    Ok(Some(RotationPolicy {
        period: seconds(ReservedKey::RotationPeriod, period)?,
        remind_before,
    }))
}

/// Whole seconds; a trailing `s` (a Go duration, as Vault tools write them) is accepted.
fn seconds(key: ReservedKey, text: &str) -> Result<Duration> {
    let digits = text.trim().strip_suffix('s').unwrap_or(text.trim());
    digits.parse::<u64>().map(Duration::from_secs).map_err(|_| {
        Error::unexpected(format!(
            "the metadata key '{}' does not hold a number of seconds",
            key.key()
        ))
    })
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::ErrorKind;

    #[test]
    fn a_policy_round_trips_through_its_entries() {
        let policy = RotationPolicy::days(30, 7);
        let stored: HashMap<&str, String> = rotation_entries(&policy).into_iter().collect();
        assert_eq!(stored["ironsecrets.rotation-period"], "2592000");
        assert_eq!(stored["ironsecrets.rotation-remind-before"], "604800");
        let back = read_rotation(|k| stored.get(k).map(String::as_str)).unwrap();
        assert_eq!(back, Some(policy));
    }

    #[test]
    fn no_period_is_no_policy_and_a_spoiled_value_names_its_key() {
        assert_eq!(read_rotation(|_| None).unwrap(), None);
        let err =
            read_rotation(|k| (k == "ironsecrets.rotation-period").then_some("soon")).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Unexpected);
        assert!(err.message().contains("ironsecrets.rotation-period"));
        let go = read_rotation(|k| (k == "ironsecrets.rotation-period").then_some("60s"))
            .unwrap()
            .unwrap();
        assert_eq!(go.period, Duration::from_secs(60));
        assert_eq!(go.remind_before, RotationPolicy::default().remind_before);
    }

    #[test]
    fn user_tags_may_not_use_the_prefix() {
        assert!(check_tag("owner").is_ok());
        let err = check_tag("ironsecrets.rotation-period").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidInput);
    }
}
