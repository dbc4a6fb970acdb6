"""LeaseManager, ManagedLease and Generations on OpenBao's short database role (default
ttl 6 s, max ttl 12 s: the manager replaces the credential about every 10 s)."""

from __future__ import annotations

import asyncio
import datetime
import threading
import time
from typing import Any, Dict, Iterator, List, Optional

import pytest

import ironsecrets

pytestmark = pytest.mark.services


@pytest.fixture
def client(openbao: Dict[str, Any]) -> ironsecrets.Client:
    return ironsecrets.Client.open("vault", address=openbao["address"], token=openbao["token"])


@pytest.fixture
def manager(client: ironsecrets.Client) -> Iterator[ironsecrets.LeaseManager]:
    manager = ironsecrets.LeaseManager(client, revoke_old_after=600, backoff_initial=0.2)
    yield manager
    manager.shutdown(revoke=True)


@pytest.fixture
def short_request(database: Dict[str, Any]) -> ironsecrets.CredentialRequest:
    """The short role: the manager replaces its credential on its own."""
    return ironsecrets.CredentialRequest.database(database["mount"], database["role"])


@pytest.fixture
def long_request(database: Dict[str, Any]) -> ironsecrets.CredentialRequest:
    """The 1 h role: its credential changes only when a test rotates it."""
    return ironsecrets.CredentialRequest.database(database["mount"], database["long_role"])


def _username(credential: ironsecrets.LeasedCredential) -> str:
    return credential.data["username"].reveal_str()


def _can_log_in(postgres: Dict[str, Any], credential: ironsecrets.LeasedCredential) -> bool:
    import psycopg
    try:
        with psycopg.connect(
            host=postgres["host"],
            port=postgres["port"],
            dbname=postgres["database"],
            user=credential.data["username"].reveal_str(),
            password=credential.data["password"].reveal_str(),
            connect_timeout=5,
        ) as conn:
            conn.execute("SELECT 1")
        return True
    except psycopg.OperationalError:
        return False


def _wait_until_refused(postgres: Dict[str, Any], credential: ironsecrets.LeasedCredential, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while _can_log_in(postgres, credential):
        assert time.monotonic() < deadline, "the old credential still logs in"
        time.sleep(0.2)


def test_changed_returns_the_next_credential(
    manager: ironsecrets.LeaseManager, short_request: ironsecrets.CredentialRequest, database: Dict[str, Any]
) -> None:
    lease = manager.manage("py-changed", short_request)
    assert lease.name == "py-changed"
    first = lease.current()
    assert lease.lease().id == first.lease.id
    assert first.lease.ttl <= datetime.timedelta(seconds=database["ttl"] + 1)
    started = time.monotonic()
    nxt = lease.changed(timeout=30)
    assert nxt is not None, "no new credential within 30 s"
    assert time.monotonic() - started < float(database["max_ttl"]) + 5
    assert _username(nxt) != _username(first)
    assert nxt.lease.id != first.lease.id
    assert _username(lease.current()) == _username(nxt)


def test_changed_times_out_with_none(
    manager: ironsecrets.LeaseManager, database: Dict[str, Any]
) -> None:
    lease = manager.manage(
        "py-long", ironsecrets.CredentialRequest.database(database["mount"], database["long_role"])
    )
    started = time.monotonic()
    assert lease.changed(timeout=0.3) is None
    assert 0.2 < time.monotonic() - started < 3


def test_events_yield_rotated(
    manager: ironsecrets.LeaseManager, short_request: ironsecrets.CredentialRequest
) -> None:
    lease = manager.manage("py-events", short_request)
    events = lease.events()
    all_events = manager.events()
    first = lease.current()
    seen: List[str] = []
    rotated: Optional[ironsecrets.LeaseEvent] = None
    deadline = time.monotonic() + 30
    while rotated is None and time.monotonic() < deadline:
        event = events.next(timeout=deadline - time.monotonic())
        if event is None:
            break
        seen.append(event.kind)
        assert event.name == "py-events"
        if event.kind == "rotated":
            rotated = event
    assert rotated is not None, f"no rotated event within 30 s (saw {seen})"
    assert rotated.lease is not None
    assert rotated.lease.id != first.lease.id
    # The manager-wide stream saw it too.
    kinds: List[str] = []
    while True:
        event = all_events.next(timeout=0.5)
        if event is None:
            break
        kinds.append(event.kind)
        if event.kind == "rotated" and event.name == "py-events":
            break
    assert "rotated" in kinds


def test_events_iterate_and_end_when_stopped(
    manager: ironsecrets.LeaseManager, short_request: ironsecrets.CredentialRequest
) -> None:
    lease = manager.manage("py-iter", short_request)
    events = lease.events()
    kinds: List[str] = []

    def collect() -> None:
        for event in events:
            kinds.append(event.kind)

    reader = threading.Thread(target=collect, daemon=True)
    reader.start()
    lease.rotate()  # asks for a new credential; it comes in the background
    assert lease.changed(timeout=10) is not None
    time.sleep(0.5)
    lease.stop(revoke=True)
    reader.join(10)
    assert not reader.is_alive(), "the events iterator did not end when the lease stopped"
    assert "rotated" in kinds
    assert lease.changed(timeout=1) is None


def test_rotate_now_and_stop_revokes(
    manager: ironsecrets.LeaseManager,
    long_request: ironsecrets.CredentialRequest,
    postgres: Dict[str, Any],
) -> None:
    lease = manager.manage("py-rotate", long_request)
    first = lease.current()
    assert _can_log_in(postgres, first)
    lease.rotate()  # asks for a new credential; it comes in the background
    second = lease.changed(timeout=10)
    assert second is not None
    assert _username(lease.current()) == _username(second)
    assert _username(second) != _username(first)
    assert _can_log_in(postgres, second)
    lease.stop(revoke=True)
    _wait_until_refused(postgres, second)


def test_changed_async(manager: ironsecrets.LeaseManager, short_request: ironsecrets.CredentialRequest) -> None:
    lease = manager.manage("py-async", short_request)
    first = lease.current()

    async def main() -> ironsecrets.LeasedCredential:
        waiting = asyncio.ensure_future(lease.changed_async())
        await asyncio.sleep(0.1)
        assert not waiting.done()
        await asyncio.get_running_loop().run_in_executor(None, lease.rotate)
        credential = await asyncio.wait_for(waiting, 15)
        assert credential is not None
        return credential

    credential = asyncio.run(main())
    assert _username(credential) != _username(first)


def test_manage_async_with_an_async_client(openbao: Dict[str, Any], database: Dict[str, Any]) -> None:
    async def main() -> None:
        client = await ironsecrets.AsyncClient.open("vault", address=openbao["address"], token=openbao["token"])
        manager = ironsecrets.LeaseManager(client, revoke_old_after=600)
        try:
            lease = await manager.manage_async(
                "py-async-manager", ironsecrets.CredentialRequest.database(database["mount"], database["long_role"])
            )
            assert lease.current().data["username"].reveal_str()
        finally:
            manager.shutdown()

    asyncio.run(main())


def test_generations_follow_rotations_and_revoke_drained_leases(
    manager: ironsecrets.LeaseManager,
    long_request: ironsecrets.CredentialRequest,
    postgres: Dict[str, Any],
) -> None:
    lease = manager.manage("py-generations", long_request)
    generations = ironsecrets.Generations(lease, revoke_margin=0.5)
    try:
        g0 = generations.current()
        assert g0.number == 0
        old_credential = g0.credential
        ticket = generations.open(g0.number)
        assert ticket.generation == 0
        assert not ticket.is_stale()
        assert not generations.draining()

        lease.rotate()
        g1 = generations.changed(g0.number, timeout=10)
        assert g1 is not None and g1.number == 1
        assert _username(g1.credential) != _username(old_credential)
        assert ticket.is_stale()
        assert generations.draining()
        with pytest.raises(ironsecrets.ConflictError):
            generations.open(g0.number)
        # The old credential still works while a connection of it is open.
        assert _can_log_in(postgres, old_credential)

        fresh = generations.open(g1.number)
        assert not fresh.is_stale()
        ticket.close()
        ticket.close()  # closing twice is harmless
        drained = generations.drained(timeout=10)
        assert drained is not None, "no Drained report after the last old ticket closed"
        assert drained.generation == 0
        assert drained.revoked
        assert not drained.at_deadline
        _wait_until_refused(postgres, old_credential)

        stats = generations.stats()
        assert stats.generation == 1
        assert stats.opened >= 2
        assert stats.retired >= 1
        assert stats.refused_stale >= 1
        assert stats.revoked_drained >= 1
        assert stats.revoked_at_deadline == 0
        assert stats.revoke_failures == 0
        assert stats.draining == 0
        fresh.close()
        assert generations.changed(g1.number, timeout=0.2) is None
    finally:
        generations.close()


def test_generations_changed_async(
    manager: ironsecrets.LeaseManager, long_request: ironsecrets.CredentialRequest
) -> None:
    lease = manager.manage("py-generations-async", long_request)
    generations = ironsecrets.Generations(lease)
    try:

        async def main() -> Optional[ironsecrets.Generation]:
            waiting = asyncio.ensure_future(generations.changed_async(0))
            await asyncio.get_running_loop().run_in_executor(None, lease.rotate)
            return await asyncio.wait_for(waiting, 15)

        generation = asyncio.run(main())
        assert generation is not None and generation.number >= 1
    finally:
        generations.close()
