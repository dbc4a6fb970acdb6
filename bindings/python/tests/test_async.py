"""AsyncClient: concurrent requests, errors, and cancellation that really cancels.

Tests run their coroutines with ``asyncio.run`` (no pytest-asyncio needed). The
cancellation tests use a loopback TCP server that accepts and never answers, as a
stand-in for a hung Vault: only timing is tested with it.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any, Dict, List, Optional

import pytest

import ironsecrets

FAST_KDF: Dict[str, ironsecrets.OptionValue] = {
    "kdf_memory_kib": 1024,
    "kdf_iterations": 1,
    "kdf_parallelism": 1,
}


async def _gather_round_trip(client: ironsecrets.AsyncClient, prefix: str, n: int = 100) -> None:
    await asyncio.gather(*(client.put(f"{prefix}/{i}", f"value-{i}") for i in range(n)))
    secrets_read = await asyncio.gather(*(client.get(f"{prefix}/{i}") for i in range(n)))
    assert [s.path for s in secrets_read] == [f"{prefix}/{i}" for i in range(n)]
    assert [s.value.reveal_str() for s in secrets_read] == [f"value-{i}" for i in range(n)]


def test_concurrent_gets_on_local(tmp_store: str, master_key: str) -> None:
    async def main() -> None:
        client = await ironsecrets.AsyncClient.from_uri(
            "local://" + tmp_store, master_key=master_key, create=True, **FAST_KDF
        )
        await _gather_round_trip(client, "py-async/local")

    asyncio.run(main())


@pytest.mark.services
def test_concurrent_gets_on_openbao(openbao: Dict[str, Any]) -> None:
    async def main() -> None:
        client = await ironsecrets.AsyncClient.open(
            "vault", address=openbao["address"], token=openbao["token"], mount=openbao["kv_mount"]
        )
        await _gather_round_trip(client, f"py-async/openbao-{time.time_ns()}")
        keys = await client.list("py-async/")
        assert len(keys) >= 100

    asyncio.run(main())


def test_async_errors_are_the_kinds_classes(tmp_store: str, master_key: str) -> None:
    async def main() -> None:
        client = await ironsecrets.AsyncClient.from_uri(
            "local://" + tmp_store, master_key=master_key, create=True, **FAST_KDF
        )
        with pytest.raises(ironsecrets.NotFoundError) as caught:
            await client.get("py-async/missing")
        assert caught.value.operation == "get"
        assert caught.value.path == "py-async/missing"
        with pytest.raises(ironsecrets.InvalidInputError):
            await client.get("../x")
        with pytest.raises(ironsecrets.ConfigError):
            await ironsecrets.AsyncClient.from_uri("nope://x")
        # Transit as awaitables.
        await client.transit.create_key("k")
        ciphertext = await client.transit.encrypt("k", b"data")
        assert (await client.transit.decrypt("k", ciphertext)).reveal() == b"data"

    asyncio.run(main())


class SilentServer:
    """Accepts TCP connections on loopback, reads what comes, never answers; records
    when each connection's peer closes it."""

    def __init__(self) -> None:
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self.port: int = self._listener.getsockname()[1]
        self.requested = threading.Event()
        self.closed = threading.Event()
        self.closed_at: Optional[float] = None
        self._stop = threading.Event()
        self._conns: List[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        self._listener.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            self._conns.append(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        conn.settimeout(0.1)
        while not self._stop.is_set():
            try:
                data = conn.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                break
            if not data:
                self.closed_at = time.monotonic()
                self.closed.set()
                break
            self.requested.set()

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        for conn in self._conns:
            try:
                conn.close()
            except OSError:
                pass
        self._thread.join(2)


@pytest.fixture
def silent_server() -> Any:
    server = SilentServer()
    yield server
    server.close()


async def _silent_client(address: str) -> ironsecrets.AsyncClient:
    client = await ironsecrets.AsyncClient.open("vault", address=address, token="x", timeout=60)
    return client.with_retry(max_attempts=1)


def test_cancelling_the_task_cancels_the_request(silent_server: SilentServer) -> None:
    async def main() -> float:
        client = await _silent_client(silent_server.address)

        async def call() -> ironsecrets.Secret:
            return await client.get("app/hangs")

        task = asyncio.ensure_future(call())
        await asyncio.sleep(0.2)
        assert not task.done()
        cancelled_at = time.monotonic()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        return cancelled_at

    cancelled_at = asyncio.run(main())
    assert silent_server.requested.is_set(), "the request never reached the server"
    assert silent_server.closed.wait(2.0), "the connection stayed open after the cancellation"
    assert silent_server.closed_at is not None
    assert silent_server.closed_at - cancelled_at < 2.0


def test_wait_for_timeout_cancels_the_request(silent_server: SilentServer) -> None:
    async def main() -> float:
        client = await _silent_client(silent_server.address)
        started = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(client.get("app/hangs"), 0.2)
        elapsed = time.monotonic() - started
        assert elapsed < 2.0
        return time.monotonic()

    timed_out_at = asyncio.run(main())
    assert silent_server.requested.is_set(), "the request never reached the server"
    assert silent_server.closed.wait(2.0), "the connection stayed open after the timeout"
    assert silent_server.closed_at is not None
    assert silent_server.closed_at - timed_out_at < 2.0


def test_other_requests_go_on_while_one_hangs(silent_server: SilentServer, tmp_store: str, master_key: str) -> None:
    async def main() -> None:
        hung = await _silent_client(silent_server.address)
        local = await ironsecrets.AsyncClient.from_uri(
            "local://" + tmp_store, master_key=master_key, create=True, **FAST_KDF
        )
        task = asyncio.ensure_future(asyncio.wait_for(hung.get("app/hangs"), 5))
        await local.put("app/x", "v")
        for _ in range(20):
            assert (await local.get("app/x")).value.reveal_str() == "v"
        assert not task.done()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
