//! `ironsecrets run`: a command started with the `isec://` values of its environment
//! resolved, its output masked, signals forwarded and its exit code mirrored.

use std::ffi::{OsStr, OsString};
use std::io::IsTerminal;
use std::os::fd::OwnedFd;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::Stdio;

use clap::Args;
use ironsecrets::delivery::Resolver;
use ironsecrets::{Error, Reference, SecretValue, is_reference};
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use std::sync::Arc;

use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::watch;

use crate::child_output::{Output, Reader, drain};
use crate::error::{CliResult, io_error};
use crate::mask::Patterns;

/// `run` arguments.
#[derive(Args)]
#[command(after_long_help = "\
Every environment variable (and env-file entry) whose value is an isec:// reference is \
replaced by the value it names, e.g.

  DATABASE_PASSWORD=isec://prod/app/db#password ironsecrets run -- ./server

The child's stdout and stderr are masked: each resolved value, and its base64 and \
URL-encoded forms, is printed as [REDACTED]. When stdout is a terminal the child runs \
on a pseudo-terminal, so colours survive (stdout and stderr then share it). The exit \
code is the child's (128+N when signal N ended it).")]
pub struct RunArgs {
    /// Also read variables from this dotenv file (later files win over the environment)
    #[arg(long = "env-file", value_name = "FILE")]
    env_files: Vec<PathBuf>,
    /// Do not mask the output: exec the command directly
    #[arg(long)]
    no_mask: bool,
    /// Remove the credentials that resolved the references (VAULT_TOKEN, AWS_*,
    /// IRONSECRETS_MASTER_KEY, ...) from the child's environment
    #[arg(long)]
    scrub: bool,
    /// With --scrub: keep this variable (repeatable)
    #[arg(long = "allow-env", value_name = "NAME", requires = "scrub")]
    allow_env: Vec<String>,
    /// The command and its arguments
    #[arg(
        required = true,
        trailing_var_arg = true,
        allow_hyphen_values = true,
        value_name = "COMMAND"
    )]
    command: Vec<OsString>,
}

/// Credentials the backends read from the environment; `--scrub` removes them.
const CREDENTIALS: &[&str] = &[
    "VAULT_TOKEN",
    "BAO_TOKEN",
    "VAULT_CLIENT_KEY",
    "IRONSECRETS_MASTER_KEY",
    "IRONSECRETS_BUNDLE_PASSPHRASE",
    "AZURE_CLIENT_SECRET",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "GOOGLE_APPLICATION_CREDENTIALS",
];
/// Prefixes of credential variables `--scrub` removes.
const CREDENTIAL_PREFIXES: &[&str] = &["AWS_"];

/// Signals passed on to the child.
const FORWARDED: [(SignalKind, Signal); 6] = [
    (SignalKind::terminate(), Signal::SIGTERM),
    (SignalKind::hangup(), Signal::SIGHUP),
    (SignalKind::user_defined1(), Signal::SIGUSR1),
    (SignalKind::user_defined2(), Signal::SIGUSR2),
    (SignalKind::interrupt(), Signal::SIGINT),
    (SignalKind::quit(), Signal::SIGQUIT),
];

/// Resolves, starts, waits; returns the exit code to mirror.
pub async fn run(resolver: &Resolver, args: RunArgs) -> CliResult<u8> {
    let resolved = resolve_environment(resolver, environment(&args.env_files)?).await?;
    let mut environment = resolved.environment;
    if args.scrub {
        scrub(&mut environment, &args.allow_env);
    }
    let mut command = std::process::Command::new(&args.command[0]);
    command
        .args(&args.command[1..])
        .env_clear()
        .envs(environment);
    if args.no_mask {
        let err = command.exec();
        return Err(io_error(err, &args.command[0].to_string_lossy()).into());
    }
    let patterns = patterns(&resolved.values);
    supervise(command, patterns, &args.command[0]).await
}

/// An environment with its references replaced by their values.
pub struct ResolvedEnvironment {
    /// Every variable, each name once (the last value given wins).
    pub environment: Vec<(OsString, OsString)>,
    /// The resolved values by variable name, for masking.
    pub values: Vec<(String, SecretValue)>,
}

/// Resolves every `isec://` value of `environment`; nothing starts on a failure.
pub async fn resolve_environment(
    resolver: &Resolver,
    environment: Vec<(OsString, OsString)>,
) -> ironsecrets::Result<ResolvedEnvironment> {
    let mut environment = dedup(environment);
    let (mut indices, mut references) = (Vec::new(), Vec::new());
    for (index, (name, value)) in environment.iter().enumerate() {
        if let Some(text) = value.to_str().filter(|text| is_reference(text)) {
            let reference = Reference::parse(text).map_err(|e| {
                Error::invalid_input(format!("{}: {}", name.to_string_lossy(), e.message()))
            })?;
            indices.push(index);
            references.push(reference);
        }
    }
    let resolved = resolver.resolve(&references).await?;
    let mut values = Vec::new();
    for (index, reference) in indices.into_iter().zip(references) {
        let value = resolved.get(&reference).expect("resolved").clone();
        let (name, slot) = &mut environment[index];
        if value.expose().contains(&0) {
            return Err(Error::invalid_input(format!(
                "{}: {reference} holds a NUL byte, which an environment variable cannot",
                name.to_string_lossy()
            )));
        }
        *slot = OsString::from_vec(value.expose().to_vec());
        values.push((name.to_string_lossy().into_owned(), value));
    }
    Ok(ResolvedEnvironment {
        environment,
        values,
    })
}

/// Removes the backends' credential variables, except the `allowed` ones.
pub fn scrub(environment: &mut Vec<(OsString, OsString)>, allowed: &[String]) {
    environment.retain(|(name, _)| !is_credential(name, allowed));
}

/// The patterns that mask `values`; a value too short to mask is named on stderr.
pub fn patterns(values: &[(String, SecretValue)]) -> Patterns {
    let (patterns, short) = Patterns::new(
        values
            .iter()
            .map(|(name, value)| (name.clone(), value.expose())),
    );
    for name in short {
        eprintln!(
            "ironsecrets: warning: {name} is shorter than {} bytes and is not masked",
            crate::mask::MIN_LEN
        );
    }
    patterns
}

/// The process environment, then each env file in order (later entries win).
pub fn environment(files: &[PathBuf]) -> CliResult<Vec<(OsString, OsString)>> {
    let mut environment: Vec<(OsString, OsString)> = std::env::vars_os().collect();
    for file in files {
        let what = file.display().to_string();
        let text = std::fs::read_to_string(file).map_err(|e| io_error(e, &what))?;
        for (index, item) in dotenvy::from_read_iter(text.as_bytes()).enumerate() {
            let (name, value) =
                item.map_err(|e| Error::invalid_input(dotenv_error(&what, &text, index, e)))?;
            environment.push((name.into(), value.into()));
        }
    }
    Ok(environment)
}

/// A dotenv error naming the file and line, never the line's text (it may hold a value).
fn dotenv_error(file: &str, text: &str, index: usize, err: dotenvy::Error) -> String {
    match err {
        dotenvy::Error::LineParse(line, _) => {
            let number = text
                .lines()
                .position(|candidate| {
                    line.lines()
                        .next()
                        .is_some_and(|first| candidate.contains(first))
                })
                .map_or_else(
                    || format!("entry {}", index + 1),
                    |n| format!("line {}", n + 1),
                );
            format!("{file}: {number} is not NAME=value in dotenv syntax")
        }
        dotenvy::Error::Io(err) => format!("{file}: {err}"),
        // Other errors (a `${VAR}` that is not Unicode, ...) quote the value: say less.
        _ => format!("{file}: a value cannot be read as dotenv text"),
    }
}

/// The last value of each name, in first-seen order.
fn dedup(environment: Vec<(OsString, OsString)>) -> Vec<(OsString, OsString)> {
    let mut out: Vec<(OsString, OsString)> = Vec::with_capacity(environment.len());
    for (name, value) in environment {
        match out.iter_mut().find(|(seen, _)| *seen == name) {
            Some(entry) => entry.1 = value,
            None => out.push((name, value)),
        }
    }
    out
}

fn is_credential(name: &OsStr, allowed: &[String]) -> bool {
    let name = name.as_bytes();
    let listed = CREDENTIALS.iter().any(|c| c.as_bytes() == name)
        || CREDENTIAL_PREFIXES
            .iter()
            .any(|p| name.starts_with(p.as_bytes()));
    listed && !allowed.iter().any(|a| a.as_bytes() == name)
}

/// Starts the child with masked output (on a pty when stdout is a terminal), forwards
/// signals, and returns its exit code once its output is drained.
async fn supervise(
    mut command: std::process::Command,
    patterns: Patterns,
    program: &OsStr,
) -> CliResult<u8> {
    let terminal = std::io::stdout().is_terminal();
    let mut readers: Vec<Reader> = Vec::new();
    let mut resizable = None;
    let mut command = if terminal {
        let pty = nix::pty::openpty(window_size().as_ref(), None)
            .map_err(|e| Error::unexpected(format!("cannot open a pseudo-terminal: {e}")))?;
        let slave = |fd: &OwnedFd| fd.try_clone().map(Stdio::from);
        command
            .stdout(slave(&pty.slave).map_err(|e| io_error(e, "pty"))?)
            .stderr(slave(&pty.slave).map_err(|e| io_error(e, "pty"))?);
        resizable = Some(pty.master.try_clone().map_err(|e| io_error(e, "pty"))?);
        readers.push((
            Box::new(tokio::fs::File::from_std(pty.master.into())),
            Output::Stdout,
        ));
        tokio::process::Command::from(command)
    } else {
        command.stdout(Stdio::piped()).stderr(Stdio::piped());
        tokio::process::Command::from(command)
    };
    let mut child = command
        .spawn()
        .map_err(|e| io_error(e, &program.to_string_lossy()))?;
    drop(command); // our copies of the pty slave: the master then sees the end
    if let (Some(out), Some(err)) = (child.stdout.take(), child.stderr.take()) {
        readers.push((Box::new(out), Output::Stdout));
        readers.push((Box::new(err), Output::Stderr));
    }
    let pid = Pid::from_raw(child.id().expect("running") as i32);
    // A terminal sends Ctrl-C / Ctrl-\ to the whole foreground group, the child included.
    let from_terminal = std::io::stdin().is_terminal();
    let mut signals = Vec::new();
    if resizable.is_some() {
        let winch =
            signal(SignalKind::window_change()).map_err(|e| io_error(e, "signal handler"))?;
        signals.push((winch, Signal::SIGWINCH));
    }
    for (kind, sig) in FORWARDED {
        if from_terminal && matches!(sig, Signal::SIGINT | Signal::SIGQUIT) {
            continue;
        }
        signals.push((
            signal(kind).map_err(|e| io_error(e, "signal handler"))?,
            sig,
        ));
    }
    let (_patterns, patterns) = watch::channel(Arc::new(patterns));
    let drained = drain(readers, patterns);
    tokio::pin!(drained);
    let mut output_done = false;
    let status = loop {
        tokio::select! {
            status = child.wait() => break status.map_err(|e| io_error(e, "wait"))?,
            sig = next_signal(&mut signals) => {
                if let (Signal::SIGWINCH, Some(master)) = (sig, &resizable) {
                    resize(master);
                }
                let _ = kill(pid, sig);
            }
            () = &mut drained, if !output_done => output_done = true,
        }
    };
    if !output_done {
        drained.await;
    }
    Ok(crate::exit_code::of_child(status))
}

/// The next forwarded signal that arrives.
async fn next_signal(signals: &mut [(tokio::signal::unix::Signal, Signal)]) -> Signal {
    std::future::poll_fn(|cx| {
        for (stream, sig) in signals.iter_mut() {
            if stream.poll_recv(cx).is_ready() {
                return std::task::Poll::Ready(*sig);
            }
        }
        std::task::Poll::Pending
    })
    .await
}

/// Gives the child's pty our terminal's new size.
fn resize(master: &OwnedFd) {
    if let Some(size) = window_size() {
        use std::os::fd::AsRawFd;
        // SAFETY: TIOCSWINSZ reads one `winsize` from the pointer it is given.
        unsafe { nix::libc::ioctl(master.as_raw_fd(), nix::libc::TIOCSWINSZ, &size) };
    }
}

/// Our terminal's size, for the child's pty.
fn window_size() -> Option<nix::pty::Winsize> {
    let mut size = nix::pty::Winsize {
        ws_row: 0,
        ws_col: 0,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCGWINSZ writes one `winsize` into the pointer it is given.
    let ok = unsafe { nix::libc::ioctl(1, nix::libc::TIOCGWINSZ, &mut size) } == 0;
    ok.then_some(size)
}
