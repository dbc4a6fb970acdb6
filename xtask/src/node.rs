//! The Node binding's steps (the last of `cargo xtask ci`, or alone with `cargo xtask
//! node`): build its addon with @napi-rs/cli (release, in the one target directory the
//! wheel uses, so the two share their compiled dependencies), then pack the npm package,
//! install the tarball in a fresh project with the test dependencies from the registry,
//! type-check the typed usage file with `tsc --strict` there and run the `node --test`
//! suite there against one set of services (OpenBao, PostgreSQL) that xtask starts
//! through the test kit's `ironsecrets-testkit-serve` and names in
//! `$IRONSECRETS_SERVICES`.
//!
//! The build tools (@napi-rs/cli, TypeScript, pg, node-vault) are the package's dev
//! dependencies, installed by `npm ci` from its lock file. Everything else goes under
//! `<target>/node/` (made afresh each run): `pack/` (the tarball) and `project/` (the
//! fresh project, with copies of the tests and examples).
//!
//! In `cargo xtask ci` a last step runs the repository's cross-language tests
//! (`tests/cross_language.test.mjs`) with the Rust CLI, the Python step's CPython 3.11
//! venv and this project's installed package.

use std::fs;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::python::{exec, remove_dir};
use crate::run::{self, Error, Result};

/// What the addon step's banner shows.
pub const ADDON_RUNS: &str = "npm ci && npx napi build --platform --release --no-js --dts \
                              native.d.ts (in bindings/node)";

/// What the test step's banner shows.
pub const TESTS_RUNS: &str = "npm pack; npm install the tarball in a fresh project; tsc --strict \
                              over tests/typed_usage.ts; node --test tests/ there";

/// The binding's directory, relative to the repository root.
const PACKAGE: &str = "bindings/node";

/// The packages the fresh project installs besides the tarball, at the versions the
/// package's own dev dependencies pin.
const PROJECT_DEPENDENCIES: &[&str] = &["pg", "typescript", "@types/node", "@types/pg"];

/// The addon step: the dev dependencies from the lock file, then the release build.
pub fn addon() -> Result {
    let package = run::repo_root().join(PACKAGE);
    let mut install = npm(&package);
    install.args(["ci", "--no-audit", "--no-fund"]);
    exec(install)?;
    let mut build = Command::new(package.join("node_modules/.bin/napi"));
    build
        .args([
            "build",
            "--platform",
            "--release",
            "--no-js",
            "--dts",
            "native.d.ts",
        ])
        .arg("--target-dir")
        .arg(run::target_dir())
        .current_dir(&package);
    run::without_xtask_env(&mut build);
    exec(build)
}

/// The test step: pack, install in a fresh project, type-check, run the tests.
pub fn tests() -> Result {
    let repo = run::repo_root();
    let package = repo.join(PACKAGE);
    let work = run::target_dir().join("node");
    let serve = run::target_dir()
        .join("debug")
        .join("ironsecrets-testkit-serve");
    remove_dir(&work)?;
    let (pack, project) = (work.join("pack"), work.join("project"));
    for dir in [&pack, &project] {
        fs::create_dir_all(dir)
            .map_err(|e| Error::new(format!("create {}: {e}", dir.display())))?;
    }

    let mut packing = npm(&package);
    packing.args(["pack", "--pack-destination"]).arg(&pack);
    exec(packing)?;
    let tarball = one_tarball(&pack)?;

    write(
        &project.join("package.json"),
        "{ \"name\": \"ironsecrets-ci-project\", \"private\": true, \"type\": \"module\" }\n",
    )?;
    let mut install = npm(&project);
    install
        .args(["install", "--no-audit", "--no-fund"])
        .arg(&tarball)
        .args(pinned(&package, PROJECT_DEPENDENCIES)?);
    exec(install)?;
    copy_dir(&package.join("tests"), &project.join("tests"))?;
    copy_dir(&repo.join("examples/node"), &project.join("examples"))?;

    let mut tsc = Command::new(project.join("node_modules/.bin/tsc"));
    tsc.args(["-p", "tests/tsconfig.json"])
        .current_dir(&project);
    exec(tsc)?;

    let mut node = node_test(&serve, &work)?;
    node.args(test_files(&project.join("tests"))?)
        .current_dir(&project)
        .env("IRONSECRETS_NODE_EXAMPLES", project.join("examples"));
    node.run()
}

/// What the cross-language step's banner shows.
pub const CROSS_RUNS: &str = "node --test tests/cross_language.test.mjs (the Rust CLI, the \
                              Python venv of the python step, the Node project of the node \
                              step, on one OpenBao and one store file)";

/// The cross-language step: the repository's `tests/` with the CLI the test step built,
/// CPython 3.11's venv from the Python step and the project the Node step installed.
pub fn cross_language() -> Result {
    let repo = run::repo_root();
    let target = run::target_dir();
    let project = target.join("node").join("project");
    let serve = target.join("debug").join("ironsecrets-testkit-serve");
    let mut node = node_test(&serve, &target.join("node"))?;
    node.arg(repo.join("tests/cross_language.test.mjs"))
        .current_dir(&repo)
        .env("IRONSECRETS_CLI", target.join("debug").join("ironsecrets"))
        .env(
            "IRONSECRETS_PYTHON",
            target.join("python/venv-3.11/bin/python"),
        )
        .env(
            "IRONSECRETS_PYTHON_TESTS",
            repo.join("bindings/python/tests"),
        )
        .env(
            "IRONSECRETS_NODE_PACKAGE",
            project.join("node_modules/ironsecrets"),
        )
        .env("IRONSECRETS_NODE_TESTS", project.join("tests"));
    node.run()
}

/// `node --test` against services started for it (stopped when it ends).
struct NodeTest {
    command: Command,
    services: Services,
}

impl NodeTest {
    fn arg(&mut self, arg: impl AsRef<std::ffi::OsStr>) -> &mut Command {
        self.command.arg(arg)
    }

    fn args<I: IntoIterator<Item = S>, S: AsRef<std::ffi::OsStr>>(
        &mut self,
        args: I,
    ) -> &mut Command {
        self.command.args(args)
    }

    fn run(self) -> Result {
        let outcome = exec(self.command);
        self.services.stop();
        outcome
    }
}

/// Starts the services (`ironsecrets-testkit-serve` at `serve`, working in `work`) and
/// makes the `node --test` command that uses them.
fn node_test(serve: &Path, work: &Path) -> Result<NodeTest> {
    if !serve.is_file() {
        return Err(Error::new(format!(
            "{} is not built (the test step builds it; or `cargo build -p ironsecrets-testkit \
             --bin ironsecrets-testkit-serve`)",
            serve.display()
        )));
    }
    let services = Services::start(serve, work)?;
    let mut command = Command::new("node");
    command
        .args(["--test", "--test-timeout=300000"])
        .env("IRONSECRETS_SERVICES", &services.description)
        .env("IRONSECRETS_TESTKIT_SERVE", serve);
    clean_env(&mut command);
    Ok(NodeTest { command, services })
}

/// `npm` in `dir`, without what would point it elsewhere.
fn npm(dir: &Path) -> Command {
    let mut command = Command::new("npm");
    command.current_dir(dir);
    run::without_xtask_env(&mut command);
    command
}

/// `name@version` for each of `names`, as the package's devDependencies pin them (read
/// with `npm pkg get`).
fn pinned(package: &Path, names: &[&str]) -> Result<Vec<String>> {
    names
        .iter()
        .map(|name| {
            let mut get = npm(package);
            get.args(["pkg", "get", &format!("devDependencies.{name}")]);
            let out = get
                .output()
                .map_err(|e| Error::new(format!("npm pkg get: {e}")))?;
            let version = String::from_utf8_lossy(&out.stdout)
                .trim()
                .trim_matches('"')
                .to_owned();
            if !out.status.success() || version.is_empty() || version.starts_with('{') {
                return Err(Error::new(format!(
                    "{PACKAGE}/package.json pins no devDependency {name}"
                )));
            }
            Ok(format!("{name}@{version}"))
        })
        .collect()
}

/// The one `ironsecrets-*.tgz` in `dir`.
fn one_tarball(dir: &Path) -> Result<PathBuf> {
    let found: Vec<PathBuf> = read_dir(dir)?
        .into_iter()
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with("ironsecrets-") && name.ends_with(".tgz"))
        })
        .collect();
    match <[PathBuf; 1]>::try_from(found) {
        Ok([tarball]) => Ok(tarball),
        Err(found) => Err(Error::new(format!(
            "expected one ironsecrets tarball in {}, found {}",
            dir.display(),
            found.len()
        ))),
    }
}

/// The `*.test.mjs` files in `dir`, sorted.
fn test_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = read_dir(dir)?
        .into_iter()
        .filter(|path| {
            path.to_str()
                .is_some_and(|name| name.ends_with(".test.mjs"))
        })
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(Error::new(format!("no *.test.mjs in {}", dir.display())));
    }
    Ok(files)
}

fn read_dir(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries =
        fs::read_dir(dir).map_err(|e| Error::new(format!("read {}: {e}", dir.display())))?;
    Ok(entries.flatten().map(|entry| entry.path()).collect())
}

fn write(path: &Path, text: &str) -> Result {
    fs::write(path, text).map_err(|e| Error::new(format!("write {}: {e}", path.display())))
}

/// Copies the files of `from` (not its subdirectories) into a new `to`.
fn copy_dir(from: &Path, to: &Path) -> Result {
    fs::create_dir_all(to).map_err(|e| Error::new(format!("create {}: {e}", to.display())))?;
    for file in read_dir(from)?.into_iter().filter(|path| path.is_file()) {
        let name = file.file_name().expect("a file has a name");
        fs::copy(&file, to.join(name))
            .map_err(|e| Error::new(format!("copy {}: {e}", file.display())))?;
    }
    Ok(())
}

/// Leaves out the variables that would make the tests use something else than what they
/// set up.
fn clean_env(command: &mut Command) {
    for name in [
        "NODE_OPTIONS",
        "NODE_PATH",
        "VAULT_ADDR",
        "VAULT_TOKEN",
        "VAULT_NAMESPACE",
        "BAO_ADDR",
        "BAO_TOKEN",
        "IRONSECRETS_STORE",
        "IRONSECRETS_MASTER_KEY",
        "IRONSECRETS_PRINCIPAL",
    ] {
        command.env_remove(name);
    }
}

/// The services the tests share: `ironsecrets-testkit-serve services openbao postgres`,
/// whose description (its first line) is written to a file.
struct Services {
    child: Child,
    description: PathBuf,
}

impl Services {
    fn start(serve: &Path, work: &Path) -> Result<Self> {
        println!("    $ {} services openbao postgres", serve.display());
        let mut child = Command::new(serve)
            .args(["services", "openbao", "postgres"])
            .current_dir(work)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .map_err(|e| Error::new(format!("start {}: {e}", serve.display())))?;
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout is piped");
        let read = BufReader::new(stdout).read_line(&mut line);
        if read.is_err() || line.trim().is_empty() {
            let _ = child.kill();
            let _ = child.wait();
            return Err(Error::new(format!(
                "{} exited without describing the services (see its output above)",
                serve.display()
            )));
        }
        let description = work.join("services.json");
        write(&description, &line)?;
        Ok(Services { child, description })
    }

    /// Closes its stdin (it stops the services then) and waits.
    fn stop(mut self) {
        if let Some(mut stdin) = self.child.stdin.take() {
            let _ = stdin.flush();
        }
        let _ = self.child.wait();
    }
}
