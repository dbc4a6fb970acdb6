//! `cargo xtask`: project automation that needs nothing but cargo.
//!
//! - `cargo xtask ci` installs what is missing, then runs format check, clippy, every
//!   test and the quickstart example, failing fast.
//! - `cargo xtask bench local` runs the embedded-store benchmark in release mode and
//!   writes a markdown report (default `docs/bench/local.md`).
//!
//! Kept small on purpose (clap is its only dependency) so it compiles in seconds.

mod bench;
mod ci;
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
    /// Install missing tools, then run fmt --check, clippy -D warnings, every test and
    /// the quickstart example; stops at the first failure
    Ci,
    /// Run a benchmark in release mode and write its markdown report
    #[command(subcommand)]
    Bench(BenchCommand),
}

#[derive(Subcommand)]
enum BenchCommand {
    /// The embedded store (LocalStore) against raw SQLite: get, durable put, open
    Local(LocalBenchArgs),
}

#[derive(Args)]
struct LocalBenchArgs {
    /// Where to write the markdown report [default: docs/bench/local.md in the
    /// workspace root]
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Extra arguments for the benchmark program, after `--` (e.g. `-- --dir /mnt/disk`)
    #[arg(last = true, value_name = "ARGS")]
    args: Vec<String>,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Ci => ci::run(),
        Command::Bench(BenchCommand::Local(args)) => bench::local(args.out.as_deref(), &args.args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("\nxtask: {err}");
            ExitCode::FAILURE
        }
    }
}
