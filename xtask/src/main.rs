//! `cargo xtask`: project automation that needs nothing but cargo.
//!
//! - `cargo xtask ci` installs what is missing, then runs format check, clippy, every
//!   test, the quickstart and the rotating-pool example, then builds the Python wheel,
//!   installs it in fresh venvs for CPython 3.9, 3.11 and 3.13 and runs the pytest suite
//!   there (mypy --strict and stubtest on 3.11), then builds the Node addon, packs the
//!   npm package, installs the tarball in a fresh project and runs `tsc --strict` and the
//!   `node --test` suite there, failing fast.
//! - `cargo xtask python` / `cargo xtask node` run only one binding's steps (after
//!   building the test kit's `ironsecrets-testkit-serve`, which starts the services the
//!   tests use).
//! - `cargo xtask bench local` runs the embedded-store benchmark in release mode and
//!   writes a markdown report (default `docs/bench/local.md`); `cargo xtask bench vault`
//!   does the same for the Vault backend against a throwaway OpenBao (default
//!   `docs/bench/vault.md`); `cargo xtask bench lease` runs the lease scheduler with
//!   10 000 leases on a simulated backend (default `docs/bench/lease.md`), and `cargo
//!   xtask bench aws` the AWS backend against a throwaway moto server (default
//!   `docs/bench/aws.md`); `cargo xtask bench azure` the Azure backend against the Azure
//!   SDK on a throwaway Lowkey Vault (default `docs/bench/azure.md`); `cargo xtask bench
//!   python` the Python binding against hvac and raw `requests` on one OpenBao, with the
//!   Rust `vault` benchmark's raw saturation figure from the same server (default
//!   `docs/bench/python.md`); `cargo xtask bench node` the Node binding against
//!   node-vault and raw `fetch` the same way (default `docs/bench/node.md`).
//!
//! Kept small on purpose (clap is its only dependency) so it compiles in seconds.

mod bench;
mod bench_node;
mod bench_python;
mod ci;
mod node;
mod python;
mod requirements;
mod run;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// The command line.
#[derive(Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    about = "ironsecrets project automation"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Install missing tools, then run fmt --check, clippy -D warnings, every test, the
    /// examples, the Python wheel's tests on CPython 3.9, 3.11 and 3.13, and the Node
    /// package's tests from its packed tarball; stops at the first failure
    Ci,
    /// Only the Python steps of `ci`: build the wheel, install it in fresh venvs for
    /// CPython 3.9, 3.11 and 3.13 (pyenv's), run pytest there, and mypy --strict and
    /// stubtest on 3.11
    Python,
    /// Only the Node steps of `ci`: build the addon, pack the package, install the
    /// tarball in a fresh project, run tsc --strict and node --test there
    Node,
    /// Run a benchmark in release mode and write its markdown report
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Subcommand)]
enum BenchCommand {
    /// The embedded store (LocalStore) against raw SQLite: get, durable put, open
    Local(BenchArgs),
    /// The Vault backend against direct vaultrs and raw HTTP on a throwaway OpenBao
    /// (needs `bao` on PATH): KV v2 read and transit encrypt, sequential and concurrent
    Vault(BenchArgs),
    /// The lease scheduler keeping 10 000 leases alive on a simulated backend: memory per
    /// lease, renewal lateness, tasks
    Lease(BenchArgs),
    /// The AWS backend against the raw aws-sdk-secretsmanager client on a throwaway moto
    /// server (needs `moto_server` on PATH): get, sequential and concurrent; cached get
    Aws(BenchArgs),
    /// The Azure Key Vault backend against the Azure SDK's SecretClient on a throwaway
    /// Lowkey Vault (needs its jar in ~/.cache/ironsecrets/ and `java`): secret get
    Azure(BenchArgs),
    /// The Python binding (sync and async) against hvac 2.4 and raw requests on one
    /// OpenBao, then the Rust `vault` benchmark's raw HTTP on the same server: KV v2 read
    /// and transit encrypt, sequential and 16 in flight; cached get (needs the wheel in
    /// <target>/wheels, pyenv's CPython 3.11, `bao` on PATH)
    Python(BenchArgs),
    /// The Node binding against node-vault 0.12 and raw fetch on one OpenBao, then the
    /// Rust `vault` benchmark's raw HTTP on the same server: KV v2 read and transit
    /// encrypt, sequential and 16 in flight; cached get (needs `cargo xtask node` first)
    Node(BenchArgs),
}

#[derive(Args)]
struct BenchArgs {
    /// Where to write the markdown report [default: docs/bench/<benchmark>.md in the
    /// workspace root]
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Extra arguments for the benchmark program, after `--` (e.g. `-- --dir /mnt/disk`
    /// for local, `-- --seq 5000` for vault)
    #[arg(last = true, value_name = "ARGS")]
    args: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Ci => ci::run(),
        Command::Python => ci::run_python(),
        Command::Node => ci::run_node(),
        Command::Bench(BenchCommand::Python(args)) => {
            bench_python::run(args.out.as_deref(), &args.args)
        }
        Command::Bench(BenchCommand::Node(args)) => {
            bench_node::run(args.out.as_deref(), &args.args)
        }
        Command::Bench(command) => {
            let (name, default_report, args) = match command {
                BenchCommand::Local(args) => ("local", bench::DEFAULT_LOCAL_REPORT, args),
                BenchCommand::Vault(args) => ("vault", bench::DEFAULT_VAULT_REPORT, args),
                BenchCommand::Lease(args) => ("lease", bench::DEFAULT_LEASE_REPORT, args),
                BenchCommand::Aws(args) => ("aws", bench::DEFAULT_AWS_REPORT, args),
                BenchCommand::Azure(args) => ("azure", bench::DEFAULT_AZURE_REPORT, args),
                BenchCommand::Python(_) | BenchCommand::Node(_) => unreachable!("matched above"),
            };
            bench::run(name, default_report, args.out.as_deref(), &args.args)
        }
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("\nxtask: {err}");
            ExitCode::FAILURE
        }
    }
}
