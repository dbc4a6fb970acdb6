//! Core of ironsecrets: the traits every backend implements, the types they exchange,
//! one error type, shared path validation, rotation policy, the URI registry and the
//! layers (retry, cache) that wrap any [`SecretStore`].
#![deny(missing_docs)]

mod backend;
mod capabilities;
mod error;
pub mod layers;
mod lease;
mod metadata;
mod path;
mod registry;
mod rotation;
mod store;
mod transit;
mod value;

pub use backend::Backend;
pub use capabilities::Capabilities;
pub use error::{Error, ErrorKind, Result};
pub use layers::{CacheConfig, CachingStore, RetryConfig, RetryingStore};
pub use lease::{CredentialRequest, DynamicCredentials, Lease, LeasedCredential, Leases};
pub use metadata::{MetadataUpdate, SecretMetadata, Version, VersionInfo, VersionState};
pub use path::{MAX_PATH_LEN, validate_path, validate_prefix};
pub use registry::{BackendFactory, BackendFuture, Registry, StoreUri};
pub use rotation::{RotationPolicy, RotationStatus};
pub use store::{Cas, PutOptions, Secret, SecretStore, VersionSelector};
pub use transit::{Ciphertext, DataKey, KeyInfo, KeyOptions, KeyType, Signature, Transit};
pub use value::{SecretMap, SecretValue};
