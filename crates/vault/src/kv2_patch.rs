//! `Kv2Store::patch`: changing some fields of a KV v2 secret in place, with Vault's
//! `PATCH <mount>/data/<path>` (a JSON merge patch, RFC 7396), as a new version.
//!
//! Patching is for secrets stored as maps (a [`SecretMap`] written with `put`, or an
//! entry another Vault client wrote). The server merges the patch into the newest
//! version: fields [`KvPatch::set`] are added or replaced, fields [`KvPatch::remove`]d
//! are dropped (sent as `null`), every other field is kept. A text value is stored as
//! `{"value": "<text>"}` (see the crate docs), so patching it adds fields beside
//! `value` and the secret then reads as that map's JSON, no longer as the text; a patch
//! that leaves exactly a string `value` field makes it read as that text.

use std::collections::BTreeMap;
use std::fmt;

use ironsecrets_core::{
    Cas, Error, Operation, Result, SecretMap, SecretValue, Version, VersionInfo, validate_path,
};
use serde_json::{Map, Value, json};

use crate::Kv2Store;
use crate::client::ApiRequest;
use crate::errors::{context, not_found_as};
use crate::kv2::{cas_conflict, number, written};

/// The fields a [`Kv2Store::patch`] sets and removes. A [`SecretMap`] converts into the
/// patch that sets its fields. Debug shows field names only, never values.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct KvPatch {
    /// Field name → the new value, or `None` to remove the field.
    fields: BTreeMap<String, Option<SecretValue>>,
}

impl KvPatch {
    /// A patch that changes nothing yet.
    pub fn new() -> Self {
        KvPatch::default()
    }

    /// Sets (adds or replaces) `field`; the value must be UTF-8 text.
    pub fn set(mut self, field: impl Into<String>, value: impl Into<SecretValue>) -> Self {
        self.fields.insert(field.into(), Some(value.into()));
        self
    }

    /// Removes `field` (a merge patch's `null`); removing a field the secret lacks is
    /// not an error.
    pub fn remove(mut self, field: impl Into<String>) -> Self {
        self.fields.insert(field.into(), None);
        self
    }

    /// Whether the patch changes no field.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The merge patch's `data` object.
    fn to_json(&self) -> Result<Value> {
        if self.fields.is_empty() {
            return Err(Error::invalid_input("a patch must set or remove a field"));
        }
        let mut data = Map::new();
        for (field, value) in &self.fields {
            if field.is_empty() {
                return Err(Error::invalid_input("a field name must not be empty"));
            }
            let value = match value {
                Some(value) => Value::String(
                    value
                        .expose_str()
                        .map_err(|_| {
                            Error::invalid_input(format!(
                                "field '{field}' is binary; patched fields must be text"
                            ))
                        })?
                        .to_owned(),
                ),
                None => Value::Null,
            };
            data.insert(field.clone(), value);
        }
        Ok(Value::Object(data))
    }
}

impl From<SecretMap> for KvPatch {
    fn from(map: SecretMap) -> Self {
        let fields = map
            .iter()
            .map(|(field, value)| (field.to_owned(), Some(value.clone())))
            .collect();
        KvPatch { fields }
    }
}

impl fmt::Debug for KvPatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (set, remove): (Vec<_>, Vec<_>) = self.fields.iter().partition(|(_, v)| v.is_some());
        f.debug_struct("KvPatch")
            .field("set", &set.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .field("remove", &remove.iter().map(|(k, _)| k).collect::<Vec<_>>())
            .finish()
    }
}

impl Kv2Store {
    /// Merges `fields` into the newest version of the secret at `path`, as a new version
    /// (see the module docs for what happens to a text value). With `cas`, the newest
    /// version must be that one.
    ///
    /// Errors: NotFound when the path has no readable newest version (missing, deleted
    /// or destroyed); Conflict when `cas` is not the newest version; InvalidInput for an
    /// empty patch, an empty field name or a binary field value.
    pub async fn patch(
        &self,
        path: &str,
        fields: impl Into<KvPatch>,
        cas: Option<Version>,
    ) -> Result<VersionInfo> {
        let fields = fields.into();
        self.merge(path, &fields, cas)
            .await
            .map_err(context(Operation::Patch, path))
    }

    async fn merge(
        &self,
        path: &str,
        fields: &KvPatch,
        cas: Option<Version>,
    ) -> Result<VersionInfo> {
        validate_path(path)?;
        let mut body = json!({ "data": fields.to_json()? });
        if let Some(version) = &cas {
            body["options"] = json!({ "cas": number(version)? });
        }
        let request = ApiRequest::patch(format!("{}/data/{path}", self.mount()), body);
        let cas = cas.map(Cas::CurrentVersion);
        let reply = self.client().call(request).await.map_err(|e| {
            let e = not_found_as(
                e,
                "no readable secret at this path to patch (missing, deleted or destroyed)",
            );
            cas_conflict(e, cas.as_ref())
        })?;
        written(reply.data()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_and_remove_make_a_merge_patch() {
        let patch = KvPatch::new().set("user", "app").remove("old");
        assert_eq!(
            patch.to_json().unwrap(),
            json!({ "user": "app", "old": null })
        );
    }

    #[test]
    fn a_secret_map_sets_its_fields() {
        let map: SecretMap = [("a", "1"), ("b", "2")].into_iter().collect();
        let patch = KvPatch::from(map);
        assert_eq!(patch.to_json().unwrap(), json!({ "a": "1", "b": "2" }));
    }

    #[test]
    fn empty_and_binary_patches_are_refused() {
        assert!(KvPatch::new().to_json().is_err());
        assert!(KvPatch::new().set("", "x").to_json().is_err());
        let binary = KvPatch::new().set("k", vec![0xff, 0xfe]);
        assert!(binary.to_json().is_err());
    }

    #[test]
    fn debug_shows_names_not_values() {
        let patch = KvPatch::new().set("password", "canary-7781").remove("old");
        let shown = format!("{patch:?}");
        assert!(
            shown.contains("password") && shown.contains("old"),
            "{shown}"
        );
        assert!(!shown.contains("canary"), "{shown}");
    }
}
