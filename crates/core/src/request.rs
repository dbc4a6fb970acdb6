//! `Request` and `Response`: every call on a backend's store and engines as one value,
//! so a layer (error context, retry, cache) handles them all in one method.

use std::fmt;
use std::time::Duration;

use crate::{
    Ciphertext, CredentialRequest, DataKey, Error, KeyInfo, KeyOptions, KeyType, Lease,
    LeasedCredential, MetadataUpdate, Operation, PutOptions, Result, Secret, SecretMetadata,
    SecretValue, Signature, Version, VersionInfo, VersionSelector,
};

/// One call on a backend, with owned arguments. Debug shows the operation and its target
/// (path, key name or lease id) only, never a value.
#[derive(Clone)]
#[non_exhaustive]
pub enum Request {
    /// [`crate::SecretStore::get`].
    Get {
        /// The secret's path.
        path: String,
        /// Which version.
        version: VersionSelector,
    },
    /// [`crate::SecretStore::put`].
    Put {
        /// The secret's path.
        path: String,
        /// The new value.
        value: SecretValue,
        /// Check-and-set and metadata.
        options: PutOptions,
    },
    /// [`crate::SecretStore::delete`].
    Delete {
        /// The secret's path.
        path: String,
        /// The versions (the newest when empty).
        versions: Vec<Version>,
    },
    /// [`crate::SecretStore::undelete`].
    Undelete {
        /// The secret's path.
        path: String,
        /// The versions (the newest when empty).
        versions: Vec<Version>,
    },
    /// [`crate::SecretStore::destroy`].
    Destroy {
        /// The secret's path.
        path: String,
        /// The versions (the newest when empty).
        versions: Vec<Version>,
    },
    /// [`crate::SecretStore::purge`].
    Purge {
        /// The secret's path.
        path: String,
    },
    /// [`crate::SecretStore::list`].
    List {
        /// The prefix (empty for everything).
        prefix: String,
    },
    /// [`crate::SecretStore::metadata`].
    Metadata {
        /// The secret's path.
        path: String,
    },
    /// [`crate::SecretStore::update_metadata`].
    UpdateMetadata {
        /// The secret's path.
        path: String,
        /// The change.
        update: MetadataUpdate,
    },
    /// [`crate::SecretStore::current_version`].
    CurrentVersion {
        /// The secret's path.
        path: String,
        /// The selector to resolve.
        version: VersionSelector,
    },
    /// [`crate::Transit::create_key`].
    CreateKey {
        /// The key's name.
        name: String,
        /// Type and exportability.
        options: KeyOptions,
    },
    /// [`crate::Transit::read_key`].
    ReadKey {
        /// The key's name.
        name: String,
    },
    /// [`crate::Transit::list_keys`].
    ListKeys,
    /// [`crate::Transit::rotate_key`].
    RotateKey {
        /// The key's name.
        name: String,
    },
    /// [`crate::Transit::set_min_decryption_version`].
    SetMinDecryptionVersion {
        /// The key's name.
        name: String,
        /// The oldest version allowed to decrypt.
        version: u32,
    },
    /// [`crate::Transit::encrypt`].
    Encrypt {
        /// The key's name.
        name: String,
        /// What to encrypt.
        plaintext: SecretValue,
        /// Authenticated context.
        context: Option<Vec<u8>>,
    },
    /// [`crate::Transit::decrypt`].
    Decrypt {
        /// The key's name.
        name: String,
        /// What to decrypt.
        ciphertext: Ciphertext,
        /// Authenticated context.
        context: Option<Vec<u8>>,
    },
    /// [`crate::Transit::rewrap`].
    Rewrap {
        /// The key's name.
        name: String,
        /// What to re-encrypt.
        ciphertext: Ciphertext,
        /// Authenticated context.
        context: Option<Vec<u8>>,
    },
    /// [`crate::Transit::sign`].
    Sign {
        /// The key's name.
        name: String,
        /// What to sign.
        data: SecretValue,
    },
    /// [`crate::Transit::verify`].
    Verify {
        /// The key's name.
        name: String,
        /// What was signed.
        data: SecretValue,
        /// The signature to check.
        signature: Signature,
    },
    /// [`crate::Transit::hmac`].
    Hmac {
        /// The key's name.
        name: String,
        /// What to authenticate.
        data: SecretValue,
    },
    /// [`crate::Transit::verify_hmac`].
    VerifyHmac {
        /// The key's name.
        name: String,
        /// What was authenticated.
        data: SecretValue,
        /// The HMAC to check.
        hmac: Signature,
    },
    /// [`crate::Transit::generate_data_key`].
    GenerateDataKey {
        /// The key's name.
        name: String,
        /// 128, 256 or 512.
        bits: u32,
    },
    /// [`crate::Transit::import_key`].
    ImportKey {
        /// The key's name.
        name: String,
        /// Its algorithm.
        key_type: KeyType,
        /// The key material.
        material: SecretValue,
    },
    /// [`crate::Leases::renew`].
    RenewLease {
        /// The lease's id.
        lease_id: String,
        /// The extension asked for (the backend's default when `None`).
        increment: Option<Duration>,
    },
    /// [`crate::Leases::revoke`].
    RevokeLease {
        /// The lease's id.
        lease_id: String,
    },
    /// [`crate::Leases::lookup`].
    LookupLease {
        /// The lease's id.
        lease_id: String,
    },
    /// [`crate::DynamicCredentials::issue`].
    Issue {
        /// What to issue.
        request: CredentialRequest,
    },
}

impl Request {
    /// The operation this request performs.
    pub fn operation(&self) -> Operation {
        match self {
            Request::Get { .. } => Operation::Get,
            Request::Put { .. } => Operation::Put,
            Request::Delete { .. } => Operation::Delete,
            Request::Undelete { .. } => Operation::Undelete,
            Request::Destroy { .. } => Operation::Destroy,
            Request::Purge { .. } => Operation::Purge,
            Request::List { .. } => Operation::List,
            Request::Metadata { .. } => Operation::Metadata,
            Request::UpdateMetadata { .. } => Operation::UpdateMetadata,
            Request::CurrentVersion { .. } => Operation::CurrentVersion,
            Request::CreateKey { .. } => Operation::CreateKey,
            Request::ReadKey { .. } => Operation::ReadKey,
            Request::ListKeys => Operation::ListKeys,
            Request::RotateKey { .. } => Operation::RotateKey,
            Request::SetMinDecryptionVersion { .. } => Operation::ConfigureKey,
            Request::Encrypt { .. } => Operation::Encrypt,
            Request::Decrypt { .. } => Operation::Decrypt,
            Request::Rewrap { .. } => Operation::Rewrap,
            Request::Sign { .. } => Operation::Sign,
            Request::Verify { .. } => Operation::Verify,
            Request::Hmac { .. } => Operation::Hmac,
            Request::VerifyHmac { .. } => Operation::VerifyHmac,
            Request::GenerateDataKey { .. } => Operation::GenerateDataKey,
            Request::ImportKey { .. } => Operation::ImportKey,
            Request::RenewLease { .. } => Operation::RenewLease,
            Request::RevokeLease { .. } => Operation::RevokeLease,
            Request::LookupLease { .. } => Operation::LookupLease,
            Request::Issue { .. } => Operation::IssueCredential,
        }
    }

    /// What the request is about: the secret path or list prefix, the transit key's
    /// name, the lease id, or the credential role's mount and name. Never a value.
    pub fn target(&self) -> String {
        match self {
            Request::Get { path, .. }
            | Request::Put { path, .. }
            | Request::Delete { path, .. }
            | Request::Undelete { path, .. }
            | Request::Destroy { path, .. }
            | Request::Purge { path }
            | Request::Metadata { path }
            | Request::UpdateMetadata { path, .. }
            | Request::CurrentVersion { path, .. } => path.clone(),
            Request::List { prefix } => prefix.clone(),
            Request::CreateKey { name, .. }
            | Request::ReadKey { name }
            | Request::RotateKey { name }
            | Request::SetMinDecryptionVersion { name, .. }
            | Request::Encrypt { name, .. }
            | Request::Decrypt { name, .. }
            | Request::Rewrap { name, .. }
            | Request::Sign { name, .. }
            | Request::Verify { name, .. }
            | Request::Hmac { name, .. }
            | Request::VerifyHmac { name, .. }
            | Request::GenerateDataKey { name, .. }
            | Request::ImportKey { name, .. } => name.clone(),
            Request::ListKeys => String::new(),
            Request::RenewLease { lease_id, .. }
            | Request::RevokeLease { lease_id }
            | Request::LookupLease { lease_id } => lease_id.clone(),
            Request::Issue { request } => request.role_path(),
        }
    }

    /// Whether sending the request twice has the same effect as sending it once, so a
    /// retry after an ambiguous failure (the reply was lost) cannot do something twice.
    ///
    /// Not idempotent: a `put` without check-and-set (a retry may write a second
    /// version), a key rotation (may add two versions) and issuing credentials (may
    /// create two users or certificates). A `put` with check-and-set is idempotent: a
    /// retry of an applied write fails the condition (Conflict) instead of writing again.
    pub fn is_idempotent(&self) -> bool {
        match self {
            Request::Put { options, .. } => options.cas.is_some(),
            Request::RotateKey { .. } | Request::Issue { .. } => false,
            _ => true,
        }
    }

    /// Whether the request changes a secret (so a cache must forget the path).
    pub fn writes_secret(&self) -> bool {
        matches!(
            self,
            Request::Put { .. }
                | Request::Delete { .. }
                | Request::Undelete { .. }
                | Request::Destroy { .. }
                | Request::Purge { .. }
                | Request::UpdateMetadata { .. }
        )
    }
}

impl fmt::Debug for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Request")
            .field("operation", &self.operation())
            .field("target", &self.target())
            .finish_non_exhaustive()
    }
}

macro_rules! responses {
    ($($(#[$doc:meta])* $variant:ident($ty:ty),)*) => {
        /// What a [`Request`] returns: one variant per result type.
        #[derive(Clone, Debug)]
        #[non_exhaustive]
        pub enum Response {
            $($(#[$doc])* $variant($ty),)*
        }

        impl Response {
            fn kind(&self) -> &'static str {
                match self {
                    $(Response::$variant(_) => stringify!($variant),)*
                }
            }
        }

        $(
            impl TryFrom<Response> for $ty {
                type Error = Error;

                fn try_from(response: Response) -> Result<$ty> {
                    match response {
                        Response::$variant(value) => Ok(value),
                        other => Err(mismatch(stringify!($variant), other.kind())),
                    }
                }
            }

            impl From<$ty> for Response {
                fn from(value: $ty) -> Response {
                    Response::$variant(value)
                }
            }
        )*
    };
}

responses! {
    /// A secret's value (`Get`).
    Secret(Secret),
    /// The version written (`Put`).
    Written(VersionInfo),
    /// Nothing to return (`Delete`, `Purge`, `RevokeLease`, ...).
    Done(()),
    /// Paths or key names (`List`, `ListKeys`).
    Names(Vec<String>),
    /// A secret's metadata (`Metadata`, `UpdateMetadata`).
    Metadata(SecretMetadata),
    /// The version a selector names now, if the backend can tell (`CurrentVersion`).
    Version(Option<Version>),
    /// A transit key's description.
    Key(KeyInfo),
    /// A ciphertext (`Encrypt`, `Rewrap`).
    Ciphertext(Ciphertext),
    /// A decrypted value (`Decrypt`).
    Plaintext(SecretValue),
    /// A signature or HMAC.
    Signature(Signature),
    /// Whether a signature or HMAC is valid.
    Valid(bool),
    /// A data key.
    DataKey(DataKey),
    /// A lease as granted or looked up.
    Lease(Lease),
    /// Issued credentials.
    Credential(LeasedCredential),
}

fn mismatch(expected: &str, got: &str) -> Error {
    Error::unexpected(format!(
        "the backend answered with {got} where {expected} was expected"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Cas;

    #[test]
    fn debug_shows_operation_and_target_only() {
        let request = Request::Put {
            path: "app/db".into(),
            value: SecretValue::from("canary-1f2e"),
            options: PutOptions::default(),
        };
        let shown = format!("{request:?}");
        assert!(shown.contains("Put") && shown.contains("app/db"), "{shown}");
        assert!(!shown.contains("canary"), "{shown}");
    }

    #[test]
    fn only_writes_that_could_apply_twice_are_not_idempotent() {
        let put = |cas| Request::Put {
            path: "p".into(),
            value: "v".into(),
            options: PutOptions {
                cas,
                ..PutOptions::default()
            },
        };
        assert!(!put(None).is_idempotent());
        assert!(put(Some(Cas::MustNotExist)).is_idempotent());
        assert!(!Request::RotateKey { name: "k".into() }.is_idempotent());
        assert!(
            Request::Encrypt {
                name: "k".into(),
                plaintext: "x".into(),
                context: None
            }
            .is_idempotent()
        );
        let issue = Request::Issue {
            request: CredentialRequest::Database {
                mount: "database".into(),
                role: "app".into(),
            },
        };
        assert!(!issue.is_idempotent());
        assert_eq!(issue.target(), "database/app");
    }

    #[test]
    fn a_response_of_another_type_is_unexpected() {
        let err = Secret::try_from(Response::Done(())).unwrap_err();
        assert_eq!(err.kind(), crate::ErrorKind::Unexpected);
        assert!(err.message().contains("Done"), "{err}");
        let names = Vec::<String>::try_from(Response::Names(vec!["a".into()])).unwrap();
        assert_eq!(names, ["a"]);
    }
}
