//! `lease`: the lease scheduler ([`LeaseManager`]) keeping 10 000 leases alive against a
//! simulated backend in this process.
//!
//! The backend issues renewable leases with ttls spread evenly over 3–9 s and answers each
//! renewal after a fixed latency (1 ms), granting the ttl asked for. With jitter off, each
//! renewal is due when 2/3 of the ttl granted last has passed; the backend notes how late
//! each renewal call arrives against that. Reported: memory held per managed lease (bytes
//! still allocated after the leases are managed, counted by the bench's allocator), the
//! lateness p50/p99/max, and the tasks the manager added to the runtime.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use ironsecrets_core::{Lease, LeasedCredential, Result, SecretMap, SecretValue};
use ironsecrets_lease::{LeaseConfig, LeaseManager, LeaseSource, ManagedLease};
use rand::Rng;
use tokio::time::Instant;

use crate::machine::{self, Machine};
use crate::stats::{Sample, grouped};
use crate::{BenchResult, alloc, flag_value, parse_flags};

/// Targets from the issue.
const TARGET_BYTES_PER_LEASE: f64 = 1024.0;
const TARGET_P99_MS: f64 = 50.0;
const TARGET_TASKS: usize = 1;

/// What to run.
pub struct Config {
    out: PathBuf,
    leases: usize,
    seconds: u64,
    latency_ms: u64,
}

impl Config {
    /// Parses `--out FILE [--leases N] [--seconds N] [--latency-ms N]`.
    pub fn parse(args: &[String]) -> BenchResult<Config> {
        let mut config = Config {
            out: PathBuf::new(),
            leases: 10_000,
            seconds: 30,
            latency_ms: 1,
        };
        config.out = parse_flags(args, |flag, text| {
            match flag {
                "--leases" => config.leases = flag_value(flag, text)?,
                "--seconds" => config.seconds = flag_value(flag, text)?,
                "--latency-ms" => config.latency_ms = flag_value(flag, text)?,
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        if config.leases == 0 || config.seconds < 10 {
            return Err("--leases must be at least 1 and --seconds at least 10".into());
        }
        Ok(config)
    }
}

/// The simulated backend: issues and renews leases `sim/<n>`, noting when each renewal
/// was due and when it came.
struct Simulated {
    started: Instant,
    latency: Duration,
    next: AtomicU64,
    /// Per lease number: when its current grant was made, in µs since `started`, and its
    /// ttl in ms (pre-allocated so the bookkeeping does not count as the manager's memory).
    grants: Vec<(AtomicU64, AtomicU64)>,
    /// How late each renewal arrived, in µs (0 when early).
    lateness_us: Mutex<Vec<u64>>,
    early: AtomicU64,
}

impl Simulated {
    fn new(leases: usize, latency: Duration, expected_renewals: usize) -> Simulated {
        Simulated {
            started: Instant::now(),
            latency,
            next: AtomicU64::new(0),
            grants: (0..leases)
                .map(|_| (AtomicU64::new(0), AtomicU64::new(0)))
                .collect(),
            lateness_us: Mutex::new(Vec::with_capacity(expected_renewals)),
            early: AtomicU64::new(0),
        }
    }

    fn now_us(&self) -> u64 {
        self.started.elapsed().as_micros() as u64
    }

    fn grant(&self, number: usize, ttl: Duration) -> Lease {
        let (at, ttl_ms) = &self.grants[number];
        at.store(self.now_us(), Ordering::Relaxed);
        ttl_ms.store(ttl.as_millis() as u64, Ordering::Relaxed);
        Lease {
            id: format!("sim/{number}"),
            ttl,
            renewable: true,
            issued_at: chrono::Utc::now(),
        }
    }
}

#[async_trait]
impl LeaseSource for Simulated {
    async fn issue(&self) -> Result<LeasedCredential> {
        let number = self.next.fetch_add(1, Ordering::Relaxed) as usize;
        let ttl = Duration::from_millis(rand::thread_rng().gen_range(3_000..=9_000));
        let mut data = SecretMap::new();
        data.insert("username", SecretValue::from(format!("v-app-{number:06}")));
        data.insert("password", SecretValue::from("A1a-0123456789abcdefghij"));
        Ok(LeasedCredential {
            lease: self.grant(number, ttl),
            data,
        })
    }

    async fn renew(&self, lease: &Lease, increment: Option<Duration>) -> Result<Lease> {
        let arrived = self.now_us();
        let number: usize = lease.id["sim/".len()..].parse().expect("a lease we issued");
        let (at, ttl_ms) = &self.grants[number];
        let due = at.load(Ordering::Relaxed) + ttl_ms.load(Ordering::Relaxed) * 2_000 / 3;
        if arrived < due {
            self.early.fetch_add(1, Ordering::Relaxed);
        }
        self.lateness_us
            .lock()
            .expect("not poisoned")
            .push(arrived.saturating_sub(due));
        tokio::time::sleep(self.latency).await;
        Ok(self.grant(number, increment.unwrap_or(lease.ttl)))
    }

    async fn revoke(&self, _lease: &Lease) -> Result<()> {
        Ok(())
    }
}

/// What one run measured.
struct Figures {
    leases: usize,
    bytes_per_lease: f64,
    tasks_added: usize,
    lateness: Sample,
    early: u64,
    renewals_per_sec: f64,
    cpu_percent: f64,
}

/// Runs the benchmark and writes the report.
pub fn run(config: Config) -> BenchResult {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("bench/ is in the workspace root")
        .to_owned();
    let machine = Machine::read(&repo);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let figures = runtime.block_on(measure(&config))?;
    let load_after = machine::load_average();
    let report = report(&config, &machine, &load_after, &figures);
    std::fs::write(&config.out, report)
        .map_err(|e| format!("cannot write {}: {e}", config.out.display()))?;
    eprintln!("bench lease: report written to {}", config.out.display());
    Ok(())
}

async fn measure(config: &Config) -> BenchResult<Figures> {
    // At most one renewal per lease every 2 s (2/3 of the shortest ttl).
    let expected = config.leases * (config.seconds as usize / 2 + 1);
    let source = Arc::new(Simulated::new(
        config.leases,
        Duration::from_millis(config.latency_ms),
        expected,
    ));
    let metrics = tokio::runtime::Handle::current().metrics();
    let tasks_before = metrics.num_alive_tasks();
    let bytes_before = alloc::live_bytes();
    let mut handles: Vec<ManagedLease> = Vec::with_capacity(config.leases);

    let manager = LeaseManager::new(LeaseConfig {
        jitter: 0.0,
        ..LeaseConfig::default()
    });
    eprintln!("bench lease: managing {} leases...", config.leases);
    for index in 0..config.leases {
        let source: Arc<dyn LeaseSource> = source.clone();
        handles.push(manager.manage(&format!("lease-{index}"), source).await?);
    }
    // Let the manager take in every lease before counting.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let bytes_after = alloc::live_bytes();
    let tasks_added = metrics.num_alive_tasks() - tasks_before;

    eprintln!("bench lease: running {} s...", config.seconds);
    let cpu_before = process_cpu();
    let renewals_before = renewals(&source);
    let started = Instant::now();
    tokio::time::sleep(Duration::from_secs(config.seconds)).await;
    let elapsed = started.elapsed();
    let cpu = process_cpu().saturating_sub(cpu_before);
    let renewed = renewals(&source) - renewals_before;
    manager.shutdown(false).await;
    drop(handles);

    let lateness: Vec<Duration> = source
        .lateness_us
        .lock()
        .expect("not poisoned")
        .iter()
        .map(|us| Duration::from_micros(*us))
        .collect();
    Ok(Figures {
        leases: config.leases,
        bytes_per_lease: (bytes_after - bytes_before) as f64 / config.leases as f64,
        tasks_added,
        lateness: Sample::new(elapsed, lateness),
        early: source.early.load(Ordering::Relaxed),
        renewals_per_sec: renewed as f64 / elapsed.as_secs_f64(),
        cpu_percent: cpu.as_secs_f64() / elapsed.as_secs_f64() * 100.0,
    })
}

fn renewals(source: &Simulated) -> usize {
    source.lateness_us.lock().expect("not poisoned").len()
}

/// User + system CPU time of this process so far (from /proc/self/stat, in clock ticks
/// of 10 ms).
fn process_cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let ticks = |index: usize| fields.get(index).and_then(|f| f.parse::<u64>().ok());
    // utime and stime are fields 14 and 15 of the whole line: 11 and 12 after the name.
    let total = ticks(11).unwrap_or(0) + ticks(12).unwrap_or(0);
    Duration::from_millis(total * 10)
}

fn met(ok: bool) -> &'static str {
    if ok { "met" } else { "**not met**" }
}

fn report(config: &Config, machine: &Machine, load_after: &str, f: &Figures) -> String {
    let mut md = String::new();
    let w = &mut md;
    let ms = |us: f64| us / 1000.0;
    let p50 = ms(f.lateness.percentile_us(50.0));
    let p99 = ms(f.lateness.percentile_us(99.0));
    let _ = writeln!(w, "# Benchmark: the lease scheduler (`lease`)\n");
    let _ = writeln!(
        w,
        "Written by `cargo xtask bench lease` (the `ironsecrets-bench` program in `bench/`, \
         release build). One `LeaseManager` keeps {} leases alive for {} s against a simulated \
         backend in the same process: renewable leases with ttls spread evenly over 3–9 s, \
         each renewal answered after {} ms with the ttl asked for. Jitter is off, so each \
         renewal is due when 2/3 of the ttl granted last has passed; lateness is when the \
         renewal call reached the backend minus that. Memory is the bytes still allocated \
         after the leases are managed (the manager's state, each lease's credential — two \
         short fields — with its 8-byte lease id, and the `ManagedLease` handle the caller \
         keeps), counted by the bench's allocator, divided by the number of leases; longer \
         lease ids and fields add their length. Nothing in the test suite asserts a \
         timing.\n",
        grouped(f.leases as f64),
        config.seconds,
        config.latency_ms,
    );
    let _ = writeln!(w, "## Results\n");
    let _ = writeln!(w, "| figure | value | target | |");
    let _ = writeln!(w, "|---|---:|---:|---|");
    let _ = writeln!(
        w,
        "| memory per lease | {:.0} B | ≤ {:.0} B | {} |",
        f.bytes_per_lease,
        TARGET_BYTES_PER_LEASE,
        met(f.bytes_per_lease <= TARGET_BYTES_PER_LEASE)
    );
    let _ = writeln!(
        w,
        "| renewal lateness p50 | {p50:.2} ms | | |\n\
         | renewal lateness p99 | {p99:.2} ms | < {TARGET_P99_MS:.0} ms | {} |\n\
         | renewal lateness max | {:.2} ms | | |",
        met(p99 < TARGET_P99_MS),
        ms(f.lateness.max().as_secs_f64() * 1e6),
    );
    let _ = writeln!(
        w,
        "| tasks the manager added | {} | {TARGET_TASKS} | {} |",
        f.tasks_added,
        met(f.tasks_added <= TARGET_TASKS)
    );
    let _ = writeln!(
        w,
        "| renewals | {} ({} / s; {} early) | | |\n\
         | CPU of the whole process | {:.1} % of one core | | |",
        grouped(f.lateness.ops() as f64),
        grouped(f.renewals_per_sec),
        f.early,
        f.cpu_percent,
    );
    w.push_str(&machine.section(
        &[("backend", "simulated, in process".to_owned())],
        load_after,
    ));
    let _ = writeln!(
        w,
        "\nReproduce: `cargo xtask bench lease` (report: `docs/bench/lease.md`; \
         `-- --leases N --seconds N --latency-ms N` change the run)."
    );
    md
}
