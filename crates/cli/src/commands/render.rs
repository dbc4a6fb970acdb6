//! `ironsecrets render`: templates with `isec://` references written to files, all or
//! nothing.
//!
//! The engine is minijinja in strict mode (a missing variable, attribute or field is an
//! error). Templates call `secret("isec://…")` for a value, `env("NAME")` for an
//! environment variable, and filter with `b64encode`, `b64decode` and `tojson`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use clap::Args;
use ironsecrets::delivery::{Engine, Resolved, Resolver, TemplateSpec};
use ironsecrets::vault::VaultClient;
use ironsecrets::{Error, Reference};
use minijinja::{Environment, ErrorKind as TemplateErrorKind, UndefinedBehavior, Value};

use crate::ctmpl::{CtTemplate, Fetcher, Source};
use crate::error::{CliResult, io_error};
use crate::fs::write_atomic;
use crate::mask::{Patterns, redact};

/// `render` arguments.
#[derive(Args)]
#[command(after_long_help = "\
Renders every [[template]] of the config file, or the one TEMPLATE given with --out. \
Each template is rendered in memory first: a bad reference, a missing key or a syntax \
error writes nothing. Files are replaced atomically with mode 0600 unless perms says \
otherwise, and left alone when their content is unchanged.

  {{ secret(\"isec://prod/app/db#password\") }}   a value (or one field of it)
  {{ env(\"HOME\") }}                              an environment variable
  {{ secret(\"isec:///app/cert\") | b64encode }}   filters: b64encode, b64decode, tojson")]
pub struct RenderArgs {
    /// A template to render instead of the config file's
    #[arg(requires = "out", value_name = "TEMPLATE")]
    template: Option<PathBuf>,
    /// Where TEMPLATE is written
    #[arg(long, value_name = "FILE", requires = "template")]
    out: Option<PathBuf>,
    /// File mode of --out (octal)
    #[arg(long, value_name = "MODE", requires = "template")]
    perms: Option<String>,
    /// List the references each template uses, without reading any value
    #[arg(long)]
    check: bool,
}

/// Renders the templates; prints one line per file (written or unchanged).
pub async fn run(resolver: &Resolver, args: RenderArgs) -> CliResult {
    let specs = match (&args.template, &args.out) {
        (Some(source), Some(destination)) => vec![TemplateSpec {
            perms: args.perms.clone(),
            ..TemplateSpec::new(source, destination)
        }],
        _ => resolver.config().templates.clone(),
    };
    if specs.is_empty() {
        return Err(Error::config(
            "nothing to render: give TEMPLATE --out FILE or add [[template]] to ironsecrets.toml",
        )
        .into());
    }
    let sources = specs
        .iter()
        .map(|spec| read_source(&spec.source))
        .collect::<CliResult<Vec<_>>>()?;
    if args.check {
        for (spec, source) in specs.iter().zip(&sources) {
            let found: Vec<String> = match spec.engine() {
                Engine::Jinja => references(&spec.source, source)?
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                Engine::ConsulTemplate => consul_template(spec, source)?
                    .dependencies()?
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            };
            println!("{}: {} reference(s)", spec.source.display(), found.len());
            for reference in found {
                println!("  {reference}");
            }
        }
        return Ok(());
    }
    let mut rendered = Vec::with_capacity(specs.len());
    for (spec, source) in specs.iter().zip(&sources) {
        let text = match spec.engine() {
            Engine::Jinja => render(resolver, &spec.source, source).await?,
            Engine::ConsulTemplate => render_consul_template(resolver, spec, source).await?,
        };
        rendered.push((spec, text, spec.mode()?));
    }
    for (spec, text, mode) in rendered {
        let destination = spec.destination.display().to_string();
        let changed = write_atomic(&spec.destination, text.as_bytes(), mode, spec.backup)
            .map_err(|e| io_error(e, &destination))?;
        println!(
            "{destination}: {}",
            if changed { "written" } else { "unchanged" }
        );
    }
    Ok(())
}

/// A consul-template template, parsed.
pub fn consul_template(spec: &TemplateSpec, source: &str) -> CliResult<CtTemplate> {
    let name = spec.source.display().to_string();
    Ok(CtTemplate::parse(
        &name,
        source.to_owned(),
        spec.error_on_missing_key,
    )?)
}

/// Renders a consul-template template through its store's Vault client.
pub async fn render_consul_template(
    resolver: &Resolver,
    spec: &TemplateSpec,
    source: &str,
) -> CliResult<String> {
    let fetcher = Fetcher::new(vault_client(resolver, spec).await?);
    let template = consul_template(spec, source)?;
    let source = Source::Once(&fetcher);
    Ok(template.render(source, &spec.destination).await?.text)
}

/// The Vault / OpenBao client a consul-template template reads through.
pub async fn vault_client(resolver: &Resolver, spec: &TemplateSpec) -> CliResult<VaultClient> {
    let client = resolver.client(spec.store.as_deref()).await?;
    let engines = client.vault().map_err(|_| {
        Error::config(format!(
            "{}: a consul-template template reads Vault's API, and store {} is {}; set \
             store = \"<a vault store>\" in its [[template]]",
            spec.source.display(),
            spec.store.as_deref().unwrap_or("(default)"),
            client.name()
        ))
    })?;
    Ok(engines.client().clone())
}

/// A template file's text.
pub fn read_source(path: &Path) -> CliResult<String> {
    std::fs::read_to_string(path).map_err(|e| io_error(e, &path.display().to_string()).into())
}

/// An environment with our functions and filters; `secret` is given by the caller.
/// While `listing` references, values are stand-ins that no filter inspects.
fn environment(
    listing: bool,
    secret: impl Fn(&str) -> Result<Value, minijinja::Error> + Send + Sync + 'static,
) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_keep_trailing_newline(true);
    env.add_function("secret", secret);
    env.add_function("env", |name: &str| {
        std::env::var(name)
            .map_err(|_| template_error(format!("environment variable {name} is not set")))
    });
    env.add_filter("b64encode", |text: &str| STANDARD.encode(text));
    env.add_filter("b64decode", move |text: &str| {
        if listing {
            return Ok(text.to_owned());
        }
        let bytes = STANDARD
            .decode(text.trim())
            .map_err(|_| template_error("b64decode: the input is not base64".to_owned()))?;
        String::from_utf8(bytes)
            .map_err(|_| template_error("b64decode: the result is not UTF-8".to_owned()))
    });
    env
}

fn template_error(message: String) -> minijinja::Error {
    minijinja::Error::new(TemplateErrorKind::InvalidOperation, message)
}

/// A template error as one line naming the file (and the line, when minijinja knows it).
fn render_error(path: &Path, err: &minijinja::Error) -> Error {
    let mut message = format!("{}", path.display());
    if let Some(line) = err.line() {
        message.push_str(&format!(":{line}"));
    }
    // minijinja's kind ("syntax error", "undefined value") leads; its detail follows.
    message.push_str(&format!(": {}", err.kind()));
    if let Some(detail) = err.detail() {
        message.push_str(&format!(": {detail}"));
    }
    match err.kind() {
        TemplateErrorKind::UndefinedError => Error::not_found(message),
        _ => Error::invalid_input(message),
    }
}

fn parse_reference(text: &str) -> Result<Reference, minijinja::Error> {
    Reference::parse(text).map_err(|e| template_error(e.message().to_owned()))
}

/// The references a template uses, in order of first use, found by rendering it with a
/// stand-in for every value (nothing is read). Syntax errors and bad references show
/// here, before any store is asked.
pub fn references(path: &Path, source: &str) -> CliResult<Vec<Reference>> {
    let found = Arc::new(Mutex::new(Vec::<Reference>::new()));
    let collect = Arc::clone(&found);
    let env = environment(true, move |text: &str| {
        let reference = parse_reference(text)?;
        let mut found = collect.lock().expect("references");
        if !found.contains(&reference) {
            found.push(reference);
        }
        Ok(Value::from("…"))
    });
    env.render_named_str(&path.display().to_string(), source, ())
        .map_err(|e| render_error(path, &e))?;
    drop(env);
    Ok(std::mem::take(&mut *found.lock().expect("references")))
}

/// Renders a template: its references are listed, resolved together (the resolver
/// reads each key once, so `#username` and `#password` share one lease), then filled in.
async fn render(resolver: &Resolver, path: &Path, source: &str) -> CliResult<String> {
    let references = references(path, source)?;
    let resolved = resolver.resolve(&references).await?;
    fill(path, source, &references, &resolved)
}

/// Renders a template whose `references` are `resolved`. A template error is masked
/// against the values.
pub fn fill(
    path: &Path,
    source: &str,
    references: &[Reference],
    resolved: &Resolved,
) -> CliResult<String> {
    let mut values = HashMap::new();
    for reference in references {
        let value = resolved.get(reference).expect("resolved");
        let text = value.expose_str().map_err(|_| {
            Error::invalid_input(format!(
                "{}: {reference}: the value is not UTF-8 text; a template cannot hold it",
                path.display()
            ))
        })?;
        values.insert(reference.clone(), Value::from(text));
    }
    // A template error may quote what a filter was given: mask the values in it.
    let (patterns, _) = Patterns::new(
        resolved
            .values()
            .map(|(reference, value)| (reference.to_string(), value.expose())),
    );
    let env = environment(false, move |text: &str| {
        let reference = parse_reference(text)?;
        values.get(&reference).cloned().ok_or_else(|| {
            template_error(format!(
                "{reference} is reached only once other values are known; reference it \
                 unconditionally (e.g. {{% set x = secret(...) %}} at the top)"
            ))
        })
    });
    env.render_named_str(&path.display().to_string(), source, ())
        .map_err(|e| {
            let err = render_error(path, &e);
            Error::new(err.kind(), redact(&patterns, err.message().as_bytes())).into()
        })
}
