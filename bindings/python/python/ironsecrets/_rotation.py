"""What the SQLAlchemy and psycopg pool adapters share: a ticket per connection, logging
in with the newest credential, and the thread that follows rotations.

Private: use :mod:`ironsecrets.sqlalchemy` or :mod:`ironsecrets.psycopg`.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from typing import Any, Callable, Dict, List, Optional, Tuple, TypeVar

from ._native import ConflictError, Error, Generations, SecretValue, Ticket

__all__: List[str] = []

log = logging.getLogger("ironsecrets.rotation")

C = TypeVar("C")


class Tracked:
    """The ticket of one open connection, closed exactly once."""

    __slots__ = ("generation", "in_use", "_ticket", "_closed", "_lock", "_finalizer")

    def __init__(self, ticket: Ticket) -> None:
        self.generation: int = ticket.generation
        #: Whether the pool has handed the connection out (kept by the SQLAlchemy adapter).
        self.in_use: bool = False
        self._ticket = ticket
        self._closed = False
        self._lock = threading.Lock()
        self._finalizer: Optional[weakref.finalize[Any, Any]] = None

    @property
    def closed(self) -> bool:
        """Whether the ticket was closed."""
        return self._closed

    def is_stale(self) -> bool:
        """Whether the connection must not be used any more: its credential was replaced,
        or it was closed."""
        if self._closed:
            return True
        try:
            return self._ticket.is_stale()
        except Error:
            # A ticket that cannot answer (made before os.fork()): treat as stale.
            return True

    def close(self) -> None:
        """Closes the ticket (the first call only)."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            finalizer, self._finalizer = self._finalizer, None
        if finalizer is not None:
            finalizer.detach()
        try:
            self._ticket.close()
        except Error as e:  # pragma: no cover - only after os.fork()
            log.debug("closing a ticket of generation %d failed: %s", self.generation, e.kind)


class Rotation:
    """The connections of one pool, by identity, with their tickets."""

    def __init__(self, generations: Generations) -> None:
        self.generations = generations
        self._lock = threading.Lock()
        self._tracked: Dict[int, Tracked] = {}

    # -- logging in -------------------------------------------------------------------

    def connect(
        self,
        connect: Callable[[str, SecretValue], C],
        close: Callable[[C], None],
        attempts: int = 5,
    ) -> Tuple[C, Tracked]:
        """Connects with the newest credential (``connect(username, password)``; reveal
        the password only inside the driver call, so no frame keeps it in a local) and
        takes a ticket for it. A login that raced a rotation (refused, or accepted with
        the credential just replaced) is tried again with the new credential."""
        last: Optional[BaseException] = None
        for _ in range(max(attempts, 1)):
            generation = self.generations.current()
            fields = generation.credential.data
            try:
                conn = connect(fields["username"].reveal_str(), fields["password"])
            except Exception as e:
                if self.generations.current().number != generation.number:
                    # The credential rotated meanwhile (the old one may be revoked):
                    # log in with the new one.
                    log.debug("login with generation %d failed after a rotation; retrying", generation.number)
                    last = e
                    continue
                raise
            try:
                ticket = self.generations.open(generation.number)
            except ConflictError as e:
                log.debug("generation %d rotated during login; logging in again", generation.number)
                _close_quietly(close, conn)
                last = e
                continue
            except BaseException:
                _close_quietly(close, conn)
                raise
            return conn, self.track(conn, ticket)
        assert last is not None
        raise last

    # -- tickets by connection --------------------------------------------------------

    def track(self, conn: object, ticket: Ticket) -> Tracked:
        """Remembers ``conn``'s ticket; it is closed by :meth:`release` or, should the
        connection be dropped without a close, when it is garbage collected."""
        tracked = Tracked(ticket)
        key = id(conn)
        with self._lock:
            previous = self._tracked.get(key)
            self._tracked[key] = tracked
        if previous is not None:  # pragma: no cover - an id reused without a release
            previous.close()
        try:
            tracked._finalizer = weakref.finalize(conn, self._collected, key, tracked)
        except TypeError:  # pragma: no cover - a driver connection without weak references
            pass
        log.debug("connection opened with generation %d", tracked.generation)
        return tracked

    def tracked(self, conn: object) -> Optional[Tracked]:
        """``conn``'s ticket, if it is one of ours and open."""
        with self._lock:
            return self._tracked.get(id(conn))

    def is_stale(self, conn: object) -> bool:
        """Whether ``conn`` was opened with a replaced credential (or closed)."""
        tracked = self.tracked(conn)
        return tracked is not None and tracked.is_stale()

    def release(self, conn: object) -> None:
        """Closes ``conn``'s ticket (the connection is closing)."""
        with self._lock:
            tracked = self._tracked.pop(id(conn), None)
        if tracked is not None:
            tracked.close()
            log.debug("connection of generation %d closed", tracked.generation)

    def all_tracked(self) -> List[Tracked]:
        """Every open connection's ticket."""
        with self._lock:
            return list(self._tracked.values())

    def _collected(self, key: int, tracked: Tracked) -> None:
        with self._lock:
            if self._tracked.get(key) is tracked:
                del self._tracked[key]
        tracked.close()


def _close_quietly(close: Callable[[C], None], conn: C) -> None:
    try:
        close(conn)
    except Exception:  # pragma: no cover - best effort
        log.debug("closing a connection after a refused login failed", exc_info=True)


class Watcher:
    """A daemon thread that follows :meth:`Generations.changed` and calls ``sweep`` after
    each rotation, then every ``interval`` while old connections remain (draining)."""

    def __init__(self, generations: Generations, sweep: Callable[[], None], interval: float, name: str) -> None:
        self._generations = generations
        self._sweep = sweep
        self._interval = max(float(interval), 0.05)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        """Starts the thread."""
        self._thread.start()

    @property
    def stopped(self) -> bool:
        """Whether :meth:`stop` was called."""
        return self._stop.is_set()

    def stop(self) -> None:
        """Stops the thread and waits for it (at most about one interval)."""
        self._stop.set()
        if self._thread.is_alive() and self._thread is not threading.current_thread():
            self._thread.join(self._interval + 5.0)

    def _run(self) -> None:
        try:
            after = self._generations.current().number
        except Error as e:
            log.warning("rotation watcher cannot start: %s", e.kind)
            return
        while not self._stop.is_set():
            started = time.monotonic()
            try:
                generation = self._generations.changed(after, self._interval)
                draining = self._generations.draining()
            except Error as e:
                log.debug("rotation watcher: %s", e.kind)
                self._stop.wait(self._interval)
                continue
            if self._stop.is_set():
                break
            if generation is not None:
                after = generation.number
                log.debug("credential rotated to generation %d; closing idle old connections", after)
                self._sweep_safely()
            else:
                if time.monotonic() - started < self._interval / 2:
                    # No new generation will come (the lease was stopped): don't spin.
                    self._stop.wait(self._interval)
                if draining and not self._stop.is_set():
                    self._sweep_safely()

    def _sweep_safely(self) -> None:
        try:
            self._sweep()
        except Exception as e:
            log.warning("closing idle connections of an old credential failed: %s", type(e).__name__)
