//! What one reference key reads: a stored value or a leased credential's fields, and how
//! a reference's `#field` is taken from it.

use ironsecrets_core::{
    CredentialRequest, DynamicKind, Error, Reference, Result, SecretMap, SecretValue,
};

/// What one reference key read.
#[derive(PartialEq)]
pub(super) enum Read {
    /// A stored secret's value.
    Stored(SecretValue),
    /// A dynamic credential's fields.
    Leased(SecretMap),
}

impl Read {
    /// The value `reference` asks for: the whole secret, or one of its fields.
    pub(super) fn field(&self, reference: &Reference) -> Result<SecretValue> {
        let fields = match (self, reference.field()) {
            (Read::Stored(value), None) => return Ok(value.clone()),
            (Read::Stored(value), Some(_)) => SecretMap::from_value(value).map_err(|_| {
                Error::invalid_input(format!(
                    "{reference}: the secret is not a key/value secret, so it has no #field"
                ))
            })?,
            (Read::Leased(fields), _) => fields.clone(),
        };
        let names = || fields.keys().collect::<Vec<_>>().join(", ");
        let Some(field) = reference.field() else {
            return Err(Error::invalid_input(format!(
                "{reference}: a dynamic credential has several fields; name one with #field ({})",
                names()
            )));
        };
        fields.get(field).cloned().ok_or_else(|| {
            Error::not_found(format!(
                "{reference}: no field '{field}' (fields: {})",
                names()
            ))
        })
    }
}

/// The credential a dynamic reference key (of `kind`) asks for.
pub(super) fn credential_request(key: &Reference, kind: &DynamicKind) -> CredentialRequest {
    let (mount, role) = key.mount_and_role().expect("checked by the parser");
    let (mount, role) = (mount.to_owned(), role.to_owned());
    match kind {
        DynamicKind::Database => CredentialRequest::Database { mount, role },
        DynamicKind::DatabaseStatic => CredentialRequest::DatabaseStatic { mount, role },
        DynamicKind::Cloud => CredentialRequest::Cloud {
            mount,
            role,
            ttl: None,
        },
    }
}

/// `err` with the reference it came from in front of its message.
pub(super) fn in_reference(err: Error, reference: &Reference) -> Error {
    Error::new(err.kind(), format!("{reference}: {err}"))
}
