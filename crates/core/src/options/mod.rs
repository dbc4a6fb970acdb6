//! Backend options in one form for every caller: a map from option names to values,
//! read into each backend's typed options struct by one parser.
//!
//! A store URI (`vault://127.0.0.1:8200?mount=kv&tls=false`) and a scheme with key/value
//! options (what the Python and Node bindings pass, `Client.open("vault", mount="kv")`)
//! both become an [`Options`] map, which [`Options::parse`] reads into the backend's
//! `serde` struct (its [`BackendOptions`] implementation). The rules are the same for
//! every backend:
//! - an unknown option is a Config error naming it and listing the known ones;
//! - an option given twice (in the URI and as an option, or twice in the URI) is a Config
//!   error;
//! - credentials never come from a URI: user info (`vault://token@host`) and the options
//!   a backend lists as credentials ([`BackendOptions::CREDENTIALS`]) are refused there,
//!   since URIs end up in shell history, process lists and logs;
//! - values are text (from a URI) or booleans and integers (from a binding); booleans
//!   parse strictly (`true`/`1`, `false`/`0`), durations are whole seconds (`30` or
//!   `30s`);
//! - an error names the option, never its value (it may be a secret).
//!
//! Environment variables are only defaults: a backend reads its provider's variables
//! for the options left unset.

mod de;

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::time::Duration;

use serde::Deserializer;
use serde::de::DeserializeOwned;

use crate::{Backend, Error, Result, SecretValue};

/// One option's value. Text values are held as [`SecretValue`]s (zeroized, never
/// printed), since any option may be a credential.
#[derive(Clone, PartialEq, Eq)]
pub enum OptionValue {
    /// Text (or bytes, for a binary master key).
    Text(SecretValue),
    /// A boolean.
    Bool(bool),
    /// An integer.
    Int(i64),
}

impl fmt::Debug for OptionValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            OptionValue::Text(_) => f.write_str("Text([REDACTED])"),
            OptionValue::Bool(b) => write!(f, "Bool({b})"),
            OptionValue::Int(i) => write!(f, "Int({i})"),
        }
    }
}

impl From<&str> for OptionValue {
    fn from(text: &str) -> Self {
        OptionValue::Text(SecretValue::from(text))
    }
}

impl From<String> for OptionValue {
    fn from(text: String) -> Self {
        OptionValue::Text(SecretValue::from(text))
    }
}

impl From<SecretValue> for OptionValue {
    fn from(value: SecretValue) -> Self {
        OptionValue::Text(value)
    }
}

impl From<&std::path::Path> for OptionValue {
    fn from(path: &std::path::Path) -> Self {
        OptionValue::from(path.to_string_lossy().into_owned())
    }
}

impl From<bool> for OptionValue {
    fn from(value: bool) -> Self {
        OptionValue::Bool(value)
    }
}

impl From<i64> for OptionValue {
    fn from(value: i64) -> Self {
        OptionValue::Int(value)
    }
}

impl From<u32> for OptionValue {
    fn from(value: u32) -> Self {
        OptionValue::Int(value.into())
    }
}

impl From<Duration> for OptionValue {
    fn from(value: Duration) -> Self {
        OptionValue::Int(i64::try_from(value.as_secs()).unwrap_or(i64::MAX))
    }
}

/// Named option values for a backend. Debug shows the names only.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Options(BTreeMap<String, OptionValue>);

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl Options {
    /// No options.
    pub fn new() -> Self {
        Options::default()
    }

    /// Sets `name`; a Config error if it is set already.
    pub fn insert(&mut self, name: impl Into<String>, value: impl Into<OptionValue>) -> Result<()> {
        let name = name.into();
        if self.0.contains_key(&name) {
            return Err(Error::config(format!("option '{name}' is given twice")));
        }
        self.0.insert(name, value.into());
        Ok(())
    }

    /// These options with `name` set (replacing an earlier value), for building options
    /// in code.
    pub fn with(mut self, name: impl Into<String>, value: impl Into<OptionValue>) -> Self {
        self.0.insert(name.into(), value.into());
        self
    }

    /// Adds every option of `other`; a Config error naming the first one both have.
    pub fn merge(&mut self, other: Options) -> Result<()> {
        for (name, value) in other.0 {
            self.insert(name, value)?;
        }
        Ok(())
    }

    /// An option's value.
    pub fn get(&self, name: &str) -> Option<&OptionValue> {
        self.0.get(name)
    }

    /// The option names, sorted.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.0.keys().map(String::as_str)
    }

    /// Reads the options into `T` (a backend's options struct): unknown options, missing
    /// required ones and values of the wrong type are Config errors naming the option.
    pub fn parse<T: DeserializeOwned>(&self) -> Result<T> {
        T::deserialize(de::OptionsDeserializer::new(&self.0))
            .map_err(|e| Error::config(e.to_string()))
    }
}

impl<K: Into<String>, V: Into<OptionValue>> FromIterator<(K, V)> for Options {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        pairs
            .into_iter()
            .fold(Options::new(), |options, (k, v)| options.with(k, v))
    }
}

/// The host, port and path of a store URI, percent-decoded, for
/// [`BackendOptions::location`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Location {
    /// The host, if the URI has one (`vault://HOST:8200`, `aws-sm://REGION`, `local://.`).
    pub host: Option<String>,
    /// The port, if given.
    pub port: Option<u16>,
    /// The path, `""` when there is none (`local:///var/lib/store.db` has
    /// `/var/lib/store.db`).
    pub path: String,
}

impl Location {
    /// A Config error unless the URI has no path.
    pub fn refuse_path(&self, scheme: &str, example: &str) -> Result<()> {
        if matches!(self.path.as_str(), "" | "/") {
            Ok(())
        } else {
            Err(Error::config(format!(
                "a {scheme}:// URI has no path (use {example})"
            )))
        }
    }
}

/// A backend's typed options: the `serde` struct the URI form and the key/value form
/// are both read into, and how to open the backend from it.
pub trait BackendOptions: DeserializeOwned + Send + 'static {
    /// The URI scheme this backend registers (`local`, `vault`, `aws-sm`, ...).
    const SCHEME: &'static str;

    /// The options that carry credentials, refused in a URI.
    const CREDENTIALS: &'static [&'static str];

    /// The options a URI's host, port and path stand for (the local store's file,
    /// Vault's address, AWS's region, ...).
    fn location(location: &Location) -> Result<Options>;

    /// Connects (or opens the file) and returns the backend, filling options left unset
    /// from the provider's environment variables.
    fn open(self) -> impl Future<Output = Result<Backend>> + Send;
}

/// Parses a duration option: whole seconds, as a number or text with an optional `s`
/// suffix (`30`, `"30"`, `"30s"`). For `#[serde(default, deserialize_with = ...)]` on an
/// `Option<Duration>` field.
pub fn seconds<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Duration>, D::Error> {
    de::seconds(deserializer).map(Some)
}
