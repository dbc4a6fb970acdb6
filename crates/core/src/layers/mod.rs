//! Layers that wrap any `Arc<dyn SecretStore>` and are themselves a `SecretStore`.

mod cache;
mod retry;
#[cfg(test)]
mod test_store;

pub use cache::{CacheConfig, CachingStore};
pub use retry::{RetryConfig, RetryingStore};
