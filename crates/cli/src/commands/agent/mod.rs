//! `ironsecrets agent`: Vault Agent's job over every backend. Renders the config file's
//! templates and keeps them current, supervises one process with a rendered
//! environment, holds the leases of dynamic credentials (renewed, re-issued before their
//! max ttl, never re-issued because a template or the config was reloaded), and reads
//! stored secrets again on a jittered interval. A file is rewritten, its command run and
//! the process restarted only when the rendered bytes changed.
//!
//! - `plan`: the templates and environment of one config file;
//! - `child`: the supervised process and template commands;
//! - `consul`: consul-template templates and the keepers of their dependencies.

mod child;
mod consul;
mod plan;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use ironsecrets::delivery::{
    Config, ExecSpec, Poll, Resolved, Resolver, Restart, TemplateSpec, WatchEvent, Watcher,
};
use ironsecrets::lease::LeaseConfig;
use ironsecrets::{Error, Reference, SecretValue};
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::{broadcast, watch};
use tokio::time::Instant;

use self::child::{Child, parse_signal, run_command};
use self::consul::{ConsulTemplate, Keepers};
use self::plan::{Plan, Template};
use crate::ctmpl::{KeeperEvent, Rendered};
use crate::error::{CliResult, io_error};
use crate::fs::write_atomic;
use crate::mask::Patterns;

/// `agent` arguments.
#[derive(Args)]
#[command(after_long_help = "\
Reads ironsecrets.toml: every [[template]] is rendered and kept current (its command \
runs when the file changes), and [exec] starts one process with [exec.env] rendered \
into its environment, restarted (or signalled) when those values change. Dynamic \
credentials are leased once and renewed; stored secrets are read again every \
[agent] poll_interval. [auth.<store>] logs in to a Vault / OpenBao store from files. \
SIGHUP reloads the templates and [exec]; SIGTERM or SIGINT stops the process and the \
agent. Values are never logged; the process's output is masked.")]
pub struct AgentArgs {
    /// Render every template once and exit (for init containers); [exec] is not started
    #[arg(long)]
    once: bool,
}

/// Changes arriving within this window are rendered together.
const COALESCE: Duration = Duration::from_millis(100);

/// Runs the agent until it is stopped or its process ends; returns the exit code.
pub async fn run(
    config_path: Option<&Path>,
    store: Option<String>,
    args: AgentArgs,
) -> CliResult<u8> {
    let config = Config::discover(config_path)?;
    let mut plan = Plan::load(&config)?;
    if plan.templates.is_empty() && plan.exec.is_none() && plan.consul_templates.is_empty() {
        return Err(Error::config(
            "nothing for the agent to do: add [[template]] or [exec] to ironsecrets.toml",
        )
        .into());
    }
    let poll = poll(&config)?;
    let mut keepers = Keepers::new(poll.interval);
    let resolver = Arc::new(Resolver::new(config).with_default_store(store));
    let watcher = Watcher::new(resolver, LeaseConfig::default(), poll);
    let mut events = watcher.subscribe();
    watcher.authenticate().await?;
    // Everything is resolved before anything is written: all or nothing at start. With
    // --once no process starts, so its environment is not resolved.
    let references: Vec<&Reference> = match args.once {
        true => plan.file_references().collect(),
        false => plan.references().collect(),
    };
    watcher.resolve(references).await?;
    let mut masking = Masking::new();
    let mut consul = Vec::with_capacity(plan.consul_templates.len());
    for template in &mut plan.consul_templates {
        consul.push(keepers.render(&watcher, template).await?);
    }
    for template in &plan.templates {
        apply(&watcher, template, &mut masking).await?;
    }
    for (template, rendered) in plan.consul_templates.iter().zip(consul) {
        write_consul(&template.spec, rendered, &mut masking).await?;
    }
    if args.once {
        // The credentials stay valid for whoever reads the files next.
        keepers.shutdown().await;
        watcher.shutdown(false).await;
        return Ok(0);
    }
    let (mut env, resolved) = plan.render_env(&watcher).await?;
    masking.add(&resolved);
    let mut child = match &plan.exec {
        Some(exec) => Some(start(exec, &env, &masking)?),
        None => None,
    };
    // The environment the running process was started with: a restart is due only when
    // the rendered one differs from it (a change and its undoing restart nothing).
    let mut started_env = env.clone();
    let mut hangup = signal(SignalKind::hangup()).map_err(|e| io_error(e, "signal handler"))?;
    let mut terminate =
        signal(SignalKind::terminate()).map_err(|e| io_error(e, "signal handler"))?;
    let mut interrupt =
        signal(SignalKind::interrupt()).map_err(|e| io_error(e, "signal handler"))?;
    let mut changed: HashSet<Reference> = HashSet::new();
    let mut consul_changed = HashSet::new();
    let mut render_at: Option<Instant> = None;
    let mut restart_at: Option<Instant> = None;
    // One event at a time: a template command (up to its timeout) or a stop (up to the
    // kill timeout) delays the next event, which waits in its channel; none is lost.
    let code = loop {
        tokio::select! {
            event = events.recv() => match event {
                Ok(WatchEvent::Changed(key)) => {
                    log(format_args!("{key} changed"));
                    changed.insert(key);
                    render_at.get_or_insert(Instant::now() + COALESCE);
                }
                Ok(WatchEvent::Renewed { name, ttl }) => {
                    log(format_args!("renewed {name} for {}s", ttl.as_secs()));
                }
                Ok(WatchEvent::Failed { name, message }) => log(format_args!("{name}: {message}")),
                Ok(_) => {}
                Err(broadcast::error::RecvError::Lagged(_)) => {
                    changed = plan.keys();
                    render_at.get_or_insert(Instant::now() + COALESCE);
                }
                Err(broadcast::error::RecvError::Closed) => break 1,
            },
            Some((store, event)) = keepers.next() => match event {
                KeeperEvent::Changed(dependency) => {
                    log(format_args!("{dependency} changed"));
                    consul_changed.insert((store, dependency));
                    render_at.get_or_insert(Instant::now() + COALESCE);
                }
                KeeperEvent::Failed(dependency, message) => {
                    log(format_args!("{dependency}: {message}"));
                }
            },
            () = sleep_until(render_at) => {
                render_at = None;
                let consul_changed = std::mem::take(&mut consul_changed);
                for template in plan.consul_templates.iter_mut().filter(|t| t.uses(&consul_changed)) {
                    refresh_consul(&watcher, &mut keepers, template, &mut masking).await;
                }
                let changed = std::mem::take(&mut changed);
                for template in plan.templates.iter().filter(|t| t.uses(&changed)) {
                    if let Err(e) = apply(&watcher, template, &mut masking).await {
                        log(format_args!("{}: not rendered: {e}", template.name));
                    }
                }
                if plan.env_uses(&changed) {
                    restart_at = rerender_env(&watcher, &plan, &mut env, &mut masking)
                        .await
                        .or(restart_at);
                }
            }
            () = sleep_until(restart_at) => {
                restart_at = None;
                if env != started_env
                    && let (Some(exec), Some(running)) = (&plan.exec, child.take())
                {
                    child = Some(restart(exec, running, &env, &masking).await?);
                    started_env = env.clone();
                }
            }
            status = wait(&mut child) => {
                let status = status?;
                log(format_args!("the process exited ({status})"));
                break crate::exit_code::of_child(status);
            }
            _ = hangup.recv() => {
                match reload(config_path, &watcher, &mut keepers, &mut masking, &plan).await {
                    Ok(new) => {
                        let old = std::mem::replace(&mut plan, new);
                        log(format_args!("reloaded the config"));
                        let command = |plan: &Plan| plan.exec.as_ref().map(|e| e.command.clone());
                        if command(&old) == command(&plan) {
                            restart_at = rerender_env(&watcher, &plan, &mut env, &mut masking)
                                .await
                                .or(restart_at);
                        } else {
                            restart_at = None;
                            if let (Some(exec), Some(running)) = (&old.exec, child.take()) {
                                stop(exec, running).await?;
                            }
                            child = replace_exec(&watcher, &plan, &mut env, &mut masking).await?;
                            started_env = env.clone();
                        }
                    }
                    Err(e) => log(format_args!("reload failed, the running config stays: {e}")),
                }
            }
            _ = terminate.recv() => break shutdown(&plan, child.take()).await?,
            _ = interrupt.recv() => break shutdown(&plan, child.take()).await?,
        }
    };
    keepers.shutdown().await;
    watcher.shutdown(false).await;
    Ok(code)
}

/// The poll settings of the config's `[agent]` table.
fn poll(config: &Config) -> CliResult<Poll> {
    let mut per_key = HashMap::new();
    for (text, interval) in &config.agent.poll {
        let reference = Reference::parse(text)
            .map_err(|e| Error::config(format!("[agent.poll]: {}", e.message())))?;
        per_key.insert(reference.key(), *interval);
    }
    Ok(Poll {
        interval: config.agent.poll_interval,
        per_key,
    })
}

/// Renders one file template with the current values and writes it if its bytes
/// changed, then runs its command.
async fn apply(watcher: &Watcher, template: &Template, masking: &mut Masking) -> CliResult {
    let spec = template.spec.as_ref().expect("a file template");
    let (text, resolved) = template.render(watcher).await?;
    masking.add([&resolved]);
    write_file(spec, &text, masking).await
}

/// Writes `text` to a template's file if its bytes changed, then runs its command.
async fn write_file(spec: &TemplateSpec, text: &str, masking: &Masking) -> CliResult {
    let name = spec.destination.display().to_string();
    let written = write_atomic(
        &spec.destination,
        text.as_bytes(),
        spec.mode()?,
        spec.backup,
    )
    .map_err(|e| io_error(e, &name))?;
    if !written {
        return Ok(());
    }
    log(format_args!("rendered {name}"));
    if let Some(command) = spec.command.as_ref().filter(|c| !c.is_empty()) {
        match run_command(command, spec.command_timeout, masking.receiver()).await {
            Ok(status) if status.success() => {}
            Ok(status) => log(format_args!("{name}: {} exited ({status})", command[0])),
            Err(e) => log(format_args!("{name}: {e}")),
        }
    }
    Ok(())
}

/// Renders a consul-template template again and writes it; a failure is logged and
/// the file left as it is.
async fn refresh_consul(
    watcher: &Watcher,
    keepers: &mut Keepers,
    template: &mut ConsulTemplate,
    masking: &mut Masking,
) {
    let written = match keepers.render(watcher, template).await {
        Ok(rendered) => write_consul(&template.spec, rendered, masking).await,
        Err(e) => Err(e),
    };
    if let Err(e) = written {
        let name = template.spec.destination.display();
        log(format_args!("{name}: not rendered: {e}"));
    }
}

/// Writes a rendered consul-template template if its bytes changed, then runs its
/// command.
async fn write_consul(spec: &TemplateSpec, rendered: Rendered, masking: &mut Masking) -> CliResult {
    masking.add_strings(&rendered.strings);
    write_file(spec, &rendered.text, masking).await
}

/// Renders the environment again; when it changed, returns when the process should be
/// restarted (the debounce from now).
async fn rerender_env(
    watcher: &Watcher,
    plan: &Plan,
    env: &mut Vec<(String, String)>,
    masking: &mut Masking,
) -> Option<Instant> {
    let exec = plan.exec.as_ref()?;
    match plan.render_env(watcher).await {
        Ok((new, resolved)) => {
            masking.add(&resolved);
            if new == *env {
                return None;
            }
            *env = new;
            Some(Instant::now() + exec.debounce)
        }
        Err(e) => {
            log(format_args!("[exec.env]: not rendered: {e}"));
            None
        }
    }
}

/// Reads the config again and resolves what the new plan uses; keys it no longer uses
/// stop being watched. Stores and auth stay as they were at start.
async fn reload(
    path: Option<&Path>,
    watcher: &Watcher,
    keepers: &mut Keepers,
    masking: &mut Masking,
    running: &Plan,
) -> CliResult<Plan> {
    let config = Config::discover(path)?;
    let started = watcher.resolver().config();
    if config.stores != started.stores || config.default_store != started.default_store {
        log(format_args!(
            "[stores] changed: stores and [auth] are read at start; restart the agent to use them"
        ));
    }
    let mut plan = Plan::load(&config)?;
    if let Err(e) = watcher.resolve(plan.references()).await {
        // What the failed resolve started watching is let go again.
        watcher.retain(&running.keys()).await;
        return Err(e.into());
    }
    watcher.retain(&plan.keys()).await;
    for template in &plan.templates {
        if let Err(e) = apply(watcher, template, masking).await {
            log(format_args!("{}: not rendered: {e}", template.name));
        }
    }
    for template in &mut plan.consul_templates {
        refresh_consul(watcher, keepers, template, masking).await;
    }
    keepers.retain(&plan.consul_templates).await;
    Ok(plan)
}

fn start(exec: &ExecSpec, env: &[(String, String)], masking: &Masking) -> CliResult<Child> {
    let child = Child::start(&exec.command, env, masking.receiver())?;
    log(format_args!(
        "started {} (pid {})",
        exec.command[0],
        child.pid()
    ));
    Ok(child)
}

/// What a changed environment does to the running process, as `[exec] restart` says.
async fn restart(
    exec: &ExecSpec,
    running: Child,
    env: &[(String, String)],
    masking: &Masking,
) -> CliResult<Child> {
    match exec.restart {
        Restart::Always => {
            stop(exec, running).await?;
            start(exec, env, masking)
        }
        Restart::Signal => {
            running.signal(parse_signal(&exec.restart_signal)?);
            log(format_args!(
                "sent {} to {}",
                exec.restart_signal, exec.command[0]
            ));
            Ok(running)
        }
        Restart::Never => Ok(running),
    }
}

async fn stop(exec: &ExecSpec, running: Child) -> CliResult<std::process::ExitStatus> {
    let status = running
        .stop(parse_signal(&exec.stop_signal)?, exec.kill_timeout)
        .await?;
    log(format_args!("stopped {} ({status})", exec.command[0]));
    Ok(status)
}

/// Starts the reloaded config's process, if it has one.
async fn replace_exec(
    watcher: &Watcher,
    plan: &Plan,
    env: &mut Vec<(String, String)>,
    masking: &mut Masking,
) -> CliResult<Option<Child>> {
    let Some(exec) = &plan.exec else {
        return Ok(None);
    };
    let (new, resolved) = plan.render_env(watcher).await?;
    masking.add(&resolved);
    *env = new;
    start(exec, env, masking).map(Some)
}

/// Stops the process on SIGTERM / SIGINT; the agent then exits 0.
async fn shutdown(plan: &Plan, child: Option<Child>) -> CliResult<u8> {
    if let (Some(exec), Some(running)) = (&plan.exec, child) {
        stop(exec, running).await?;
    }
    Ok(0)
}

async fn wait(child: &mut Option<Child>) -> CliResult<std::process::ExitStatus> {
    match child {
        Some(child) => child.wait().await,
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

fn log(message: std::fmt::Arguments<'_>) {
    eprintln!(
        "{} ironsecrets agent: {message}",
        chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ")
    );
}

/// Every value the agent has resolved, as the patterns that mask the output of the
/// process and the template commands.
struct Masking {
    values: Vec<(String, SecretValue)>,
    patterns: watch::Sender<Arc<Patterns>>,
}

impl Masking {
    fn new() -> Self {
        let (patterns, _) = watch::channel(Arc::new(Patterns::new([]).0));
        Masking {
            values: Vec::new(),
            patterns,
        }
    }

    /// Adds the values of `resolved` not seen yet.
    fn add<'a>(&mut self, resolved: impl IntoIterator<Item = &'a Resolved>) {
        let values = resolved
            .into_iter()
            .flat_map(Resolved::values)
            .map(|(reference, value)| (reference.to_string(), value.clone()));
        self.extend(values.collect(), true);
    }

    /// Adds the strings a consul-template render fetched (ids and flags among them, so
    /// the short ones pass unmasked without a warning).
    fn add_strings(&mut self, strings: &[String]) {
        let values = strings.iter().map(|s| {
            (
                "a consul-template value".to_owned(),
                SecretValue::from(s.as_str()),
            )
        });
        self.extend(values.collect(), false);
    }

    /// Adds the values not seen yet and masks with all of them from now on.
    fn extend(&mut self, values: Vec<(String, SecretValue)>, warn: bool) {
        let before = self.values.len();
        for (name, value) in values {
            if !self.values.iter().any(|(_, seen)| *seen == value) {
                self.values.push((name, value));
            }
        }
        if self.values.len() == before {
            return;
        }
        let (patterns, short) = Patterns::new(
            self.values
                .iter()
                .map(|(name, value)| (name.clone(), value.expose())),
        );
        let new: Vec<&str> = self.values[before..]
            .iter()
            .map(|(n, _)| n.as_str())
            .collect();
        for name in short
            .iter()
            .filter(|name| warn && new.contains(&name.as_str()))
        {
            log(format_args!(
                "warning: {name} is shorter than {} bytes and is not masked",
                crate::mask::MIN_LEN
            ));
        }
        self.patterns.send_replace(Arc::new(patterns));
    }

    fn receiver(&self) -> watch::Receiver<Arc<Patterns>> {
        self.patterns.subscribe()
    }
}
