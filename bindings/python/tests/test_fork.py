"""``os.fork()``: objects made before the fork refuse to work in the child (ConfigError
naming the fork); objects made in the child work. The child reports through its exit
status and a pipe."""

from __future__ import annotations

import asyncio
import os
import traceback
import warnings
from typing import Callable, List, Tuple

import pytest

import ironsecrets

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork() is POSIX only")

FAST_KDF = {"kdf_memory_kib": 1024, "kdf_iterations": 1, "kdf_parallelism": 1}


def _in_child(body: Callable[[], None]) -> Tuple[int, str]:
    """Runs ``body`` in a forked child; its exit code (0: passed) and what it reported."""
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12+ warns that forking a multi-threaded process may deadlock; the
        # binding is built for exactly this.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        os.close(read_end)
        code = 0
        report = ""
        try:
            body()
        except AssertionError as e:
            code, report = 1, f"assertion failed: {e}\n{traceback.format_exc()}"
        except BaseException as e:  # noqa: BLE001 - reported to the parent
            code, report = 2, f"{type(e).__name__}: {e}\n{traceback.format_exc()}"
        try:
            os.write(write_end, report.encode()[:60000])
        finally:
            os._exit(code)
    os.close(write_end)
    chunks = []
    while True:
        chunk = os.read(read_end, 65536)
        if not chunk:
            break
        chunks.append(chunk)
    os.close(read_end)
    _, status = os.waitpid(pid, 0)
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)
    return code, b"".join(chunks).decode(errors="replace")


def _open(path: str, master_key: str) -> ironsecrets.Client:
    return ironsecrets.Client.from_uri("local://" + path, master_key=master_key, create=True, **FAST_KDF)


def test_a_client_made_before_fork_refuses_in_the_child(tmp_store: str, master_key: str) -> None:
    client = _open(tmp_store, master_key)
    client.put("app/x", "parent")

    def child() -> None:
        calls: List[Tuple[str, Callable[[], object]]] = [
            ("get", lambda: client.get("app/x")),
            ("put", lambda: client.put("app/x", "child")),
            ("list", lambda: client.list()),
            ("transit.list_keys", lambda: client.transit.list_keys()),
        ]
        for name, call in calls:
            try:
                call()
            except ironsecrets.ConfigError as e:
                assert "fork" in str(e), f"{name}: the ConfigError does not mention fork: {e}"
                assert e.kind == "Config"
            else:
                raise AssertionError(f"{name} worked in the child")

    code, report = _in_child(child)
    assert code == 0, report
    # The parent's client is untouched.
    assert client.get("app/x").value.reveal_str() == "parent"


def test_a_client_made_in_the_child_works(tmp_path: "os.PathLike[str]", master_key: str) -> None:
    parent_store = os.path.join(os.fspath(tmp_path), "parent.db")
    child_store = os.path.join(os.fspath(tmp_path), "child.db")
    parent = _open(parent_store, master_key)
    parent.put("app/x", "parent")

    def child() -> None:
        client = _open(child_store, master_key)
        client.put("app/x", "child")
        assert client.get("app/x").value.reveal_str() == "child"
        client.transit.create_key("k")
        assert client.transit.decrypt("k", client.transit.encrypt("k", b"d")).reveal() == b"d"

        async def main() -> None:
            async_client = await ironsecrets.AsyncClient.from_uri(
                "local://" + child_store, master_key=master_key, **FAST_KDF
            )
            await async_client.put("app/y", "async-child")
            assert (await async_client.get("app/y")).value.reveal_str() == "async-child"
            assert (await async_client.get("app/x")).value.reveal_str() == "child"

        asyncio.run(main())

    code, report = _in_child(child)
    assert code == 0, report
    assert parent.get("app/x").value.reveal_str() == "parent"
    assert _open(child_store, master_key).get("app/y").value.reveal_str() == "async-child"


def test_an_async_client_made_before_fork_refuses_in_the_child(tmp_store: str, master_key: str) -> None:
    async def make() -> ironsecrets.AsyncClient:
        return await ironsecrets.AsyncClient.from_uri("local://" + tmp_store, master_key=master_key, create=True, **FAST_KDF)

    client = asyncio.run(make())

    def child() -> None:
        async def main() -> None:
            try:
                await client.get("app/x")
            except ironsecrets.ConfigError as e:
                assert "fork" in str(e)
            else:
                raise AssertionError("the parent's AsyncClient worked in the child")

        try:
            asyncio.run(main())
        except ironsecrets.ConfigError as e:
            # Refusing when the call is made (before an awaitable exists) is as good.
            assert "fork" in str(e)

    code, report = _in_child(child)
    assert code == 0, report
