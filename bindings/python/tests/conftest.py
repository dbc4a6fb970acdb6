"""Shared fixtures for the ironsecrets Python tests.

The real services (OpenBao, PostgreSQL and OpenBao's database engine on it) come from
the Rust test kit's ``ironsecrets-testkit-serve`` binary, started once per session and
only when a test asks for one of the ``services`` / ``openbao`` / ``postgres`` /
``database`` fixtures: tests on the embedded store need no server. Tests using those
fixtures get the ``services`` marker, so ``-m "not services"`` leaves them out.

The binary is ``$IRONSECRETS_TESTKIT_SERVE``, else ``<target>/debug/ironsecrets-testkit-serve``
(``<target>`` being ``$CARGO_TARGET_DIR`` or ``<repo>/target``); ``cargo test --workspace``
or ``cargo build -p ironsecrets-testkit --bin ironsecrets-testkit-serve`` builds it.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
from pathlib import Path
from typing import IO, Any, Dict, Iterator, List, Optional

import pytest

#: The master key of the embedded stores the tests create.
MASTER_KEY = "correct horse battery staple for tests"

#: The repository root (this file is bindings/python/tests/conftest.py).
_HERE = Path(__file__).resolve()
REPO = _HERE.parents[3] if len(_HERE.parents) > 3 else _HERE.parent

#: How long the services may take to start before the session fails.
START_TIMEOUT = 120.0
#: How long the serve process may take to stop after its stdin closes.
STOP_TIMEOUT = 30.0

#: The fixtures that start the services.
SERVICE_FIXTURES = frozenset({"services", "openbao", "postgres", "database"})


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "services: needs the real services (OpenBao, PostgreSQL) that "
        "ironsecrets-testkit-serve starts",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: List[pytest.Item]) -> None:
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if SERVICE_FIXTURES.intersection(fixtures):
            item.add_marker(pytest.mark.services)


def serve_binary() -> Path:
    """Where ``ironsecrets-testkit-serve`` is."""
    explicit = os.environ.get("IRONSECRETS_TESTKIT_SERVE")
    if explicit:
        return Path(explicit)
    target = os.environ.get("CARGO_TARGET_DIR")
    target_dir = Path(target) if target else REPO / "target"
    return target_dir / "debug" / "ironsecrets-testkit-serve"


def _read_text(log: IO[bytes]) -> str:
    log.flush()
    log.seek(0)
    return log.read().decode("utf-8", "replace")


def _stop(process: subprocess.Popen[bytes], terminate: bool = False) -> None:
    """Closes the process's stdin (it stops its services then; with ``terminate`` also
    SIGTERM, for a failed start) and waits; kills it after STOP_TIMEOUT."""
    if terminate and process.poll() is None:
        process.terminate()
    if process.stdin is not None and not process.stdin.closed:
        try:
            process.stdin.close()
        except OSError:
            pass
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _read_line(process: subprocess.Popen[bytes], timeout: float) -> Optional[bytes]:
    """The first line of the process's stdout, or None if none came within timeout."""
    assert process.stdout is not None
    stdout = process.stdout
    lines: List[bytes] = []

    def read() -> None:
        lines.append(stdout.readline())

    reader = threading.Thread(target=read, name="ironsecrets-testkit-serve stdout", daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0] if lines else None


@pytest.fixture(scope="session")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, Any]]:
    """The running services, as ``ironsecrets-testkit-serve services openbao postgres``
    describes them: keys ``openbao``, ``postgres`` and ``database``."""
    binary = serve_binary()
    if not binary.is_file():
        raise RuntimeError(
            f"{binary} does not exist: build it with `cargo build -p ironsecrets-testkit "
            "--bin ironsecrets-testkit-serve` (or `cargo test --workspace`), or point "
            "IRONSECRETS_TESTKIT_SERVE at it"
        )
    log_path = tmp_path_factory.mktemp("services") / "serve.log"
    with open(log_path, "w+b") as log:
        process = subprocess.Popen(
            [str(binary), "services", "openbao", "postgres"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            cwd=str(log_path.parent),
        )
        try:
            line = _read_line(process, START_TIMEOUT)
            if not line:
                if line is None:
                    why = f"printed nothing within {START_TIMEOUT:.0f} s"
                    process.kill()
                else:
                    why = "exited without printing where the services are"
                process.wait()
                raise RuntimeError(
                    f"{binary} {why} (exit status {process.returncode}); its stderr:\n"
                    f"{_read_text(log)}"
                )
            try:
                described = json.loads(line)
            except ValueError as e:
                raise RuntimeError(
                    f"{binary} printed no JSON ({e}): {line!r}; its stderr:\n{_read_text(log)}"
                ) from e
        except BaseException:
            _stop(process, terminate=True)
            raise
        try:
            yield described
        finally:
            _stop(process)


@pytest.fixture(scope="session")
def openbao(services: Dict[str, Any]) -> Dict[str, Any]:
    """The OpenBao dev server: ``address``, root ``token``, ``kv_mount`` (KV v2),
    ``transit_mount``, ``policy``, ``userpass`` {mount, username, password} and
    ``approle`` {mount, role, role_id, secret_id}."""
    value: Dict[str, Any] = services["openbao"]
    return value


@pytest.fixture(scope="session")
def postgres(services: Dict[str, Any]) -> Dict[str, Any]:
    """The PostgreSQL server: ``host``, ``port``, ``admin_url`` (postgresql://...),
    ``database``, ``superuser`` and ``password``."""
    value: Dict[str, Any] = services["postgres"]
    return value


@pytest.fixture(scope="session")
def database(services: Dict[str, Any]) -> Dict[str, Any]:
    """OpenBao's database engine on that server: ``mount``, ``connection``, dynamic
    roles ``role`` (short: ``ttl`` / ``max_ttl`` seconds) and ``long_role`` (1 h)."""
    value: Dict[str, Any] = services["database"]
    return value


@pytest.fixture
def tmp_store(tmp_path: Path) -> str:
    """A fresh path for an embedded store file (not created yet)."""
    return str(tmp_path / "store.db")


@pytest.fixture
def master_key() -> str:
    """The master key for the embedded stores the tests create."""
    return MASTER_KEY


@pytest.fixture
def local_client(tmp_store: str, master_key: str) -> "ironsecrets.Client":
    """A client on a fresh embedded store (cheap key derivation: it is a test)."""
    import ironsecrets

    return ironsecrets.Client.from_uri(
        "local://" + tmp_store,
        master_key=master_key,
        create=True,
        kdf_memory_kib=1024,
        kdf_iterations=1,
        kdf_parallelism=1,
    )
