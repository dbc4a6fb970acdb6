//! The consul-template functions the subset offers, registered on a template: `secret`,
//! `secrets` and `pkiCert` answer from the render's fetched dependencies; `env`,
//! `mustEnv`, `envOrDefault`, `toJSON`, `toJSONPretty`, `toUnescapedJSON`,
//! `toUnescapedJSONPretty`, `base64Encode`, `base64Decode`, `base64URLEncode`,
//! `base64URLDecode`, `trimSpace`, `toLower`, `toUpper`, `split` and `join` behave as
//! consul-template's. Any other function name is an error naming it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE};
use gotmpl::{Template, TemplateError, Value};

use super::dependency::Dependency;
use super::json::to_json;

/// What one pass of a render knows and what it found missing.
#[derive(Clone, Default)]
pub struct Pass {
    /// The dependencies fetched so far.
    pub fetched: Arc<HashMap<Dependency, Value>>,
    /// The dependencies asked for that are not fetched yet, in order.
    pub missing: Arc<Mutex<Vec<Dependency>>>,
    /// A dependency call that could not be understood.
    pub invalid: Arc<Mutex<Option<String>>>,
}

impl Pass {
    /// The fetched value of `function(args)`, or nil (recorded as missing).
    fn lookup(&self, function: &str, args: &[Value]) -> Result<Value, TemplateError> {
        let dependency = Dependency::from_call(function, args).map_err(|e| {
            self.invalid
                .lock()
                .expect("invalid")
                .get_or_insert(e.clone());
            TemplateError::Exec(e)
        })?;
        if let Some(value) = self.fetched.get(&dependency) {
            return Ok(value.clone());
        }
        let mut missing = self.missing.lock().expect("missing");
        if !missing.contains(&dependency) {
            missing.push(dependency);
        }
        Ok(Value::Nil)
    }
}

/// `template` with every function of the subset.
pub fn register(template: Template, pass: &Pass) -> Template {
    let dependency = |name: &'static str| {
        let pass = pass.clone();
        move |args: &[Value]| pass.lookup(name, args)
    };
    template
        .func("secret", dependency("secret"))
        .func("secrets", dependency("secrets"))
        .func("pkiCert", dependency("pkiCert"))
        .func("env", |args| Ok(text(env(string(args, 0, "env")?))))
        .func("mustEnv", |args| {
            let name = string(args, 0, "mustEnv")?;
            match env(name) {
                value if !value.is_empty() => Ok(text(value)),
                _ => Err(exec(format!(
                    "mustEnv: environment variable {name} is not set"
                ))),
            }
        })
        .func("envOrDefault", |args| {
            let name = string(args, 0, "envOrDefault")?;
            let fallback = string(args, 1, "envOrDefault")?;
            Ok(text(
                std::env::var(name).unwrap_or_else(|_| fallback.to_owned()),
            ))
        })
        .func("toJSON", |args| json(args, "toJSON", false, true))
        .func("toJSONPretty", |args| {
            json(args, "toJSONPretty", true, true)
        })
        .func("toUnescapedJSON", |args| {
            json(args, "toUnescapedJSON", false, false)
        })
        .func("toUnescapedJSONPretty", |args| {
            json(args, "toUnescapedJSONPretty", true, false)
        })
        .func("base64Encode", |args| {
            Ok(text(STANDARD.encode(string(args, 0, "base64Encode")?)))
        })
        .func("base64URLEncode", |args| {
            Ok(text(URL_SAFE.encode(string(args, 0, "base64URLEncode")?)))
        })
        .func("base64Decode", |args| {
            decode(args, "base64Decode", &STANDARD)
        })
        .func("base64URLDecode", |args| {
            decode(args, "base64URLDecode", &URL_SAFE)
        })
        .func("trimSpace", |args| {
            Ok(text(string(args, 0, "trimSpace")?.trim().to_owned()))
        })
        .func("toLower", |args| {
            Ok(text(string(args, 0, "toLower")?.to_lowercase()))
        })
        .func("toUpper", |args| {
            Ok(text(string(args, 0, "toUpper")?.to_uppercase()))
        })
        .func("split", |args| {
            // consul-template's order: split SEPARATOR STRING (STRING piped last).
            let separator = string(args, 0, "split")?;
            let input = string(args, 1, "split")?.trim();
            if input.is_empty() {
                return Ok(Value::List(Arc::from(Vec::new())));
            }
            Ok(Value::List(
                input.split(separator).map(|s| text(s.to_owned())).collect(),
            ))
        })
        .func("join", |args| {
            let separator = string(args, 0, "join")?;
            let Some(Value::List(items)) = args.get(1) else {
                return Err(exec("join: expected a list".to_owned()));
            };
            let items: Vec<String> = items.iter().map(ToString::to_string).collect();
            Ok(text(items.join(separator)))
        })
}

/// An environment variable, or "" (consul-template falls back from `BAO_*` to `VAULT_*`
/// in OpenBao's agent).
fn env(name: &str) -> String {
    lookup(name).unwrap_or_default()
}

/// An environment variable if it is set (even empty), else its `VAULT_*` twin's.
fn lookup(name: &str) -> Option<String> {
    std::env::var(name).ok().or_else(|| {
        name.strip_prefix("BAO_")
            .and_then(|rest| std::env::var(format!("VAULT_{rest}")).ok())
    })
}

fn json(
    args: &[Value],
    name: &str,
    pretty: bool,
    escape_html: bool,
) -> Result<Value, TemplateError> {
    let value = args
        .first()
        .ok_or_else(|| exec(format!("{name}: expected a value")))?;
    to_json(value, pretty, escape_html)
        .map(text)
        .map_err(|e| exec(format!("{name}: {e}")))
}

fn decode(
    args: &[Value],
    name: &str,
    engine: &base64::engine::GeneralPurpose,
) -> Result<Value, TemplateError> {
    // The decoder's message quotes a byte of the input: say less.
    let bytes = engine
        .decode(string(args, 0, name)?)
        .map_err(|_| exec(format!("{name}: the input is not base64")))?;
    String::from_utf8(bytes)
        .map(text)
        .map_err(|_| exec(format!("{name}: the result is not UTF-8")))
}

fn string<'a>(args: &'a [Value], index: usize, name: &str) -> Result<&'a str, TemplateError> {
    match args.get(index) {
        Some(Value::String(s)) => Ok(s),
        Some(other) => Err(exec(format!("{name}: expected a string, got {other}"))),
        None => Err(exec(format!("{name}: expected {} argument(s)", index + 1))),
    }
}

fn text(value: String) -> Value {
    Value::String(value.into())
}

fn exec(message: String) -> TemplateError {
    TemplateError::Exec(message)
}
