//! The URI registry: which scheme opens which backend.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use url::Url;

use crate::{Backend, Error, Result};

/// A parsed store URI such as `local:///var/lib/app/store.db` or
/// `vault://127.0.0.1:8200?mount=secret`.
#[derive(Clone, Debug)]
pub struct StoreUri {
    url: Url,
}

impl StoreUri {
    /// Parses a URI. The error never repeats the URI, which may carry credentials.
    pub fn parse(uri: &str) -> Result<Self> {
        let url = Url::parse(uri).map_err(|e| {
            Error::config(format!(
                "the store URI is not valid ({e}); expected scheme://..., e.g. local:///path/store.db"
            ))
        })?;
        Ok(StoreUri { url })
    }

    /// The scheme, e.g. `local`.
    pub fn scheme(&self) -> &str {
        self.url.scheme()
    }

    /// The parsed URL.
    pub fn url(&self) -> &Url {
        &self.url
    }

    /// A query parameter's value.
    pub fn query(&self, name: &str) -> Option<String> {
        self.url
            .query_pairs()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }
}

/// The boxed future a factory returns.
pub type BackendFuture = Pin<Box<dyn Future<Output = Result<Backend>> + Send + 'static>>;

/// Opens a backend from its URI.
pub type BackendFactory = fn(StoreUri) -> BackendFuture;

/// Maps URI schemes to backend factories. The facade registers the backends compiled in.
#[derive(Clone, Default)]
pub struct Registry {
    factories: BTreeMap<&'static str, BackendFactory>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Registry::default()
    }

    /// Registers (or replaces) the factory for `scheme`.
    pub fn register(&mut self, scheme: &'static str, factory: BackendFactory) -> &mut Self {
        self.factories.insert(scheme, factory);
        self
    }

    /// The schemes this registry can open, sorted.
    pub fn schemes(&self) -> Vec<&'static str> {
        self.factories.keys().copied().collect()
    }

    /// Opens the backend a URI names; an unknown scheme is a Config error listing the
    /// schemes compiled in.
    pub async fn open(&self, uri: &str) -> Result<Backend> {
        let parsed = StoreUri::parse(uri)?;
        let factory = self.factories.get(parsed.scheme()).ok_or_else(|| {
            Error::config(format!(
                "unknown store scheme '{}'; this build supports: {}",
                parsed.scheme(),
                self.schemes()
                    .iter()
                    .map(|s| format!("{s}://"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })?;
        factory(parsed).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn refuse(_: StoreUri) -> BackendFuture {
        Box::pin(async { Err(Error::config("refused on purpose")) })
    }

    #[tokio::test]
    async fn unknown_scheme_lists_the_known_ones() {
        let mut registry = Registry::new();
        registry.register("local", refuse).register("vault", refuse);
        let err = match registry.open("nope://x").await {
            Err(e) => e,
            Ok(_) => panic!("an unknown scheme opened"),
        };
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(err.message().contains("'nope'"), "{err}");
        assert!(err.message().contains("local://, vault://"), "{err}");
    }

    #[tokio::test]
    async fn known_scheme_reaches_its_factory() {
        let mut registry = Registry::new();
        registry.register("local", refuse);
        let err = registry.open("local:///tmp/x.db").await.err().unwrap();
        assert_eq!(err.message(), "refused on purpose");
    }

    #[test]
    fn a_bad_uri_is_a_config_error_that_does_not_echo_it() {
        let err = StoreUri::parse("not a uri with s3cr3t").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(!err.to_string().contains("s3cr3t"));
    }

    #[test]
    fn query_parameters_are_read() {
        let uri = StoreUri::parse("vault://127.0.0.1:8200?mount=kv&namespace=a").unwrap();
        assert_eq!(uri.scheme(), "vault");
        assert_eq!(uri.query("mount").as_deref(), Some("kv"));
        assert_eq!(uri.query("missing"), None);
    }
}
