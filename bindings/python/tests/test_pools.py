"""Rotating pools under load: a SQLAlchemy engine (ironsecrets.sqlalchemy) and a
psycopg_pool pool (ironsecrets.psycopg), each serving queries from 4 threads while the
short database role's credential rotates three times (about every 10 s), with no failed
query, and every old lease revoked once its connections are closed."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Dict, Iterator, List, Set, Tuple

import pytest

import ironsecrets

pytestmark = pytest.mark.services

WORKERS = 4
ROTATIONS = 3
MIN_RATE = 100.0


@pytest.fixture
def manager(openbao: Dict[str, Any]) -> Iterator[ironsecrets.LeaseManager]:
    client = ironsecrets.Client.open("vault", address=openbao["address"], token=openbao["token"])
    # The pool decides when an old lease goes (once drained), not the manager.
    manager = ironsecrets.LeaseManager(client, revoke_old_after=600)
    yield manager
    manager.shutdown(revoke=True)


def _can_log_in(postgres: Dict[str, Any], username: str, password: str) -> bool:
    import psycopg

    try:
        psycopg.connect(
            host=postgres["host"],
            port=postgres["port"],
            dbname=postgres["database"],
            user=username,
            password=password,
            connect_timeout=5,
        ).close()
        return True
    except psycopg.OperationalError:
        return False


class Load:
    """Runs ``query`` from WORKERS threads until stopped; records every outcome and every
    credential the lease handed out (to check later that old ones are revoked)."""

    def __init__(self, query: Callable[[], str], lease: ironsecrets.ManagedLease) -> None:
        self._query = query
        self._lease = lease
        self._stop = threading.Event()
        self.counts = [0] * WORKERS
        self.failures: List[str] = []
        self.users: Set[str] = set()
        self.credentials: Dict[str, str] = {}
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._work, args=(i,), daemon=True) for i in range(WORKERS)]
        self._threads.append(threading.Thread(target=self._watch_credentials, daemon=True))
        self.started = 0.0
        self.elapsed = 0.0

    def _work(self, i: int) -> None:
        while not self._stop.is_set():
            try:
                user = self._query()
            except Exception as e:  # noqa: BLE001 - every failure counts
                with self._lock:
                    self.failures.append(f"{type(e).__name__}: {str(e)[:300]}")
                continue
            self.counts[i] += 1
            if user not in self.users:
                with self._lock:
                    self.users.add(user)

    def _watch_credentials(self) -> None:
        while not self._stop.is_set():
            data = self._lease.current().data
            username = data["username"].reveal_str()
            if username not in self.credentials:
                self.credentials[username] = data["password"].reveal_str()
            self._stop.wait(0.05)

    def start(self) -> None:
        self.started = time.monotonic()
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(15)
        self.elapsed = time.monotonic() - self.started

    @property
    def total(self) -> int:
        return sum(self.counts)


def _run(
    query: Callable[[], str],
    lease: ironsecrets.ManagedLease,
    stats: Callable[[], ironsecrets.RotationStats],
    database: Dict[str, Any],
) -> Tuple[Load, ironsecrets.RotationStats]:
    load = Load(query, lease)
    load.start()
    try:
        limit = time.monotonic() + ROTATIONS * float(database["max_ttl"]) + 30
        while stats().generation < ROTATIONS:
            assert time.monotonic() < limit, f"only {stats().generation} rotations in time"
            assert not load.failures, f"queries failed: {load.failures[:5]}"
            time.sleep(0.2)
        # The last old generation drains (and is revoked) right after its rotation.
        limit = time.monotonic() + 15
        while stats().revoked_drained + stats().revoked_at_deadline < ROTATIONS and time.monotonic() < limit:
            time.sleep(0.2)
    finally:
        load.stop()
    return load, stats()


def _check(load: Load, stats: ironsecrets.RotationStats, postgres: Dict[str, Any], current_user: str) -> None:
    rate = load.total / load.elapsed
    assert not load.failures, f"{len(load.failures)} queries failed, e.g. {load.failures[:5]}"
    assert rate >= MIN_RATE, f"{load.total} queries in {load.elapsed:.1f} s: {rate:.0f}/s"
    assert all(count > 0 for count in load.counts), f"a worker never ran a query: {load.counts}"
    assert stats.generation >= ROTATIONS
    assert len(load.users) >= ROTATIONS, f"the queries ran as {len(load.users)} users only"
    assert stats.revoked_drained >= ROTATIONS, (
        f"revoked once drained: {stats.revoked_drained}, at the deadline: {stats.revoked_at_deadline}"
    )
    assert stats.revoked_at_deadline == 0, "an old lease had to be revoked with connections still open"
    assert stats.revoke_failures == 0
    assert stats.refused_stale >= 0 and stats.opened >= ROTATIONS and stats.retired >= ROTATIONS
    old = {u: p for u, p in load.credentials.items() if u != current_user}
    assert len(old) >= ROTATIONS - 1
    deadline = time.monotonic() + 10
    for username, password in old.items():
        while _can_log_in(postgres, username, password):
            assert time.monotonic() < deadline, "an old credential still logs in after draining"
            time.sleep(0.2)


def test_sqlalchemy_engine_rotates_under_load(
    manager: ironsecrets.LeaseManager, postgres: Dict[str, Any], database: Dict[str, Any]
) -> None:
    from ironsecrets.sqlalchemy import rotating_engine

    lease = manager.manage("py-pool-sqlalchemy", ironsecrets.CredentialRequest.database(database["mount"], database["role"]))
    url = f"postgresql+psycopg://{postgres['host']}:{postgres['port']}/{postgres['database']}"
    with rotating_engine(lease, url, pool_size=WORKERS, max_overflow=2, pool_timeout=10) as rotating:
        assert rotating.engine.url.password is None

        def query() -> str:
            with rotating.engine.connect() as conn:
                user = conn.exec_driver_sql("SELECT current_user").scalar()
            assert isinstance(user, str)
            return user

        load, stats = _run(query, lease, rotating.stats, database)
        current = query()
    assert rotating.closed
    _check(load, stats, postgres, current)


def test_psycopg_pool_rotates_under_load(
    manager: ironsecrets.LeaseManager, postgres: Dict[str, Any], database: Dict[str, Any]
) -> None:
    from ironsecrets.psycopg import rotating_pool

    lease = manager.manage("py-pool-psycopg", ironsecrets.CredentialRequest.database(database["mount"], database["role"]))
    conninfo = f"host={postgres['host']} port={postgres['port']} dbname={postgres['database']}"
    with rotating_pool(lease, conninfo, min_size=WORKERS, max_size=WORKERS + 2, timeout=10) as rotating:
        rotating.pool.wait(timeout=30)

        def query() -> str:
            with rotating.pool.connection() as conn:
                row = conn.execute("SELECT current_user").fetchone()
            assert row is not None
            user = row[0]
            assert isinstance(user, str)
            return user

        load, stats = _run(query, lease, rotating.stats, database)
        current = query()
    assert rotating.closed
    _check(load, stats, postgres, current)


def test_urls_with_credentials_are_refused(manager: ironsecrets.LeaseManager, database: Dict[str, Any]) -> None:
    from ironsecrets.psycopg import rotating_pool
    from ironsecrets.sqlalchemy import rotating_engine

    lease = manager.manage("py-pool-refused", ironsecrets.CredentialRequest.database(database["mount"], database["long_role"]))
    with pytest.raises(ValueError) as caught:
        rotating_engine(lease, "postgresql+psycopg://app:pw-canary@127.0.0.1/db")
    assert "pw-canary" not in str(caught.value)
    with pytest.raises(ValueError) as caught:
        rotating_pool(lease, "host=127.0.0.1 user=app password=pw-canary", open=False)
    assert "pw-canary" not in str(caught.value)
