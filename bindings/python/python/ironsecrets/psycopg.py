"""A psycopg connection pool whose connections follow a rotating database credential.

>>> import ironsecrets
>>> from ironsecrets.psycopg import rotating_pool
>>> client = ironsecrets.Client.open("vault", address="https://vault:8200")  # doctest: +SKIP
>>> manager = ironsecrets.LeaseManager(client, revoke_old_after=600)  # doctest: +SKIP
>>> lease = manager.manage("orders-db", ironsecrets.CredentialRequest.database("database", "app"))  # doctest: +SKIP
>>> with rotating_pool(lease, "host=db port=5432 dbname=orders", min_size=2) as rotating:  # doctest: +SKIP
...     with rotating.pool.connection() as conn:
...         conn.execute("SELECT current_user").fetchone()

The pool is a :class:`psycopg_pool.ConnectionPool` whose connections log in with the
lease's newest credential, each holding a :class:`~ironsecrets.Ticket` from an
:class:`~ironsecrets.Generations`. When the credential rotates, connections of the old one
are retired between uses, never during a query: the pool does not hand one out (it
replaces it and tries the next), closes one when it is returned, and a background thread
closes idle ones right after the rotation (the pool opens replacements with the new
credential). Once the old credential's last connection is closed,
:class:`~ironsecrets.Generations` revokes its lease.

Give the :class:`~ironsecrets.LeaseManager` a long ``revoke_old_after`` (e.g. 600 s), so
the pool, not the manager, decides when an old lease is revoked.

Works with psycopg_pool 3.2 and 3.3. Needs the ``psycopg`` extra (``pip install
ironsecrets[psycopg]``).
"""

from __future__ import annotations

import logging
import threading
from time import monotonic
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Dict, Optional, Type, cast

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool
from psycopg_pool.pool import AddConnection

from ._native import Generations, ManagedLease, RotationStats, SecretValue
from ._rotation import Rotation, Watcher

if TYPE_CHECKING:
    from typing_extensions import Self

    from ._native import DurationLike

__all__ = ["RotatingConnection", "RotatingPool", "rotating_pool"]

log = logging.getLogger(__name__)

#: Connection options that come from the lease and may not be given.
_CREDENTIAL_OPTIONS = ("user", "password")


class RotatingConnection(psycopg.Connection[TupleRow]):
    """A psycopg connection that logs in with the newest credential of its pool's lease
    and gives its ticket back when it closes.

    :func:`rotating_pool` makes one subclass per pool (bound to that pool's
    :class:`~ironsecrets.Generations`), on top of the ``connection_class`` given, so it is
    not used directly.
    """

    _ironsecrets_rotation: ClassVar[Optional[Rotation]] = None

    @classmethod
    def connect(cls, conninfo: str = "", **kwargs: Any) -> Self:
        """Connects with the newest credential and takes a ticket for it."""
        rotation = cls._ironsecrets_rotation
        if rotation is None:
            raise TypeError("RotatingConnection is made by ironsecrets.psycopg.rotating_pool, not used directly")
        parent: Any = super()

        def connect(username: str, password: SecretValue) -> RotatingConnection:
            params: Dict[str, Any] = dict(kwargs)
            params["user"] = username
            params["password"] = password.reveal_str()
            try:
                conn: RotatingConnection = parent.connect(conninfo, **params)
                return conn
            finally:
                params.clear()

        conn, _ = rotation.connect(connect, lambda c: c.close())
        return cast("Self", conn)

    def close(self) -> None:
        """Closes the connection and its ticket."""
        try:
            super().close()
        finally:
            rotation = type(self)._ironsecrets_rotation
            if rotation is not None:
                rotation.release(self)


class _RotatingConnectionPool(ConnectionPool[RotatingConnection]):
    """A :class:`psycopg_pool.ConnectionPool` that never hands out, nor takes back, a
    connection of a replaced credential."""

    def __init__(self, conninfo: str, rotation: Rotation, **kwargs: Any) -> None:
        self._ironsecrets_rotation = rotation
        super().__init__(conninfo, **kwargs)

    def getconn(self, timeout: Optional[float] = None) -> RotatingConnection:
        """A connection of the current credential: stale ones met on the way are closed
        and replaced."""
        deadline = monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            conn = super().getconn(deadline - monotonic())
            if not self._ironsecrets_rotation.is_stale(conn):
                return conn
            log.debug("not handing out a connection of a replaced credential")
            self._discard(conn)

    def putconn(self, conn: RotatingConnection) -> None:
        """Returns a connection; one of a replaced credential is closed (and replaced)."""
        if (
            getattr(conn, "_pool", None) is self
            and not self.closed
            and self._ironsecrets_rotation.is_stale(conn)
        ):
            log.debug("closing a returned connection of a replaced credential")
            self._discard(conn)
            return
        super().putconn(conn)

    def _discard(self, conn: RotatingConnection) -> None:
        """Closes a connection the pool handed out and lets the pool replace it (as it
        does for a connection found broken)."""
        try:
            conn.close()
        finally:
            self._putconn(conn, from_getconn=True)

    def sweep(self) -> None:
        """Closes the idle connections of a replaced credential; the pool opens new ones."""
        rotation = self._ironsecrets_rotation
        with self._lock:
            stale = [conn for conn in self._pool if rotation.is_stale(conn)]
            for conn in stale:
                self._pool.remove(conn)
        for conn in stale:
            self._close_connection(conn)
            if not self.closed:
                self.run_task(AddConnection(self))
        if stale:
            log.debug("closed %d idle connections of a replaced credential", len(stale))


class RotatingPool:
    """A :class:`psycopg_pool.ConnectionPool` whose connections follow a
    :class:`~ironsecrets.ManagedLease`'s credential, and what keeps it so.

    Made by :func:`rotating_pool`. Use :attr:`pool` as any pool (``pool.connection()``);
    :meth:`close` (or leaving the ``with`` block) closes it and stops following the
    lease (the lease itself stays managed: stop it, or shut its manager down, yourself).
    """

    def __init__(
        self,
        lease: ManagedLease,
        conninfo: str = "",
        *,
        connection_class: Optional[Type[psycopg.Connection[Any]]] = None,
        revoke_margin: DurationLike = 0.5,
        unleased_drain: DurationLike = 60.0,
        sweep_interval: float = 0.5,
        **pool_kwargs: Any,
    ) -> None:
        """See :func:`rotating_pool`."""
        given = conninfo_to_dict(conninfo) if conninfo else {}
        extra = pool_kwargs.get("kwargs") or {}
        if callable(extra):
            raise TypeError("rotating_pool sets the credential itself; 'kwargs' must be a dict")
        for name in _CREDENTIAL_OPTIONS:
            if name in given or name in extra:
                raise ValueError(f"the connection option '{name}' comes from the lease and must not be given")
        base = connection_class if connection_class is not None else psycopg.Connection
        if not issubclass(base, psycopg.Connection):
            raise TypeError("connection_class must be a subclass of psycopg.Connection")
        self._closed = False
        self._close_lock = threading.Lock()
        #: Which credential each connection was opened with, and when an old
        #: credential's lease may be revoked.
        self.generations: Generations = Generations(
            lease, revoke_margin=revoke_margin, unleased_drain=unleased_drain
        )
        rotation = Rotation(self.generations)
        bases = (RotatingConnection,) if base is psycopg.Connection else (RotatingConnection, base)
        connection_type = cast(
            Type[RotatingConnection],
            type("RotatingConnection", bases, {"_ironsecrets_rotation": rotation, "__module__": __name__}),
        )
        self._rotation = rotation
        pool_kwargs.setdefault("open", True)
        #: The pool: use it as any psycopg_pool.ConnectionPool.
        self.pool: ConnectionPool[RotatingConnection] = _RotatingConnectionPool(
            conninfo, rotation, connection_class=connection_type, **pool_kwargs
        )
        self._watcher = Watcher(self.generations, self.sweep, sweep_interval, "ironsecrets-psycopg-rotation")
        self._watcher.start()

    def sweep(self) -> None:
        """Closes the idle connections of a replaced credential now (the background
        thread does this after every rotation); the pool opens new ones."""
        if self._closed or self.pool.closed:
            return
        pool = self.pool
        assert isinstance(pool, _RotatingConnectionPool)
        pool.sweep()

    def stats(self) -> RotationStats:
        """What the generations have done so far: rotations seen, connections opened
        and retired, old leases revoked once drained or at their deadline."""
        return self.generations.stats()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def close(self, timeout: float = 5.0) -> None:
        """Stops following rotations, closes the pool (waiting up to ``timeout`` for its
        workers) and closes the generations. Idempotent."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._watcher.stop()
        try:
            self.pool.close(timeout)
        finally:
            self.generations.close()

    def __enter__(self) -> RotatingPool:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"generation {self.generations.current().number}"
        return f"<RotatingPool {self.pool.name!r} ({state})>"


def rotating_pool(
    lease: ManagedLease,
    conninfo: str = "",
    *,
    connection_class: Optional[Type[psycopg.Connection[Any]]] = None,
    revoke_margin: DurationLike = 0.5,
    unleased_drain: DurationLike = 60.0,
    sweep_interval: float = 0.5,
    **pool_kwargs: Any,
) -> RotatingPool:
    """A psycopg_pool connection pool whose connections log in with ``lease``'s newest
    credential (its ``username`` and ``password`` fields) and move to each new one
    between uses.

    ``conninfo`` is a libpq connection string without ``user`` or ``password`` (e.g.
    ``"host=127.0.0.1 port=5432 dbname=app"``); ``pool_kwargs`` go to
    :class:`psycopg_pool.ConnectionPool` (``min_size``, ``max_size``, ``kwargs``,
    ``configure``, ``reset``, ``check``, ``open``, ...), ``connection_class`` is the
    psycopg connection class to build on. ``revoke_margin`` and ``unleased_drain``
    configure the :class:`~ironsecrets.Generations`; ``sweep_interval`` is how often,
    while old connections remain, the background thread looks for idle ones to close.
    """
    return RotatingPool(
        lease,
        conninfo,
        connection_class=connection_class,
        revoke_margin=revoke_margin,
        unleased_drain=unleased_drain,
        sweep_interval=sweep_interval,
        **pool_kwargs,
    )
