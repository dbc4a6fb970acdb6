"""The sync Client releases the GIL while it waits, and Ctrl-C interrupts a blocking call.

A tiny loopback HTTP server stands in for a slow Vault (it answers a KV v2 read after
0.5 s, counting requests in flight); it tests timing and concurrency only. Functional
tests use a real OpenBao.
"""

from __future__ import annotations

import _thread
import json
import signal
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, List, Optional

import pytest

import ironsecrets

DELAY = 0.5
THREADS = 16

KV2_READ = {
    "request_id": "00000000-0000-0000-0000-000000000000",
    "lease_id": "",
    "renewable": False,
    "lease_duration": 0,
    "data": {
        "data": {"value": "x"},
        "metadata": {
            "created_time": "2026-01-01T00:00:00Z",
            "custom_metadata": None,
            "deletion_time": "",
            "destroyed": False,
            "version": 1,
        },
    },
    "wrap_info": None,
    "warnings": None,
    "auth": None,
    "mount_type": "kv",
}


class SlowVault(ThreadingHTTPServer):
    """Answers ``GET /v1/secret/data/<path>`` after DELAY, counting requests in flight."""

    daemon_threads = True
    # All THREADS connect at once: a short listen backlog would drop SYNs (and the
    # client's retry a second later would hide the parallelism).
    request_queue_size = 128

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.lock = threading.Lock()
        self.in_flight = 0
        self.max_in_flight = 0
        self.paths: List[str] = []

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: SlowVault
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        server = self.server
        with server.lock:
            server.in_flight += 1
            server.max_in_flight = max(server.max_in_flight, server.in_flight)
            server.paths.append(self.path.split("?", 1)[0])
        try:
            time.sleep(DELAY)
            if self.path.split("?", 1)[0].startswith("/v1/secret/data/"):
                body = json.dumps(KV2_READ).encode()
                self.send_response(200)
            else:
                body = b'{"errors":[]}'
                self.send_response(404)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        finally:
            with server.lock:
                server.in_flight -= 1

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        pass


@pytest.fixture
def slow_vault() -> Any:
    server = SlowVault()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_blocking_calls_run_in_parallel(slow_vault: SlowVault) -> None:
    client = ironsecrets.Client.open("vault", address=slow_vault.address, token="x", mount="secret").with_retry(
        max_attempts=1
    )
    results: List[Optional[str]] = [None] * THREADS
    errors: List[BaseException] = []
    barrier = threading.Barrier(THREADS)

    def work(i: int) -> None:
        try:
            barrier.wait()
            results[i] = client.get(f"app/item-{i}").value.reveal_str()
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(THREADS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    elapsed = time.monotonic() - started
    assert not errors, f"calls failed: {[type(e).__name__ + ': ' + str(e) for e in errors]}"
    assert results == ["x"] * THREADS
    assert sorted(slow_vault.paths) == sorted(f"/v1/secret/data/app/item-{i}" for i in range(THREADS))
    # 16 calls of 0.5 s each: serialised they would take 8 s.
    assert slow_vault.max_in_flight >= THREADS // 2, f"at most {slow_vault.max_in_flight} requests were in flight"
    assert elapsed < THREADS * DELAY / 2


def test_other_threads_run_python_while_a_call_blocks(slow_vault: SlowVault) -> None:
    client = ironsecrets.Client.open("vault", address=slow_vault.address, token="x").with_retry(max_attempts=1)
    ticks = 0
    done = threading.Event()

    def call() -> None:
        client.get("app/slow")
        done.set()

    thread = threading.Thread(target=call)
    thread.start()
    while not done.is_set():
        ticks += 1
        time.sleep(0.001)
    thread.join()
    assert ticks > 50, "the main thread did not run while the call blocked"


class SilentServer:
    """Accepts connections on loopback and never answers."""

    def __init__(self) -> None:
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port: int = self.listener.getsockname()[1]
        self.conns: List[socket.socket] = []
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self) -> None:
        self.listener.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self.listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self.conns.append(conn)

    def close(self) -> None:
        self._stop.set()
        self.listener.close()
        for conn in self.conns:
            conn.close()
        self.thread.join(2)


@pytest.fixture
def silent_server() -> Any:
    server = SilentServer()
    yield server
    server.close()


def _interrupt_after(delay: float, how: str) -> threading.Timer:
    main = threading.main_thread().ident
    assert main is not None

    def fire() -> None:
        if how == "pthread_kill":
            signal.pthread_kill(main, signal.SIGINT)
        else:
            _thread.interrupt_main()

    timer = threading.Timer(delay, fire)
    timer.daemon = True
    timer.start()
    return timer


@pytest.mark.parametrize("how", ["interrupt_main", "pthread_kill"])
def test_ctrl_c_interrupts_a_blocking_call(silent_server: SilentServer, how: str) -> None:
    assert threading.current_thread() is threading.main_thread(), "signals reach the main thread only"
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler
    client = ironsecrets.Client.open(
        "vault", address=f"http://127.0.0.1:{silent_server.port}", token="x", timeout=60
    ).with_retry(max_attempts=1)
    timer = _interrupt_after(0.3, how)
    started = time.monotonic()
    interrupted_at: Optional[float] = None
    try:
        with pytest.raises(KeyboardInterrupt):
            try:
                client.get("app/hangs")
            finally:
                interrupted_at = time.monotonic()
    finally:
        timer.cancel()
    assert interrupted_at is not None
    elapsed = interrupted_at - started
    assert elapsed < 2.3, f"Ctrl-C took {elapsed - 0.3:.2f} s to interrupt the call"
    # The client still works for the next call (which fails fast here: nothing listens).
    silent_server.close()
    with pytest.raises(ironsecrets.Error):
        client.get("app/after")
