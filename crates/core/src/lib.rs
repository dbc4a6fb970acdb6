//! Core of ironsecrets: the traits every backend implements, the types they exchange,
//! one error type, the [`Operation`] names, shared path validation, rotation policy,
//! backend options and the URI registry, and the layers (error context, retry, cache)
//! that wrap a whole backend.
//!
//! A backend implements the typed traits ([`SecretStore`], [`Transit`], [`Leases`],
//! [`DynamicCredentials`]) and declares its [`Capabilities`]; [`Backend`] bundles them.
//! A raw backend is a [`Service`] (one `call` from [`Request`] to [`Response`]); the
//! layers are services around it, and [`Stack::apply`] gives back a [`Backend`] whose
//! parts are views through the whole stack.
#![deny(missing_docs)]

mod backend;
mod capabilities;
mod error;
pub mod layers;
mod lease;
mod metadata;
pub mod metadata_keys;
mod operation;
pub mod options;
mod path;
mod reference;
mod registry;
mod request;
mod rotation;
mod service;
mod store;
mod transit;
mod value;
mod views;

pub use backend::Backend;
pub use capabilities::{Capabilities, StoreCapabilities, TransitCapabilities};
pub use error::{Error, ErrorKind, Result};
pub use layers::{CacheConfig, Caching, RetryConfig, Retrying, Stack, WithContext};
pub use lease::{CredentialRequest, DynamicCredentials, Lease, LeasedCredential, Leases};
pub use metadata::{MetadataUpdate, SecretMetadata, Version, VersionInfo, VersionState};
pub use operation::Operation;
pub use options::{BackendOptions, Location, OptionValue, Options};
pub use path::{MAX_PATH_LEN, validate_path, validate_prefix};
pub use reference::{DynamicKind, REFERENCE_SCHEME, Reference, Source, is_reference};
pub use registry::{BackendFuture, Registry, StoreUri};
pub use request::{Request, Response};
pub use rotation::{RotationPolicy, RotationStatus};
pub use service::Service;
pub use store::{Cas, PutOptions, Secret, SecretStore, VersionSelector};
pub use transit::{Ciphertext, DataKey, KeyInfo, KeyOptions, KeyType, Signature, Transit};
pub use value::{SecretMap, SecretValue};
