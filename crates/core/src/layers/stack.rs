//! `Stack`: the layers a client puts over a backend, applied in one place.

use std::sync::Arc;

use crate::{Backend, CacheConfig, Caching, RetryConfig, Retrying, Service, WithContext};

/// Which layers go over a backend, innermost first: error context (always), retry (on by
/// default), cache (off by default). [`Stack::apply`] is the only place they are put
/// together, so no call is retried twice and every error is named once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stack {
    /// How to retry transient errors; `None` for one attempt per call.
    pub retry: Option<RetryConfig>,
    /// How to cache reads; `None` (default) for no cache.
    pub cache: Option<CacheConfig>,
}

impl Default for Stack {
    fn default() -> Self {
        Stack {
            retry: Some(RetryConfig::default()),
            cache: None,
        }
    }
}

impl Stack {
    /// The service for `backend` behind these layers.
    pub fn service(&self, backend: &Backend) -> Arc<dyn Service> {
        let mut service: Arc<dyn Service> = Arc::new(WithContext::new(Arc::new(backend.clone())));
        if let Some(config) = &self.retry {
            service = Arc::new(Retrying::new(service, config.clone()));
        }
        if let Some(config) = &self.cache {
            service = Arc::new(Caching::new(service, config.clone()));
        }
        service
    }

    /// `backend` with its store and every engine it has behind these layers; the
    /// native handle is the same.
    pub fn apply(&self, backend: &Backend) -> Backend {
        Backend::over(self.service(backend), backend)
    }
}
