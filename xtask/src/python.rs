//! The Python binding's steps (the last of `cargo xtask ci`, or alone with `cargo xtask
//! python`): build its wheel with maturin, then, for each supported CPython (pyenv's
//! 3.9, 3.11 and 3.13, newest patch of each), install that wheel in a fresh venv and run
//! the pytest suite there, from a directory outside the source tree so `import
//! ironsecrets` finds the installed wheel; on 3.11 also mypy --strict and stubtest.
//!
//! The crate uses pyo3's abi3: one wheel serves every CPython >= 3.9. The tests get
//! their services (OpenBao, PostgreSQL) from the test kit's `ironsecrets-testkit-serve`,
//! built by the test step (`cargo xtask python` builds it first).
//!
//! Everything goes under the target directory: `<target>/wheels/` (exactly one wheel),
//! `<target>/python/venv-3.X/` and `<target>/python/run-3.X/` (made afresh each run).
//! Downloads from PyPI go through pip's default cache.
//!
//! For testing xtask itself (not for everyday use), two variables point the steps
//! elsewhere: `IRONSECRETS_XTASK_WHEELS`, a directory already holding one `ironsecrets`
//! wheel (the wheel step then builds and deletes nothing), and
//! `IRONSECRETS_XTASK_PYTHON_TESTS`, the tests directory.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use crate::run::{self, Error, Result, display, seconds};

/// The CPython minor versions the tests run on: the oldest supported, the middle (where
/// the type checks run), the newest.
const VERSIONS: &[&str] = &["3.9", "3.11", "3.13"];

/// The version that also runs mypy --strict and stubtest.
const TYPED_VERSION: &str = "3.11";

/// What the tests use besides ironsecrets, from PyPI.
const TEST_DEPENDENCIES: &[&str] = &[
    "pytest",
    "pytest-timeout",
    "hvac==2.4.0",
    "requests",
    "sqlalchemy",
    "psycopg[binary]",
    "psycopg-pool",
];

/// A directory with a prebuilt wheel to test instead of building one (xtask's own tests).
const WHEELS_ENV: &str = "IRONSECRETS_XTASK_WHEELS";

/// The tests directory instead of `bindings/python/tests` (xtask's own tests).
const TESTS_ENV: &str = "IRONSECRETS_XTASK_PYTHON_TESTS";

/// What the wheel step's banner shows.
pub const WHEEL_RUNS: &str = "python3 -m maturin build --release --target <host> -m \
                              bindings/python/Cargo.toml --out <target>/wheels --interpreter \
                              python3";

/// What the test step's banner shows.
pub const TESTS_RUNS: &str = "fresh venvs for CPython 3.9, 3.11 and 3.13 with the wheel: pytest \
                              bindings/python/tests; on 3.11 also mypy --strict and stubtest";

/// The wheel step: deletes the old wheels in `<target>/wheels`, builds the binding's
/// abi3 wheel there, and checks there is exactly one.
pub fn wheel() -> Result {
    if let Some(dir) = env_path(WHEELS_ENV) {
        let wheel = find_wheel(&dir)?;
        println!(
            "    {WHEELS_ENV} is set: testing {}, building none",
            wheel.display()
        );
        return Ok(());
    }
    let wheels = run::target_dir().join("wheels");
    fs::create_dir_all(&wheels)
        .map_err(|e| Error::new(format!("create {}: {e}", wheels.display())))?;
    for old in files_in(&wheels, |name| name.ends_with(".whl"))? {
        fs::remove_file(&old).map_err(|e| Error::new(format!("remove {}: {e}", old.display())))?;
        println!("    removed the old {}", old.display());
    }
    let mut command = Command::new("python3");
    command
        .args(["-m", "maturin", "build", "--release", "--target"])
        .arg(run::host_triple()?)
        .args(["-m", "bindings/python/Cargo.toml", "--out"])
        .arg(&wheels)
        .args(["--interpreter", "python3"])
        .current_dir(run::repo_root());
    run::without_xtask_env(&mut command);
    exec(command)?;
    let wheel = find_wheel(&wheels)?;
    println!("    built {}", wheel.display());
    Ok(())
}

/// The test step: for each of [`VERSIONS`], a fresh venv with the wheel and the test
/// dependencies, then pytest (and on [`TYPED_VERSION`] mypy --strict and stubtest);
/// prints how long each interpreter took.
pub fn tests() -> Result {
    let target = run::target_dir();
    let repo = run::repo_root();
    let wheels = env_path(WHEELS_ENV).unwrap_or_else(|| target.join("wheels"));
    let wheel = find_wheel(&wheels)?;
    let tests = env_path(TESTS_ENV).unwrap_or_else(|| repo.join("bindings/python/tests"));
    let serve = target.join("debug").join("ironsecrets-testkit-serve");
    if !serve.is_file() {
        return Err(Error::new(format!(
            "{} is not built (the test step builds it; or `cargo build -p ironsecrets-testkit \
             --bin ironsecrets-testkit-serve`)",
            serve.display()
        )));
    }
    let interpreters = find_interpreters(&pyenv_versions())?;
    println!("    wheel: {}", wheel.display());
    let run = Run {
        wheels,
        tests,
        serve,
        allowlist: repo.join("bindings/python/stubtest-allowlist.txt"),
        work: target.join("python"),
    };
    let mut took: Vec<(String, Duration)> = Vec::new();
    for interpreter in &interpreters {
        println!(
            "\n    --- CPython {} ({})",
            interpreter.version,
            interpreter.python.display()
        );
        let started = Instant::now();
        run.on(interpreter)
            .map_err(|e| Error::new(format!("on CPython {}: {e}", interpreter.version)))?;
        let elapsed = started.elapsed();
        println!(
            "    --- CPython {}: passed in {}",
            interpreter.version,
            seconds(elapsed)
        );
        took.push((interpreter.version.clone(), elapsed));
    }
    println!();
    for (version, elapsed) in &took {
        println!("    CPython {version:<8} {:>9}", seconds(*elapsed));
    }
    Ok(())
}

/// An installed CPython.
#[derive(Debug, PartialEq)]
struct Interpreter {
    /// `3.11`.
    minor: &'static str,
    /// `3.11.7`.
    version: String,
    /// Its `bin/python3.11`.
    python: PathBuf,
}

/// Where pyenv keeps its interpreters: `$PYENV_ROOT/versions`, else `~/.pyenv/versions`.
pub(crate) fn pyenv_versions() -> PathBuf {
    let root = env_path("PYENV_ROOT").unwrap_or_else(|| {
        env_path("HOME")
            .unwrap_or_else(|| PathBuf::from("/"))
            .join(".pyenv")
    });
    root.join("versions")
}

/// The newest patch release of each of [`VERSIONS`] in `versions` (pyenv's directory of
/// interpreters: `3.11.7/bin/python3.11`, ...); an error names every missing one.
fn find_interpreters(versions: &Path) -> Result<Vec<Interpreter>> {
    let names: Vec<String> = fs::read_dir(versions)
        .map(|entries| {
            entries
                .flatten()
                .filter_map(|entry| entry.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default();
    let mut found = Vec::new();
    let mut missing = Vec::new();
    for minor in VERSIONS {
        let newest = names
            .iter()
            .filter_map(|name| {
                let patch = name.strip_prefix(minor)?.strip_prefix('.')?;
                let patch: u32 = patch
                    .chars()
                    .all(|c| c.is_ascii_digit())
                    .then(|| patch.parse().ok())??;
                let python = versions
                    .join(name)
                    .join("bin")
                    .join(format!("python{minor}"));
                python.is_file().then_some((patch, name, python))
            })
            .max_by_key(|(patch, _, _)| *patch);
        match newest {
            Some((_, name, python)) => found.push(Interpreter {
                minor,
                version: name.clone(),
                python,
            }),
            None => missing.push(*minor),
        }
    }
    if missing.is_empty() {
        return Ok(found);
    }
    let mut have = names;
    have.sort();
    Err(Error::new(format!(
        "no CPython {} in {} (it has: {}); install with `{}`",
        missing.join(", "),
        versions.display(),
        if have.is_empty() {
            "nothing".to_owned()
        } else {
            have.join(", ")
        },
        missing
            .iter()
            .map(|minor| format!("pyenv install {minor}"))
            .collect::<Vec<_>>()
            .join(" && ")
    )))
}

/// What one interpreter's run uses.
struct Run {
    wheels: PathBuf,
    tests: PathBuf,
    serve: PathBuf,
    allowlist: PathBuf,
    /// `<target>/python`: the venvs and run directories.
    work: PathBuf,
}

impl Run {
    /// A fresh venv, the wheel, the dependencies, pytest (and the type checks).
    fn on(&self, interpreter: &Interpreter) -> Result {
        let minor = interpreter.minor;
        let venv = self.work.join(format!("venv-{minor}"));
        let cwd = self.work.join(format!("run-{minor}"));
        remove_dir(&venv)?;
        remove_dir(&cwd)?;
        fs::create_dir_all(&cwd)
            .map_err(|e| Error::new(format!("create {}: {e}", cwd.display())))?;

        let mut command = Command::new(&interpreter.python);
        command.args(["-m", "venv"]).arg(&venv).current_dir(&cwd);
        exec(command)?;
        let python = venv.join("bin").join("python");

        // The wheel alone: nothing from an index.
        let mut install = self.pip(&python, &cwd);
        install
            .args(["--no-index", "--find-links"])
            .arg(&self.wheels)
            .arg("ironsecrets");
        exec(install)?;
        let mut dependencies = self.pip(&python, &cwd);
        dependencies.args(TEST_DEPENDENCIES);
        if minor == TYPED_VERSION {
            dependencies.arg("mypy");
        }
        exec(dependencies)?;

        let mut pytest = self.python(&python, &cwd);
        pytest
            .args([
                "-m",
                "pytest",
                "-q",
                "-p",
                "no:cacheprovider",
                "--import-mode=importlib",
                // A hung test fails on its own instead of stalling CI.
                "--timeout=300",
            ])
            .arg(&self.tests);
        exec(pytest)?;

        if minor == TYPED_VERSION {
            let typed = self.tests.join("typed_usage.py");
            if !typed.is_file() {
                return Err(Error::new(format!(
                    "{} is missing (mypy --strict checks it)",
                    typed.display()
                )));
            }
            let mut mypy = self.python(&python, &cwd);
            mypy.args(["-m", "mypy", "--strict"]).arg(&typed);
            exec(mypy)?;
            let mut stubtest = self.python(&python, &cwd);
            stubtest.args(["-m", "mypy.stubtest", "ironsecrets._native"]);
            if self.allowlist.is_file() {
                stubtest.arg("--allowlist").arg(&self.allowlist);
            }
            exec(stubtest)?;
        }
        Ok(())
    }

    /// `<venv python> -m pip install -q` (pip's default cache, no version check).
    fn pip(&self, python: &Path, cwd: &Path) -> Command {
        let mut command = self.python(python, cwd);
        command.args(["-m", "pip", "install", "-q", "--disable-pip-version-check"]);
        command
    }

    /// The venv's python in `cwd` (outside the source tree, so `import ironsecrets` is
    /// the installed wheel), pointed at the serve binary, without the variables that
    /// would make the tests use something else than what they set up.
    fn python(&self, python: &Path, cwd: &Path) -> Command {
        let mut command = Command::new(python);
        command
            .current_dir(cwd)
            .env("IRONSECRETS_TESTKIT_SERVE", &self.serve);
        for name in [
            "PYTHONPATH",
            "PYTHONHOME",
            "PYTHONSTARTUP",
            "VIRTUAL_ENV",
            "VAULT_ADDR",
            "VAULT_TOKEN",
            "VAULT_NAMESPACE",
            "BAO_ADDR",
            "BAO_TOKEN",
            "BAO_NAMESPACE",
            "IRONSECRETS_STORE",
            "IRONSECRETS_MASTER_KEY",
            "IRONSECRETS_PRINCIPAL",
        ] {
            command.env_remove(name);
        }
        command
    }
}

/// Prints `command` and runs it (output inherited).
pub(crate) fn exec(command: Command) -> Result {
    println!("    $ {}", display(&command));
    run::status(command)
}

/// A path from the environment variable `name`, if set and not empty.
fn env_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
}

/// Removes `dir` and everything in it, if it exists.
pub(crate) fn remove_dir(dir: &Path) -> Result {
    match fs::remove_dir_all(dir) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(Error::new(format!("remove {}: {e}", dir.display()))),
    }
}

/// The files in `dir` whose names `wanted` accepts, sorted.
fn files_in(dir: &Path, wanted: impl Fn(&str) -> bool) -> Result<Vec<PathBuf>> {
    let entries =
        fs::read_dir(dir).map_err(|e| Error::new(format!("read {}: {e}", dir.display())))?;
    let mut files: Vec<PathBuf> = entries
        .flatten()
        .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_file()))
        .filter(|entry| entry.file_name().to_str().is_some_and(&wanted))
        .map(|entry| entry.path())
        .collect();
    files.sort();
    Ok(files)
}

/// The one `ironsecrets-*.whl` in `dir`.
pub(crate) fn find_wheel(dir: &Path) -> Result<PathBuf> {
    let wheels = files_in(dir, |name| {
        name.starts_with("ironsecrets-") && name.ends_with(".whl")
    })?;
    match <[PathBuf; 1]>::try_from(wheels) {
        Ok([wheel]) => Ok(wheel),
        Err(wheels) if wheels.is_empty() => Err(Error::new(format!(
            "no ironsecrets wheel in {} (the wheel step builds it)",
            dir.display()
        ))),
        Err(wheels) => Err(Error::new(format!(
            "{} ironsecrets wheels in {}, expected one: {}",
            wheels.len(),
            dir.display(),
            wheels
                .iter()
                .map(|w| w.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scratch directory under the system temp dir, removed on drop.
    struct Scratch(PathBuf);

    impl Scratch {
        fn new(name: &str) -> Scratch {
            let dir = std::env::temp_dir().join(format!(
                "xtask-python-{name}-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            let _ = fs::remove_dir_all(&dir);
            fs::create_dir_all(&dir).unwrap();
            Scratch(dir)
        }
    }

    impl Drop for Scratch {
        fn drop(&mut self) {
            let _ = fs::remove_dir_all(&self.0);
        }
    }

    fn fake_python(versions: &Path, name: &str, minor: &str) {
        let bin = versions.join(name).join("bin");
        fs::create_dir_all(&bin).unwrap();
        fs::write(bin.join(format!("python{minor}")), "").unwrap();
    }

    #[test]
    fn the_newest_patch_of_each_version_is_picked() {
        let scratch = Scratch::new("pick");
        let versions = &scratch.0;
        for (name, minor) in [
            ("3.9.2", "3.9"),
            ("3.9.18", "3.9"),
            ("3.9.20t", "3.9"),
            ("3.11.7", "3.11"),
            ("3.11-dev", "3.11"),
            ("3.110.1", "3.110"),
            ("3.13.0", "3.13"),
            ("3.12.1", "3.12"),
        ] {
            fake_python(versions, name, minor);
        }
        let found = find_interpreters(versions).unwrap();
        let picked: Vec<(&str, &str)> = found
            .iter()
            .map(|i| (i.minor, i.version.as_str()))
            .collect();
        assert_eq!(
            picked,
            [("3.9", "3.9.18"), ("3.11", "3.11.7"), ("3.13", "3.13.0")]
        );
        assert_eq!(
            found[0].python,
            versions.join("3.9.18/bin/python3.9"),
            "{found:?}"
        );
    }

    #[test]
    fn a_missing_version_is_named() {
        let scratch = Scratch::new("missing");
        fake_python(&scratch.0, "3.11.7", "3.11");
        fs::create_dir_all(scratch.0.join("3.13.0")).unwrap(); // no interpreter inside
        let err = find_interpreters(&scratch.0).unwrap_err().to_string();
        assert!(err.starts_with("no CPython 3.9, 3.13 in "), "{err}");
        assert!(
            err.contains("pyenv install 3.9 && pyenv install 3.13"),
            "{err}"
        );
        let err = find_interpreters(&scratch.0.join("nothing-here"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("(it has: nothing)"), "{err}");
    }

    #[test]
    fn exactly_one_wheel_is_found() {
        let scratch = Scratch::new("wheels");
        let dir = &scratch.0;
        assert!(
            find_wheel(dir)
                .unwrap_err()
                .to_string()
                .starts_with("no ironsecrets wheel")
        );
        let wheel = dir.join("ironsecrets-0.1.0-cp39-abi3-manylinux_2_34_x86_64.whl");
        fs::write(&wheel, "").unwrap();
        fs::write(dir.join("other-1.0-py3-none-any.whl"), "").unwrap();
        assert_eq!(find_wheel(dir).unwrap(), wheel);
        fs::write(dir.join("ironsecrets-0.0.9-cp39-abi3-linux_x86_64.whl"), "").unwrap();
        let err = find_wheel(dir).unwrap_err().to_string();
        assert!(err.starts_with("2 ironsecrets wheels in"), "{err}");
    }
}
