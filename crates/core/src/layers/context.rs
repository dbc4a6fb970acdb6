//! Error-context layer: names the backend, the operation and its target (path, key name,
//! lease id) on every error, once, so backends do not attach it by hand.

use std::sync::Arc;

use async_trait::async_trait;

use crate::{Capabilities, Request, Response, Result, Service};

/// A layer that fills in [`crate::Error::backend`], [`crate::Error::operation`] and
/// [`crate::Error::path`] on the errors of the service it wraps, where the backend left
/// them unset (a backend may name a more precise path, e.g. the version it read).
pub struct WithContext {
    inner: Arc<dyn Service>,
}

impl WithContext {
    /// Wraps `inner`.
    pub fn new(inner: Arc<dyn Service>) -> Self {
        WithContext { inner }
    }
}

#[async_trait]
impl Service for WithContext {
    fn backend(&self) -> &'static str {
        self.inner.backend()
    }

    fn capabilities(&self) -> Capabilities {
        self.inner.capabilities()
    }

    async fn call(&self, request: Request) -> Result<Response> {
        let operation = request.operation();
        let target = request.target();
        self.inner
            .call(request)
            .await
            .map_err(|err| err.context(self.inner.backend(), operation, &target))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::test_store::{TestStore, Viewed};
    use crate::{ErrorKind, Operation, VersionSelector};

    #[tokio::test]
    async fn errors_name_backend_operation_and_path() {
        let inner = TestStore::new();
        inner.fail_next(1, ErrorKind::Unavailable);
        let store = Viewed::new(WithContext::new, &inner);
        let err = store.list("team/").await.unwrap_err();
        assert_eq!(err.backend(), Some("test"));
        assert_eq!(err.operation(), Some(Operation::List));
        assert_eq!(err.path(), Some("team/"));
        assert_eq!(err.to_string(), "test list 'team/': injected failure 1");
        let err = store
            .get("app/missing", VersionSelector::Latest)
            .await
            .unwrap_err();
        assert_eq!(err.kind(), ErrorKind::NotFound);
        assert_eq!(err.operation(), Some(Operation::Get));
    }
}
