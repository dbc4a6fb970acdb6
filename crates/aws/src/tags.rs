//! Tags and the rotation policy as AWS tags, readable and editable by any AWS tool.
//!
//! Each tag is a plain AWS tag; the policy is the two tags `ironsecrets:rotation-period`
//! and `ironsecrets:rotation-remind-before`, in whole seconds (`"2592000"`). Keys starting
//! with `ironsecrets:` are reserved, and keys starting with `aws:` belong to AWS.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_secretsmanager::types::Tag;
use ironsecrets_core::{Error, MetadataUpdate, Result, RotationPolicy};

const RESERVED: &str = "ironsecrets:";
const PERIOD: &str = "ironsecrets:rotation-period";
const REMIND: &str = "ironsecrets:rotation-remind-before";

/// User tags and rotation policy read from AWS tags.
pub(crate) fn from_aws(tags: &[Tag]) -> Result<(BTreeMap<String, String>, Option<RotationPolicy>)> {
    let mut user = BTreeMap::new();
    let (mut period, mut remind) = (None, None);
    for tag in tags {
        let (Some(key), value) = (tag.key(), tag.value().unwrap_or_default()) else {
            continue;
        };
        match key {
            PERIOD => period = Some(seconds(key, value)?),
            REMIND => remind = Some(seconds(key, value)?),
            _ if key.starts_with(RESERVED) => {}
            _ => {
                user.insert(key.to_owned(), value.to_owned());
            }
        }
    }
    let rotation = period.map(|period| RotationPolicy {
        period,
        remind_before: remind.unwrap_or(RotationPolicy::default().remind_before),
    });
    Ok((user, rotation))
}

fn seconds(key: &str, value: &str) -> Result<Duration> {
    value
        .parse()
        .map(Duration::from_secs)
        .map_err(|_| Error::invalid_input(format!("tag {key} is not a number of seconds")))
}

/// Refuses user tags under the reserved prefix.
pub(crate) fn check_user_tags(tags: &BTreeMap<String, String>) -> Result<()> {
    match tags.keys().find(|k| k.starts_with(RESERVED)) {
        Some(key) => Err(Error::invalid_input(format!(
            "tag '{key}' uses the reserved prefix {RESERVED}"
        ))),
        None => Ok(()),
    }
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
        user.insert(PERIOD.to_owned(), policy.period.as_secs().to_string());
        user.insert(
            REMIND.to_owned(),
            policy.remind_before.as_secs().to_string(),
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
    use super::*;

    #[test]
    fn policy_round_trips_through_tags() {
        let update = MetadataUpdate {
            tags: Some([("owner".to_owned(), "a".to_owned())].into()),
            rotation: Some(Some(RotationPolicy::days(30, 7))),
            max_versions: None,
        };
        let all = apply(Default::default(), &update).unwrap();
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
