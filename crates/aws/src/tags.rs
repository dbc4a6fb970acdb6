//! Tags and the rotation policy as AWS tags, readable and editable by any AWS tool.
//!
//! Each tag is a plain AWS tag; the policy is the core's reserved keys
//! ([`ironsecrets_core::metadata_keys`]): `ironsecrets.rotation-period` and
//! `ironsecrets.rotation-remind-before`, in whole seconds (`"2592000"`). Keys starting
//! with `ironsecrets.` are reserved, and keys starting with `aws:` belong to AWS.

use std::collections::BTreeMap;

use aws_sdk_secretsmanager::types::Tag;
use ironsecrets_core::metadata_keys::{self, is_reserved, rotation_entries};
use ironsecrets_core::{MetadataUpdate, Result, RotationPolicy};

/// User tags and rotation policy read from AWS tags.
pub(crate) fn from_aws(tags: &[Tag]) -> Result<(BTreeMap<String, String>, Option<RotationPolicy>)> {
    let pairs: BTreeMap<&str, &str> = tags
        .iter()
        .filter_map(|tag| Some((tag.key()?, tag.value().unwrap_or_default())))
        .collect();
    let rotation = metadata_keys::read_rotation(|key| pairs.get(key).copied())?;
    let user = pairs
        .into_iter()
        .filter(|(key, _)| !is_reserved(key))
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect();
    Ok((user, rotation))
}

/// Refuses user tags under the reserved prefix.
pub(crate) fn check_user_tags(tags: &BTreeMap<String, String>) -> Result<()> {
    tags.keys()
        .try_for_each(|key| metadata_keys::check_tag(key))
}

/// The complete AWS tag set after applying `update` to what `current` holds.
pub(crate) fn apply(
    current: (BTreeMap<String, String>, Option<RotationPolicy>),
    update: &MetadataUpdate,
) -> Result<BTreeMap<String, String>> {
    let (mut user, mut rotation) = current;
    if let Some(tags) = &update.tags {
        check_user_tags(tags)?;
        user = tags.clone();
    }
    if let Some(policy) = update.rotation {
        rotation = policy;
    }
    if let Some(policy) = rotation {
        user.extend(
            rotation_entries(&policy)
                .into_iter()
                .map(|(key, value)| (key.to_owned(), value)),
        );
    }
    Ok(user)
}

/// AWS tags from a key/value set.
pub(crate) fn to_aws(tags: &BTreeMap<String, String>) -> Vec<Tag> {
    tags.iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect()
}

#[cfg(test)]
mod tests {
    use ironsecrets_core::metadata_keys::ReservedKey;

    use super::*;

    const PERIOD: &str = "ironsecrets.rotation-period";

    #[test]
    fn policy_round_trips_through_tags() {
        let update = MetadataUpdate {
            tags: Some([("owner".to_owned(), "a".to_owned())].into()),
            rotation: Some(Some(RotationPolicy::days(30, 7))),
            max_versions: None,
        };
        let all = apply(Default::default(), &update).unwrap();
        assert_eq!(PERIOD, ReservedKey::RotationPeriod.key());
        assert_eq!(all.get(PERIOD).map(String::as_str), Some("2592000"));
        let (user, rotation) = from_aws(&to_aws(&all)).unwrap();
        assert_eq!(user, [("owner".to_owned(), "a".to_owned())].into());
        assert_eq!(rotation, Some(RotationPolicy::days(30, 7)));
    }

    #[test]
    fn reserved_prefix_is_refused() {
        let update = MetadataUpdate {
            tags: Some([(PERIOD.to_owned(), "1".to_owned())].into()),
            ..MetadataUpdate::default()
        };
        let err = apply(Default::default(), &update).unwrap_err();
        assert_eq!(err.kind(), ironsecrets_core::ErrorKind::InvalidInput);
    }
}
