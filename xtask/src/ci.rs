//! `cargo xtask ci`: requirements, then format, lint, test, the quickstart and the
//! rotating-pool example, in an order that builds each thing once (clippy and the tests
//! share the dev profile and the one target directory; the tests build the examples that
//! the last steps run).

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::requirements;
use crate::run::{self, Result, seconds};

/// One CI step: what it runs and what to do when it fails.
struct Step {
    name: &'static str,
    runs: Runs,
    hint: &'static str,
}

/// What a step runs.
enum Runs {
    /// `cargo <args>`.
    Cargo(&'static [&'static str]),
    /// An example the test step built (`cargo test` builds every example with the
    /// workspace's features), run directly with these arguments: `cargo run -p` would
    /// rebuild its dependencies with that one package's features.
    Example(&'static str, &'static [&'static str]),
    /// A binary the test step built (a package's binaries are built for its
    /// integration tests), run directly for the same reason.
    Binary(&'static str, &'static [&'static str]),
}

impl Runs {
    fn command(&self) -> Command {
        match self {
            Runs::Cargo(args) => run::cargo(*args),
            Runs::Example(name, args) => built(&format!("examples/{name}"), args),
            Runs::Binary(name, args) => built(name, args),
        }
    }
}

/// A program the test step built under `target/debug/`, with `args`.
fn built(relative: &str, args: &[&str]) -> Command {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| run::repo_root().join("target"));
    let mut command = Command::new(target.join("debug").join(relative));
    command.args(args).current_dir(run::repo_root());
    command
}

const STEPS: &[Step] = &[
    Step {
        name: "format",
        runs: Runs::Cargo(&["fmt", "--all", "--", "--check"]),
        hint: "run `cargo fmt --all` and commit the result",
    },
    Step {
        name: "clippy",
        runs: Runs::Cargo(&[
            "clippy",
            "--workspace",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]),
        hint: "fix the warnings above (they are errors in CI)",
    },
    Step {
        name: "test",
        runs: Runs::Cargo(&["test", "--workspace"]),
        hint: "see the failing tests above",
    },
    Step {
        name: "quickstart",
        runs: Runs::Binary("quickstart", &[]),
        hint: "the README's first command (`cargo run -p ironsecrets-examples --bin quickstart`) \
               must keep working",
    },
    Step {
        name: "pool example",
        runs: Runs::Example("rotating_pool_service", &["15"]),
        hint: "the rotating-pool example must serve every request across rotations",
    },
];

/// Runs every step, stopping at the first failure; prints a summary of durations.
pub fn run() -> Result {
    let started = Instant::now();
    let mut done: Vec<(&str, Duration)> = Vec::new();
    let outcome = run_steps(&mut done);
    println!("\nci summary:");
    for (name, took) in &done {
        println!("    {name:<13} {:>9}", seconds(*took));
    }
    let total = seconds(started.elapsed());
    match &outcome {
        Ok(()) => println!("    {:<13} {total:>9}  all steps passed", "total"),
        Err(_) => println!("    {:<13} {total:>9}  FAILED", "total"),
    }
    outcome
}

fn run_steps(done: &mut Vec<(&'static str, Duration)>) -> Result {
    let count = STEPS.len() + 1;
    let took = run::step(
        &format!("[1/{count}] requirements"),
        "check the tools the steps need, install the missing ones",
        "install the missing tool by hand and run again",
        || requirements::ensure(&requirements::for_ci()),
    )?;
    done.push(("requirements", took));
    for (index, step) in STEPS.iter().enumerate() {
        let command = step.runs.command();
        let label = format!("[{}/{count}] {}", index + 2, step.name);
        let runs = run::display(&command);
        let took = run::step(&label, &runs, step.hint, || run::status(command))?;
        done.push((step.name, took));
    }
    Ok(())
}
