//! The registry: which scheme opens which backend, from a URI or from options.

use std::collections::BTreeMap;
use std::future::Future;
use std::pin::Pin;

use url::Url;

use crate::{Backend, BackendOptions, Error, Location, Operation, Options, Result};

/// A parsed store URI such as `local:///var/lib/app/store.db` or
/// `vault://127.0.0.1:8200?mount=secret`: its scheme, location and options.
#[derive(Clone, Debug)]
pub struct StoreUri {
    scheme: String,
    location: Location,
    options: Options,
}

impl StoreUri {
    /// Parses a URI. User info (credentials) and fragments are refused, and an option
    /// given twice is a Config error; the error never repeats the URI, which may carry
    /// credentials.
    pub fn parse(uri: &str) -> Result<Self> {
        let url = Url::parse(uri).map_err(|e| {
            Error::config(format!(
                "the store URI is not valid ({e}); expected scheme://..., e.g. local:///path/store.db"
            ))
        })?;
        let scheme = url.scheme().to_owned();
        if !url.username().is_empty() || url.password().is_some() {
            return Err(Error::config(format!(
                "a {scheme}:// URI must not carry credentials (user:password@); pass them \
                 as options or through the provider's environment"
            )));
        }
        if url.fragment().is_some() {
            return Err(Error::config(format!("a {scheme}:// URI has no #fragment")));
        }
        let path = percent_encoding::percent_decode_str(url.path())
            .decode_utf8()
            .map_err(|_| Error::config("the store URI's path is not valid UTF-8"))?
            .into_owned();
        let location = Location {
            host: url.host_str().filter(|h| !h.is_empty()).map(str::to_owned),
            port: url.port(),
            path,
        };
        let mut options = Options::new();
        for (name, value) in url.query_pairs() {
            options.insert(name.into_owned(), value.into_owned())?;
        }
        Ok(StoreUri {
            scheme,
            location,
            options,
        })
    }

    /// The scheme, e.g. `local`.
    pub fn scheme(&self) -> &str {
        &self.scheme
    }

    /// The host, port and path.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The query parameters as options.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// Every option this URI stands for (its location's and its query's), read into a
    /// backend's typed options, as the registry reads them: credentials are refused.
    pub fn backend_options<O: BackendOptions>(&self) -> Result<O> {
        uri_options(self, O::location, O::CREDENTIALS)?.parse()
    }
}

/// The boxed future the registry's openers return.
pub type BackendFuture = Pin<Box<dyn Future<Output = Result<Backend>> + Send + 'static>>;

/// What the registry knows of one scheme, from its [`BackendOptions`].
#[derive(Clone, Copy)]
struct Entry {
    open: fn(Options) -> BackendFuture,
    location: fn(&Location) -> Result<Options>,
    credentials: &'static [&'static str],
}

fn open_with<O: BackendOptions>(options: Options) -> BackendFuture {
    match options.parse::<O>() {
        Ok(parsed) => Box::pin(parsed.open()),
        Err(err) => {
            let err = Error::config(format!("{}://: {}", O::SCHEME, err.message()));
            Box::pin(async move { Err(err) })
        }
    }
}

/// Maps URI schemes to backends. The facade registers the backends compiled in.
#[derive(Clone, Default)]
pub struct Registry {
    entries: BTreeMap<&'static str, Entry>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Registry::default()
    }

    /// Registers (or replaces) the backend whose options are `O`, under `O::SCHEME`.
    pub fn register<O: BackendOptions>(&mut self) -> &mut Self {
        self.entries.insert(
            O::SCHEME,
            Entry {
                open: open_with::<O>,
                location: O::location,
                credentials: O::CREDENTIALS,
            },
        );
        self
    }

    /// The schemes this registry can open, sorted.
    pub fn schemes(&self) -> Vec<&'static str> {
        self.entries.keys().copied().collect()
    }

    /// The options of `scheme` that carry credentials (refused in a URI), if the
    /// scheme is known: for a binding or a tool that wants to treat them with care.
    pub fn credential_options(&self, scheme: &str) -> Option<&'static [&'static str]> {
        self.entries.get(scheme).map(|entry| entry.credentials)
    }

    fn entry(&self, scheme: &str) -> Result<Entry> {
        self.entries.get(scheme).copied().ok_or_else(|| {
            Error::config(format!(
                "unknown store scheme '{scheme}'; this build supports: {}",
                self.schemes()
                    .iter()
                    .map(|s| format!("{s}://"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
        })
    }

    /// Opens backend `scheme` with `options` (the key/value form the bindings use).
    pub async fn open(&self, scheme: &str, options: Options) -> Result<Backend> {
        let entry = self.entry(scheme).map_err(opening)?;
        (entry.open)(options).await.map_err(opening)
    }

    /// Opens the backend a URI names, with `extra` options on top of the URI's (an
    /// option in both is a Config error). Credentials are refused in the URI.
    pub async fn open_uri(&self, uri: &str, extra: Options) -> Result<Backend> {
        let parsed = StoreUri::parse(uri).map_err(opening)?;
        let entry = self.entry(parsed.scheme()).map_err(opening)?;
        let options = uri_options(&parsed, entry.location, entry.credentials)
            .and_then(|mut options| options.merge(extra).map(|()| options))
            .map_err(|e| {
                opening(Error::config(format!(
                    "{}://: {}",
                    parsed.scheme(),
                    e.message()
                )))
            })?;
        (entry.open)(options).await.map_err(opening)
    }
}

/// An error of opening a backend names the operation, unless it names a more precise
/// one already.
fn opening(err: Error) -> Error {
    match err.operation() {
        Some(_) => err,
        None => err.with_operation(Operation::Open),
    }
}

/// The options a parsed URI stands for: its location's and its query's.
fn uri_options(
    uri: &StoreUri,
    location: fn(&Location) -> Result<Options>,
    credentials: &[&str],
) -> Result<Options> {
    if let Some(name) = uri
        .options()
        .names()
        .find(|name| credentials.contains(name))
    {
        return Err(Error::config(format!(
            "the option '{name}' is a credential and must not be in a URI (it would end \
             up in shell history and logs); pass it as an option or through the \
             environment"
        )));
    }
    let mut options = location(uri.location())?;
    options.merge(uri.options().clone())?;
    Ok(options)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::ErrorKind;

    /// A backend that never opens: it reports what it was given.
    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Probe {
        file: String,
        #[serde(default)]
        token: Option<crate::SecretValue>,
        #[serde(default)]
        mode: Option<String>,
    }

    impl BackendOptions for Probe {
        const SCHEME: &'static str = "probe";
        const CREDENTIALS: &'static [&'static str] = &["token"];

        fn location(location: &Location) -> Result<Options> {
            Ok(Options::new().with("file", location.path.clone()))
        }

        async fn open(self) -> Result<Backend> {
            Err(Error::config(format!(
                "probe file={} token={} mode={:?}",
                self.file,
                self.token.is_some(),
                self.mode
            )))
        }
    }

    fn registry() -> Registry {
        let mut registry = Registry::new();
        registry.register::<Probe>();
        registry
    }

    async fn message(result: impl Future<Output = Result<Backend>>) -> String {
        let err = result.await.expect_err("the probe never opens");
        assert_eq!(err.kind(), ErrorKind::Config);
        err.message().to_owned()
    }

    #[tokio::test]
    async fn unknown_scheme_lists_the_known_ones() {
        let message = message(registry().open_uri("nope://x", Options::new())).await;
        assert!(message.contains("'nope'"), "{message}");
        assert!(message.contains("probe://"), "{message}");
    }

    #[tokio::test]
    async fn uri_and_options_meet_in_one_parser() {
        let registry = registry();
        let from_uri = message(registry.open_uri(
            "probe:///tmp/a%20b.db?mode=x",
            Options::new().with("token", "t"),
        ))
        .await;
        assert_eq!(
            from_uri,
            "probe file=/tmp/a b.db token=true mode=Some(\"x\")"
        );
        let from_options = message(
            registry.open(
                "probe",
                Options::new()
                    .with("file", "/tmp/a b.db")
                    .with("token", "t")
                    .with("mode", "x"),
            ),
        )
        .await;
        assert_eq!(from_options, from_uri);
    }

    #[tokio::test]
    async fn unknown_options_duplicates_and_credentials_are_refused() {
        let registry = registry();
        let m = message(registry.open_uri("probe:///f?mdoe=x", Options::new())).await;
        assert!(m.starts_with("probe://: unknown option 'mdoe'"), "{m}");
        let m =
            message(registry.open_uri("probe:///f?mode=x", Options::new().with("mode", "y"))).await;
        assert!(m.contains("'mode' is given twice"), "{m}");
        let m = message(registry.open_uri("probe:///f?mode=x&mode=y", Options::new())).await;
        assert!(m.contains("'mode' is given twice"), "{m}");
        let m = message(registry.open_uri("probe:///f?token=s3cr3t", Options::new())).await;
        assert!(m.contains("'token' is a credential"), "{m}");
        assert!(!m.contains("s3cr3t"), "{m}");
        let m = message(registry.open_uri("probe://user:s3cr3t@host/f", Options::new())).await;
        assert!(m.contains("must not carry credentials"), "{m}");
        assert!(!m.contains("s3cr3t"), "{m}");
        let m = message(registry.open("probe", Options::new().with("flie", "x"))).await;
        assert!(m.contains("unknown option 'flie'"), "{m}");
    }

    #[test]
    fn a_bad_uri_is_a_config_error_that_does_not_echo_it() {
        let err = StoreUri::parse("not a uri with s3cr3t").unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Config);
        assert!(!err.to_string().contains("s3cr3t"));
    }

    #[test]
    fn location_and_query_are_read() {
        let uri = StoreUri::parse("vault://127.0.0.1:8200?mount=kv&namespace=a").unwrap();
        assert_eq!(uri.scheme(), "vault");
        assert_eq!(uri.location().host.as_deref(), Some("127.0.0.1"));
        assert_eq!(uri.location().port, Some(8200));
        assert_eq!(
            uri.options().names().collect::<Vec<_>>(),
            ["mount", "namespace"]
        );
        assert!(uri.options().get("missing").is_none());
    }
}
