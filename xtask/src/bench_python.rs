//! `cargo xtask bench python`: the Python binding against hvac and raw `requests`, and
//! the Rust `vault` benchmark's raw saturation figure, on ONE OpenBao in one run.
//!
//! 1. builds the test kit's `ironsecrets-testkit-serve` (debug) and `ironsecrets-bench`
//!    (release);
//! 2. makes a fresh venv `<target>/python/venv-bench` with pyenv's newest CPython 3.11,
//!    installs the wheel already in `<target>/wheels` (built by `cargo xtask python`; this
//!    command builds none) and `hvac==2.4.0 requests` from PyPI;
//! 3. starts one OpenBao with `ironsecrets-testkit-serve services openbao` (kept until its
//!    stdin closes);
//! 4. runs `bench/python/bench.py measure` against it (`<target>/python/bench/python.json`),
//!    then `ironsecrets-bench vault --address --token` against the same server
//!    (`<target>/python/bench/vault.json` and `vault.md`);
//! 5. stops the server and writes the report with `bench.py report` (default
//!    `docs/bench/python.md`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::bench::{self, Server};
use crate::python;
use crate::run::{self, Error, Result};

/// Where the report goes by default, relative to the workspace root.
pub const DEFAULT_REPORT: &str = "docs/bench/python.md";

/// The CPython the benchmark runs on.
const MINOR: &str = "3.11";

/// What the benchmark uses besides ironsecrets, from PyPI.
const DEPENDENCIES: &[&str] = &["hvac==2.4.0", "requests"];

/// Runs the whole benchmark; `extra` goes to `bench.py measure`.
pub fn run(out: Option<&Path>, extra: &[String]) -> Result {
    let out = bench::report_path(out, DEFAULT_REPORT)?;
    let target = run::target_dir();
    let repo = run::repo_root();
    let script = repo.join("bench/python/bench.py");

    bench::build_tools()?;
    let serve = target.join("debug").join("ironsecrets-testkit-serve");
    let rust_bench = target.join("release").join("ironsecrets-bench");

    let work = target.join("python").join("bench");
    let venv = target.join("python").join("venv-bench");
    let python = venv.join("bin").join("python");
    run::step(
        "venv",
        &format!(
            "fresh {} with CPython {MINOR}, the wheel and {}",
            venv.display(),
            DEPENDENCIES.join(" ")
        ),
        "the wheel comes from `cargo xtask python` (or maturin build); CPython 3.11 from pyenv",
        || {
            let wheels = target.join("wheels");
            let wheel = python::find_wheel(&wheels)?;
            println!("    wheel: {}", wheel.display());
            let interpreter = find_interpreter(&python::pyenv_versions())?;
            python::remove_dir(&venv)?;
            python::remove_dir(&work)?;
            fs::create_dir_all(&work)
                .map_err(|e| Error::new(format!("create {}: {e}", work.display())))?;
            let mut command = Command::new(&interpreter);
            command.args(["-m", "venv"]).arg(&venv).current_dir(&work);
            python::exec(command)?;
            let mut install = pip(&python, &work);
            install
                .args(["--no-index", "--find-links"])
                .arg(&wheels)
                .arg("ironsecrets");
            python::exec(install)?;
            let mut dependencies = pip(&python, &work);
            dependencies.args(DEPENDENCIES);
            python::exec(dependencies)
        },
    )?;

    let python_json = work.join("python.json");
    let vault_json = work.join("vault.json");
    let vault_md = work.join("vault.md");
    run::step(
        "bench python",
        "one OpenBao (ironsecrets-testkit-serve services openbao): bench/python/bench.py \
         measure, then ironsecrets-bench vault --address against the same server",
        "see the benchmark's output above",
        || {
            let server = Server::start(&serve)?;
            println!("    OpenBao at {}", server.address);
            let mut measure = bench_python(&python, &work);
            measure
                .arg(&script)
                .args(["measure", "--address", &server.address])
                .args(["--token", &server.token, "--json"])
                .arg(&python_json)
                .args(extra)
                .stdout(Stdio::null());
            python::exec(measure)?;
            let mut vault = Command::new(&rust_bench);
            vault
                .args(["vault", "--out"])
                .arg(&vault_md)
                .arg("--json")
                .arg(&vault_json)
                .args(["--address", &server.address, "--token", &server.token])
                .current_dir(&repo);
            python::exec(vault)?;
            server.stop()
        },
    )?;

    if let Some(dir) = out.parent() {
        fs::create_dir_all(dir)
            .map_err(|e| Error::new(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut report = bench_python(&python, &work);
    report
        .arg(&script)
        .args(["report", "--python"])
        .arg(&python_json)
        .arg("--rust")
        .arg(&vault_json)
        .arg("--out")
        .arg(&out);
    python::exec(report)?;
    println!("report written to {}", out.display());
    Ok(())
}

/// pyenv's newest CPython [`MINOR`]: `<versions>/3.11.N/bin/python3.11`.
fn find_interpreter(versions: &Path) -> Result<PathBuf> {
    let entries = fs::read_dir(versions).map_err(|e| {
        Error::new(format!(
            "read {}: {e} (install CPython {MINOR} with `pyenv install {MINOR}`)",
            versions.display()
        ))
    })?;
    entries
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let patch: u32 = name.strip_prefix(MINOR)?.strip_prefix('.')?.parse().ok()?;
            let python = entry.path().join("bin").join(format!("python{MINOR}"));
            python.is_file().then_some((patch, python))
        })
        .max_by_key(|(patch, _)| *patch)
        .map(|(_, python)| python)
        .ok_or_else(|| {
            Error::new(format!(
                "no CPython {MINOR} in {}; install with `pyenv install {MINOR}`",
                versions.display()
            ))
        })
}

/// `<venv python> -m pip install -q` (pip's default cache, no version check).
fn pip(python: &Path, cwd: &Path) -> Command {
    let mut command = bench_python(python, cwd);
    command.args(["-m", "pip", "install", "-q", "--disable-pip-version-check"]);
    command
}

/// The venv's python in `cwd` (outside the source tree, so `import ironsecrets` is the
/// installed wheel), without the variables that would point it elsewhere.
fn bench_python(python: &Path, cwd: &Path) -> Command {
    let mut command = Command::new(python);
    command.current_dir(cwd);
    for name in [
        "PYTHONPATH",
        "PYTHONHOME",
        "PYTHONSTARTUP",
        "VIRTUAL_ENV",
        "VAULT_ADDR",
        "VAULT_TOKEN",
        "BAO_ADDR",
        "BAO_TOKEN",
    ] {
        command.env_remove(name);
    }
    command
}
