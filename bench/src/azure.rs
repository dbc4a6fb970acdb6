//! `azure`: the Azure Key Vault backend (`ironsecrets-azure`) against the Azure SDK's own
//! `SecretClient`, on one throwaway Lowkey Vault (Azure Key Vault emulator) started here.
//!
//! Both read the same 64-byte secret, sequentially, in rounds that alternate between the
//! two so both meet the same machine load. The SDK client is built exactly as the backend
//! builds its own (same transport, same CA, same credential), so the difference is what
//! ironsecrets adds: name mapping, tag decoding, error mapping.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ironsecrets_azure::emulator::EmulatorIdentity;
use ironsecrets_azure::{AzureConfig, Clients, CredentialSource};
use ironsecrets_core::{PutOptions, VersionSelector};
use ironsecrets_testkit::services::lowkey_vault::LowkeyVault;

use crate::machine::{self, Machine};
use crate::stats::{Sample, grouped};
use crate::{BenchResult, flag_value, parse_flags};

const SECRET_PATH: &str = "bench/app/password";
const VALUE_LEN: usize = 64;
const ROUNDS: usize = 8;
/// The target from the issue: ironsecrets get ops/s over the raw SDK client's.
const TARGET: f64 = 0.95;

/// The command line of `azure`.
pub struct Config {
    out: PathBuf,
    gets: usize,
    warm_up: usize,
}

impl Config {
    /// Parses `--out FILE [--gets N] [--warm-up N]`.
    pub fn parse(args: &[String]) -> BenchResult<Config> {
        let mut config = Config {
            out: PathBuf::new(),
            gets: 4_000,
            warm_up: 200,
        };
        config.out = parse_flags(args, |flag, text| {
            match flag {
                "--gets" => config.gets = flag_value(flag, text)?,
                "--warm-up" => config.warm_up = flag_value(flag, text)?,
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        Ok(config)
    }
}

/// Runs the benchmark and writes the report.
pub fn run(config: Config) -> BenchResult {
    let server = LowkeyVault::start();
    let runtime = tokio::runtime::Runtime::new()?;
    let (ours, raw) = runtime.block_on(measure(&server, &config))?;
    let ratio = ours.ops_per_sec() / raw.ops_per_sec();
    let report = report(&config, &ours, &raw, ratio);
    std::fs::write(&config.out, report)?;
    println!(
        "azure get: ironsecrets {} ops/s, SDK {} ops/s, ratio {ratio:.3} (target {TARGET})",
        grouped(ours.ops_per_sec()),
        grouped(raw.ops_per_sec())
    );
    Ok(())
}

async fn measure(server: &LowkeyVault, config: &Config) -> BenchResult<(Sample, Sample)> {
    let mut azure = AzureConfig::new(server.vault_url().parse()?);
    azure.ca_file = Some(server.ca_pem());
    azure.api_version = Some("7.5".into());
    azure.credential =
        CredentialSource::Custom(Arc::new(EmulatorIdentity::new(server.token_endpoint())));
    let backend = ironsecrets_azure::open(azure.clone()).await?;
    let store = backend.store().clone();
    let value = "x".repeat(VALUE_LEN);
    store
        .put(SECRET_PATH, value.as_str().into(), PutOptions::default())
        .await?;
    let sdk = Clients::new(&azure)?.secrets;
    let name = ironsecrets_azure::names::encode(SECRET_PATH)?;

    let ours = || async {
        let secret = store.get(SECRET_PATH, VersionSelector::Latest).await?;
        assert_eq!(secret.value.len(), VALUE_LEN);
        BenchResult::Ok(())
    };
    let raw = || async {
        let secret = sdk.get_secret(&name, None).await?.into_model()?;
        assert_eq!(secret.value.map(|v| v.len()), Some(VALUE_LEN));
        BenchResult::Ok(())
    };
    for _ in 0..config.warm_up {
        ours().await?;
        raw().await?;
    }
    let per_round = config.gets.div_ceil(ROUNDS);
    let (mut ours_parts, mut raw_parts) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // Alternate which goes first.
        if round % 2 == 0 {
            ours_parts.push(timed(per_round, ours).await?);
            raw_parts.push(timed(per_round, raw).await?);
        } else {
            raw_parts.push(timed(per_round, raw).await?);
            ours_parts.push(timed(per_round, ours).await?);
        }
    }
    Ok((Sample::merge(ours_parts), Sample::merge(raw_parts)))
}

async fn timed<F, Fut>(ops: usize, op: F) -> BenchResult<Sample>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = BenchResult>,
{
    let mut latencies: Vec<Duration> = Vec::with_capacity(ops);
    let start = Instant::now();
    for _ in 0..ops {
        let one = Instant::now();
        op().await?;
        latencies.push(one.elapsed());
    }
    Ok(Sample::new(start.elapsed(), latencies))
}

fn report(config: &Config, ours: &Sample, raw: &Sample, ratio: f64) -> String {
    let repo = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ is in the workspace root")
        .to_owned();
    let machine = Machine::read(&repo);
    let met = if ratio >= TARGET { "met" } else { "NOT met" };
    let mut out = String::new();
    let _ = writeln!(out, "# Azure Key Vault backend: get vs the Azure SDK\n");
    let _ = writeln!(
        out,
        "Written by `cargo xtask bench azure`. One Lowkey Vault (Azure Key Vault emulator, \
         a JVM on this machine, https on loopback) serves both clients; the Azure SDK's \
         `SecretClient` is built exactly as the backend builds its own. {} sequential gets \
         of a {VALUE_LEN}-byte secret per client after {} warm-up gets each, in {ROUNDS} \
         alternating rounds.\n",
        config.gets, config.warm_up
    );
    let _ = writeln!(out, "| client | ops/s | mean µs | p50 µs | p99 µs |");
    let _ = writeln!(out, "|---|---:|---:|---:|---:|");
    for (label, sample) in [("ironsecrets `get`", ours), ("SDK `get_secret`", raw)] {
        let _ = writeln!(
            out,
            "| {label} | {} | {:.0} | {:.0} | {:.0} |",
            grouped(sample.ops_per_sec()),
            sample.mean_us(),
            sample.percentile_us(50.0),
            sample.percentile_us(99.0)
        );
    }
    let _ = writeln!(
        out,
        "\nironsecrets / SDK: **{ratio:.3}** (target ≥ {TARGET}): **{met}**.\n"
    );
    out.push_str(&machine.section(
        &[(
            "server",
            "Lowkey Vault (a JVM) on 127.0.0.1, https".to_owned(),
        )],
        &machine::load_average(),
    ));
    let _ = writeln!(
        out,
        "\nReproduce: `cargo xtask bench azure` (needs the Lowkey Vault jar in \
         `~/.cache/ironsecrets/` and `java`)."
    );
    out
}
