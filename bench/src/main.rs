//! `ironsecrets-bench`: the benchmarks behind `cargo xtask bench`. Each one measures
//! ironsecrets and a floor (the same work done directly, without ironsecrets) in the same
//! run, and writes a markdown report. Nothing here asserts a timing: the report states
//! the figures, the targets and whether they were met.
//!
//! ```text
//! ironsecrets-bench local --out FILE [--dir DIR] [--secrets N] [--gets N] [--puts N] [--opens N]
//! ironsecrets-bench vault --out FILE [--seq N] [--concurrent N] [--in-flight N] [--warm-up N]
//!                         [--address URL --token T] [--json FILE]
//! ironsecrets-bench lease --out FILE [--leases N] [--seconds N] [--latency-ms N]
//! ironsecrets-bench aws --out FILE [--seq N] [--concurrent N] [--in-flight N] [--cached N]
//! ironsecrets-bench azure --out FILE [--gets N] [--warm-up N]
//! ```

mod alloc;
mod aws;
mod azure;
mod lease;
mod local;
mod machine;
mod ops;
mod stats;
mod vault;

use std::path::PathBuf;
use std::process::ExitCode;

/// Counts live heap bytes, for the memory figures.
#[global_allocator]
static ALLOCATOR: alloc::Counting = alloc::Counting;

/// What a benchmark function returns.
pub type BenchResult<T = ()> = Result<T, Box<dyn std::error::Error>>;

const USAGE: &str = "\
usage: ironsecrets-bench local --out FILE [options]
       ironsecrets-bench vault --out FILE [options]
       ironsecrets-bench lease --out FILE [options]
       ironsecrets-bench aws --out FILE [options]
       ironsecrets-bench azure --out FILE [options]

local: the embedded store (LocalStore) against raw SQLite
  --out FILE     markdown report to write
  --dir DIR      where the store files are made (default: the system temp dir);
                 durable writes cost what this file system's fsync costs
  --secrets N    secrets written before measuring (default 1000)
  --gets N       measured gets (default 20000)
  --puts N       measured durable puts of new versions (default 3000)
  --opens N      measured store opens, the median is reported (default 5)

vault: the Vault backend against vaultrs and raw HTTP, on a throwaway OpenBao
       (`bao` on PATH): KV v2 read and transit encrypt
  --out FILE         markdown report to write
  --seq N            measured sequential operations per client (default 4000)
  --concurrent N     measured concurrent operations per client (default 16000)
  --in-flight N      concurrent tasks (default 16)
  --warm-up N        operations per client and mode before measuring (default 200)
  --address URL      use this OpenBao (dev server) instead of starting one; the
                     benchmark sets up what it needs there (needs --token)
  --token T          that server's root token
  --json FILE        also write the figures as JSON

lease: the lease scheduler keeping many leases alive on a simulated backend
  --out FILE         markdown report to write
  --leases N         leases managed (default 10000)
  --seconds N        measured run time, at least 10 (default 30)
  --latency-ms N     the simulated backend's answer time (default 1)
aws: the AWS backend against the raw aws-sdk-secretsmanager client, on a throwaway
     moto server (`moto_server` on PATH): get, sequential and concurrent; cached get
  --out FILE         markdown report to write
  --seq N            measured sequential gets per client (default 1200)
  --concurrent N     measured concurrent gets per client (default 2400)
  --in-flight N      concurrent tasks (default 8)
  --cached N         measured cached gets (default 200000)
azure: the Azure Key Vault backend against the Azure SDK's SecretClient, on a
       throwaway Lowkey Vault (jar in ~/.cache/ironsecrets/, `java`): secret get
  --out FILE         markdown report to write
  --gets N           measured sequential gets per client (default 4000)
  --warm-up N        gets per client before measuring (default 200)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let outcome = match args.first().map(String::as_str) {
        Some("local") => local::Config::parse(&args[1..]).and_then(local::run),
        Some("vault") => vault::Config::parse(&args[1..]).and_then(vault::run),
        Some("lease") => lease::Config::parse(&args[1..]).and_then(lease::run),
        Some("aws") => aws::Config::parse(&args[1..]).and_then(aws::run),
        Some("azure") => azure::Config::parse(&args[1..]).and_then(azure::run),
        Some("-h" | "--help") => {
            print!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => Err(format!("expected a benchmark name\n\n{USAGE}").into()),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("ironsecrets-bench: {err}");
            ExitCode::FAILURE
        }
    }
}

/// Parses a benchmark's `--flag VALUE` pairs: `--out FILE` (required, returned) and the
/// benchmark's own flags through `set(flag, value)`, which answers `Ok(false)` for a flag
/// it does not know.
pub fn parse_flags(
    args: &[String],
    mut set: impl FnMut(&str, &str) -> BenchResult<bool>,
) -> BenchResult<PathBuf> {
    let mut out = None;
    for pair in args.chunks(2) {
        let flag = pair[0].as_str();
        let value = pair
            .get(1)
            .ok_or_else(|| format!("{flag} needs a value\n\n{USAGE}"))?;
        if flag == "--out" {
            out = Some(PathBuf::from(value));
        } else if !set(flag, value)? {
            return Err(format!("unknown argument '{flag}'\n\n{USAGE}").into());
        }
    }
    out.ok_or_else(|| format!("--out FILE is required\n\n{USAGE}").into())
}

/// A flag's value, parsed.
pub fn flag_value<T: std::str::FromStr>(flag: &str, text: &str) -> BenchResult<T> {
    text.parse()
        .map_err(|_| format!("{flag}: '{text}' is not valid\n\n{USAGE}").into())
}
