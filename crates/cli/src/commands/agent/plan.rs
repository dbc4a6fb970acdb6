//! What the agent keeps current, read from the config file: the templates it writes and
//! the environment it gives the supervised process.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use ironsecrets::delivery::{Config, Engine, ExecSpec, Resolved, TemplateSpec, Watcher};
use ironsecrets::{Error, Reference, is_reference};

use super::child::parse_signal;
use super::consul::ConsulTemplate;
use crate::commands::render::{fill, read_source, references};
use crate::error::CliResult;

/// The templates and environment of one config file.
pub struct Plan {
    /// The `[[template]]` files.
    pub templates: Vec<Template>,
    /// The `[exec.env]` variables, sorted by name.
    pub env: Vec<Template>,
    /// The supervised process.
    pub exec: Option<ExecSpec>,
    /// The consul-template templates.
    pub consul_templates: Vec<ConsulTemplate>,
}

/// A template (a file's, or one environment variable's) with the references it uses.
pub struct Template {
    /// The file written (for an environment variable: its name).
    pub name: String,
    /// Where the text came from, for errors.
    origin: PathBuf,
    text: String,
    references: Vec<Reference>,
    keys: HashSet<Reference>,
    /// The file's settings; `None` for an environment variable.
    pub spec: Option<TemplateSpec>,
}

impl Plan {
    /// Reads every template of `config` and lists its references; a syntax error or a
    /// bad reference anywhere fails the whole plan.
    pub fn load(config: &Config) -> CliResult<Plan> {
        let (mut templates, mut consul_templates) = (Vec::new(), Vec::new());
        for spec in &config.templates {
            spec.mode()?;
            if spec.engine() == Engine::ConsulTemplate {
                consul_templates.push(ConsulTemplate::load(spec)?);
                continue;
            }
            let text = read_source(&spec.source)?;
            let name = spec.destination.display().to_string();
            templates.push(Template::new(name, &spec.source, text, Some(spec.clone()))?);
        }
        if let Some(exec) = &config.exec {
            parse_signal(&exec.restart_signal)?;
            parse_signal(&exec.stop_signal)?;
        }
        let mut env = Vec::new();
        for (name, value) in config.exec.iter().flat_map(|exec| &exec.env) {
            let text = if is_reference(value) {
                let reference = Reference::parse(value).map_err(|e| {
                    Error::invalid_input(format!("[exec.env] {name}: {}", e.message()))
                })?;
                format!("{{{{ secret(\"{reference}\") }}}}")
            } else {
                value.clone()
            };
            let origin = PathBuf::from(format!("[exec.env] {name}"));
            env.push(Template::new(name.clone(), &origin, text, None)?);
        }
        Ok(Plan {
            templates,
            env,
            exec: config.exec.clone(),
            consul_templates,
        })
    }

    /// Every reference the plan uses.
    pub fn references(&self) -> impl Iterator<Item = &Reference> {
        self.templates
            .iter()
            .chain(&self.env)
            .flat_map(|t| &t.references)
    }

    /// The references of the file templates only.
    pub fn file_references(&self) -> impl Iterator<Item = &Reference> {
        self.templates.iter().flat_map(|t| &t.references)
    }

    /// Every reference key the plan uses.
    pub fn keys(&self) -> HashSet<Reference> {
        self.templates
            .iter()
            .chain(&self.env)
            .flat_map(|t| t.keys.iter().cloned())
            .collect()
    }

    /// Whether a change of `changed` keys touches the environment.
    pub fn env_uses(&self, changed: &HashSet<Reference>) -> bool {
        self.env.iter().any(|t| t.uses(changed))
    }

    /// The rendered environment, sorted by name, with the values it resolved.
    pub async fn render_env(
        &self,
        watcher: &Watcher,
    ) -> CliResult<(Vec<(String, String)>, Vec<Resolved>)> {
        let mut env = Vec::with_capacity(self.env.len());
        let mut resolved = Vec::with_capacity(self.env.len());
        for template in &self.env {
            let (text, values) = template.render(watcher).await?;
            if text.contains('\0') {
                return Err(Error::invalid_input(format!(
                    "[exec.env] {}: the value holds a NUL byte, which an environment variable cannot",
                    template.name
                ))
                .into());
            }
            env.push((template.name.clone(), text));
            resolved.push(values);
        }
        Ok((env, resolved))
    }
}

impl Template {
    fn new(
        name: String,
        origin: &Path,
        text: String,
        spec: Option<TemplateSpec>,
    ) -> CliResult<Template> {
        let references = references(origin, &text)?;
        let keys = references.iter().map(Reference::key).collect();
        Ok(Template {
            name,
            origin: origin.to_path_buf(),
            text,
            references,
            keys,
            spec,
        })
    }

    /// Whether the template uses one of `changed` keys.
    pub fn uses(&self, changed: &HashSet<Reference>) -> bool {
        !self.keys.is_disjoint(changed)
    }

    /// The text with the watcher's current values, and those values.
    pub async fn render(&self, watcher: &Watcher) -> CliResult<(String, Resolved)> {
        let resolved = watcher.resolve(&self.references).await?;
        let text = fill(&self.origin, &self.text, &self.references, &resolved)?;
        Ok((text, resolved))
    }
}
