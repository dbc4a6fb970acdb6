"""Runs the embedded-store part of ``typed_usage.py`` (so it is not dead code), and
type-checks the file with ``mypy --strict`` against the installed package's stub."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

TYPED_USAGE = Path(__file__).with_name("typed_usage.py")


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ironsecrets_typed_usage", TYPED_USAGE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_typed_usage_runs_on_the_embedded_store(tmp_path: Path, master_key: str) -> None:
    module = _load()
    report = module.main(str(tmp_path / "sync.db"), master_key, str(tmp_path / "async.db"))
    assert isinstance(report, list) and report
    text = "\n".join(report)
    assert "hunter2" not in text and "hunter3" not in text
    assert "NotFound" in text
    assert "no vault engines here: Unsupported" in text


def test_typed_usage_type_checks(tmp_path: Path) -> None:
    # mypy is installed only in the 3.11 venv, where CI runs the type checks (on 3.9
    # SQLAlchemy 2.0 types leak Any into the strict check).
    pytest.importorskip("mypy", reason="the type checks run on CPython 3.11 only")
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--cache-dir", os.devnull, str(TYPED_USAGE)],
        capture_output=True,
        text=True,
        cwd=str(tmp_path),
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
