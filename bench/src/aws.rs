//! `aws`: the AWS backend (`ironsecrets-aws`) against the raw `aws-sdk-secretsmanager`
//! client, on one throwaway moto server started here.
//!
//! Both clients share one SDK configuration (`AwsConfig::load`: the same HTTP client,
//! endpoint, region and credentials), so the difference is what ironsecrets adds on top
//! of `GetSecretValue`: path validation, error mapping and the `Secret` it returns.
//! Measured, sequentially and with N reads in flight, in rounds alternating between the
//! clients so both meet the same load: a get of a 64-byte secret through ironsecrets
//! (the `SecretStore` trait object of `ironsecrets_aws::open`) and through the SDK
//! client's `get_secret_value`. Then the cached get: the cache layer over the same store,
//! served from memory.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ironsecrets_aws::AwsConfig;
use ironsecrets_core::{CacheConfig, PutOptions, SecretStore, Stack, VersionSelector};
use ironsecrets_testkit::services::moto::Moto;

use crate::machine::{self, Machine};
use crate::ops::{Op, op, run_tasks};
use crate::stats::{Sample, grouped};
use crate::{BenchResult, flag_value, parse_flags};

/// The secret read.
const SECRET_NAME: &str = "bench/app/password";
/// The clients alternate in this many rounds.
const ROUNDS: usize = 6;
/// The target from the issue: ironsecrets get ops/s over the raw SDK's.
const TARGET: f64 = 0.95;

/// The command line of `aws`.
pub struct Config {
    out: PathBuf,
    seq: usize,
    concurrent: usize,
    in_flight: usize,
    cached: usize,
}

impl Config {
    /// Parses `--out FILE [--seq N] [--concurrent N] [--in-flight N] [--cached N]`.
    pub fn parse(args: &[String]) -> BenchResult<Config> {
        let mut config = Config {
            out: PathBuf::new(),
            seq: 1_200,
            concurrent: 2_400,
            in_flight: 8,
            cached: 200_000,
        };
        config.out = parse_flags(args, |flag, text| {
            match flag {
                "--seq" => config.seq = flag_value(flag, text)?,
                "--concurrent" => config.concurrent = flag_value(flag, text)?,
                "--in-flight" => config.in_flight = flag_value(flag, text)?,
                "--cached" => config.cached = flag_value(flag, text)?,
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        if config.in_flight == 0
            || config.seq < ROUNDS
            || config.concurrent < ROUNDS * config.in_flight
        {
            return Err(format!(
                "--in-flight must be at least 1, --seq at least {ROUNDS} and --concurrent at least {ROUNDS} × --in-flight"
            )
            .into());
        }
        Ok(config)
    }
}

/// Both clients in `ROUNDS` alternating rounds of `ops / ROUNDS` each: (ironsecrets, raw).
async fn compare(
    ours: &Op,
    raw: &Op,
    ops: usize,
    in_flight: usize,
) -> BenchResult<(Sample, Sample)> {
    let (mut a, mut b) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        if round % 2 == 0 {
            a.push(run_tasks(ours, ops / ROUNDS, in_flight).await?);
            b.push(run_tasks(raw, ops / ROUNDS, in_flight).await?);
        } else {
            b.push(run_tasks(raw, ops / ROUNDS, in_flight).await?);
            a.push(run_tasks(ours, ops / ROUNDS, in_flight).await?);
        }
    }
    Ok((Sample::merge(a), Sample::merge(b)))
}

/// What was measured.
struct Figures {
    seq: (Sample, Sample),
    conc: (Sample, Sample),
    cached: Sample,
}

async fn run_all(config: &Config, moto: &Moto) -> BenchResult<Figures> {
    let aws = AwsConfig {
        region: Some(Moto::REGION.to_owned()),
        endpoint_url: Some(moto.endpoint()),
        ..AwsConfig::default()
    }
    .with_static_credentials(Moto::ACCESS_KEY_ID, Moto::SECRET_ACCESS_KEY);
    let backend = ironsecrets_aws::open(&aws).await?;
    // What a client uses: the store behind the default layer stack.
    let store: Arc<dyn SecretStore> = Arc::clone(Stack::default().apply(&backend).store());
    store
        .put(SECRET_NAME, "x".repeat(64).into(), PutOptions::default())
        .await?;
    let raw_client = aws_sdk_secretsmanager::Client::new(&aws.load().await?);

    let ours = {
        let store = Arc::clone(&store);
        op(move || {
            let store = Arc::clone(&store);
            async move {
                let secret = store.get(SECRET_NAME, VersionSelector::Latest).await?;
                std::hint::black_box(secret.value.len());
                Ok(())
            }
        })
    };
    let raw = op(move || {
        let client = raw_client.clone();
        async move {
            let out = client
                .get_secret_value()
                .secret_id(SECRET_NAME)
                .send()
                .await?;
            std::hint::black_box(out.secret_string().map(str::len));
            Ok(())
        }
    });
    run_tasks(&ours, 50, 1).await?;
    run_tasks(&raw, 50, 1).await?;
    eprintln!("bench aws: sequential...");
    let seq = compare(&ours, &raw, config.seq, 1).await?;
    eprintln!("bench aws: {} in flight...", config.in_flight);
    let conc = compare(&ours, &raw, config.concurrent, config.in_flight).await?;

    eprintln!("bench aws: cached...");
    let cached = Stack {
        cache: Some(CacheConfig {
            ttl: Duration::from_secs(3600),
            ..CacheConfig::default()
        }),
        ..Stack::default()
    };
    let cache: Arc<dyn SecretStore> = Arc::clone(cached.apply(&backend).store());
    let cached_op = op(move || {
        let cache = Arc::clone(&cache);
        async move {
            let secret = cache.get(SECRET_NAME, VersionSelector::Latest).await?;
            std::hint::black_box(secret.value.len());
            Ok(())
        }
    });
    run_tasks(&cached_op, 1_000, 1).await?;
    let cached = run_tasks(&cached_op, config.cached, 1).await?;
    Ok(Figures { seq, conc, cached })
}

/// Runs the benchmark and writes the report.
pub fn run(config: Config) -> BenchResult {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ is in the workspace root")
        .to_owned();
    let machine = Machine::read(&repo);
    eprintln!("bench aws: starting moto...");
    let moto = Moto::start();
    let moto_version = moto.boto3("import moto; print(moto.__version__)", &[]);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let started = Instant::now();
    let figures = runtime.block_on(run_all(&config, &moto))?;
    let elapsed = started.elapsed();
    let load_after = machine::load_average();
    drop(moto);
    let md = report(
        &config,
        &figures,
        &machine,
        &moto_version,
        &load_after,
        elapsed,
    );
    std::fs::write(&config.out, md)?;
    Ok(())
}

fn row(w: &mut String, client: &str, sample: &Sample) {
    let _ = writeln!(
        w,
        "| {client} | {} | {:.0} | {:.0} | {:.0} |",
        grouped(sample.ops_per_sec()),
        sample.percentile_us(50.0),
        sample.percentile_us(99.0),
        sample.mean_us()
    );
}

fn report(
    config: &Config,
    figures: &Figures,
    machine: &Machine,
    moto_version: &str,
    load_after: &str,
    elapsed: Duration,
) -> String {
    let mut md = String::new();
    let w = &mut md;
    let _ = writeln!(w, "# Benchmark: AWS Secrets Manager backend (moto)\n");
    let _ = writeln!(
        w,
        "ironsecrets's `get` (the `SecretStore` of `ironsecrets_aws::open`) against the raw \
         `aws-sdk-secretsmanager` client's `get_secret_value`, same SDK configuration, same \
         moto server, same run ({ROUNDS} alternating rounds). Secret: 64 bytes of text. \
         Target: ironsecrets ≥ {TARGET}× the raw SDK's ops/s.\n"
    );
    let _ = writeln!(w, "## Results\n");
    let mut verdicts = Vec::new();
    for (title, (ours, raw), ops) in [
        ("Sequential", &figures.seq, config.seq),
        (
            &*format!("{} in flight", config.in_flight),
            &figures.conc,
            config.concurrent,
        ),
    ] {
        let ratio = ours.ops_per_sec() / raw.ops_per_sec();
        let met = ratio >= TARGET;
        verdicts.push((title.to_owned(), ratio, met));
        let _ = writeln!(w, "### {title} ({} gets per client)\n", grouped(ops as f64));
        let _ = writeln!(
            w,
            "| client | ops/s | p50 µs | p99 µs | mean µs |\n|---|---|---|---|---|"
        );
        row(w, "ironsecrets", ours);
        row(w, "raw aws-sdk-secretsmanager", raw);
        let _ = writeln!(
            w,
            "\nironsecrets / raw: **{ratio:.3}×** — target ≥ {TARGET}×: **{}**\n",
            if met { "met" } else { "not met" }
        );
    }
    let _ = writeln!(
        w,
        "### Cached get ({} gets, the cache layer, ttl 1 h)\n",
        grouped(config.cached as f64)
    );
    let _ = writeln!(
        w,
        "| client | ops/s | p50 µs | p99 µs | mean µs |\n|---|---|---|---|---|"
    );
    row(w, "ironsecrets cached", &figures.cached);
    let _ = writeln!(w, "\n## Summary\n");
    for (title, ratio, met) in &verdicts {
        let _ = writeln!(
            w,
            "- {title}: {ratio:.3}× the raw SDK ({})",
            if *met { "target met" } else { "target not met" }
        );
    }
    let _ = writeln!(
        w,
        "- Cached: {} gets/s from memory; a hit makes no request. After the ttl, one \
         `DescribeSecret` checks that `AWSCURRENT` did not move before the value is \
         served again.",
        grouped(figures.cached.ops_per_sec())
    );
    let _ = writeln!(
        w,
        "\nThe server dominates: moto is a Python emulator, so per-request time is mostly \
         moto's; both clients send one `GetSecretValue` per get (ironsecrets names the \
         `AWSCURRENT` stage explicitly, the raw client sends no stage).\n"
    );
    w.push_str(&machine.section(
        &[
            (
                "server",
                format!("moto {moto_version} (`moto_server`) on 127.0.0.1, plain http"),
            ),
            ("run time", format!("{:.1} s", elapsed.as_secs_f64())),
        ],
        load_after,
    ));
    let _ = writeln!(
        w,
        "\nReproduce: `cargo xtask bench aws` (needs `moto_server` on PATH; report: \
         `docs/bench/aws.md`; `-- --seq N --concurrent N --in-flight N --cached N` change the counts)."
    );
    md
}
