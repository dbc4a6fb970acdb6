//! Layers: services that wrap a backend's service, and the stack every client applies.
//!
//! Each layer implements [`crate::Service::call`] once, for every operation of the store
//! and the engines alike; the typed traits ([`crate::SecretStore`], [`crate::Transit`],
//! [`crate::Leases`], [`crate::DynamicCredentials`]) of a layered backend are views that
//! turn their calls into [`crate::Request`]s through the whole stack.

mod cache;
mod context;
mod retry;
mod stack;
#[cfg(test)]
mod test_store;

pub use cache::{CacheConfig, Caching};
pub use context::WithContext;
pub use retry::{RetryConfig, Retrying};
pub use stack::Stack;
