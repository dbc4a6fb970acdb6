# mypy: disallow-any-expr
"""Typical use of every public class, fully annotated: type-checked with
``mypy --strict`` against the package's stub (``_native.pyi``), so the stub stays usable.

Not a test module: ``test_typed_usage_runs.py`` runs its embedded-store part (sync and
async) so this is not dead code; the server parts are only type-checked.
"""

from __future__ import annotations

import asyncio
import datetime
from typing import TYPE_CHECKING, Dict, List, Mapping, Optional, Sequence

import ironsecrets

if TYPE_CHECKING:
    # The stub's aliases for what arguments may be; they exist for the type checker only.
    from ironsecrets._native import ValueLike
from ironsecrets import (
    AsyncClient,
    Client,
    CredentialRequest,
    DataKey,
    Drained,
    Generation,
    Generations,
    Health,
    KeyInfo,
    Lease,
    LeasedCredential,
    LeaseEvent,
    LeaseEvents,
    LeaseManager,
    ManagedLease,
    RotationEntry,
    RotationPolicy,
    RotationStats,
    Secret,
    SecretMap,
    SecretMetadata,
    SecretValue,
    SignedCertificate,
    Ticket,
    TokenInfo,
    TokenLease,
    VersionInfo,
)


def describe_error(err: ironsecrets.Error) -> str:
    """Everything an error says, without a secret."""
    kind: str = err.kind
    retryable: bool = err.retryable
    after: Optional[float] = err.retry_after
    backend: Optional[str] = err.backend
    operation: Optional[str] = err.operation
    path: Optional[str] = err.path
    return f"{kind} retryable={retryable} after={after} {backend} {operation} {path}"


def local_usage(store_file: str, master_key: str) -> List[str]:
    """The embedded store, sync: secrets, versions, metadata, rotation, transit."""
    report: List[str] = []
    client: Client = Client.from_uri(
        "local://" + store_file,
        master_key=master_key,
        create=True,
        kdf_memory_kib=1024,
        kdf_iterations=1,
        kdf_parallelism=1,
    )
    client = client.with_retry(max_attempts=3, initial_backoff=0.01, max_backoff=datetime.timedelta(seconds=1))
    cached: Client = client.with_cache(ttl=5.0, max_entries=100)
    name: str = client.name
    capabilities: Dict[str, object] = client.capabilities()
    report.append(f"{name}: {sorted(capabilities)}")

    policy: RotationPolicy = RotationPolicy.days(30, remind_before=7)
    other_policy: RotationPolicy = RotationPolicy(datetime.timedelta(days=90), remind_before=14 * 86400)
    period: datetime.timedelta = policy.period
    remind: datetime.timedelta = other_policy.remind_before
    report.append(f"policies {period} {remind} equal={policy == other_policy}")

    written: VersionInfo = client.put(
        "app/db/password", "hunter2", tags={"owner": "team-a"}, rotation=policy, max_versions=5
    )
    second: VersionInfo = client.put("app/db/password", b"hunter3", cas=written.version)
    state: str = second.state
    stages: List[str] = second.stages
    deleted_at: Optional[datetime.datetime] = second.deleted_at
    report.append(f"wrote {written.version} then {second.version} ({state}, {stages}, {deleted_at})")

    secret: Secret = client.get("app/db/password")
    value: SecretValue = secret.value
    raw: bytes = value.reveal()
    text: str = value.reveal_str()
    created: datetime.datetime = secret.created_at
    report.append(f"{secret.path} v{secret.version} at {created.isoformat()}: {len(value)} bytes {bool(raw and text)}")
    old: Secret = client.get_version("app/db/password", written.version)
    same: bool = old.value == SecretValue("hunter2")
    report.append(f"old version readable: {same} {old.value != SecretValue(b'hunter3')}")
    cached_secret: Secret = cached.get("app/db/password")
    report.append(f"cached read: {cached_secret.version}")

    fields_in: Mapping[str, ValueLike] = {"username": "app", "password": SecretValue("pw")}
    client.put("app/db/login", fields_in)
    patched: VersionInfo = client.patch("app/db/login", set={"host": "db.internal"}, remove=["password"])
    fields: SecretMap = client.get("app/db/login").fields()
    username: SecretValue = fields["username"]
    keys: List[str] = sorted(fields)
    plain: Dict[str, str] = fields.reveal()
    report.append(f"map v{patched.version}: {keys} {username.reveal_str()} {len(plain)} {'host' in fields}")

    paths: List[str] = client.list("app/")
    versions: List[VersionInfo] = client.versions("app/db/password")
    meta: SecretMetadata = client.metadata("app/db/password")
    current: str = meta.current_version
    tags: Dict[str, str] = meta.tags
    rotation: Optional[RotationPolicy] = meta.rotation
    max_versions: Optional[int] = meta.max_versions
    updated: datetime.datetime = meta.updated_at
    report.append(
        f"{len(paths)} paths, {len(versions)} versions, current {current}, tags {tags}, "
        f"rotation {rotation is not None}, max {max_versions}, updated {updated >= meta.created_at}"
    )
    meta = client.update_metadata("app/db/password", tags={"owner": "team-b"}, clear_rotation=True)
    report.append(f"updated tags {meta.tags}")

    entries: List[RotationEntry] = client.rotation_status("app/", at=datetime.datetime.now(datetime.timezone.utc))
    for entry in entries:
        days: Optional[int] = entry.days
        entry_policy: RotationPolicy = entry.policy
        last: datetime.datetime = entry.last_rotated
        report.append(
            f"{entry.path}: {entry.status} ({days}) default={entry.default_policy} "
            f"{entry_policy.period.days}d since {last.date()}"
        )

    client.delete("app/db/password", versions=[written.version])
    client.undelete("app/db/password", versions=[written.version])
    client.destroy("app/db/password", versions=[written.version])
    client.purge("app/db/login")

    try:
        client.get("app/never")
    except ironsecrets.NotFoundError as err:
        report.append(describe_error(err))
    except ironsecrets.Error as err:  # pragma: no cover - another kind is a failure
        raise AssertionError(describe_error(err)) from err

    transit = client.transit
    key: KeyInfo = transit.create_key("payments", key_type="aes256-gcm96", exportable=False)
    signer: KeyInfo = transit.create_key("signer", "ed25519")
    ciphertext: str = transit.encrypt("payments", b"4111 1111 1111 1111", context=b"tenant-a")
    decrypted: SecretValue = transit.decrypt("payments", ciphertext, context=b"tenant-a")
    rotated: KeyInfo = transit.rotate_key("payments")
    rewrapped: str = transit.rewrap("payments", ciphertext, context=b"tenant-a")
    pinned: KeyInfo = transit.set_min_decryption_version("payments", 2)
    signature: str = transit.sign("signer", "message")
    verified: bool = transit.verify("signer", "message", signature)
    mac: str = transit.hmac("payments", "message")
    mac_ok: bool = transit.verify_hmac("payments", "message", mac)
    data_key: DataKey = transit.generate_data_key("payments", bits=256)
    imported: KeyInfo = transit.import_key("imported", "aes256-gcm96", bytes(range(32)))
    listed_keys: List[str] = transit.list_keys()
    read: KeyInfo = transit.read_key("payments")
    report.append(
        f"transit {key.name}/{key.key_type} v{rotated.latest_version} min {pinned.min_decryption_version} "
        f"{signer.key_type} {decrypted.reveal() == b'4111 1111 1111 1111'} {rewrapped.startswith('local:v2:')} "
        f"{verified} {mac_ok} {len(data_key.plaintext)} {data_key.ciphertext != ''} {imported.latest_version} "
        f"{listed_keys} {read.created_at <= datetime.datetime.now(datetime.timezone.utc)} {read.exportable}"
    )

    try:
        client.vault()
    except ironsecrets.UnsupportedError as err:
        report.append(f"no vault engines here: {err.kind}")
    return report


async def local_async_usage(store_file: str, master_key: str) -> List[str]:
    """The embedded store with asyncio."""
    report: List[str] = []
    client: AsyncClient = await AsyncClient.from_uri(
        "local://" + store_file, master_key=master_key, kdf_memory_kib=1024, kdf_iterations=1, kdf_parallelism=1
    )
    client = client.with_retry(max_attempts=2).with_cache(ttl=1)
    written: VersionInfo = await client.put("async/value", "v1")
    results: Sequence[Secret] = await asyncio.gather(*(client.get("async/value") for _ in range(10)))
    report.append(f"{client.name}: {written.version} read {len(results)} times")
    versions: List[VersionInfo] = await client.versions("async/value")
    meta: SecretMetadata = await client.metadata("async/value")
    paths: List[str] = await client.list("async/")
    entries: List[RotationEntry] = await client.rotation_status()
    report.append(f"{len(versions)} {meta.current_version} {paths} {len(entries)}")
    patched: VersionInfo = await client.put("async/map", {"a": "1"})
    patched = await client.patch("async/map", set={"b": "2"})
    await client.update_metadata("async/map", tags={"t": "1"})
    await client.delete("async/map")
    await client.undelete("async/map", [patched.version])
    await client.destroy("async/map", [patched.version])
    await client.purge("async/map")
    old: Secret = await client.get_version("async/value", written.version)
    report.append(f"old {old.version}")
    transit = client.transit
    key: KeyInfo = await transit.create_key("async-key")
    ciphertext: str = await transit.encrypt("async-key", "data")
    plain: SecretValue = await transit.decrypt("async-key", ciphertext)
    report.append(f"{key.name} {plain.reveal_str()}")
    try:
        await client.get("async/missing")
    except ironsecrets.NotFoundError as err:
        report.append(describe_error(err))
    return report


def vault_usage(address: str, token: str, role_id: str, secret_id: str) -> None:
    """A Vault / OpenBao client's engines (type-checked only)."""
    client: Client = Client.open("vault", address=address, token=token, mount="secret", transit="transit")
    vault = client.vault()
    health: Health = vault.health()
    status: str = health.status
    version: str = health.version
    cluster: Optional[str] = health.cluster_name
    info: TokenInfo = vault.lookup_self()
    policies: List[str] = info.policies
    lease_of_token: Lease = info.lease
    login: TokenLease = vault.login_approle(role_id, secret_id, mount="approle")
    token_value: SecretValue = login.token
    entity: Optional[str] = login.entity_id
    renewed: TokenLease = vault.renew_self(increment=3600)
    userpass: TokenLease = vault.login_userpass("user", SecretValue("pass"))
    print(status, version, cluster, policies, lease_of_token.ttl, token_value, entity, renewed.accessor)
    print(userpass.policies, info.display_name, info.path, info.accessor)

    requests: List[CredentialRequest] = [
        CredentialRequest.database("database", "app"),
        CredentialRequest.database_static("database", "static-app"),
        CredentialRequest.ssh_otp("ssh", "otp", "10.0.0.1", username="admin"),
        CredentialRequest.ssh_signed_key("ssh-ca", "signer", "ssh-ed25519 AAAA", valid_principals=["ops"], ttl=600),
        CredentialRequest.pki_certificate("pki", "web", "app.example.com", alt_names=["www.example.com"]),
        CredentialRequest.cloud("aws", "deploy", ttl=datetime.timedelta(minutes=15)),
    ]
    credential: LeasedCredential = client.credentials.issue(requests[0])
    lease: Lease = credential.lease
    lease_id: str = lease.id
    renewable: bool = lease.renewable
    expires: datetime.datetime = lease.expires_at
    issued: datetime.datetime = lease.issued_at
    renewed_lease: Lease = client.leases.renew(lease_id, increment=600)
    looked_up: Lease = client.leases.lookup(lease_id)
    client.leases.revoke(lease_id)
    print([r.role_path for r in requests], renewable, expires > issued, renewed_lease.ttl, looked_up.id)

    signed: SignedCertificate = vault.pki_sign("pki", "web", "-----BEGIN CERTIFICATE REQUEST-----", ttl=3600)
    chain: List[str] = signed.ca_chain
    expiration: datetime.datetime = signed.expiration
    print(signed.certificate, signed.issuing_ca, chain, signed.serial_number, expiration)


async def vault_async_usage(address: str, token: str) -> None:
    """The async Vault engines (type-checked only)."""
    client: AsyncClient = await AsyncClient.open("vault", address=address, token=token)
    health: Health = await client.vault().health()
    info: TokenInfo = await client.vault().lookup_self()
    credential: LeasedCredential = await client.credentials.issue(CredentialRequest.database("database", "app"))
    lease: Lease = await client.leases.lookup(credential.lease.id)
    await client.leases.revoke(lease.id)
    print(health.status, info.policies)


def lease_usage(client: Client) -> None:
    """Managed leases and generations (type-checked only)."""
    manager: LeaseManager = LeaseManager(client, revoke_old_after=600, call_timeout=datetime.timedelta(seconds=5))
    lease: ManagedLease = manager.manage("db", CredentialRequest.database("database", "app"))
    credential: LeasedCredential = lease.current()
    granted: Lease = lease.lease()
    nxt: Optional[LeasedCredential] = lease.changed(timeout=30)
    events: LeaseEvents = lease.events()
    event: Optional[LeaseEvent] = events.next(timeout=1.0)
    if event is not None:
        kind: str = event.kind
        event_lease: Optional[Lease] = event.lease
        revoked_id: Optional[str] = event.lease_id
        error_kind: Optional[str] = event.error_kind
        message: Optional[str] = event.message
        retry_in: Optional[datetime.timedelta] = event.retry_in
        print(kind, event.name, event_lease, revoked_id, error_kind, message, retry_in)
    for each in manager.events():
        print(each.kind)
        break
    lease.rotate()

    generations: Generations = Generations(lease, revoke_margin=0.5, unleased_drain=60)
    generation: Generation = generations.current()
    ticket: Ticket = generations.open(generation.number)
    stale: bool = ticket.is_stale()
    newer: Optional[Generation] = generations.changed(generation.number, timeout=1)
    drained: Optional[Drained] = generations.drained(timeout=0.1)
    if drained is not None:
        print(drained.generation, drained.at_deadline, drained.revoked)
    stats: RotationStats = generations.stats()
    print(
        credential.data["username"].reveal_str(), granted.ttl, nxt, stale, newer, generations.draining(),
        stats.generation, stats.opened, stats.retired, stats.refused_stale, stats.revoked_drained,
        stats.revoked_at_deadline, stats.revoke_failures, stats.draining, ticket.generation,
    )
    ticket.close()
    generations.close()
    lease.stop(revoke=True)
    manager.shutdown(revoke=True)


async def lease_async_usage(client: AsyncClient) -> None:
    """Managed leases with asyncio (type-checked only)."""
    manager = LeaseManager(client)
    lease: ManagedLease = await manager.manage_async("db", CredentialRequest.database("database", "app"))
    nxt: Optional[LeasedCredential] = await lease.changed_async()
    generations = Generations(lease)
    newer: Optional[Generation] = await generations.changed_async(0)
    async for event in lease.events():
        print(event.kind)
        break
    print(nxt, newer)
    generations.close()
    manager.shutdown()


def pool_usage(lease: ManagedLease, host: str, port: int) -> None:
    """The rotating pools (type-checked only)."""
    from ironsecrets.psycopg import RotatingPool, rotating_pool
    from ironsecrets.sqlalchemy import RotatingEngine, rotating_engine

    engine_pool: RotatingEngine = rotating_engine(lease, f"postgresql+psycopg://{host}:{port}/postgres", pool_size=4)
    with engine_pool as rotating:
        with rotating.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT current_user").all()
        stats: RotationStats = rotating.stats()
        generations: Generations = rotating.generations
        print(len(rows), stats.generation, generations.draining())
    pg_pool: RotatingPool = rotating_pool(lease, f"host={host} port={port} dbname=postgres", min_size=2)
    with pg_pool as rotating_pg:
        with rotating_pg.pool.connection() as pg_conn:
            row: object = pg_conn.execute("SELECT current_user").fetchone()
        print(row, rotating_pg.stats().opened)


def main(store_file: str, master_key: str, async_store_file: Optional[str] = None) -> List[str]:
    """Runs the embedded-store parts; what they report."""
    report = local_usage(store_file, master_key)
    report += asyncio.run(local_async_usage(async_store_file or store_file, master_key))
    return report
