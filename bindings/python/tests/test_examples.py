"""The Python examples (examples/python/) run as their docs say."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any, Dict, List, Optional, Set

import pytest

EXAMPLES = Path(__file__).resolve().parents[3] / "examples" / "python"


def test_quickstart_runs_without_a_server() -> None:
    env = {k: v for k, v in os.environ.items() if k != "IRONSECRETS_MASTER_KEY"}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py")],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    out = result.stdout
    assert "using a throw-away demo key" in out
    assert "app/db username = app" in out
    assert "REDACTED" in out
    assert "first-password" not in out and "second-password" not in out
    assert "rotated app/db to version 2; version 1 is still readable" in out
    assert "decrypts to 19 bytes" in out
    assert "rotation status:" in out
    assert "app/api-key" in out


def test_quickstart_uses_the_master_key_from_the_environment() -> None:
    env = dict(os.environ, IRONSECRETS_MASTER_KEY="a master key from the environment")
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "quickstart.py")], capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "demo key" not in result.stdout
    assert "a master key from the environment" not in result.stdout


def _read_line(stream: Any, timeout: float) -> Optional[str]:
    lines: List[str] = []
    reader = threading.Thread(target=lambda: lines.append(stream.readline()), daemon=True)
    reader.start()
    reader.join(timeout)
    return lines[0] if lines else None


@pytest.mark.services
def test_rotating_service_serves_across_rotations(
    openbao: Dict[str, Any], postgres: Dict[str, Any], database: Dict[str, Any]
) -> None:
    env = dict(os.environ, VAULT_TOKEN=openbao["token"], PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [
            sys.executable,
            str(EXAMPLES / "rotating_service.py"),
            "--vault-addr", openbao["address"],
            "--db-mount", database["mount"],
            "--db-role", database["role"],
            "--pg-host", str(postgres["host"]),
            "--pg-port", str(postgres["port"]),
            "--pg-database", postgres["database"],
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        line = _read_line(process.stdout, 60)
        assert line and line.startswith("listening on "), f"the service did not start: {line!r}"
        url = line.split("listening on ", 1)[1].strip()
        requests = 0
        failures: List[str] = []
        users: Set[str] = set()
        deadline = time.monotonic() + 25
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url + "/", timeout=10) as response:
                    users.add(json.loads(response.read())["user"])
            except (urllib.error.URLError, OSError, ValueError, KeyError) as e:
                failures.append(f"{type(e).__name__}: {e}")
            requests += 1
            time.sleep(0.05)
        with urllib.request.urlopen(url + "/stats", timeout=10) as response:
            stats = json.loads(response.read())
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            out, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            out, err = process.communicate()
    assert requests >= 100
    assert not failures, f"{len(failures)} of {requests} requests failed: {failures[:5]}\n{err[-3000:]}"
    assert stats["generation"] >= 1, stats
    assert len(users) >= 2, f"the service answered as {users} only (no rotation seen)"
    assert process.returncode == 0, err[-3000:]
    assert "served on" in out
    assert openbao["token"] not in out + err
