"""SQLAlchemy engines whose connections follow a rotating database credential.

>>> import ironsecrets
>>> from ironsecrets.sqlalchemy import rotating_engine
>>> client = ironsecrets.Client.open("vault", address="https://vault:8200")  # doctest: +SKIP
>>> manager = ironsecrets.LeaseManager(client, revoke_old_after=600)  # doctest: +SKIP
>>> lease = manager.manage("orders-db", ironsecrets.CredentialRequest.database("database", "app"))  # doctest: +SKIP
>>> with rotating_engine(lease, "postgresql+psycopg://db:5432/orders") as rotating:  # doctest: +SKIP
...     with rotating.engine.connect() as conn:
...         conn.exec_driver_sql("SELECT current_user").scalar()

Each new DBAPI connection logs in with the lease's newest credential and gets a
:class:`~ironsecrets.Ticket` from an :class:`~ironsecrets.Generations`. When the
credential rotates, connections of the old one are retired between uses, never during a
query: one being checked out is replaced (SQLAlchemy retries the checkout with a fresh
connection), one checked in is closed, and a background thread closes idle ones right
after the rotation. Once the old credential's last connection is closed,
:class:`~ironsecrets.Generations` revokes its lease.

Give the :class:`~ironsecrets.LeaseManager` a long ``revoke_old_after`` (e.g. 600 s), so
the pool, not the manager, decides when an old lease is revoked.

Needs the ``sqlalchemy`` extra (``pip install ironsecrets[sqlalchemy]``).
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Type, Union

from sqlalchemy import create_engine, event, exc
from sqlalchemy.engine import URL, Dialect, Engine, make_url
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from ._native import Generations, ManagedLease, RotationStats, SecretValue
from ._rotation import Rotation, Watcher

if TYPE_CHECKING:
    from ._native import DurationLike

__all__ = ["RotatingEngine", "rotating_engine"]

log = logging.getLogger(__name__)


class RotatingEngine:
    """A SQLAlchemy :class:`~sqlalchemy.engine.Engine` whose connections follow a
    :class:`~ironsecrets.ManagedLease`'s credential, and what keeps it so.

    Made by :func:`rotating_engine`. Use :attr:`engine` as any engine; :meth:`close` (or
    leaving the ``with`` block) disposes of it and stops following the lease (the lease
    itself stays managed: stop it, or shut its manager down, yourself).
    """

    def __init__(
        self,
        lease: ManagedLease,
        url: Union[str, URL],
        *,
        revoke_margin: DurationLike = 0.5,
        unleased_drain: DurationLike = 60.0,
        sweep_interval: float = 0.5,
        username_param: str = "user",
        password_param: str = "password",
        **engine_kwargs: Any,
    ) -> None:
        """See :func:`rotating_engine`."""
        parsed = make_url(url)
        if parsed.username is not None or parsed.password is not None:
            raise ValueError(
                "the database URL must not carry a user name or password: they come from the lease"
            )
        if "creator" in engine_kwargs:
            raise TypeError("rotating_engine makes its own connections; 'creator' cannot be given")
        self._username_param = username_param
        self._password_param = password_param
        self._closed = False
        self._close_lock = threading.Lock()
        #: Which credential each connection was opened with, and when an old
        #: credential's lease may be revoked.
        self.generations: Generations = Generations(
            lease, revoke_margin=revoke_margin, unleased_drain=unleased_drain
        )
        self._rotation = Rotation(self.generations)
        #: The engine: use it as any SQLAlchemy engine.
        self.engine: Engine = create_engine(parsed, **engine_kwargs)
        event.listen(self.engine, "do_connect", self._do_connect)
        pool = self.engine.pool
        event.listen(pool, "checkout", self._on_checkout)
        event.listen(pool, "checkin", self._on_checkin)
        event.listen(pool, "close", self._on_close)
        event.listen(pool, "close_detached", self._on_close_detached)
        self._watcher = Watcher(self.generations, self.sweep, sweep_interval, "ironsecrets-sqlalchemy-rotation")
        self._watcher.start()

    # -- the engine's hooks -----------------------------------------------------------

    def _do_connect(
        self,
        dialect: Dialect,
        conn_rec: ConnectionPoolEntry,
        cargs: List[Any],
        cparams: Dict[str, Any],
    ) -> DBAPIConnection:
        def connect(username: str, password: SecretValue) -> DBAPIConnection:
            params = dict(cparams)
            params[self._username_param] = username
            params[self._password_param] = password.reveal_str()
            try:
                return dialect.connect(*cargs, **params)
            finally:
                params.clear()

        conn, _ = self._rotation.connect(connect, lambda c: c.close())
        return conn

    def _on_checkout(
        self,
        dbapi_connection: DBAPIConnection,
        connection_record: ConnectionPoolEntry,
        connection_proxy: PoolProxiedConnection,
    ) -> None:
        tracked = self._rotation.tracked(dbapi_connection)
        if tracked is None:
            return
        if tracked.is_stale():
            # SQLAlchemy invalidates this connection and checks out a fresh one.
            raise exc.DisconnectionError("the credential this connection logged in with was rotated")
        tracked.in_use = True

    def _on_checkin(self, dbapi_connection: Optional[DBAPIConnection], connection_record: ConnectionPoolEntry) -> None:
        if dbapi_connection is None:
            return
        tracked = self._rotation.tracked(dbapi_connection)
        if tracked is None:
            return
        tracked.in_use = False
        if tracked.is_stale():
            # Back from its last use: close it now, so the old lease can drain. The
            # pool entry reconnects (with the newest credential) on its next checkout.
            connection_record.invalidate()

    def _on_close(self, dbapi_connection: DBAPIConnection, connection_record: ConnectionPoolEntry) -> None:
        self._rotation.release(dbapi_connection)

    def _on_close_detached(self, dbapi_connection: DBAPIConnection) -> None:
        self._rotation.release(dbapi_connection)

    # -- the public surface -----------------------------------------------------------

    def sweep(self) -> None:
        """Closes the idle connections of a replaced credential now (the background
        thread does this after every rotation). Idle connections are checked out and
        in once: SQLAlchemy replaces a stale one on checkout, with the newest credential;
        connections in use are left alone and retired when they come back."""
        if self._closed:
            return
        if not any(t.is_stale() and not t.in_use for t in self._rotation.all_tracked()):
            return
        pool = self.engine.pool
        checkedin = getattr(pool, "checkedin", None)
        if checkedin is None:
            return
        held: List[PoolProxiedConnection] = []
        try:
            for _ in range(int(checkedin())):
                if self._closed or int(checkedin()) == 0:
                    break
                held.append(pool.connect())
        finally:
            for conn in held:
                conn.close()

    def stats(self) -> RotationStats:
        """What the generations have done so far: rotations seen, connections opened
        and retired, old leases revoked once drained or at their deadline."""
        return self.generations.stats()

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._closed

    def close(self) -> None:
        """Stops following rotations, disposes of the engine's pool (closing its idle
        connections) and closes the generations. Idempotent."""
        with self._close_lock:
            if self._closed:
                return
            self._closed = True
        self._watcher.stop()
        try:
            self.engine.dispose()
        finally:
            self.generations.close()

    def __enter__(self) -> RotatingEngine:
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
        return f"<RotatingEngine {self.engine.url!r} ({state})>"


def rotating_engine(
    lease: ManagedLease,
    url: Union[str, URL],
    *,
    revoke_margin: DurationLike = 0.5,
    unleased_drain: DurationLike = 60.0,
    sweep_interval: float = 0.5,
    username_param: str = "user",
    password_param: str = "password",
    **engine_kwargs: Any,
) -> RotatingEngine:
    """A SQLAlchemy engine whose connections log in with ``lease``'s newest credential
    (its ``username`` and ``password`` fields) and move to each new one between uses.

    ``url`` is a SQLAlchemy URL without user name or password (e.g.
    ``postgresql+psycopg://127.0.0.1:5432/app``); ``engine_kwargs`` go to
    :func:`sqlalchemy.create_engine` (``pool_size``, ``max_overflow``, ...; not
    ``creator``). ``revoke_margin`` and ``unleased_drain`` configure the
    :class:`~ironsecrets.Generations`; ``sweep_interval`` is how often, while old
    connections remain, the background thread looks for idle ones to close.
    ``username_param`` / ``password_param`` are the DBAPI ``connect()`` keyword names
    (``user`` / ``password`` for psycopg, psycopg2, pg8000, asyncpg and PyMySQL).
    """
    return RotatingEngine(
        lease,
        url,
        revoke_margin=revoke_margin,
        unleased_drain=unleased_drain,
        sweep_interval=sweep_interval,
        username_param=username_param,
        password_param=password_param,
        **engine_kwargs,
    )
