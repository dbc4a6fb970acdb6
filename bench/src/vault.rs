//! `vault`: the Vault backend (`ironsecrets-vault`) against direct vaultrs and a raw
//! keep-alive HTTP loop.
//!
//! In one run, against one throwaway OpenBao dev server started here (KV v2 at `secret/`,
//! transit with an aes256-gcm96 key):
//! - a KV v2 read of a 64-byte secret and a transit encrypt of 64 bytes, each through
//!   ironsecrets (the `SecretStore` / `Transit` trait objects of `ironsecrets_vault::open`),
//!   through vaultrs's own functions on a `vaultrs::client::VaultClient`, and as raw
//!   requests on one keep-alive `reqwest::Client`;
//! - each sequentially and with N operations in flight, in rounds that alternate between
//!   the clients so all of them meet the same machine load;
//! - a cheap profile: CPU time of this process and of the server per operation (from
//!   /proc schedstat), and requests per operation from the server's own request counter
//!   (`sys/metrics`), read after the measurements.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ironsecrets_core::VersionSelector;
use ironsecrets_testkit::services::openbao::OpenBao;
use ironsecrets_vault::{KvVersion, VaultConfig};
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use serde_json::Value;
use vaultrs::client::{VaultClient as VaultrsClient, VaultClientSettingsBuilder};

use crate::machine::{self, Machine};
use crate::ops::{Op, OpError, op, run_tasks};
use crate::stats::{Sample, grouped};
use crate::{BenchResult, flag_value, parse_flags};

/// Bytes in the secret value and in the plaintext.
const VALUE_LEN: usize = 64;
/// The KV v2 mount of the dev server.
const KV_MOUNT: &str = "secret";
/// The secret read.
const SECRET_PATH: &str = "bench/app/password";
/// The transit mount and key.
const TRANSIT_MOUNT: &str = "transit";
const KEY_NAME: &str = "bench";
/// What ironsecrets's encrypt sends as `type` (see crates/vault/src/transit.rs).
const NO_UPSERT: &str = "ironsecrets-no-upsert";
/// The clients alternate in this many rounds, in a rotating order.
const ROUNDS: usize = 8;
/// Operations per client and operation while the server's request counter is watched.
const COUNTED_OPS: usize = 50;

/// The targets from the issue: ironsecrets ops/s over vaultrs's and over raw HTTP's.
const TARGET_VS_VAULTRS: f64 = 1.0;
const TARGET_VS_RAW: f64 = 0.9;

/// The command line of `vault`.
pub struct Config {
    out: std::path::PathBuf,
    /// `--address URL --token T`: an OpenBao already running, instead of one started here.
    external: Option<Endpoint>,
    /// `--json FILE`: the figures also as JSON (for `cargo xtask bench python`).
    json: Option<std::path::PathBuf>,
    seq: usize,
    concurrent: usize,
    in_flight: usize,
    warm_up: usize,
}

impl Config {
    /// Parses `--out FILE [--seq N] [--concurrent N] [--in-flight N] [--warm-up N]
    /// [--address URL --token T] [--json FILE]`.
    pub fn parse(args: &[String]) -> BenchResult<Config> {
        let mut config = Config {
            out: std::path::PathBuf::new(),
            external: None,
            json: None,
            seq: 4_000,
            concurrent: 16_000,
            in_flight: 16,
            warm_up: 200,
        };
        let (mut address, mut token) = (None, None);
        config.out = parse_flags(args, |flag, text| {
            match flag {
                "--address" => address = Some(text.trim_end_matches('/').to_owned()),
                "--token" => token = Some(text.to_owned()),
                "--json" => config.json = Some(text.into()),
                "--seq" => config.seq = flag_value(flag, text)?,
                "--concurrent" => config.concurrent = flag_value(flag, text)?,
                "--in-flight" => config.in_flight = flag_value(flag, text)?,
                "--warm-up" => config.warm_up = flag_value(flag, text)?,
                _ => return Ok(false),
            }
            Ok(true)
        })?;
        config.external = match (address, token) {
            (Some(addr), Some(token)) => Some(Endpoint { addr, token }),
            (None, None) => None,
            _ => return Err("--address and --token go together".into()),
        };
        if config.seq < ROUNDS || config.concurrent < ROUNDS * config.in_flight {
            return Err(format!(
                "--seq must be at least {ROUNDS} and --concurrent at least {ROUNDS} × --in-flight"
            )
            .into());
        }
        if config.in_flight == 0 || config.warm_up == 0 {
            return Err("--in-flight and --warm-up must be at least 1".into());
        }
        Ok(config)
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Operation {
    KvRead,
    Encrypt,
}

impl Operation {
    fn name(self) -> &'static str {
        match self {
            Operation::KvRead => "KV v2 read",
            Operation::Encrypt => "transit encrypt",
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Client {
    Ironsecrets,
    Vaultrs,
    Raw,
    /// Raw HTTP with the body ironsecrets sends (transit only): a reference.
    RawBatch,
}

impl Client {
    fn name(self) -> &'static str {
        match self {
            Client::Ironsecrets => "ironsecrets",
            Client::Vaultrs => "vaultrs",
            Client::Raw => "raw HTTP",
            Client::RawBatch => "raw HTTP, ironsecrets's body (reference)",
        }
    }
}

/// CPU time spent in this process and in the server.
#[derive(Clone, Copy, Default)]
struct Cpu {
    client: Duration,
    server: Duration,
}

impl Cpu {
    /// What was spent from `before` to `after`.
    fn since(before: Cpu, after: Cpu) -> Cpu {
        Cpu {
            client: after.client.saturating_sub(before.client),
            server: after.server.saturating_sub(before.server),
        }
    }

    /// Mean µs per operation over `ops`: (client, server).
    fn per_op_us(self, ops: usize) -> (f64, f64) {
        let per_op = |d: Duration| d.as_secs_f64() * 1e6 / ops as f64;
        (per_op(self.client), per_op(self.server))
    }
}

/// One client doing one operation, and the loops measured of it: (sample, CPU) per
/// round, sequential and concurrent.
struct Case {
    operation: Operation,
    client: Client,
    op: Op,
    seq: Vec<(Sample, Cpu)>,
    conc: Vec<(Sample, Cpu)>,
    requests_per_op: Option<f64>,
}

impl Case {
    fn new(operation: Operation, client: Client, op: Op) -> Self {
        Case {
            operation,
            client,
            op,
            seq: Vec::new(),
            conc: Vec::new(),
            requests_per_op: None,
        }
    }
}

/// One round of one mode: ops/s and CPU µs per operation (client, server).
#[derive(Clone, Copy)]
struct Round {
    ops_per_sec: f64,
    cpu_us: (f64, f64),
}

/// One mode of one case: the rounds merged, and each round.
struct Mode {
    sample: Sample,
    cpu: Cpu,
    rounds: Vec<Round>,
}

impl Mode {
    fn new(loops: Vec<(Sample, Cpu)>) -> Self {
        let rounds = loops
            .iter()
            .map(|(sample, cpu)| Round {
                ops_per_sec: sample.ops_per_sec(),
                cpu_us: cpu.per_op_us(sample.ops()),
            })
            .collect();
        let cpu = loops.iter().fold(Cpu::default(), |sum, (_, cpu)| Cpu {
            client: sum.client + cpu.client,
            server: sum.server + cpu.server,
        });
        let sample = Sample::merge(loops.into_iter().map(|(sample, _)| sample).collect());
        Mode {
            sample,
            cpu,
            rounds,
        }
    }
}

/// Both modes of one case.
struct Figures {
    operation: Operation,
    client: Client,
    seq: Mode,
    conc: Mode,
    requests_per_op: Option<f64>,
}

impl Figures {
    fn mode(&self, concurrent: bool) -> &Mode {
        if concurrent { &self.conc } else { &self.seq }
    }

    fn sample(&self, concurrent: bool) -> &Sample {
        &self.mode(concurrent).sample
    }

    fn rounds(&self, concurrent: bool) -> &[Round] {
        &self.mode(concurrent).rounds
    }

    /// Mean CPU µs per operation over the whole run: (client, server).
    fn cpu_us(&self, concurrent: bool) -> (f64, f64) {
        let mode = self.mode(concurrent);
        mode.cpu.per_op_us(mode.sample.ops())
    }
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
    // The server: started here (and stopped at the end), or the one `--address` names.
    let (bao, endpoint, bao_version, server_pids) = match &config.external {
        None => {
            eprintln!("bench vault: starting OpenBao...");
            let bao = OpenBao::start();
            let bao_version = bao.run(&["version"]).trim().to_owned();
            bao.run(&["secrets", "enable", "transit"]);
            bao.run(&[
                "write",
                "-f",
                &format!("{TRANSIT_MOUNT}/keys/{KEY_NAME}"),
                "type=aes256-gcm96",
            ]);
            bao.run(&[
                "kv",
                "put",
                &format!("-mount={KV_MOUNT}"),
                SECRET_PATH,
                &format!("value={}", secret_text()),
            ]);
            let server_pids = process_group(bao.pid());
            let endpoint = Endpoint {
                addr: bao.addr(),
                token: bao.root_token().to_owned(),
            };
            (Some(bao), endpoint, bao_version, server_pids)
        }
        Some(endpoint) => {
            eprintln!("bench vault: using the OpenBao at {}...", endpoint.addr);
            let bao_version = runtime.block_on(set_up_external(endpoint))?;
            let server_pids = external_server_pids(&endpoint.addr);
            (None, endpoint.clone(), bao_version, server_pids)
        }
    };
    eprintln!(
        "bench vault: {bao_version} at {} (server processes {server_pids:?})",
        endpoint.addr
    );
    let started = Instant::now();
    let figures = runtime.block_on(measure(&config, &endpoint, &server_pids))?;
    let elapsed = started.elapsed();
    let load_after = machine::load_average();
    drop(bao);
    if let Some(json) = &config.json {
        std::fs::write(json, figures_json(&config, &bao_version, &figures))
            .map_err(|e| format!("cannot write {}: {e}", json.display()))?;
        eprintln!("bench vault: figures written to {}", json.display());
    }
    let report = report(
        &config,
        &machine,
        &bao_version,
        &load_after,
        elapsed,
        &figures,
    );
    std::fs::write(&config.out, report)
        .map_err(|e| format!("cannot write {}: {e}", config.out.display()))?;
    eprintln!("bench vault: report written to {}", config.out.display());
    Ok(())
}

/// The 64 characters of the secret: printable, so every client reads the same text.
fn secret_text() -> String {
    filler(1)
        .into_iter()
        .map(|b| char::from(b'a' + b % 26))
        .collect()
}

/// Deterministic filler bytes (xorshift64).
fn filler(seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..VALUE_LEN)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

/// Standard base64 with padding, as Vault's `plaintext` wants it.
fn b64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | u32::from(*b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn check_len(len: usize) -> Result<(), OpError> {
    if len == VALUE_LEN {
        Ok(())
    } else {
        Err(format!("read {len} bytes, expected {VALUE_LEN}").into())
    }
}

fn check_ciphertext(text: Option<&str>) -> Result<(), OpError> {
    match text {
        Some(text) if text.starts_with("vault:v1:") => Ok(()),
        _ => Err("the answer holds no vault:v1 ciphertext".into()),
    }
}

/// The three clients (and the reference) for both operations.
async fn cases(bao: &Endpoint) -> BenchResult<Vec<Case>> {
    let addr = bao.addr.clone();
    let token = bao.token.clone();
    let plaintext: Arc<[u8]> = filler(2).into();

    // ironsecrets: the trait objects a caller gets from `open`.
    let backend = ironsecrets_vault::open(VaultConfig {
        address: addr.clone(),
        token: Some(token.as_str().into()),
        mount: KV_MOUNT.to_owned(),
        kv_version: KvVersion::V2,
        transit_mount: TRANSIT_MOUNT.to_owned(),
        ..VaultConfig::default()
    })
    .await?;
    let store = Arc::clone(backend.store());
    let transit = Arc::clone(backend.transit()?);

    // vaultrs, built the way its docs show.
    let vaultrs = Arc::new(VaultrsClient::new(
        VaultClientSettingsBuilder::default()
            .address(&addr)
            .token(&token)
            .build()?,
    )?);

    // Raw HTTP: one keep-alive client (no TLS roots: the server is plain http, as
    // vaultrs and ironsecrets set it up for an http address).
    let http = reqwest::Client::builder()
        .tls_certs_only(Vec::new())
        .build()?;
    let token_header = HeaderValue::from_str(&token)?;
    let json = HeaderValue::from_static("application/json");
    let kv_url: Arc<str> = format!("{addr}/v1/{KV_MOUNT}/data/{SECRET_PATH}").into();
    let encrypt_url: Arc<str> = format!("{addr}/v1/{TRANSIT_MOUNT}/encrypt/{KEY_NAME}").into();

    let raw_post = {
        let (http, token, json, url) = (
            http.clone(),
            token_header.clone(),
            json.clone(),
            Arc::clone(&encrypt_url),
        );
        move |body: String| {
            http.post(&*url)
                .header("X-Vault-Token", token.clone())
                .header(CONTENT_TYPE, json.clone())
                .body(body)
                .send()
        }
    };
    let raw_post = Arc::new(raw_post);

    Ok(vec![
        Case::new(Operation::KvRead, Client::Ironsecrets, {
            let store = Arc::clone(&store);
            op(move || {
                let store = Arc::clone(&store);
                async move {
                    let secret = store.get(SECRET_PATH, VersionSelector::Latest).await?;
                    check_len(secret.value.len())
                }
            })
        }),
        Case::new(Operation::KvRead, Client::Vaultrs, {
            let client = Arc::clone(&vaultrs);
            op(move || {
                let client = Arc::clone(&client);
                async move {
                    let data: HashMap<String, String> =
                        vaultrs::kv2::read(&*client, KV_MOUNT, SECRET_PATH).await?;
                    check_len(data.get("value").map_or(0, String::len))
                }
            })
        }),
        Case::new(Operation::KvRead, Client::Raw, {
            let (http, token, url) = (http.clone(), token_header.clone(), Arc::clone(&kv_url));
            op(move || {
                let request = http
                    .get(&*url)
                    .header("X-Vault-Token", token.clone())
                    .send();
                async move {
                    let body = request.await?.error_for_status()?.bytes().await?;
                    let body: Value = serde_json::from_slice(&body)?;
                    check_len(body["data"]["data"]["value"].as_str().map_or(0, str::len))
                }
            })
        }),
        Case::new(Operation::Encrypt, Client::Ironsecrets, {
            let (transit, plaintext) = (Arc::clone(&transit), Arc::clone(&plaintext));
            op(move || {
                let (transit, plaintext) = (Arc::clone(&transit), Arc::clone(&plaintext));
                async move {
                    let ciphertext = transit.encrypt(KEY_NAME, &plaintext, None).await?;
                    check_ciphertext(Some(ciphertext.as_str()))
                }
            })
        }),
        Case::new(Operation::Encrypt, Client::Vaultrs, {
            let (client, plaintext) = (Arc::clone(&vaultrs), Arc::clone(&plaintext));
            op(move || {
                let (client, plaintext) = (Arc::clone(&client), Arc::clone(&plaintext));
                async move {
                    let encrypted = vaultrs::transit::data::encrypt(
                        &*client,
                        TRANSIT_MOUNT,
                        KEY_NAME,
                        &b64(&plaintext),
                        None,
                    )
                    .await?;
                    check_ciphertext(Some(&encrypted.ciphertext))
                }
            })
        }),
        Case::new(Operation::Encrypt, Client::Raw, {
            let (post, plaintext) = (Arc::clone(&raw_post), Arc::clone(&plaintext));
            op(move || {
                let request = post(format!(r#"{{"plaintext":"{}"}}"#, b64(&plaintext)));
                async move {
                    let body = request.await?.error_for_status()?.bytes().await?;
                    let body: Value = serde_json::from_slice(&body)?;
                    check_ciphertext(body["data"]["ciphertext"].as_str())
                }
            })
        }),
        Case::new(Operation::Encrypt, Client::RawBatch, {
            let (post, plaintext) = (Arc::clone(&raw_post), Arc::clone(&plaintext));
            op(move || {
                let request = post(format!(
                    r#"{{"type":"{NO_UPSERT}","batch_input":[{{"plaintext":"{}"}}]}}"#,
                    b64(&plaintext)
                ));
                async move {
                    let body = request.await?.error_for_status()?.bytes().await?;
                    let body: Value = serde_json::from_slice(&body)?;
                    check_ciphertext(body["data"]["batch_results"][0]["ciphertext"].as_str())
                }
            })
        }),
    ])
}

async fn measure(
    config: &Config,
    bao: &Endpoint,
    server_pids: &[u32],
) -> BenchResult<Vec<Figures>> {
    let mut cases = cases(bao).await?;
    let own = [std::process::id()];
    let cpu = || Cpu {
        client: cpu_time(&own),
        server: cpu_time(server_pids),
    };

    eprintln!(
        "warming up: {} sequential and {0} concurrent operations per client...",
        config.warm_up
    );
    for case in &cases {
        run_tasks(&case.op, config.warm_up, 1).await?;
        run_tasks(
            &case.op,
            config.warm_up.max(config.in_flight),
            config.in_flight,
        )
        .await?;
    }

    for round in 0..ROUNDS {
        eprintln!(
            "round {}/{ROUNDS}: {} sequential, then {} with {} in flight, per client...",
            round + 1,
            config.seq / ROUNDS,
            config.concurrent / ROUNDS,
            config.in_flight
        );
        let count = cases.len();
        let share = |total: usize| (round + 1) * total / ROUNDS - round * total / ROUNDS;
        for k in 0..count {
            let case = &mut cases[(k + round) % count];
            let before = cpu();
            let sample = run_tasks(&case.op, share(config.seq), 1).await?;
            case.seq.push((sample, Cpu::since(before, cpu())));
        }
        for k in 0..count {
            let case = &mut cases[(k + round) % count];
            let before = cpu();
            let sample = run_tasks(&case.op, share(config.concurrent), config.in_flight).await?;
            case.conc.push((sample, Cpu::since(before, cpu())));
        }
    }

    eprintln!("counting requests per operation from the server's metrics...");
    let counter = RequestCounter::new(bao)?;
    // Reading the counter may itself count: subtract what two reads in a row add.
    let idle = counter.read().await?;
    let idle = counter.read().await? - idle;
    for case in &mut cases {
        let before = counter.read().await?;
        run_tasks(&case.op, COUNTED_OPS, 1).await?;
        let handled = (counter.read().await? - before).saturating_sub(idle);
        case.requests_per_op = Some(handled as f64 / COUNTED_OPS as f64);
    }

    Ok(cases
        .into_iter()
        .map(|case| Figures {
            operation: case.operation,
            client: case.client,
            seq: Mode::new(case.seq),
            conc: Mode::new(case.conc),
            requests_per_op: case.requests_per_op,
        })
        .collect())
}

/// Where an OpenBao listens and its root token.
#[derive(Clone)]
pub struct Endpoint {
    addr: String,
    token: String,
}

/// Sets up an OpenBao the benchmark did not start, as `run` sets up its own: transit at
/// `transit/` (unless mounted already), the key (kept if it exists) and the secret (a new
/// version). Answers the server's version.
async fn set_up_external(bao: &Endpoint) -> BenchResult<String> {
    let http = reqwest::Client::builder()
        .tls_certs_only(Vec::new())
        .build()?;
    let token = HeaderValue::from_str(&bao.token)?;
    let call = |method: reqwest::Method, path: &str, body: Option<Value>| {
        let mut request = http
            .request(method, format!("{}/v1/{path}", bao.addr))
            .header("X-Vault-Token", token.clone());
        if let Some(body) = body {
            request = request
                .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
                .body(body.to_string());
        }
        request.send()
    };
    let mounts: Value = serde_json::from_slice(
        &call(reqwest::Method::GET, "sys/mounts", None)
            .await?
            .error_for_status()?
            .bytes()
            .await?,
    )?;
    let mounted = |path: &str| {
        let key = format!("{path}/");
        mounts.get(&key).is_some() || mounts["data"].get(&key).is_some()
    };
    if !mounted(TRANSIT_MOUNT) {
        call(
            reqwest::Method::POST,
            &format!("sys/mounts/{TRANSIT_MOUNT}"),
            Some(serde_json::json!({"type": "transit"})),
        )
        .await?
        .error_for_status()?;
    }
    if !mounted(KV_MOUNT) {
        call(
            reqwest::Method::POST,
            &format!("sys/mounts/{KV_MOUNT}"),
            Some(serde_json::json!({"type": "kv", "options": {"version": "2"}})),
        )
        .await?
        .error_for_status()?;
    }
    let key = format!("{TRANSIT_MOUNT}/keys/{KEY_NAME}");
    let existing = call(reqwest::Method::GET, &key, None).await?;
    if !existing.status().is_success() {
        call(
            reqwest::Method::POST,
            &key,
            Some(serde_json::json!({"type": "aes256-gcm96"})),
        )
        .await?
        .error_for_status()?;
    }
    call(
        reqwest::Method::POST,
        &format!("{KV_MOUNT}/data/{SECRET_PATH}"),
        Some(serde_json::json!({"data": {"value": secret_text()}})),
    )
    .await?
    .error_for_status()?;
    let status: Value = serde_json::from_slice(
        &call(reqwest::Method::GET, "sys/seal-status", None)
            .await?
            .error_for_status()?
            .bytes()
            .await?,
    )?;
    Ok(format!(
        "OpenBao v{}",
        status["version"].as_str().unwrap_or("unknown")
    ))
}

/// The processes of the server listening at `addr` (a `bao server -dev` found by its
/// `-dev-listen-address` in /proc), for the CPU profile; none if it is not found.
fn external_server_pids(addr: &str) -> Vec<u32> {
    let listen = addr
        .trim_start_matches("http://")
        .trim_start_matches("https://");
    let wanted = format!("-dev-listen-address={listen}");
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .find(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|cmdline| {
                cmdline
                    .split(|b| *b == 0)
                    .any(|arg| arg == wanted.as_bytes())
            })
        })
        .map_or_else(Vec::new, |pid| {
            let group = process_group(pid);
            if group.contains(&pid) {
                group
            } else {
                vec![pid]
            }
        })
}

/// The figures as JSON: for each operation, client and mode, ops, ops/s, p50 and p99 µs.
fn figures_json(config: &Config, bao_version: &str, figures: &[Figures]) -> String {
    let rows: Vec<Value> = figures
        .iter()
        .flat_map(|f| {
            [false, true].map(|concurrent| {
                let s = f.sample(concurrent);
                serde_json::json!({
                    "operation": f.operation.name(),
                    "client": f.client.name(),
                    "mode": if concurrent { "in_flight" } else { "sequential" },
                    "ops": s.ops(),
                    "ops_per_sec": s.ops_per_sec(),
                    "p50_us": s.percentile_us(50.0),
                    "p99_us": s.percentile_us(99.0),
                })
            })
        })
        .collect();
    let json = serde_json::json!({
        "server": bao_version,
        "external": config.external.is_some(),
        "in_flight": config.in_flight,
        "seq": config.seq,
        "concurrent": config.concurrent,
        "figures": rows,
    });
    format!("{json:#}\n")
}

/// The processes of the process group `leader` leads (the server runs in its own).
fn process_group(leader: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return vec![leader];
    };
    let mut pids: Vec<u32> = entries
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    // After "pid (comm)": state, ppid, pgrp, ...
                    let rest = &stat[stat.rfind(')')? + 1..];
                    rest.split_whitespace().nth(2)?.parse::<u32>().ok()
                })
                == Some(leader)
        })
        .collect();
    if pids.is_empty() {
        pids.push(leader);
    }
    pids.sort_unstable();
    pids
}

/// CPU time of every live thread of `pids`, from /proc/<pid>/task/<tid>/schedstat
/// (nanoseconds on the CPU).
fn cpu_time(pids: &[u32]) -> Duration {
    let mut nanos = 0u64;
    for pid in pids {
        let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
            continue;
        };
        for task in tasks.flatten() {
            nanos += std::fs::read_to_string(task.path().join("schedstat"))
                .ok()
                .and_then(|text| text.split_whitespace().next()?.parse::<u64>().ok())
                .unwrap_or(0);
        }
    }
    Duration::from_nanos(nanos)
}

/// The server's count of requests handled so far: `vault_core_handle_request_count` of
/// `GET /v1/sys/metrics?format=prometheus` (every request the core handled, whatever its
/// answer).
struct RequestCounter {
    http: reqwest::Client,
    url: String,
    token: HeaderValue,
}

impl RequestCounter {
    fn new(bao: &Endpoint) -> BenchResult<Self> {
        Ok(RequestCounter {
            http: reqwest::Client::builder()
                .tls_certs_only(Vec::new())
                .build()?,
            url: format!("{}/v1/sys/metrics?format=prometheus", bao.addr),
            token: HeaderValue::from_str(&bao.token)?,
        })
    }

    async fn read(&self) -> BenchResult<u64> {
        let text = self
            .http
            .get(&self.url)
            .header("X-Vault-Token", self.token.clone())
            .send()
            .await?
            .error_for_status()?
            .text()
            .await?;
        text.lines()
            .find_map(|line| line.strip_prefix("vault_core_handle_request_count "))
            .and_then(|count| count.trim().parse::<f64>().ok())
            .map(|count| count as u64)
            .ok_or_else(|| "sys/metrics shows no vault_core_handle_request_count".into())
    }
}

fn met(ok: bool) -> &'static str {
    if ok { "**yes**" } else { "**no**" }
}

fn mode_name(concurrent: bool, in_flight: usize) -> String {
    if concurrent {
        format!("{in_flight} in flight")
    } else {
        "sequential".to_owned()
    }
}

fn find(figures: &[Figures], operation: Operation, client: Client) -> &Figures {
    figures
        .iter()
        .find(|f| f.operation == operation && f.client == client)
        .expect("every operation is measured with every client")
}

/// A missed target, for the "why" section.
struct Miss {
    operation: Operation,
    concurrent: bool,
    against: Client,
    ratio: f64,
    target: f64,
    /// The lowest and highest ratio of the rounds.
    rounds: (f64, f64),
}

fn report(
    config: &Config,
    machine: &Machine,
    bao_version: &str,
    load_after: &str,
    elapsed: Duration,
    figures: &[Figures],
) -> String {
    let mut md = String::new();
    let w = &mut md;
    let in_flight = config.in_flight;

    let _ = writeln!(w, "# Benchmark: the Vault backend (`vault`)\n");
    let _ = writeln!(
        w,
        "Written by `cargo xtask bench vault` (the `ironsecrets-bench` program in `bench/`, \
         release build). One run, one OpenBao dev server started by the benchmark on the same \
         machine (in memory, plain http on 127.0.0.1), so client and server share its CPUs. \
         Figures depend on the machine and its load; re-run to refresh them. Nothing in the \
         test suite asserts a timing.\n"
    );

    let _ = writeln!(w, "## Results\n");
    let _ = writeln!(
        w,
        "| operation | mode | client | ops | ops/s | p50 µs | p99 µs | vs vaultrs | vs raw |"
    );
    let _ = writeln!(w, "|---|---|---|---:|---:|---:|---:|---:|---:|");
    for operation in [Operation::KvRead, Operation::Encrypt] {
        for concurrent in [false, true] {
            let vaultrs = find(figures, operation, Client::Vaultrs).sample(concurrent);
            let raw = find(figures, operation, Client::Raw).sample(concurrent);
            for f in figures.iter().filter(|f| f.operation == operation) {
                let s = f.sample(concurrent);
                let name = if f.client == Client::Ironsecrets {
                    format!("**{}**", f.client.name())
                } else {
                    f.client.name().to_owned()
                };
                let _ = writeln!(
                    w,
                    "| {} | {} | {name} | {} | {} | {:.1} | {:.1} | {:.2}× | {:.2}× |",
                    operation.name(),
                    mode_name(concurrent, in_flight),
                    grouped(s.ops() as f64),
                    grouped(s.ops_per_sec()),
                    s.percentile_us(50.0),
                    s.percentile_us(99.0),
                    s.ops_per_sec() / vaultrs.ops_per_sec(),
                    s.ops_per_sec() / raw.ops_per_sec(),
                );
            }
        }
    }
    let _ = writeln!(
        w,
        "\n\"vs vaultrs\" and \"vs raw\" are the row's ops/s divided by vaultrs's and raw \
         HTTP's in the same operation and mode.\n"
    );

    let _ = writeln!(w, "### Targets\n");
    let _ = writeln!(
        w,
        "ironsecrets's ops/s over the other client's, over the whole run and (in brackets) \
         the lowest and highest of the {ROUNDS} rounds, which ran back to back with the \
         clients in rotating order: the spread says how much of a difference is noise.\n"
    );
    let _ = writeln!(
        w,
        "| operation | mode | vs vaultrs (rounds) | target | met | vs raw (rounds) | target | met |"
    );
    let _ = writeln!(w, "|---|---|---:|---|---|---:|---|---|");
    let mut misses = Vec::new();
    for operation in [Operation::KvRead, Operation::Encrypt] {
        for concurrent in [false, true] {
            let ours = find(figures, operation, Client::Ironsecrets);
            let mut cells = Vec::new();
            for (against, target) in [
                (Client::Vaultrs, TARGET_VS_VAULTRS),
                (Client::Raw, TARGET_VS_RAW),
            ] {
                let theirs = find(figures, operation, against);
                let ratio =
                    ours.sample(concurrent).ops_per_sec() / theirs.sample(concurrent).ops_per_sec();
                let rounds: Vec<f64> = ours
                    .rounds(concurrent)
                    .iter()
                    .zip(theirs.rounds(concurrent))
                    .map(|(a, b)| a.ops_per_sec / b.ops_per_sec)
                    .collect();
                let low = rounds.iter().copied().fold(f64::INFINITY, f64::min);
                let high = rounds.iter().copied().fold(0.0, f64::max);
                let ok = ratio >= target;
                if !ok {
                    misses.push(Miss {
                        operation,
                        concurrent,
                        against,
                        ratio,
                        target,
                        rounds: (low, high),
                    });
                }
                cells.push(format!(
                    "{ratio:.2}× ({low:.2}–{high:.2}) | ≥ {target:.1}× | {}",
                    met(ok)
                ));
            }
            let _ = writeln!(
                w,
                "| {} | {} | {} | {} |",
                operation.name(),
                mode_name(concurrent, in_flight),
                cells[0],
                cells[1]
            );
        }
    }

    let _ = writeln!(w, "\n### Where the time goes\n");
    let _ = writeln!(
        w,
        "A cheap profile from the same run: CPU time per operation of this benchmark process \
         (the client: all its threads) and of the OpenBao server, from each thread's \
         `/proc/<pid>/task/<tid>/schedstat` before and after each measured loop; and requests \
         per operation, from the server's own count of handled requests \
         (`vault_core_handle_request_count` in `sys/metrics?format=prometheus`) before and \
         after {COUNTED_OPS} more sequential operations per client, once the measurements \
         were done. The machine has {} CPUs shared by client and server, so CPU time spent on \
         one side is time the other cannot use.\n",
        machine.nproc
    );
    let _ = writeln!(
        w,
        "| operation | client | requests/op | client CPU µs/op, seq | server CPU µs/op, seq | client CPU µs/op, {in_flight} in flight | server CPU µs/op, {in_flight} in flight |"
    );
    let _ = writeln!(w, "|---|---|---:|---:|---:|---:|---:|");
    for f in figures {
        let (seq_client, seq_server) = f.cpu_us(false);
        let (conc_client, conc_server) = f.cpu_us(true);
        let _ = writeln!(
            w,
            "| {} | {} | {} | {seq_client:.1} | {seq_server:.1} | {conc_client:.1} | {conc_server:.1} |",
            f.operation.name(),
            f.client.name(),
            f.requests_per_op
                .map_or_else(|| "?".to_owned(), |r| format!("{r:.2}")),
        );
    }

    let _ = writeln!(w, "\n## What is measured\n");
    let _ = writeln!(
        w,
        "- Setup (not in the figures): `OpenBao::start()` (`bao server -dev`), KV v2 at \
         `{KV_MOUNT}/` (the dev server's own mount), `bao secrets enable transit`, an \
         aes256-gcm96 key `{KEY_NAME}`, and one secret `{SECRET_PATH}` written with \
         `bao kv put` as `{{\"value\": <{VALUE_LEN} ASCII characters>}}`."
    );
    let _ = writeln!(
        w,
        "- KV v2 read: the latest version of that secret. ironsecrets: \
         `backend.store().get(path, VersionSelector::Latest)` on the `Arc<dyn SecretStore>` of \
         `ironsecrets_vault::open` (root token, mount `{KV_MOUNT}`, KV v2); vaultrs: \
         `vaultrs::kv2::read::<HashMap<String, String>>` on a `vaultrs::client::VaultClient` \
         from `VaultClientSettingsBuilder` (address and token); raw HTTP: `GET \
         /v1/{KV_MOUNT}/data/{SECRET_PATH}` with `X-Vault-Token` on one `reqwest::Client`, \
         body parsed as a `serde_json::Value` and `data.data.value` taken. Every client \
         checks the value is {VALUE_LEN} bytes."
    );
    let _ = writeln!(
        w,
        "- Transit encrypt of {VALUE_LEN} bytes (the same bytes every time) with key \
         `{KEY_NAME}`: ironsecrets: `backend.transit()?.encrypt(key, bytes, None)`; vaultrs: \
         `vaultrs::transit::data::encrypt` with the base64 plaintext; raw HTTP: `POST \
         /v1/{TRANSIT_MOUNT}/encrypt/{KEY_NAME}` with `{{\"plaintext\": <base64>}}`, \
         `data.ciphertext` taken. vaultrs and raw HTTP base64-encode the bytes in each \
         operation, as ironsecrets does. The reference row sends ironsecrets's request body \
         over raw HTTP: `{{\"type\": \"{NO_UPSERT}\", \"batch_input\": [{{\"plaintext\": \
         <base64>}}]}}`, `data.batch_results[0].ciphertext` taken. Every client checks the \
         answer is a `vault:v1:` ciphertext."
    );
    let _ = writeln!(
        w,
        "- Sequential: {} operations per client, one after another in one task. {in_flight} \
         in flight: {} operations per client, split over {in_flight} tasks started together, \
         each doing its share one after another; ops/s is over the wall time until the last \
         task finishes, p50 / p99 over every operation's own latency. Both on a multi-thread \
         tokio runtime ({} worker threads).",
        grouped(config.seq as f64),
        grouped(config.concurrent as f64),
        machine.nproc
    );
    let _ = writeln!(
        w,
        "- Before measuring, each client ran {} sequential operations and {} with \
         {in_flight} in flight (connections opened, pools filled). The measured operations \
         ran in {ROUNDS} rounds; in each round every client did 1/{ROUNDS} of its sequential \
         operations, then the same share of its concurrent ones, clients in an order rotated by \
         one each round. The whole run took {:.0} s, server start excluded.",
        grouped(config.warm_up as f64),
        grouped(config.warm_up.max(in_flight) as f64),
        elapsed.as_secs_f64()
    );

    let _ = writeln!(w, "\n## Why\n");
    why(w, figures, &misses, in_flight);

    w.push_str(&machine.section(
        &[(
            "server",
            if config.external.is_some() {
                format!(
                    "{bao_version}, an OpenBao dev server started outside the benchmark \
                     (`--address`), on 127.0.0.1, plain http"
                )
            } else {
                format!("{bao_version}, `bao server -dev` (in memory) on 127.0.0.1, plain http")
            },
        )],
        load_after,
    ));
    let _ = writeln!(
        w,
        "\nReproduce: `cargo xtask bench vault` (needs `bao` on PATH; report: \
         `docs/bench/vault.md`; `--out FILE` writes elsewhere; `-- --seq N --concurrent N \
         --in-flight N --warm-up N` change the counts)."
    );
    md
}

/// What the code says each client sends, and for every missed target what the profile
/// says about it.
fn why(w: &mut String, figures: &[Figures], misses: &[Miss], in_flight: usize) {
    let requests = |operation, client| {
        find(figures, operation, client)
            .requests_per_op
            .map_or_else(|| "?".to_owned(), |r| format!("{r:.2}"))
    };
    let _ = writeln!(
        w,
        "What each client sends, from the code (crates/vault/src/kv2.rs, transit.rs, \
         client.rs) and confirmed by the server's request counts above:\n"
    );
    let _ = writeln!(
        w,
        "- KV v2 read: ironsecrets's `Kv2Store::get` sends one request, the same `GET \
         /v1/{KV_MOUNT}/data/<path>` as vaultrs (it is vaultrs's own `ReadSecretRequest`, \
         sent through vaultrs's middleware on the reqwest client ironsecrets built), and \
         makes no metadata or other extra call ({} requests/op counted; vaultrs {}, raw {}). \
         On top of the request it copies the body into a buffer wiped on drop, parses the \
         typed answer, decodes the value (`value` field, or base64 with `encoding`) and \
         parses `created_time` with chrono.",
        requests(Operation::KvRead, Client::Ironsecrets),
        requests(Operation::KvRead, Client::Vaultrs),
        requests(Operation::KvRead, Client::Raw),
    );
    let _ = writeln!(
        w,
        "- Transit encrypt: ironsecrets's `Transit::encrypt` also sends one request ({} \
         requests/op; vaultrs {}, raw {}), but in Vault's batch form, `batch_input` with one \
         item plus `type: {NO_UPSERT}` so that Vault refuses to create a missing key instead \
         of silently making one (a plain encrypt would create it). The reference row sends \
         that body over raw HTTP, without any ironsecrets code, to tell the server's cost of \
         the batch form from ironsecrets's own.",
        requests(Operation::Encrypt, Client::Ironsecrets),
        requests(Operation::Encrypt, Client::Vaultrs),
        requests(Operation::Encrypt, Client::Raw),
    );
    if misses.is_empty() {
        let _ = writeln!(w, "\nEvery target is met in this run.");
        return;
    }
    let _ = writeln!(
        w,
        "\nMissed in this run, with the profile compared round by round (a difference that \
         does not hold in nearly every round, at least {} of {ROUNDS}, is not told apart from \
         noise):\n",
        ROUNDS - 1
    );
    for miss in misses {
        let _ = writeln!(w, "{}", explain(figures, miss, in_flight));
    }
}

/// In how many rounds `ours` is above `theirs` by `value`.
fn rounds_above(ours: &[Round], theirs: &[Round], value: impl Fn(&Round) -> f64) -> usize {
    ours.iter()
        .zip(theirs)
        .filter(|(a, b)| value(a) > value(b))
        .count()
}

/// One missed target, explained from the profile.
fn explain(figures: &[Figures], miss: &Miss, in_flight: usize) -> String {
    let c = miss.concurrent;
    let ours = find(figures, miss.operation, Client::Ironsecrets);
    let theirs = find(figures, miss.operation, miss.against);
    let (our_client, our_server) = ours.cpu_us(c);
    let (their_client, their_server) = theirs.cpu_us(c);
    let (extra_client, extra_server) = (our_client - their_client, our_server - their_server);
    let slower = rounds_above(theirs.rounds(c), ours.rounds(c), |r| r.ops_per_sec);
    let more_client = rounds_above(ours.rounds(c), theirs.rounds(c), |r| r.cpu_us.0);
    let more_server = rounds_above(ours.rounds(c), theirs.rounds(c), |r| r.cpu_us.1);
    let consistent = |count: usize| count + 1 >= ROUNDS;
    let against = miss.against.name();
    let mut text = format!(
        "- {}, {}: {:.2}× {against} (target ≥ {:.1}×; rounds {:.2}–{:.2}×, ironsecrets slower \
         in {slower} of {ROUNDS}), {:.1} vs {:.1} µs mean per operation. CPU per operation \
         compared with {against}: client {extra_client:+.1} µs (more in {more_client} of \
         {ROUNDS} rounds), server {extra_server:+.1} µs (more in {more_server} of {ROUNDS})",
        miss.operation.name(),
        mode_name(c, in_flight),
        miss.ratio,
        miss.target,
        miss.rounds.0,
        miss.rounds.1,
        ours.sample(c).mean_us(),
        theirs.sample(c).mean_us(),
    );
    let mut batch_costs_more = false;
    if miss.operation == Operation::Encrypt {
        let batch = find(figures, miss.operation, Client::RawBatch);
        let batch_more = rounds_above(batch.rounds(c), theirs.rounds(c), |r| r.cpu_us.1);
        batch_costs_more = consistent(batch_more);
        let _ = write!(
            text,
            "; ironsecrets's body sent over raw HTTP ran at {:.2}× {against}, server {:+.1} µs \
             (more in {batch_more} of {ROUNDS})",
            batch.sample(c).ops_per_sec() / theirs.sample(c).ops_per_sec(),
            batch.cpu_us(c).1 - their_server,
        );
    }
    let mut causes = Vec::new();
    if extra_client > 0.0 && consistent(more_client) {
        causes.push(format!(
            "ironsecrets's own client work, {extra_client:+.1} µs of CPU per operation (request \
             building through rustify and vaultrs's middleware, the wiped copy of the body, \
             typed parsing and value decoding)"
        ));
    }
    if extra_server > 0.0 && consistent(more_server) {
        causes.push(format!(
            "more server work per ironsecrets request, {extra_server:+.1} µs of server CPU{}",
            match (miss.operation, batch_costs_more) {
                (Operation::Encrypt, true) => {
                    " — the batch form: the same body over raw HTTP costs the server more too"
                }
                (Operation::Encrypt, false) => {
                    ", though not consistently for the same body over raw HTTP"
                }
                _ => "",
            }
        ));
    }
    let causes = causes.join("; and ");
    let _ = match (causes.is_empty(), consistent(slower)) {
        (false, true) => write!(text, ". Cause: {causes}"),
        (false, false) => write!(
            text,
            ". ironsecrets was slower in only {slower} of {ROUNDS} rounds, so the miss is within \
             the run's noise; the one consistent difference the profile shows is {causes}"
        ),
        (true, true) => write!(
            text,
            ". Neither side did consistently more work for ironsecrets, so this profile finds \
             no cost of ironsecrets's own behind the gap; the likely cause is waiting rather \
             than work: other load on the two shared CPUs, the server's garbage collection \
             and scheduling, falling unevenly on the clients' rounds"
        ),
        (true, false) => write!(
            text,
            ". ironsecrets was slower in only {slower} of {ROUNDS} rounds and neither side did \
             consistently more work for it: the miss is within the run's noise"
        ),
    };
    text.push('.');
    text
}
