//! Consul-template compatible templates (`.ctmpl`, the files Vault Agent renders), a
//! subset: Go template syntax (gotmpl: `with`, `range`, `if`, pipelines, `{{-`/`-}}`),
//! the functions of [`functions`], and `secret`, `secrets`, `pkiCert` read from a Vault
//! / OpenBao store's own API, so `.Data.data.password`, `.Data.metadata.version` and
//! `.LeaseDuration` mean what they mean under Vault Agent.
//!
//! A render runs in passes, as consul-template's does: a pass records the dependencies
//! it meets that are not fetched yet (their calls give nil, so `with` skips them), they
//! are fetched, and the template runs again, until a pass needs nothing new. Only that
//! last pass's output and errors count.
//!
//! - `blocks`: the block balance check gotmpl leaves out;
//! - `dependency`: what a template asks for and how it is fetched;
//! - `functions`: the function set;
//! - `json`: Vault's JSON in, Go's JSON out;
//! - `keeper`: dependencies kept current for the agent;
//! - `pem`: `pkiCert`'s blocks.

mod blocks;
mod dependency;
mod functions;
mod json;
mod keeper;
mod pem;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use gotmpl::{MissingKey, Template, Value};
use ironsecrets::{Error, Result};

pub use self::dependency::{Dependency, Fetcher};
use self::functions::{Pass, register};
pub use self::keeper::{Keeper, KeeperEvent};

/// More passes than this means dependencies keep leading to new ones.
const MAX_PASSES: usize = 16;

/// A parsed consul-template template.
pub struct CtTemplate {
    name: String,
    text: String,
    missing_key: MissingKey,
}

impl CtTemplate {
    /// Parses `text`; `name` names it in errors. With `error_on_missing_key` a missing
    /// map key is an error, else it prints `<no value>`, as consul-template does.
    pub fn parse(name: &str, text: String, error_on_missing_key: bool) -> Result<CtTemplate> {
        blocks::check_blocks(name, &text)?;
        let template = CtTemplate {
            name: name.to_owned(),
            text,
            missing_key: if error_on_missing_key {
                MissingKey::Error
            } else {
                MissingKey::ZeroValue
            },
        };
        template.build(&Pass::default())?;
        Ok(template)
    }

    /// The dependencies the template asks for before any is fetched (those reached only
    /// through another's value are not listed).
    pub fn dependencies(&self) -> Result<Vec<Dependency>> {
        let pass = Pass::default();
        let _ = self.build(&pass)?.execute_to_string(&Value::Nil);
        self.invalid(&pass)?;
        Ok(std::mem::take(&mut *pass.missing.lock().expect("missing")))
    }

    /// Renders with dependencies from `source`; `destination` is where a `pkiCert` may
    /// already be.
    pub async fn render(&self, source: Source<'_>, destination: &Path) -> Result<Rendered> {
        let mut fetched: HashMap<Dependency, Value> = HashMap::new();
        for _ in 0..MAX_PASSES {
            let pass = Pass {
                fetched: Arc::new(fetched.clone()),
                ..Pass::default()
            };
            let output = self.build(&pass)?.execute_to_string(&Value::Nil);
            self.invalid(&pass)?;
            let missing = std::mem::take(&mut *pass.missing.lock().expect("missing"));
            if missing.is_empty() {
                let mut strings = Vec::new();
                fetched
                    .values()
                    .for_each(|v| collect_strings(v, &mut strings));
                let text = output.map_err(|e| self.error(&e.to_string(), &strings))?;
                return Ok(Rendered {
                    text,
                    strings,
                    dependencies: fetched.into_keys().collect(),
                });
            }
            for dependency in missing {
                let value = source.get(&dependency, destination).await.map_err(|e| {
                    Error::new(e.kind(), format!("{}: {dependency}: {e}", self.name))
                })?;
                fetched.insert(dependency, value);
            }
        }
        Err(Error::invalid_input(format!(
            "{}: dependencies kept leading to new ones after {MAX_PASSES} passes",
            self.name
        )))
    }

    fn build(&self, pass: &Pass) -> Result<Template> {
        register(Template::new(&self.name), pass)
            .missing_key(self.missing_key)
            .parse(&self.text)
            .map_err(|e| Error::invalid_input(format!("{}: {e}", self.name)))
    }

    /// A dependency call the template got wrong (a missing path, a bad `k=v`); the
    /// message names arguments by position only.
    fn invalid(&self, pass: &Pass) -> Result<()> {
        match pass.invalid.lock().expect("invalid").take() {
            Some(message) => Err(Error::invalid_input(format!("{}: {message}", self.name))),
            None => Ok(()),
        }
    }

    /// An execution error, with any fetched string in it masked.
    fn error(&self, message: &str, strings: &[String]) -> Error {
        let (patterns, _) =
            crate::mask::Patterns::new(strings.iter().map(|s| ("value".to_owned(), s.as_bytes())));
        let message = crate::mask::redact(&patterns, message.as_bytes());
        Error::invalid_input(format!("{}: {message}", self.name))
    }
}

/// Where a render's dependencies come from.
#[derive(Clone, Copy)]
pub enum Source<'a> {
    /// Fetched for this render only.
    Once(&'a Fetcher),
    /// Kept current for the agent's life.
    Kept(&'a Keeper),
}

impl Source<'_> {
    async fn get(&self, dependency: &Dependency, destination: &Path) -> Result<Value> {
        match self {
            Source::Once(fetcher) => fetcher.fetch(dependency, destination).await,
            Source::Kept(keeper) => keeper.get(dependency, destination).await,
        }
    }
}

/// A rendered template.
pub struct Rendered {
    /// The output.
    pub text: String,
    /// Every string the fetched responses hold (to mask errors and output with).
    pub strings: Vec<String>,
    /// The dependencies the output depends on.
    pub dependencies: Vec<Dependency>,
}

/// Every string in `value`.
fn collect_strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.to_string()),
        Value::List(items) => items.iter().for_each(|v| collect_strings(v, out)),
        Value::Map(fields) => fields.values().for_each(|v| collect_strings(v, out)),
        _ => {}
    }
}
