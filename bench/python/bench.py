"""The Python binding's benchmark: ironsecrets (sync ``Client`` and ``AsyncClient``)
against hvac 2.4 and a raw ``requests.Session`` loop, on one OpenBao.

Run by ``cargo xtask bench python`` (which makes the venv, starts the OpenBao and runs
the Rust ``vault`` benchmark against the same server afterwards); by hand::

    python bench.py measure --address URL --token T --json results.json
    python bench.py report --python results.json [--rust vault.json] --out python.md

``measure`` sets up a transit key and a KV v2 secret on the server, then measures, in
rounds with the clients in an order rotated by one each round:

- KV v2 read of a 64-byte secret and transit encrypt of 64 bytes;
- sequentially (one operation after another) and with 16 in flight (16 threads for
  the sync clients, ``asyncio.gather`` of 16 workers for ``AsyncClient``);
- and ``client.with_cache(ttl=60).get`` on a warm key in a tight loop.

It prints the results as JSON on stdout (and writes them to ``--json``). ``report``
turns them (and the Rust benchmark's ``--json`` figures, for the raw saturation figure)
into the markdown report. Nothing here asserts a timing.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import datetime
import importlib.metadata
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional

import hvac
import requests

import ironsecrets

KV_MOUNT = "secret"
TRANSIT_MOUNT = "transit"
KEY_NAME = "bench"
SECRET_PATH = "bench/app/password"
VALUE_LEN = 64
SECRET_TEXT = "".join(chr(ord("a") + (i * 7 + 3) % 26) for i in range(VALUE_LEN))
PLAINTEXT = bytes((i * 37 + 11) % 256 for i in range(VALUE_LEN))
PLAINTEXT_B64 = base64.b64encode(PLAINTEXT).decode()

OPERATIONS = ["KV v2 read", "transit encrypt"]
CLIENTS = ["ironsecrets Client", "ironsecrets AsyncClient", "hvac", "raw requests.Session"]
MODES = ["sequential", "in_flight"]

# The issue's targets.
TARGET_SEQ_VS_HVAC = 3.0
TARGET_IN_FLIGHT_VS_RAW_SATURATION = 0.8
TARGET_CACHED_OPS = 1_000_000


def check_value(length: int) -> None:
    if length != VALUE_LEN:
        raise RuntimeError(f"read {length} bytes, expected {VALUE_LEN}")


def check_ciphertext(text: Any) -> None:
    if not isinstance(text, str) or not text.startswith("vault:v1:"):
        raise RuntimeError(f"no vault:v1 ciphertext in the answer: {text!r}")


# ---------------------------------------------------------------------------------
# Operations: for the sync clients a factory making one callable per thread (hvac and
# requests get a client / session per thread, as their docs advise; ironsecrets's
# Client is shared by all threads), for the async client a coroutine function.
# ---------------------------------------------------------------------------------


class Server:
    def __init__(self, address: str, token: str) -> None:
        self.address = address.rstrip("/")
        self.token = token

    def set_up(self) -> str:
        """Transit key and secret (like the Rust benchmark's setup); answers the version."""
        session = requests.Session()
        session.headers["X-Vault-Token"] = self.token
        url = f"{self.address}/v1"
        mounts = session.get(f"{url}/sys/mounts").json()
        if f"{TRANSIT_MOUNT}/" not in mounts.get("data", mounts):
            session.post(f"{url}/sys/mounts/{TRANSIT_MOUNT}", json={"type": "transit"}).raise_for_status()
        if not session.get(f"{url}/{TRANSIT_MOUNT}/keys/{KEY_NAME}").ok:
            session.post(
                f"{url}/{TRANSIT_MOUNT}/keys/{KEY_NAME}", json={"type": "aes256-gcm96"}
            ).raise_for_status()
        session.post(
            f"{url}/{KV_MOUNT}/data/{SECRET_PATH}", json={"data": {"value": SECRET_TEXT}}
        ).raise_for_status()
        version = session.get(f"{url}/sys/seal-status").json().get("version", "unknown")
        return f"OpenBao v{version}"

    def sync_factories(self) -> Dict[str, Dict[str, Callable[[], Callable[[], None]]]]:
        client = ironsecrets.Client.open("vault", address=self.address, token=self.token, mount=KV_MOUNT)
        transit = client.transit

        def iron_kv() -> Callable[[], None]:
            def op() -> None:
                check_value(len(client.get(SECRET_PATH).value))

            return op

        def iron_encrypt() -> Callable[[], None]:
            def op() -> None:
                check_ciphertext(transit.encrypt(KEY_NAME, PLAINTEXT))

            return op

        def hvac_client() -> hvac.Client:
            return hvac.Client(url=self.address, token=self.token)

        def hvac_kv() -> Callable[[], None]:
            kv = hvac_client().secrets.kv.v2

            def op() -> None:
                answer = kv.read_secret_version(
                    path=SECRET_PATH, mount_point=KV_MOUNT, raise_on_deleted_version=True
                )
                check_value(len(answer["data"]["data"]["value"]))

            return op

        def hvac_encrypt() -> Callable[[], None]:
            transit = hvac_client().secrets.transit

            def op() -> None:
                answer = transit.encrypt_data(
                    name=KEY_NAME,
                    plaintext=base64.b64encode(PLAINTEXT).decode(),
                    mount_point=TRANSIT_MOUNT,
                )
                check_ciphertext(answer["data"]["ciphertext"])

            return op

        def session() -> requests.Session:
            s = requests.Session()
            s.headers["X-Vault-Token"] = self.token
            return s

        kv_url = f"{self.address}/v1/{KV_MOUNT}/data/{SECRET_PATH}"
        encrypt_url = f"{self.address}/v1/{TRANSIT_MOUNT}/encrypt/{KEY_NAME}"

        def raw_kv() -> Callable[[], None]:
            s = session()

            def op() -> None:
                answer = s.get(kv_url)
                answer.raise_for_status()
                check_value(len(answer.json()["data"]["data"]["value"]))

            return op

        def raw_encrypt() -> Callable[[], None]:
            s = session()

            def op() -> None:
                answer = s.post(encrypt_url, json={"plaintext": base64.b64encode(PLAINTEXT).decode()})
                answer.raise_for_status()
                check_ciphertext(answer.json()["data"]["ciphertext"])

            return op

        return {
            "KV v2 read": {
                "ironsecrets Client": iron_kv,
                "hvac": hvac_kv,
                "raw requests.Session": raw_kv,
            },
            "transit encrypt": {
                "ironsecrets Client": iron_encrypt,
                "hvac": hvac_encrypt,
                "raw requests.Session": raw_encrypt,
            },
        }


# ---------------------------------------------------------------------------------
# Loops
# ---------------------------------------------------------------------------------


def run_sync(factory: Callable[[], Callable[[], None]], ops: int, threads: int) -> Dict[str, Any]:
    """`ops` operations over `threads` threads (1: the calling thread): wall time and each
    operation's latency (ns)."""
    if threads == 1:
        op = factory()
        latencies: List[int] = []
        clock = time.perf_counter_ns
        start = clock()
        for _ in range(ops):
            t = clock()
            op()
            latencies.append(clock() - t)
        return {"ops": ops, "wall_ns": clock() - start, "latencies": latencies}
    shares = [(i + 1) * ops // threads - i * ops // threads for i in range(threads)]
    per_thread: List[List[int]] = [[] for _ in range(threads)]
    errors: List[BaseException] = []
    ready = threading.Barrier(threads + 1)
    ops_of = [factory() for _ in range(threads)]

    def work(index: int) -> None:
        op, out, clock = ops_of[index], per_thread[index], time.perf_counter_ns
        ready.wait()
        try:
            for _ in range(shares[index]):
                t = clock()
                op()
                out.append(clock() - t)
        except BaseException as error:  # reported after the join
            errors.append(error)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    ready.wait()
    start = time.perf_counter_ns()
    for worker in workers:
        worker.join()
    wall = time.perf_counter_ns() - start
    if errors:
        raise errors[0]
    return {"ops": ops, "wall_ns": wall, "latencies": [x for out in per_thread for x in out]}


async def run_async(op: Callable[[], Any], ops: int, tasks: int) -> Dict[str, Any]:
    """`ops` awaits of `op()` over `tasks` workers gathered together."""
    shares = [(i + 1) * ops // tasks - i * ops // tasks for i in range(tasks)]
    latencies: List[int] = []
    clock = time.perf_counter_ns

    async def work(count: int) -> None:
        for _ in range(count):
            t = clock()
            await op()
            latencies.append(clock() - t)

    start = clock()
    await asyncio.gather(*(work(share) for share in shares))
    return {"ops": ops, "wall_ns": clock() - start, "latencies": latencies}


def percentile(sorted_ns: List[int], p: float) -> float:
    if not sorted_ns:
        return float("nan")
    rank = min(len(sorted_ns) - 1, max(0, round(p / 100 * len(sorted_ns) + 0.5) - 1))
    return sorted_ns[rank] / 1000.0


# ---------------------------------------------------------------------------------
# measure
# ---------------------------------------------------------------------------------


def measure(args: argparse.Namespace) -> Dict[str, Any]:
    server = Server(args.address, args.token)
    load_before = load_average()
    version = server.set_up()
    print(f"bench python: {version} at {server.address}", file=sys.stderr)
    factories = server.sync_factories()
    loop = asyncio.new_event_loop()
    async def open_async() -> ironsecrets.AsyncClient:
        return await ironsecrets.AsyncClient.open("vault", address=server.address, token=server.token, mount=KV_MOUNT)

    aclient = loop.run_until_complete(open_async())
    atransit = aclient.transit

    async def aiter_kv() -> None:
        check_value(len((await aclient.get(SECRET_PATH)).value))

    async def aiter_encrypt() -> None:
        check_ciphertext(await atransit.encrypt(KEY_NAME, PLAINTEXT))

    async_ops = {"KV v2 read": aiter_kv, "transit encrypt": aiter_encrypt}

    def one(operation: str, client: str, ops: int, in_flight: int) -> Dict[str, Any]:
        if client == "ironsecrets AsyncClient":
            return loop.run_until_complete(run_async(async_ops[operation], ops, in_flight))
        return run_sync(factories[operation][client], ops, in_flight)

    n = args.in_flight
    print(f"bench python: warming up ({args.warm_up} ops per client, mode and operation)", file=sys.stderr)
    for operation in OPERATIONS:
        for client in CLIENTS:
            one(operation, client, args.warm_up, 1)
            one(operation, client, max(args.warm_up, n), n)

    # The cached client: warm key, tight loop on one thread.
    cached = ironsecrets.Client.open("vault", address=server.address, token=server.token, mount=KV_MOUNT).with_cache(
        ttl=60
    )
    check_value(len(cached.get(SECRET_PATH).value))

    def cached_round(count: int) -> float:
        get, path = cached.get, SECRET_PATH
        start = time.perf_counter_ns()
        for _ in range(count):
            get(path)
        return count / ((time.perf_counter_ns() - start) / 1e9)

    cached_round(args.cached // 10)

    rounds = args.rounds
    results: Dict[str, Dict[str, Dict[str, List[Dict[str, Any]]]]] = {
        op: {c: {m: [] for m in MODES} for c in CLIENTS} for op in OPERATIONS
    }
    cached_rounds: List[float] = []
    started = time.monotonic()
    for r in range(rounds):
        share = lambda total: (r + 1) * total // rounds - r * total // rounds  # noqa: E731
        print(
            f"bench python: round {r + 1}/{rounds}: {share(args.seq)} sequential, then "
            f"{share(args.concurrent)} with {n} in flight, per client and operation",
            file=sys.stderr,
        )
        order = CLIENTS[r % len(CLIENTS) :] + CLIENTS[: r % len(CLIENTS)]
        for operation in OPERATIONS:
            for client in order:
                results[operation][client]["sequential"].append(one(operation, client, share(args.seq), 1))
            for client in order:
                results[operation][client]["in_flight"].append(one(operation, client, share(args.concurrent), n))
        cached_rounds.append(cached_round(share(args.cached)))
    elapsed = time.monotonic() - started
    loop.close()

    figures = []
    for operation in OPERATIONS:
        for client in CLIENTS:
            for mode in MODES:
                loops = results[operation][client][mode]
                per_round = [x["ops"] / (x["wall_ns"] / 1e9) for x in loops]
                latencies = sorted(ns for x in loops for ns in x["latencies"])
                figures.append(
                    {
                        "operation": operation,
                        "client": client,
                        "mode": mode,
                        "ops": sum(x["ops"] for x in loops),
                        "ops_per_sec": statistics.median(per_round),
                        "rounds_ops_per_sec": per_round,
                        "p50_us": percentile(latencies, 50),
                        "p99_us": percentile(latencies, 99),
                    }
                )
    return {
        "server": version,
        "address": server.address,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "ironsecrets": getattr(ironsecrets, "__version__", "unknown"),
        "hvac": package_version("hvac"),
        "requests": package_version("requests"),
        "rounds": rounds,
        "seq": args.seq,
        "concurrent": args.concurrent,
        "in_flight": n,
        "warm_up": args.warm_up,
        "cached_ops": args.cached,
        "elapsed_s": elapsed,
        "load_before": load_before,
        "load_after": load_average(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "figures": figures,
        "cached_get": {"ops_per_sec": statistics.median(cached_rounds), "rounds_ops_per_sec": cached_rounds},
    }


# ---------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------


def package_version(name: str) -> str:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def load_average() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "unknown"


def proc_field(file: str, name: str) -> Optional[str]:
    try:
        for line in Path(file).read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == name:
                return value.strip()
    except OSError:
        pass
    return None


def command_output(*argv: str, cwd: Optional[Path] = None) -> Optional[str]:
    try:
        out = subprocess.run(argv, capture_output=True, text=True, cwd=cwd, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None
    return out or None


def git_rev(repo: Path) -> str:
    rev = command_output("git", "rev-parse", "--short=12", "HEAD", cwd=repo)
    if rev is None:
        return "unknown"
    dirty = command_output("git", "status", "--porcelain", "--untracked-files=no", cwd=repo)
    return f"{rev} (with uncommitted changes)" if dirty else rev


def grouped(value: float) -> str:
    return f"{value:,.0f}".replace(",", " ")


def find(figures: List[Dict[str, Any]], operation: str, client: str, mode: str) -> Optional[Dict[str, Any]]:
    for f in figures:
        if f["operation"] == operation and f["client"] == client and f["mode"] == mode:
            return f
    return None


def met(ok: bool) -> str:
    return "**yes**" if ok else "**no**"


def report(args: argparse.Namespace) -> str:
    py = json.loads(Path(args.python).read_text())
    rust = json.loads(Path(args.rust).read_text()) if args.rust else None
    repo = Path(__file__).resolve().parent.parent.parent
    n = py["in_flight"]
    figures = py["figures"]
    mode_name = {"sequential": "sequential", "in_flight": f"{n} in flight"}
    w: List[str] = []
    add = w.append

    def saturation(operation: str) -> Optional[float]:
        if rust is None:
            return None
        for f in rust["figures"]:
            if f["operation"] == operation and f["client"] == "raw HTTP" and f["mode"] == "in_flight":
                return float(f["ops_per_sec"])
        return None

    add("# Benchmark: the Python binding (`python`)\n")
    add(
        "Written by `cargo xtask bench python` (bench/python/bench.py in a fresh CPython "
        f"{py['python']} venv with the release wheel, hvac {py['hvac']} and requests {py['requests']}). "
        "One run against one OpenBao dev server (the test kit's `ironsecrets-testkit-serve services "
        "openbao`, in memory, plain http on 127.0.0.1), on the same machine, so clients and server "
        "share its CPUs; "
        + (
            "the Rust `vault` benchmark ran right after against the same server for the raw saturation "
            "figure. "
            if rust and rust.get("external")
            else "the Rust `vault` benchmark's raw saturation figure comes from "
            + ("its own OpenBao in the same invocation. " if rust else "nowhere: it was not run. ")
        )
        + "Figures depend on the machine and its load; re-run to refresh them. Nothing in the test "
        "suite asserts a timing.\n"
    )

    add("## Results\n")
    for operation in OPERATIONS:
        sat = saturation(operation)
        add(f"### {operation}\n")
        add("| client | mode | ops | ops/s (median of rounds) | p50 µs | p99 µs | vs hvac | vs raw requests | vs Rust raw saturation |")
        add("|---|---|---:|---:|---:|---:|---:|---:|---:|")
        for mode in MODES:
            hv = find(figures, operation, "hvac", mode)
            raw = find(figures, operation, "raw requests.Session", mode)
            for client in CLIENTS:
                f = find(figures, operation, client, mode)
                if f is None:
                    continue
                name = f"**{client}**" if client.startswith("ironsecrets") else client
                vs_sat = f"{f['ops_per_sec'] / sat:.2f}×" if sat else "–"
                add(
                    f"| {name} | {mode_name[mode]} | {grouped(f['ops'])} | {grouped(f['ops_per_sec'])} | "
                    f"{f['p50_us']:.1f} | {f['p99_us']:.1f} | {f['ops_per_sec'] / hv['ops_per_sec']:.2f}× | "
                    f"{f['ops_per_sec'] / raw['ops_per_sec']:.2f}× | {vs_sat} |"
                )
        if sat:
            add(
                f"\nRust raw saturation ({operation}, raw HTTP on one keep-alive `reqwest::Client`, "
                f"{rust['in_flight']} in flight, from the Rust `vault` benchmark): **{grouped(sat)} ops/s**.\n"
            )
        else:
            add("")
    cached = py["cached_get"]
    add("### Cached get\n")
    add(
        f"`Client.open(\"vault\", ...).with_cache(ttl=60).get(path)` on a warm key, one thread, tight loop: "
        f"**{grouped(cached['ops_per_sec'])} ops/s** (median of {len(cached['rounds_ops_per_sec'])} rounds; "
        f"rounds {grouped(min(cached['rounds_ops_per_sec']))}–{grouped(max(cached['rounds_ops_per_sec']))}), "
        f"{1e9 / cached['ops_per_sec']:.0f} ns per get.\n"
    )

    add("## Targets\n")
    add("| target | operation | figure | met |")
    add("|---|---|---:|---|")
    misses: List[str] = []
    for operation in OPERATIONS:
        ours = find(figures, operation, "ironsecrets Client", "sequential")
        hv = find(figures, operation, "hvac", "sequential")
        ratio = ours["ops_per_sec"] / hv["ops_per_sec"]
        rounds = [a / b for a, b in zip(ours["rounds_ops_per_sec"], hv["rounds_ops_per_sec"])]
        ok = ratio >= TARGET_SEQ_VS_HVAC
        if not ok:
            misses.append(f"sync sequential vs hvac, {operation}")
        add(
            f"| sync `Client` sequential ≥ {TARGET_SEQ_VS_HVAC:.0f}× hvac | {operation} | {ratio:.2f}× "
            f"(rounds {min(rounds):.2f}–{max(rounds):.2f}) | {met(ok)} |"
        )
    for operation in OPERATIONS:
        sat = saturation(operation)
        for client, how in [("ironsecrets Client", f"{n} threads"), ("ironsecrets AsyncClient", "`asyncio.gather`")]:
            f = find(figures, operation, client, "in_flight")
            if sat:
                ratio = f["ops_per_sec"] / sat
                ok = ratio >= TARGET_IN_FLIGHT_VS_RAW_SATURATION
                if not ok:
                    misses.append(f"{client} {n} in flight vs Rust raw saturation, {operation}")
                cell, m = f"{ratio:.2f}× ({grouped(f['ops_per_sec'])} / {grouped(sat)})", met(ok)
            else:
                cell, m = "not measured", "–"
            add(
                f"| `{client.split()[1]}` {n} in flight ({how}) ≥ {TARGET_IN_FLIGHT_VS_RAW_SATURATION} × Rust raw "
                f"saturation | {operation} | {cell} | {m} |"
            )
    ok = cached["ops_per_sec"] >= TARGET_CACHED_OPS
    if not ok:
        misses.append("cached get")
    add(f"| cached get ≥ {grouped(TARGET_CACHED_OPS)} ops/s | KV v2 read | {grouped(cached['ops_per_sec'])} ops/s | {met(ok)} |")
    add("")
    if misses:
        add("Missed in this run: " + "; ".join(misses) + ". See \"Notes\" below.\n")
    else:
        add("Every target is met in this run.\n")

    add("## What is measured\n")
    add(
        f"- Setup (not in the figures): transit key `{KEY_NAME}` (aes256-gcm96) at `{TRANSIT_MOUNT}/`, a secret "
        f"`{SECRET_PATH}` in the KV v2 mount `{KV_MOUNT}/` written as `{{\"value\": <{VALUE_LEN} ASCII characters>}}`; "
        "all clients use the root token."
    )
    add(
        "- KV v2 read: ironsecrets `Client.open(\"vault\", address=, token=, mount=\"secret\").get(path)` (and "
        "`await AsyncClient.open(...)` / `await client.get(path)`), hvac "
        "`client.secrets.kv.v2.read_secret_version(path=, mount_point=\"secret\", raise_on_deleted_version=True)`, "
        f"raw `session.get(\"/v1/{KV_MOUNT}/data/<path>\").json()`. Every client checks the value is {VALUE_LEN} bytes."
    )
    add(
        f"- Transit encrypt of {VALUE_LEN} bytes: ironsecrets `client.transit.encrypt(\"{KEY_NAME}\", bytes)`, hvac "
        "`client.secrets.transit.encrypt_data(name=, plaintext=<base64>, mount_point=\"transit\")`, raw "
        f"`session.post(\"/v1/{TRANSIT_MOUNT}/encrypt/{KEY_NAME}\", json={{\"plaintext\": <base64>}})`; hvac and raw "
        "base64-encode in each operation. Every client checks the answer is a `vault:v1:` ciphertext."
    )
    add(
        f"- Sequential: {grouped(py['seq'])} operations per client and operation, one after another on one thread "
        f"(the async client: one coroutine awaiting each in turn). {n} in flight: {grouped(py['concurrent'])} "
        f"operations per client and operation, split over {n} threads started together behind a barrier (sync "
        f"clients; ironsecrets's one `Client` is shared by all threads, hvac and requests get one client / "
        f"session per thread, as they are not meant to be shared) or {n} coroutines run by `asyncio.gather` "
        "(AsyncClient). ops/s: operations over the wall time until the last one finished; p50 / p99 over every "
        "operation's own latency, all rounds pooled."
    )
    add(
        f"- Before measuring, each client ran {py['warm_up']} sequential operations and "
        f"{max(py['warm_up'], n)} with {n} in flight per operation. The measured operations ran in {py['rounds']} "
        f"rounds; in each round every client did 1/{py['rounds']} of its operations, clients in an order rotated "
        "by one each round; the table shows the median of the rounds' ops/s. The cached get ran "
        f"{grouped(py['cached_ops'])} gets in total, 1/{py['rounds']} at the end of each round. The Python part "
        f"took {py['elapsed_s']:.0f} s, setup and warm-up excluded."
    )
    if rust:
        add(
            f"- Rust raw saturation: `ironsecrets-bench vault` (release) "
            + (
                "with `--address`/`--token` pointing at the same OpenBao, run right after the Python part"
                if rust.get("external")
                else "against its own OpenBao"
            )
            + f": raw HTTP requests on one keep-alive `reqwest::Client`, {rust['in_flight']} in flight, "
            f"{grouped(rust['concurrent'])} operations per client; its full report is written next to the JSON "
            "(`<target>/python/bench/vault.md`), not over docs/bench/vault.md."
        )

    add("\n## Notes\n")
    add(notes(py, rust, misses, saturation))

    rows = [
        ("date", py["date"]),
        ("git rev", git_rev(repo)),
        ("CPU", proc_field("/proc/cpuinfo", "model name") or "unknown"),
        ("nproc", str(os.cpu_count())),
        ("memory", memory()),
        ("OS", f"Linux {platform.release()}" if sys.platform == "linux" else platform.platform()),
        ("Python", f"{py['implementation']} {py['python']}, ironsecrets {py['ironsecrets']}, hvac {py['hvac']}, requests {py['requests']}"),
        ("rustc", command_output("rustc", "--version") or "unknown"),
        ("server", f"{py['server']}, `bao server -dev` (in memory) on 127.0.0.1, plain http"),
        ("load average (1/5/15 min) before / after", f"{py['load_before']} / {py['load_after']}"),
    ]
    add("\n## Machine\n\n| | |\n|---|---|")
    for key, value in rows:
        add(f"| {key} | {value} |")
    add(
        "\nReproduce: `cargo xtask bench python` (needs pyenv's CPython 3.11, the wheel in `<target>/wheels`, "
        "`bao` on PATH; report: `docs/bench/python.md`; `--out FILE` writes elsewhere; `-- --seq N --concurrent N "
        "--rounds N --cached N` change the counts)."
    )
    return "\n".join(w) + "\n"


def memory() -> str:
    kb = proc_field("/proc/meminfo", "MemTotal")
    try:
        return f"{int(kb.split()[0]) / 1024 / 1024:.1f} GiB" if kb else "unknown"
    except ValueError:
        return "unknown"


def notes(py: Dict[str, Any], rust: Optional[Dict[str, Any]], misses: List[str], saturation: Callable[[str], Optional[float]]) -> str:
    figures = py["figures"]
    n = py["in_flight"]
    lines = []
    for operation in OPERATIONS:
        seq = {c: find(figures, operation, c, "sequential") for c in CLIENTS}
        conc = {c: find(figures, operation, c, "in_flight") for c in CLIENTS}
        lines.append(
            f"- {operation}: mean time per sequential operation {1e6 / seq['ironsecrets Client']['ops_per_sec']:.0f} µs "
            f"(ironsecrets Client), {1e6 / seq['hvac']['ops_per_sec']:.0f} µs (hvac), "
            f"{1e6 / seq['raw requests.Session']['ops_per_sec']:.0f} µs (raw requests): a sequential operation is one "
            "round trip to a server on the same 2 CPUs, so the server's own time per request bounds every client; "
            "what hvac and requests add on top is, most likely (not profiled here), Python-side HTTP (urllib3, "
            "`json`), which ironsecrets does in Rust with the GIL released."
        )
        sat = saturation(operation)
        if sat:
            best = max(conc["ironsecrets Client"]["ops_per_sec"], conc["ironsecrets AsyncClient"]["ops_per_sec"])
            lines.append(
                f"- {operation}, {n} in flight: ironsecrets reached {grouped(best)} ops/s against the Rust raw loop's "
                f"{grouped(sat)} ops/s ({best / sat:.2f}×); hvac {grouped(conc['hvac']['ops_per_sec'])} and raw "
                f"requests {grouped(conc['raw requests.Session']['ops_per_sec'])} ops/s, most likely held back by the GIL "
                "(not profiled here): their HTTP and JSON work runs in Python, one thread at a time. At saturation the server takes most of the "
                "machine's 2 CPUs, so what the client spends per operation (the Python call, the GIL hand-off, "
                "building the result objects) comes straight out of the server's share."
            )
    if any("cached" in m for m in misses):
        lines.append(
            f"- Cached get: {1e9 / py['cached_get']['ops_per_sec']:.0f} ns per call against the 1 000 ns the target "
            "allows. No request is sent; what a call still does is cross the Python/Rust boundary (argument "
            "conversion), look the key up in the cache and build a new `Secret` (with its `SecretValue`) Python "
            "object for the answer. This benchmark does not profile which of these dominates; the machine was also "
            "shared with other work during the run (see the load average below)."
        )
    try:
        busiest = max(float(py["load_before"].split()[0]), float(py["load_after"].split()[0]))
    except (ValueError, IndexError):
        busiest = 0.0
    cpus = os.cpu_count() or 1
    if busiest > cpus:
        lines.append(
            f"- The 1-minute load average reached {busiest:.2f} on {cpus} CPUs during the Python part: other work "
            "shared the machine, so every figure here is lower than on a quiet machine, and the Rust raw "
            "saturation figure, measured right after (under whatever load was left then), is not measured under "
            "the same load as the Python figures. Re-run on a quiet machine before reading the in-flight ratios "
            "as the binding's own limit."
        )
    if not misses:
        lines.append("- Every target is met in this run.")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("measure", help="measure and print JSON")
    m.add_argument("--address", required=True)
    m.add_argument("--token", required=True)
    m.add_argument("--json", help="also write the results here")
    m.add_argument("--seq", type=int, default=2000, help="sequential ops per client and operation")
    m.add_argument("--concurrent", type=int, default=8000, help="in-flight ops per client and operation")
    m.add_argument("--in-flight", type=int, default=16)
    m.add_argument("--rounds", type=int, default=5)
    m.add_argument("--warm-up", type=int, default=100)
    m.add_argument("--cached", type=int, default=1_000_000, help="cached gets in total")
    r = sub.add_parser("report", help="write the markdown report from measure's JSON")
    r.add_argument("--python", required=True, help="measure's JSON")
    r.add_argument("--rust", help="the Rust vault benchmark's --json figures")
    r.add_argument("--out", required=True)
    args = parser.parse_args()
    if args.command == "measure":
        if args.seq < args.rounds or args.concurrent < args.rounds * args.in_flight:
            parser.error("--seq must be at least --rounds and --concurrent at least --rounds × --in-flight")
        results = measure(args)
        text = json.dumps(results)
        if args.json:
            Path(args.json).write_text(text + "\n")
        # The figures only (not every latency) on stdout.
        print(json.dumps({k: v for k, v in results.items()}, indent=1))
        return 0
    Path(args.out).write_text(report(args))
    print(f"bench python: report written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
