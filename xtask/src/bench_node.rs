//! `cargo xtask bench node`: the Node binding against node-vault 0.12 and a raw `fetch`
//! loop, and the Rust `vault` benchmark's raw saturation figure, on ONE OpenBao in one
//! run.
//!
//! 1. builds the test kit's `ironsecrets-testkit-serve` (debug) and `ironsecrets-bench`
//!    (release);
//! 2. uses the addon and node-vault already in `bindings/node` (built and installed by
//!    `cargo xtask node`; this command builds no addon);
//! 3. starts one OpenBao with `ironsecrets-testkit-serve services openbao`;
//! 4. runs `bench/node/bench.mjs measure` against it (`<target>/node-bench/node.json`),
//!    then `ironsecrets-bench vault --address --token` against the same server;
//! 5. stops the server and writes the report with `bench.mjs report` (default
//!    `docs/bench/node.md`).

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};

use crate::bench::{self, Server};
use crate::python::{exec, remove_dir};
use crate::run::{self, Error, Result};

/// Where the report goes by default, relative to the workspace root.
pub const DEFAULT_REPORT: &str = "docs/bench/node.md";

/// Runs the whole benchmark; `extra` goes to `bench.mjs measure`.
pub fn run(out: Option<&Path>, extra: &[String]) -> Result {
    let out = bench::report_path(out, DEFAULT_REPORT)?;
    let target = run::target_dir();
    let repo = run::repo_root();
    let package = repo.join("bindings/node");
    let script = repo.join("bench/node/bench.mjs");
    for needed in ["ironsecrets.linux-x64-gnu.node", "node_modules/node-vault"] {
        if !package.join(needed).exists() {
            return Err(Error::new(format!(
                "{} is missing: run `cargo xtask node` first (it builds the addon and installs \
                 the package's dev dependencies)",
                package.join(needed).display()
            )));
        }
    }
    bench::build_tools()?;
    let serve = target.join("debug").join("ironsecrets-testkit-serve");
    let rust_bench = target.join("release").join("ironsecrets-bench");
    let work = target.join("node-bench");
    remove_dir(&work)?;
    fs::create_dir_all(&work).map_err(|e| Error::new(format!("create {}: {e}", work.display())))?;

    let node_json = work.join("node.json");
    let vault_json = work.join("vault.json");
    run::step(
        "bench node",
        "one OpenBao (ironsecrets-testkit-serve services openbao): bench/node/bench.mjs \
         measure, then ironsecrets-bench vault --address against the same server",
        "see the benchmark's output above",
        || {
            let server = Server::start(&serve)?;
            println!("    OpenBao at {}", server.address);
            let mut measure = node(&package);
            measure
                .arg(&script)
                .args(["measure", "--address", &server.address])
                .args(["--token", &server.token, "--json"])
                .arg(&node_json)
                .args(extra)
                .stdout(Stdio::null());
            exec(measure)?;
            let mut vault = Command::new(&rust_bench);
            vault
                .args(["vault", "--out"])
                .arg(work.join("vault.md"))
                .arg("--json")
                .arg(&vault_json)
                .args(["--address", &server.address, "--token", &server.token])
                .current_dir(&repo);
            exec(vault)?;
            server.stop()
        },
    )?;

    if let Some(dir) = out.parent() {
        fs::create_dir_all(dir)
            .map_err(|e| Error::new(format!("cannot create {}: {e}", dir.display())))?;
    }
    let mut report = node(&package);
    report
        .arg(&script)
        .args(["report", "--node"])
        .arg(&node_json)
        .arg("--rust")
        .arg(&vault_json)
        .arg("--out")
        .arg(&out);
    exec(report)?;
    println!("report written to {}", out.display());
    Ok(())
}

/// `node` in the package directory (where `ironsecrets` and node-vault resolve), without
/// the variables that would point it elsewhere.
fn node(package: &Path) -> Command {
    let mut command = Command::new("node");
    command.current_dir(package);
    for name in [
        "NODE_OPTIONS",
        "NODE_PATH",
        "VAULT_ADDR",
        "VAULT_TOKEN",
        "BAO_ADDR",
        "BAO_TOKEN",
    ] {
        command.env_remove(name);
    }
    command
}
