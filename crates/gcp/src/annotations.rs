//! Tags and rotation policy stored on a GCP secret.
//!
//! GCP labels are restricted (keys and values at most 63 characters of lowercase
//! letters, digits, `_` and `-`, keys starting with a letter), while ironsecrets tags
//! are free text. So the tags live, exactly, as one JSON object in the annotation
//! [`TAGS_ANNOTATION`], and the rotation policy under the core's reserved keys
//! ([`ironsecrets_core::metadata_keys`]) as annotations, as every backend writes it.
//! Tags that happen to be valid labels are also written as labels (up to GCP's 64 per
//! secret), so they can be used in GCP filters and billing reports; labels set by other
//! tools are never overwritten, and labels are never read back when the
//! annotation is present. A secret made by another tool (no annotation) reads its
//! labels as tags. Other annotations and labels set by other tools are kept.

use std::collections::{BTreeMap, HashMap};

use ironsecrets_core::metadata_keys::{self, ReservedKey, rotation_entries};
use ironsecrets_core::{Error, MetadataUpdate, Result, RotationPolicy};

/// The annotation holding the tags as a JSON object (GCP annotation keys allow letters,
/// digits, `-`, `_` and `.`).
pub const TAGS_ANNOTATION: &str = "ironsecrets.tags";

/// Longest label key or value GCP accepts.
const MAX_LABEL_LEN: usize = 63;
/// Most labels GCP accepts on one secret.
const MAX_LABELS: usize = 64;

/// A secret's annotations and labels.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Annotated {
    /// GCP annotations.
    pub annotations: HashMap<String, String>,
    /// GCP labels.
    pub labels: HashMap<String, String>,
}

impl Annotated {
    /// The tags these annotations (or, without the tags annotation, labels) hold.
    pub fn tags(&self) -> Result<BTreeMap<String, String>> {
        match self.annotations.get(TAGS_ANNOTATION) {
            Some(json) => serde_json::from_str(json).map_err(|_| {
                Error::unexpected(format!(
                    "the {TAGS_ANNOTATION} annotation is not a JSON object of strings"
                ))
            }),
            None => Ok(self.labels.clone().into_iter().collect()),
        }
    }

    /// The rotation policy, if one is set.
    pub fn rotation(&self) -> Result<Option<RotationPolicy>> {
        metadata_keys::read_rotation(|key| self.annotations.get(key).map(String::as_str))
    }

    /// Applies an update; returns whether anything changed.
    pub fn apply(&mut self, update: &MetadataUpdate) -> bool {
        let mut changed = false;
        if let Some(tags) = &update.tags {
            if self.annotations.contains_key(TAGS_ANNOTATION)
                && let Ok(old) = self.tags()
            {
                self.labels.retain(|k, v| old.get(k) != Some(v));
            }
            let json = serde_json::to_string(tags).expect("a string map serializes");
            self.annotations.insert(TAGS_ANNOTATION.to_owned(), json);
            let room = MAX_LABELS.saturating_sub(self.labels.len());
            let mirrored: Vec<_> = tags
                .iter()
                .filter(|(k, v)| is_label(k, true) && is_label(v, false))
                .filter(|(k, _)| !self.labels.contains_key(*k))
                .take(room)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            self.labels.extend(mirrored);
            changed = true;
        }
        if let Some(rotation) = &update.rotation {
            for key in ReservedKey::ALL {
                self.annotations.remove(key.key());
            }
            if let Some(policy) = rotation {
                self.annotations.extend(
                    rotation_entries(policy)
                        .into_iter()
                        .map(|(key, value)| (key.to_owned(), value)),
                );
            }
            changed = true;
        }
        changed
    }
}

/// Whether `s` is a valid GCP label key (`key`) or value.
fn is_label(s: &str, key: bool) -> bool {
    let allowed = s
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '-');
    let starts_ok = !key || s.starts_with(|c: char| c.is_ascii_lowercase());
    allowed && starts_ok && s.len() <= MAX_LABEL_LEN
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn update(pairs: &[(&str, &str)], rotation: Option<Option<RotationPolicy>>) -> MetadataUpdate {
        MetadataUpdate {
            tags: Some(tags(pairs)),
            rotation,
            max_versions: None,
        }
    }

    #[test]
    fn free_text_tags_round_trip_and_label_safe_ones_become_labels() {
        let mut a = Annotated::default();
        let wanted = [("env", "prod"), ("Owner Team", "Ops & Sec ✓"), ("k", "")];
        assert!(a.apply(&update(&wanted, None)));
        assert_eq!(a.tags().unwrap(), tags(&wanted));
        assert_eq!(
            a.labels,
            HashMap::from([("env".into(), "prod".into()), ("k".into(), "".into())])
        );
    }

    #[test]
    fn replacing_tags_drops_old_mirrored_labels_but_keeps_foreign_ones() {
        let mut a = Annotated::default();
        a.labels.insert("team".into(), "infra".into());
        a.annotations.insert("other/x".into(), "y".into());
        a.apply(&update(&[("env", "prod")], None));
        a.apply(&update(&[("tier", "gold")], None));
        assert_eq!(a.tags().unwrap(), tags(&[("tier", "gold")]));
        assert_eq!(
            a.labels,
            HashMap::from([
                ("team".into(), "infra".into()),
                ("tier".into(), "gold".into())
            ])
        );
        assert_eq!(a.annotations["other/x"], "y");
    }

    #[test]
    fn mirrored_labels_stop_at_the_limit_and_never_overwrite_foreign_ones() {
        let mut a = Annotated::default();
        a.labels.insert("env".into(), "theirs".into());
        let many: BTreeMap<String, String> = (0..100)
            .map(|i| (format!("k{i:03}"), "v".to_owned()))
            .collect();
        let mut wanted = many.clone();
        wanted.insert("env".into(), "ours".into());
        a.apply(&MetadataUpdate {
            tags: Some(wanted.clone()),
            ..MetadataUpdate::default()
        });
        assert_eq!(a.labels.len(), MAX_LABELS);
        assert_eq!(a.labels["env"], "theirs");
        assert_eq!(a.tags().unwrap(), wanted);
    }

    #[test]
    fn rotation_is_set_and_cleared() {
        let mut a = Annotated::default();
        let policy = RotationPolicy::days(30, 7);
        a.apply(&MetadataUpdate {
            rotation: Some(Some(policy)),
            ..MetadataUpdate::default()
        });
        assert_eq!(a.rotation().unwrap(), Some(policy));
        a.apply(&MetadataUpdate {
            rotation: Some(None),
            ..MetadataUpdate::default()
        });
        assert_eq!(a.rotation().unwrap(), None);
        assert!(!a.apply(&MetadataUpdate::default()));
    }

    #[test]
    fn foreign_secrets_read_labels_as_tags_and_bad_json_is_unexpected() {
        let mut a = Annotated::default();
        a.labels.insert("env".into(), "dev".into());
        assert_eq!(a.tags().unwrap(), tags(&[("env", "dev")]));
        a.annotations.insert(TAGS_ANNOTATION.into(), "[1]".into());
        let period = ReservedKey::RotationPeriod.key();
        a.annotations.insert(period.into(), "{}".into());
        assert!(a.tags().unwrap_err().message().contains(TAGS_ANNOTATION));
        assert!(a.rotation().unwrap_err().message().contains(period));
    }

    #[test]
    fn label_rules() {
        assert!(is_label("env", true));
        assert!(!is_label("Env", true));
        assert!(!is_label("1env", true));
        assert!(is_label("1x", false));
        assert!(!is_label(&"a".repeat(64), false));
        assert!(!is_label("a.b", false));
    }
}
