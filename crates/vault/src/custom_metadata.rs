//! Tags and rotation policy in KV v2 `custom_metadata`, where other Vault clients see them.
//!
//! - Each tag is a plain key: tag `owner=team-a` is `custom_metadata.owner = "team-a"`.
//! - The rotation policy is the core's reserved keys ([`ironsecrets_core::metadata_keys`],
//!   the same for every backend): `ironsecrets.rotation-period = "2592000"` and
//!   `ironsecrets.rotation-remind-before = "604800"` (whole seconds; a Go duration such
//!   as `"2592000s"` written by another tool reads too).
//! - Keys starting with `ironsecrets.` are ours: a tag may not use that prefix, and
//!   unknown keys under it are left as they are.
//!
//! Vault limits custom metadata to 64 keys of at most 128 bytes with values of at most
//! 512 bytes; a change that would exceed them is InvalidInput before any request.

use std::collections::{BTreeMap, HashMap};

use ironsecrets_core::metadata_keys::{self, ReservedKey, is_reserved, rotation_entries};
use ironsecrets_core::{Error, MetadataUpdate, Result, RotationPolicy};

const MAX_KEYS: usize = 64;
const MAX_KEY_LEN: usize = 128;
const MAX_VALUE_LEN: usize = 512;

/// Refuses an update Vault could not store, before any request is sent.
pub(crate) fn check(update: &MetadataUpdate) -> Result<()> {
    if update.max_versions == Some(0) {
        return Err(Error::invalid_input("max_versions must be at least 1"));
    }
    for (key, value) in update.tags.iter().flatten() {
        metadata_keys::check_tag(key)?;
        if key.is_empty() || key.len() > MAX_KEY_LEN {
            return Err(Error::invalid_input(format!(
                "tag keys must be 1 to {MAX_KEY_LEN} bytes; '{key}' is not"
            )));
        }
        if value.len() > MAX_VALUE_LEN {
            return Err(Error::invalid_input(format!(
                "the value of tag '{key}' is over {MAX_VALUE_LEN} bytes"
            )));
        }
    }
    Ok(())
}

/// Tags and rotation policy read from `custom_metadata`. A rotation key another client
/// spoiled is an error naming it, rather than a policy silently dropped.
pub(crate) fn read(
    custom: &HashMap<String, String>,
) -> Result<(BTreeMap<String, String>, Option<RotationPolicy>)> {
    let tags = custom
        .iter()
        .filter(|(k, _)| !is_reserved(k))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let rotation = metadata_keys::read_rotation(|key| custom.get(key).map(String::as_str))?;
    Ok((tags, rotation))
}

/// `current` with `update`'s tags and rotation policy applied; `None` when neither
/// changes. Our other reserved keys are kept.
pub(crate) fn apply(
    current: &HashMap<String, String>,
    update: &MetadataUpdate,
) -> Result<Option<HashMap<String, String>>> {
    if update.tags.is_none() && update.rotation.is_none() {
        return Ok(None);
    }
    let mut next: HashMap<String, String> = match &update.tags {
        Some(tags) => current
            .iter()
            .filter(|(k, _)| is_reserved(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .chain(tags.iter().map(|(k, v)| (k.clone(), v.clone())))
            .collect(),
        None => current.clone(),
    };
    if let Some(rotation) = &update.rotation {
        for key in ReservedKey::ALL {
            next.remove(key.key());
        }
        if let Some(policy) = rotation {
            next.extend(
                rotation_entries(policy)
                    .into_iter()
                    .map(|(key, value)| (key.to_owned(), value)),
            );
        }
    }
    if next.len() > MAX_KEYS {
        return Err(Error::invalid_input(format!(
            "Vault keeps at most {MAX_KEYS} custom metadata keys; this would make {}",
            next.len()
        )));
    }
    Ok(Some(next))
}

#[cfg(test)]
mod tests {
    use ironsecrets_core::ErrorKind;

    use super::*;

    const ROTATION_PERIOD: &str = "ironsecrets.rotation-period";
    const ROTATION_REMIND_BEFORE: &str = "ironsecrets.rotation-remind-before";

    fn map(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn tags_and_policy_round_trip() {
        let update = MetadataUpdate {
            tags: Some([("owner".to_owned(), "a".to_owned())].into()),
            rotation: Some(Some(RotationPolicy::days(30, 7))),
            max_versions: None,
        };
        let stored = apply(&HashMap::new(), &update).unwrap().unwrap();
        assert_eq!(
            stored,
            map(&[
                ("owner", "a"),
                (ROTATION_PERIOD, "2592000"),
                (ROTATION_REMIND_BEFORE, "604800"),
            ])
        );
        let (tags, rotation) = read(&stored).unwrap();
        assert_eq!(tags, update.tags.unwrap());
        assert_eq!(rotation, Some(RotationPolicy::days(30, 7)));
    }

    #[test]
    fn replacing_tags_keeps_the_policy_and_clearing_the_policy_keeps_tags() {
        let current = map(&[
            ("old", "x"),
            (ROTATION_PERIOD, "60s"),
            ("ironsecrets.other", "y"),
        ]);
        let tags_only = MetadataUpdate {
            tags: Some([("new".to_owned(), "z".to_owned())].into()),
            ..MetadataUpdate::default()
        };
        let next = apply(&current, &tags_only).unwrap().unwrap();
        assert_eq!(
            next,
            map(&[
                ("new", "z"),
                (ROTATION_PERIOD, "60s"),
                ("ironsecrets.other", "y")
            ])
        );
        let clear = MetadataUpdate {
            rotation: Some(None),
            ..MetadataUpdate::default()
        };
        let next = apply(&next, &clear).unwrap().unwrap();
        assert_eq!(next, map(&[("new", "z"), ("ironsecrets.other", "y")]));
        assert_eq!(apply(&next, &MetadataUpdate::default()).unwrap(), None);
    }

    #[test]
    fn reserved_or_oversized_tags_are_invalid_input() {
        for (key, value) in [
            ("ironsecrets.rotation-period", "1"),
            ("", "x"),
            (&"k".repeat(129) as &str, "x"),
            ("k", &"v".repeat(513) as &str),
        ] {
            let update = MetadataUpdate {
                tags: Some([(key.to_owned(), value.to_owned())].into()),
                ..MetadataUpdate::default()
            };
            assert_eq!(check(&update).unwrap_err().kind(), ErrorKind::InvalidInput);
        }
        let zero = MetadataUpdate {
            max_versions: Some(0),
            ..MetadataUpdate::default()
        };
        assert_eq!(check(&zero).unwrap_err().kind(), ErrorKind::InvalidInput);
    }

    #[test]
    fn a_spoiled_policy_is_reported() {
        let err = read(&map(&[(ROTATION_PERIOD, "soon")])).unwrap_err();
        assert!(err.message().contains(ROTATION_PERIOD));
    }
}
