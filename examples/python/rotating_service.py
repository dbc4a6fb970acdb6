"""A small web service whose database engine follows rotating credentials.

Its SQLAlchemy engine (``ironsecrets.sqlalchemy.rotating_engine``) logs in to PostgreSQL
with dynamic credentials from OpenBao / Vault's database engine; the lease manager
renews each credential and replaces it before its max ttl, and the engine moves to each
new one between queries, revoking the old lease once its connections are closed.
``GET /`` answers the database's ``current_user`` (the credential in use), ``GET /stats``
what the rotation did so far.

Run (with the ironsecrets wheel, sqlalchemy and psycopg installed)::

    VAULT_TOKEN=... python examples/python/rotating_service.py \\
        --vault-addr http://127.0.0.1:8200 --db-mount database --db-role app \\
        --pg-host 127.0.0.1 --pg-port 5432 --pg-database postgres

Every option also reads an environment variable (shown by ``--help``); the token is
best given as ``VAULT_TOKEN``, since command lines are visible to other users. The
service prints ``listening on http://HOST:PORT`` once it serves, and stops on SIGTERM or
Ctrl-C (revoking its lease).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Optional, Sequence

import ironsecrets
from ironsecrets.sqlalchemy import RotatingEngine, rotating_engine

log = logging.getLogger("rotating_service")


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--vault-addr", default=env("VAULT_ADDR", "http://127.0.0.1:8200"), help="env VAULT_ADDR")
    parser.add_argument("--vault-token", default=env("VAULT_TOKEN"), help="env VAULT_TOKEN (preferred)")
    parser.add_argument("--db-mount", default=env("DB_MOUNT", "database"), help="env DB_MOUNT")
    parser.add_argument("--db-role", default=env("DB_ROLE", "app"), help="env DB_ROLE")
    parser.add_argument("--pg-host", default=env("PG_HOST", "127.0.0.1"), help="env PG_HOST")
    parser.add_argument("--pg-port", type=int, default=int(env("PG_PORT", "5432")), help="env PG_PORT")
    parser.add_argument("--pg-database", default=env("PG_DATABASE", "postgres"), help="env PG_DATABASE")
    parser.add_argument("--listen", default=env("LISTEN", "127.0.0.1:0"), help="HOST:PORT, env LISTEN (port 0: any)")
    parser.add_argument("--pool-size", type=int, default=int(env("POOL_SIZE", "4")), help="env POOL_SIZE")
    return parser.parse_args(argv)


class Handler(BaseHTTPRequestHandler):
    """``/``: the current database user; ``/stats``: the rotation stats."""

    server: "Service"
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        try:
            if self.path == "/":
                with self.server.rotating.engine.connect() as conn:
                    user = conn.exec_driver_sql("SELECT current_user").scalar()
                self._reply(200, {"user": user})
            elif self.path == "/stats":
                stats = self.server.rotating.stats()
                self._reply(
                    200,
                    {
                        "generation": stats.generation,
                        "opened": stats.opened,
                        "retired": stats.retired,
                        "revoked_drained": stats.revoked_drained,
                        "revoked_at_deadline": stats.revoked_at_deadline,
                        "draining": stats.draining,
                    },
                )
            else:
                self._reply(404, {"error": "not found"})
        except Exception as e:  # noqa: BLE001 - a failed request answers 500
            log.warning("request failed: %s", type(e).__name__)
            self._reply(500, {"error": type(e).__name__})

    def _reply(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base's name
        log.debug(format, *args)


class Service(ThreadingHTTPServer):
    """The HTTP server, holding the rotating engine."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], rotating: RotatingEngine) -> None:
        super().__init__(address, Handler)
        self.rotating = rotating


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    options: dict[str, ironsecrets.OptionValue] = {"address": args.vault_addr}
    if args.vault_token:
        options["token"] = args.vault_token
    client = ironsecrets.Client.open("vault", **options)
    # The engine, not the manager, revokes an old lease: once its connections are closed.
    manager = ironsecrets.LeaseManager(client, revoke_old_after=600)
    stop = threading.Event()
    try:
        lease = manager.manage("service-db", ironsecrets.CredentialRequest.database(args.db_mount, args.db_role))

        def on_events() -> None:
            for event in lease.events():
                if event.kind in ("rotated", "failed", "expired"):
                    log.info("lease %s: %s%s", event.name, event.kind, f" ({event.message})" if event.message else "")

        threading.Thread(target=on_events, name="lease-events", daemon=True).start()
        url = f"postgresql+psycopg://{args.pg_host}:{args.pg_port}/{args.pg_database}"
        with rotating_engine(lease, url, pool_size=args.pool_size, max_overflow=4, pool_timeout=10) as rotating:
            host, _, port = args.listen.rpartition(":")
            server = Service((host or "127.0.0.1", int(port)), rotating)
            serving = threading.Thread(target=server.serve_forever, name="http", daemon=True)
            serving.start()
            bound_host, bound_port = server.server_address[:2]
            print(f"listening on http://{bound_host}:{bound_port}", flush=True)

            def request_stop(signum: int, frame: object) -> None:
                stop.set()

            signal.signal(signal.SIGTERM, request_stop)
            signal.signal(signal.SIGINT, request_stop)
            while not stop.wait(0.5):
                pass
            log.info("stopping")
            server.shutdown()
            server.server_close()
            stats = rotating.stats()
            print(
                f"served on {stats.generation + 1} credentials; {stats.revoked_drained} old leases "
                f"revoked once drained, {stats.revoked_at_deadline} at their deadline",
                flush=True,
            )
    except ironsecrets.Error as e:
        print(f"rotating_service: {e.kind}: {e}", file=sys.stderr)
        return 1
    finally:
        manager.shutdown(revoke=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
