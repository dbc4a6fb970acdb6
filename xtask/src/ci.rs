//! `cargo xtask ci`: requirements, then format, lint, test, the quickstart and the
//! rotating-pool example, in an order that builds each thing once (clippy and the tests
//! share the dev profile and the one target directory; the tests build the examples that
//! the last steps run), then the Python binding's wheel and its tests on three CPythons
//! (see `python.rs`), then the Node binding's addon and its tests from the packed
//! tarball (see `node.rs`), and last the cross-language tests over all three.
//! `cargo xtask python` and `cargo xtask node` run only one binding's steps, after
//! building the test kit's service launcher they need.

use std::process::Command;
use std::time::{Duration, Instant};

use crate::run::{self, Result, seconds};
use crate::{node, python, requirements};

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
    /// Work of several commands done by xtask itself, with what its banner shows.
    Task(&'static str, fn() -> Result),
}

impl Runs {
    /// What the banner shows, and the work.
    fn prepare(&self) -> (String, Box<dyn FnOnce() -> Result>) {
        let command = match self {
            Runs::Cargo(args) => run::cargo(*args),
            Runs::Example(name, args) => built(&format!("examples/{name}"), args),
            Runs::Binary(name, args) => built(name, args),
            Runs::Task(shows, work) => return ((*shows).to_owned(), Box::new(*work)),
        };
        (run::display(&command), Box::new(|| run::status(command)))
    }
}

/// A program the test step built under `target/debug/`, with `args`.
fn built(relative: &str, args: &[&str]) -> Command {
    let mut command = Command::new(run::target_dir().join("debug").join(relative));
    command.args(args).current_dir(run::repo_root());
    command
}

/// The Python binding's wheel (release, abi3).
const WHEEL: Step = Step {
    name: "wheel",
    runs: Runs::Task(python::WHEEL_RUNS, python::wheel),
    hint: "the binding must build as a wheel (bindings/python, maturin)",
};

/// The Python tests on each supported CPython.
const PYTHON: Step = Step {
    name: "python",
    runs: Runs::Task(python::TESTS_RUNS, python::tests),
    hint: "see the failing Python tests or type errors above; the venvs stay in \
           <target>/python/ for a closer look",
};

/// The Node binding's addon (release, in the wheel's target directory).
const ADDON: Step = Step {
    name: "node addon",
    runs: Runs::Task(node::ADDON_RUNS, node::addon),
    hint: "the binding must build as a Node-API addon (bindings/node, @napi-rs/cli)",
};

/// The Node tests, from the packed tarball installed in a fresh project.
const NODE: Step = Step {
    name: "node",
    runs: Runs::Task(node::TESTS_RUNS, node::tests),
    hint: "see the failing Node tests or type errors above; the fresh project stays in \
           <target>/node/project/ for a closer look",
};

/// One value written by each language and read by the other two; the three check
/// lists compared.
const CROSS_LANGUAGE: Step = Step {
    name: "cross-language",
    runs: Runs::Task(node::CROSS_RUNS, node::cross_language),
    hint: "see the failing cross-language test above (it uses the CLI, the python step's \
           venv-3.11 and the node step's project)",
};

/// The launcher of the services the binding tests use (which `ci` builds in its test
/// step).
const SERVE_BINARY: Step = Step {
    name: "serve binary",
    runs: Runs::Cargo(&[
        "build",
        "-p",
        "ironsecrets-testkit",
        "--bin",
        "ironsecrets-testkit-serve",
    ]),
    hint: "the test kit's ironsecrets-testkit-serve must build",
};

/// What `cargo xtask python` runs: the serve binary, the wheel, the tests.
const PYTHON_STEPS: &[Step] = &[SERVE_BINARY, WHEEL, PYTHON];

/// What `cargo xtask node` runs: the serve binary, the addon, the tests.
const NODE_STEPS: &[Step] = &[SERVE_BINARY, ADDON, NODE];

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
    WHEEL,
    PYTHON,
    ADDON,
    NODE,
    CROSS_LANGUAGE,
];

/// `cargo xtask ci`: every step.
pub fn run() -> Result {
    run_all("ci", &requirements::for_ci(), STEPS)
}

/// `cargo xtask python`: only the Python binding's steps.
pub fn run_python() -> Result {
    run_all("python", &requirements::for_python(), PYTHON_STEPS)
}

/// `cargo xtask node`: only the Node binding's steps.
pub fn run_node() -> Result {
    run_all("node", &requirements::for_node(), NODE_STEPS)
}

/// Runs the requirements and `steps`, stopping at the first failure; prints a summary
/// of durations.
fn run_all(what: &str, requirements: &[requirements::Requirement], steps: &[Step]) -> Result {
    let started = Instant::now();
    let mut done: Vec<(&str, Duration)> = Vec::new();
    let outcome = run_steps(requirements, steps, &mut done);
    println!("\n{what} summary:");
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

fn run_steps(
    requirements: &[requirements::Requirement],
    steps: &[Step],
    done: &mut Vec<(&'static str, Duration)>,
) -> Result {
    let count = steps.len() + 1;
    let took = run::step(
        &format!("[1/{count}] requirements"),
        "check the tools the steps need, install the missing ones",
        "install the missing tool by hand and run again",
        || requirements::ensure(requirements),
    )?;
    done.push(("requirements", took));
    for (index, step) in steps.iter().enumerate() {
        let (runs, work) = step.runs.prepare();
        let label = format!("[{}/{count}] {}", index + 2, step.name);
        let took = run::step(&label, &runs, step.hint, work)?;
        done.push((step.name, took));
    }
    Ok(())
}
