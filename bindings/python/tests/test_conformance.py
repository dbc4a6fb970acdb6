"""The Rust conformance suite (crates/testkit), mirrored through the Python API.

One function per Rust check, with the same name and the same assertions, run in the
same order against two backends: the embedded store (``local``) and OpenBao (KV v2 and
transit, ``openbao``). A check whose requirement the backend's declared capabilities
lack is skipped naming the capability, as the Rust runner records it.

``test_check_names_match_rust`` keeps the two lists the same: it asks the test kit's
``ironsecrets-testkit-serve checks`` for the Rust list (names and requirements, in
order) and compares.

Like the Rust checks, failure messages name the step and never show a secret value:
values are compared, and a mismatch is reported by length.
"""

from __future__ import annotations

import datetime
import os
import pathlib
import secrets
import subprocess
from typing import Any, Callable, Dict, Iterator, List, NamedTuple, Optional, Sequence, Tuple, Type

import pytest

import ironsecrets

#: ``ironsecrets_core::MAX_PATH_LEN``: the longest path, in bytes.
MAX_PATH_LEN = 512

#: Every key type the core knows, by the name Vault (and ``create_key``) uses.
KEY_TYPES = ("aes256-gcm96", "chacha20-poly1305", "ed25519", "ecdsa-p256", "rsa-2048")
SIGNING_KEY_TYPES = frozenset({"ed25519", "ecdsa-p256", "rsa-2048"})

PLAINTEXT = b"conformance plaintext \x00\x01\xfe\xff"
CONTEXT = b"tenant-a"

Client = ironsecrets.Client


# ---------------------------------------------------------------------------------
# What a check may use (crates/testkit/src/check.rs).
# ---------------------------------------------------------------------------------


class CheckFailed(AssertionError):
    """The backend behaved differently from the contract."""


def ensure(condition: bool, message: str) -> None:
    """Fails the check with ``message`` unless ``condition`` holds."""
    if not condition:
        raise CheckFailed(message)


def fails_with(step: str, call: Callable[[], object], error: Type[ironsecrets.Error]) -> ironsecrets.Error:
    """The error of ``call``, which must raise ``error``."""
    try:
        call()
    except error as e:
        return e
    except ironsecrets.Error as e:
        raise CheckFailed(f"{step}: expected {error.__name__}, got {type(e).__name__}: {e}") from None
    raise CheckFailed(f"{step}: succeeded, expected {error.__name__}")


def same_bytes(step: str, actual: bytes, expected: bytes) -> None:
    """Compares bytes without showing either side."""
    ensure(
        actual == expected,
        f"{step}: value differs (len {len(actual)} vs {len(expected)} expected)",
    )


def free_of(what: str, shown: str, canary: str) -> None:
    """Fails if ``shown`` (something printed) contains ``canary``."""
    ensure(canary not in shown, f"{what} shows the planted value")


def folder(prefix: str) -> str:
    """``prefix`` ending with exactly one ``/``."""
    return prefix.rstrip("/") + "/"


def under(prefix: str, rest: str) -> str:
    """``rest`` inside the folder ``prefix``."""
    return folder(prefix) + rest


def unique(label: str) -> str:
    """A value no other run writes."""
    return f"{label}-{secrets.randbits(64):016x}"


def caps_of(client: Client) -> Dict[str, Any]:
    """The client's declared capabilities."""
    return client.capabilities()


def store_caps(client: Client) -> Dict[str, Any]:
    """The store's declared capabilities."""
    store: Dict[str, Any] = caps_of(client)["store"]
    return store


def transit_caps(client: Client) -> Dict[str, Any]:
    """The transit engine's declared capabilities (empty without one)."""
    transit: Optional[Dict[str, Any]] = caps_of(client)["transit"]
    return transit if transit is not None else {}


def _canonical_key_type(name: str) -> str:
    return name.replace("-", "").replace("_", "").lower()


def declared_key_types(client: Client) -> List[str]:
    """The key types the transit engine declares, by their ``create_key`` names."""
    declared = {_canonical_key_type(str(k)) for k in transit_caps(client).get("key_types", [])}
    return [k for k in KEY_TYPES if _canonical_key_type(k) in declared]


# ---------------------------------------------------------------------------------
# secrets.rs
# ---------------------------------------------------------------------------------


def put_and_read_back(client: Client, path: str, value: bytes) -> None:
    """Writes ``value`` at ``path``, reads it back, compares bytes, path and version."""
    written = client.put(path, value)
    secret = client.get(path)
    same_bytes("get after put", secret.value.reveal(), value)
    ensure(secret.path == path, f"get returned path {secret.path!r}, expected {path!r}")
    ensure(
        secret.version == written.version,
        f"get returned version {secret.version}, but put wrote version {written.version}",
    )


def round_trip_text(client: Client, prefix: str) -> None:
    """A short UTF-8 text value round-trips."""
    put_and_read_back(client, under(prefix, "text"), b"correct horse battery staple")


def round_trip_empty(client: Client, prefix: str) -> None:
    """An empty value is stored and read back empty."""
    put_and_read_back(client, under(prefix, "empty"), b"")


def round_trip_binary(client: Client, prefix: str) -> None:
    """A value holding every byte value 0..=255 round-trips."""
    put_and_read_back(client, under(prefix, "binary"), bytes(range(256)))


def round_trip_large(client: Client, prefix: str) -> None:
    """A 1 MiB value (or the backend's documented limit) round-trips untruncated."""
    limit = store_caps(client).get("max_value_bytes")
    size = 1 << 20 if limit is None else min(int(limit), 1 << 20)
    value = bytes(ord("a") + ((i * 7 + i // 4096) % 26) for i in range(size))
    put_and_read_back(client, under(prefix, "large"), value)


def round_trip_unicode(client: Client, prefix: str) -> None:
    """Unicode path segments and value round-trip; ``list`` returns the path as written."""
    path = under(prefix, "ünïcode/ключ/秘密")
    put_and_read_back(client, path, "pä55 — 秘密 🔑 ключ".encode())
    listed = client.list(folder(prefix))
    ensure(listed == [path], f"list returned {listed!r}, expected [{path!r}]")


def round_trip_map(client: Client, prefix: str) -> None:
    """A mapping written by ``put`` reads back through ``fields()`` as the same map."""
    fields = {
        "username": "app",
        "password": 'pä55 wörd "quoted" \\ slash',
        "ключ": "значение",
        "empty": "",
    }
    path = under(prefix, "map")
    client.put(path, fields)
    back = client.get(path).fields()
    revealed = {name: value.reveal_str() for name, value in back.items()}
    ensure(
        revealed == fields,
        f"map differs (fields {sorted(revealed)} vs {sorted(fields)} expected)",
    )


# ---------------------------------------------------------------------------------
# versions.rs
# ---------------------------------------------------------------------------------


def put_all(client: Client, path: str, values: Sequence[str]) -> List[str]:
    """Writes each value as a new version; the versions, oldest first."""
    return [client.put(path, value).version for value in values]


def read_version(client: Client, path: str, version: str, expected: str) -> None:
    """Reads ``version`` of ``path`` and compares it with ``expected``."""
    step = f"get version {version}"
    secret = client.get(path, version)
    same_bytes(step, secret.value.reveal(), expected.encode())
    ensure(secret.version == version, f"{step}: returned version {secret.version}")


def versions_in_order(client: Client, prefix: str) -> None:
    """Three puts give three distinct, increasing versions, each readable; metadata lists
    them oldest first with the newest current."""
    path = under(prefix, "versioned")
    values = ["first", "second", "third"]
    written = put_all(client, path, values)
    ensure(len(set(written)) == len(written), f"three puts returned versions {written}; they must differ")
    if all(v.isdigit() for v in written):
        numbers = [int(v) for v in written]
        ensure(
            all(a < b for a, b in zip(numbers, numbers[1:])),
            f"numbered versions must increase with each put; got {numbers}",
        )
    for version, value in zip(written, values):
        read_version(client, path, version, value)
    latest = client.get(path)
    ensure(
        latest.version == written[2],
        f"get Latest returned version {latest.version}, expected {written[2]}",
    )
    meta = client.metadata(path)
    listed = [v.version for v in meta.versions]
    ensure(listed == written, f"metadata lists versions {listed}, expected {written} oldest first")
    ensure(
        meta.current_version == written[2],
        f"metadata current_version is {meta.current_version}, expected the newest, {written[2]}",
    )


def max_versions_trims(client: Client, prefix: str) -> None:
    """With ``max_versions=2`` the next put leaves the two newest versions only."""
    path = under(prefix, "trimmed")
    written = put_all(client, path, ["v1", "v2", "v3"])
    meta = client.update_metadata(path, max_versions=2)
    ensure(
        meta.max_versions == 2,
        f"update_metadata returned max_versions {meta.max_versions}, expected 2",
    )
    written.extend(put_all(client, path, ["v4"]))
    listed = [v.version for v in client.metadata(path).versions]
    ensure(
        listed == written[2:],
        f"with max_versions = 2 metadata lists {listed}, expected {written[2:]}",
    )
    for old in written[:2]:
        fails_with(
            f"get trimmed version {old}",
            lambda old=old: client.get(path, old),
            ironsecrets.NotFoundError,
        )
    read_version(client, path, written[2], "v3")
    read_version(client, path, written[3], "v4")


# ---------------------------------------------------------------------------------
# cas.rs
# ---------------------------------------------------------------------------------


def latest_is(client: Client, path: str, version: str, expected: str) -> None:
    """The newest version of ``path`` is ``version`` holding ``expected``."""
    secret = client.get(path)
    same_bytes("get", secret.value.reveal(), expected.encode())
    ensure(secret.version == version, f"get returned version {secret.version}, expected {version}")


def cas_must_not_exist(client: Client, prefix: str) -> None:
    """``cas=0`` creates a new secret; on an existing one it is Conflict, value kept."""
    path = under(prefix, "created-once")
    first = client.put(path, "original", cas=0)
    fails_with(
        "put with MustNotExist on an existing path",
        lambda: client.put(path, "replacement", cas=0),
        ironsecrets.ConflictError,
    )
    latest_is(client, path, first.version, "original")


def cas_current_version(client: Client, prefix: str) -> None:
    """A stale ``cas`` version is Conflict, value unchanged; the current one writes."""
    path = under(prefix, "guarded")
    one = client.put(path, "one")
    two = client.put(path, "two")
    fails_with(
        "put with a stale CurrentVersion",
        lambda: client.put(path, "three", cas=one.version),
        ironsecrets.ConflictError,
    )
    latest_is(client, path, two.version, "two")
    three = client.put(path, "three", cas=two.version)
    latest_is(client, path, three.version, "three")


# ---------------------------------------------------------------------------------
# list.rs
# ---------------------------------------------------------------------------------


def lists_exactly(client: Client, prefix: str, expected: List[str]) -> List[str]:
    """Lists ``prefix`` and compares with ``expected`` (sorted here)."""
    listed = client.list(prefix)
    want = sorted(expected, key=lambda p: p.encode())
    ensure(listed == want, f"list({prefix!r}) returned {listed}, expected {want}")
    return listed


def list_by_prefix(client: Client, prefix: str) -> None:
    """``list`` of a folder: exactly the paths under it, nested included, sorted, not a
    sibling sharing its first characters; never a value."""
    inside = folder(under(prefix, "a"))
    one = inside + "one"
    nested = inside + "nested/deep/two"
    sibling = under(prefix, "ab/sibling")
    planted = unique("planted")
    for path in (one, nested, sibling):
        client.put(path, planted)
    seen = lists_exactly(client, inside, [one, nested])
    seen += lists_exactly(client, folder(prefix), [one, nested, sibling])
    ensure(all(planted not in p for p in seen), "list returned a stored value among the paths")


def list_after_delete_and_purge(client: Client, prefix: str) -> None:
    """A soft-deleted secret is still listed; after ``purge`` it is not."""
    kept = under(prefix, "kept")
    gone = under(prefix, "gone")
    for path in (kept, gone):
        client.put(path, "value")
    client.delete(gone)
    lists_exactly(client, folder(prefix), [kept, gone])
    client.purge(gone)
    lists_exactly(client, folder(prefix), [kept])


# ---------------------------------------------------------------------------------
# lifecycle.rs
# ---------------------------------------------------------------------------------


def state(meta: ironsecrets.SecretMetadata, version: str) -> str:
    """The state metadata gives ``version``."""
    for info in meta.versions:
        if info.version == version:
            return info.state
    raise CheckFailed(f"metadata does not list version {version}")


def unreadable(client: Client, path: str, version: Optional[str] = None) -> None:
    """``get`` of ``version`` (the newest when None) is NotFound."""
    step = f"get {version if version is not None else 'Latest'}"
    fails_with(step, lambda: client.get(path, version), ironsecrets.NotFoundError)


def delete_latest(client: Client, prefix: str) -> None:
    """Deleting the only version makes ``get`` NotFound; metadata shows it deleted."""
    path = under(prefix, "deleted")
    written = put_all(client, path, ["value"])
    client.delete(path)
    unreadable(client, path)
    shown = state(client.metadata(path), written[0])
    ensure(shown == "deleted", f"metadata shows the deleted version as {shown}, expected deleted")


def undelete_restores(client: Client, prefix: str) -> None:
    """``undelete`` restores a soft-deleted version."""
    path = under(prefix, "restored")
    written = put_all(client, path, ["value"])
    client.delete(path)
    client.undelete(path, written)
    read_version(client, path, written[0], "value")
    shown = state(client.metadata(path), written[0])
    ensure(shown == "active", f"metadata shows the undeleted version as {shown}, expected active")


def destroy_is_permanent(client: Client, prefix: str) -> None:
    """``destroy`` of one version is for good; the others stay readable; metadata shows
    it destroyed."""
    path = under(prefix, "destroyed")
    written = put_all(client, path, ["old", "new"])
    old, new = written
    client.destroy(path, [old])
    unreadable(client, path, old)
    if store_caps(client)["undelete"]:
        try:
            client.undelete(path, [old])
        except ironsecrets.Error:
            pass  # refusing is as good as a no-op: the value must stay gone
        unreadable(client, path, old)
    read_version(client, path, new, "new")
    shown = state(client.metadata(path), old)
    ensure(shown == "destroyed", f"metadata shows the destroyed version as {shown}, expected destroyed")


def purge_removes_everything(client: Client, prefix: str) -> None:
    """``purge`` removes a secret with all its versions."""
    path = under(prefix, "purged")
    put_all(client, path, ["one", "two"])
    client.purge(path)
    unreadable(client, path)
    fails_with("metadata after purge", lambda: client.metadata(path), ironsecrets.NotFoundError)
    listed = client.list(folder(prefix))
    ensure(listed == [], f"list after purge returned {listed}, expected nothing")


# ---------------------------------------------------------------------------------
# metadata.rs
# ---------------------------------------------------------------------------------


def carries(
    step: str,
    meta: ironsecrets.SecretMetadata,
    tags: Dict[str, str],
    rotation: Optional[ironsecrets.RotationPolicy],
) -> None:
    """``meta`` carries exactly these tags and this rotation policy."""
    ensure(meta.tags == tags, f"{step}: tags are {meta.tags}, expected {tags}")
    if rotation is None:
        ensure(meta.rotation is None, f"{step}: rotation policy is set, expected none")
    else:
        got = meta.rotation
        ensure(
            got is not None and got == rotation,
            f"{step}: rotation policy is {None if got is None else (got.period, got.remind_before)}, "
            f"expected {(rotation.period, rotation.remind_before)}",
        )


def metadata_on_put(client: Client, prefix: str) -> None:
    """Tags and a rotation policy given to ``put`` are in the metadata."""
    path = under(prefix, "tagged")
    tags = {"owner": "team-a", "env": "prod", "note": "ünïcode"}
    policy = ironsecrets.RotationPolicy.days(30, 7)
    client.put(path, "value", tags=tags, rotation=policy)
    carries("metadata after put", client.metadata(path), tags, policy)


def metadata_update(client: Client, prefix: str) -> None:
    """``update_metadata`` sets tags and a policy without a new version, replaces all tags
    on the next update, and ``clear_rotation`` clears the policy."""
    path = under(prefix, "updated")
    written = put_all(client, path, ["value"])
    first_tags = {"owner": "team-a", "env": "prod"}
    policy = ironsecrets.RotationPolicy.days(60, 10)
    returned = client.update_metadata(path, tags=first_tags, rotation=policy)
    carries("update_metadata's answer", returned, first_tags, policy)
    meta = client.metadata(path)
    carries("metadata after update", meta, first_tags, policy)
    ensure(
        meta.current_version == written[0],
        f"update_metadata changed current_version from {written[0]} to {meta.current_version}",
    )
    second_tags = {"owner": "team-b"}
    client.update_metadata(path, tags=second_tags, clear_rotation=True)
    carries("metadata after the second update", client.metadata(path), second_tags, None)


def metadata_timestamps(client: Client, prefix: str) -> None:
    """``created_at <= updated_at``; a second put keeps ``created_at`` and does not move
    ``updated_at`` back; versions' times do not decrease; ``path`` is the secret's."""
    path = under(prefix, "timed")
    put_all(client, path, ["one"])
    first = client.metadata(path)
    put_all(client, path, ["two"])
    second = client.metadata(path)
    for meta in (first, second):
        ensure(meta.path == path, f"metadata path is {meta.path!r}, expected {path!r}")
        ensure(
            meta.created_at <= meta.updated_at,
            f"created_at {meta.created_at} is after updated_at {meta.updated_at}",
        )
        times = [v.created_at for v in meta.versions]
        ensure(
            all(a <= b for a, b in zip(times, times[1:])),
            f"versions' created_at decrease: {times}",
        )
    ensure(
        second.created_at == first.created_at,
        f"a second put moved created_at from {first.created_at} to {second.created_at}",
    )
    ensure(
        second.updated_at >= first.updated_at,
        f"a second put moved updated_at back from {first.updated_at} to {second.updated_at}",
    )


def missing_is_not_found(client: Client, prefix: str) -> None:
    """``get`` and ``metadata`` of a path never written are NotFound."""
    path = under(prefix, "never-written")
    fails_with("get of a missing path", lambda: client.get(path), ironsecrets.NotFoundError)
    fails_with("metadata of a missing path", lambda: client.metadata(path), ironsecrets.NotFoundError)


# ---------------------------------------------------------------------------------
# invalid_input.rs
# ---------------------------------------------------------------------------------


def bad_paths(prefix: str) -> List[Tuple[str, str]]:
    """Each malformed path, described, rooted under ``prefix`` where the flaw allows."""
    base = folder(prefix)
    too_long = base + "x" * max(MAX_PATH_LEN + 1 - len(base.encode()), 0)
    return [
        ("an empty path", ""),
        ("an empty segment", f"{base}a//b"),
        ("a '..' segment", f"{base}a/../b"),
        ("a '.' segment", f"{base}a/./b"),
        ("a leading '/'", f"/{base}a"),
        ("a trailing '/'", f"{base}a/"),
        ("a NUL byte", f"{base}a\0b"),
        ("a control character", f"{base}a\x07b"),
        ("more than MAX_PATH_LEN bytes", too_long),
    ]


def invalid_paths_rejected(client: Client, prefix: str) -> None:
    """``get``, ``put`` and ``delete`` of each malformed path are InvalidInput."""
    failures: List[str] = []
    for flaw, path in bad_paths(prefix):
        calls: List[Tuple[str, Callable[[], object]]] = [
            (f"get of a path with {flaw}", lambda path=path: client.get(path)),
            (f"put of a path with {flaw}", lambda path=path: client.put(path, "value")),
            (f"delete of a path with {flaw}", lambda path=path: client.delete(path)),
        ]
        for step, call in calls:
            try:
                fails_with(step, call, ironsecrets.InvalidInputError)
            except CheckFailed as failure:
                failures.append(str(failure))
    ensure(not failures, "; ".join(failures))


def invalid_list_prefix_rejected(client: Client, prefix: str) -> None:
    """``list`` of a prefix with a ``..`` or an empty segment is InvalidInput."""
    for bad in ("../", folder(prefix) + "/"):
        fails_with(f"list({bad!r})", lambda bad=bad: client.list(bad), ironsecrets.InvalidInputError)


# ---------------------------------------------------------------------------------
# errors.rs
# ---------------------------------------------------------------------------------


def names_backend_and_path(step: str, err: ironsecrets.Error, backend: str, operation: str, path: str) -> None:
    """The error names ``backend``, ``operation`` and ``path``."""
    ensure(err.operation == operation, f"{step}: the error names operation {err.operation!r}, expected {operation!r}")
    ensure(err.backend == backend, f"{step}: the error names backend {err.backend!r}, expected {backend!r}")
    ensure(err.path == path, f"{step}: the error names path {err.path!r}, expected {path!r}")


def errors_carry_context(client: Client, prefix: str) -> None:
    """The NotFound errors of ``get`` and ``metadata`` name backend, operation, path."""
    path = under(prefix, "missing")
    step = "get of a missing path"
    err = fails_with(step, lambda: client.get(path), ironsecrets.NotFoundError)
    names_backend_and_path(step, err, client.name, "get", path)
    step = "metadata of a missing path"
    err = fails_with(step, lambda: client.metadata(path), ironsecrets.NotFoundError)
    names_backend_and_path(step, err, client.name, "metadata", path)


# ---------------------------------------------------------------------------------
# redaction.rs
# ---------------------------------------------------------------------------------


def shown_forms(value: object) -> List[str]:
    """What printing ``value`` can show: repr, str, format."""
    return [repr(value), str(value), f"{value}", "%s" % (value,), format(value, "")]


def error_texts(err: BaseException) -> List[str]:
    """Everything an error can show: str, repr, args, and its causes'."""
    texts: List[str] = []
    seen: Optional[BaseException] = err
    while seen is not None:
        texts += [str(seen), repr(seen)] + [str(a) for a in seen.args]
        seen = seen.__cause__ or seen.__context__
    return texts


def canary_not_in_debug(client: Client, prefix: str) -> None:
    """A planted canary is absent from what the put's VersionInfo, the Secret read back,
    its value and the SecretMetadata show."""
    path = under(prefix, "canary")
    canary = unique("canary")
    written = client.put(path, canary)
    for text in shown_forms(written):
        free_of("put's VersionInfo", text, canary)
    secret = client.get(path)
    for text in shown_forms(secret):
        free_of("the Secret", text, canary)
    for text in shown_forms(secret.value):
        free_of("the SecretValue", text, canary)
    if store_caps(client)["metadata"]:
        for text in shown_forms(client.metadata(path)):
            free_of("the SecretMetadata", text, canary)


def canary_not_in_cas_error(client: Client, prefix: str) -> None:
    """A put refused by check-and-set does not echo its value in the error."""
    path = under(prefix, "canary")
    canary = unique("canary")
    first = client.put(path, canary)
    client.put(path, canary)
    cases: List[Tuple[str, ironsecrets.VersionLike]] = [
        ("put with MustNotExist", 0),
        ("put with a stale CurrentVersion", first.version),
    ]
    for step, condition in cases:
        err = fails_with(step, lambda c=condition: client.put(path, canary, cas=c), ironsecrets.ConflictError)
        for text in error_texts(err):
            free_of(f"the error of {step}", text, canary)


# ---------------------------------------------------------------------------------
# declared.rs
# ---------------------------------------------------------------------------------

UNSUPPORTED: Tuple[Type[ironsecrets.Error], ...] = (ironsecrets.UnsupportedError,)
CANNOT_HOLD: Tuple[Type[ironsecrets.Error], ...] = (ironsecrets.UnsupportedError, ironsecrets.InvalidInputError)


def refused(step: str, call: Callable[[], object], kinds: Tuple[Type[ironsecrets.Error], ...]) -> None:
    """``call`` is refused with one of ``kinds``."""
    try:
        call()
    except kinds:
        return
    except ironsecrets.Error as e:
        raise CheckFailed(
            f"{step}: expected {[k.__name__ for k in kinds]} for an undeclared capability, "
            f"got {type(e).__name__}: {e}"
        ) from None
    raise CheckFailed(f"{step}: succeeded although the capability is not declared")


def refuses_version_and_cas_operations(client: Client, path: str, latest: str) -> None:
    """The refusals that need nothing stored (or work on ``path`` as it is)."""
    declared = store_caps(client)
    if not declared["versions"]:
        other = "2" if latest == "1" else "1"
        refused("get of an older version", lambda: client.get(path, other), UNSUPPORTED)
    if not declared["check_and_set"]:
        refused("put with check-and-set", lambda: client.put(path, "v2", cas=latest), UNSUPPORTED)
    if not declared["max_versions"]:
        refused(
            "update_metadata with max_versions",
            lambda: client.update_metadata(path, max_versions=2),
            UNSUPPORTED,
        )
    if not declared["undelete"]:
        refused("undelete", lambda: client.undelete(path), UNSUPPORTED)
    if not declared["destroy"]:
        refused("destroy", lambda: client.destroy(path, [latest]), UNSUPPORTED)


def undeclared_store_operations_are_refused(client: Client, prefix: str) -> None:
    """Every store operation whose capability is false is refused, and the secret it was
    tried on still reads as written; a hard delete removes the path from ``list``."""
    declared = store_caps(client)
    path = under(prefix, "declared")
    written = client.put(path, "v1")
    refuses_version_and_cas_operations(client, path, written.version)
    if not declared["metadata"]:
        refused("metadata", lambda: client.metadata(path), UNSUPPORTED)
    if not declared["tags"]:
        refused(
            "update_metadata with tags",
            lambda: client.update_metadata(
                path, tags={"owner": "checks"}, rotation=ironsecrets.RotationPolicy.days(30, 7)
            ),
            UNSUPPORTED,
        )
    for step, undeclared, value in (
        ("put of an empty value", not declared["empty_values"], b""),
        ("put of a binary value", not declared["binary_values"], b"\xff\x00"),
    ):
        if undeclared:
            other = under(prefix, "value")
            refused(step, lambda value=value: client.put(other, ironsecrets.SecretValue(value)), CANNOT_HOLD)
    read = client.get(path)
    same_bytes("get after the refused operations", read.value.reveal(), b"v1")
    if not declared["soft_delete"]:
        client.delete(path)
        listed = client.list(prefix)
        ensure(path not in listed, "without soft_delete, a deleted path must leave list; it is still listed")


def _engine_kind(call: Callable[[], object]) -> Optional[str]:
    """The error kind an engine call (property access included) raises, if any."""
    try:
        call()
    except ironsecrets.Error as e:
        return e.kind
    return None


def undeclared_engines_are_unsupported(client: Client, prefix: str) -> None:
    """An engine the backend does not have is Unsupported."""
    declared = caps_of(client)

    def unsupported(step: str, kind: Optional[str]) -> None:
        ensure(
            kind == "Unsupported",
            f"{step}: expected Unsupported for an engine the backend does not declare, got {kind}",
        )

    if declared["transit"] is None:
        unsupported("transit", _engine_kind(lambda: client.transit.list_keys()))
    if not declared["leases"]:
        unsupported("leases", _engine_kind(lambda: client.leases.lookup("no-such-lease")))
    if not declared["dynamic_credentials"]:
        request = ironsecrets.CredentialRequest.database("database", "no-such-role")
        unsupported("credentials", _engine_kind(lambda: client.credentials.issue(request)))


def key_name(prefix: str, suffix: str) -> str:
    """A flat key name derived from the check's prefix."""
    return prefix.rstrip("/").replace("/", "-") + "-" + suffix


def undeclared_transit_features_are_refused(client: Client, prefix: str) -> None:
    """Every transit feature the engine does not declare is refused."""
    declared = transit_caps(client)
    creates = declared_key_types(client)
    t = client.transit
    for key_type in (k for k in KEY_TYPES if k not in creates):
        refused(
            f"create_key({key_type})",
            lambda key_type=key_type: t.create_key(key_name(prefix, key_type), key_type),
            UNSUPPORTED,
        )
    aes = key_name(prefix, "aes")
    t.create_key(aes)
    if not declared.get("hmac"):
        refused("hmac", lambda: t.hmac(aes, b"data"), CANNOT_HOLD)
    if not declared.get("min_decryption_version"):
        refused("set_min_decryption_version", lambda: t.set_min_decryption_version(aes, 1), UNSUPPORTED)
    if not declared.get("data_keys"):
        refused("generate_data_key", lambda: t.generate_data_key(aes, 256), UNSUPPORTED)
    if not declared.get("import"):
        refused(
            "import_key",
            lambda: t.import_key(key_name(prefix, "imported"), "aes256-gcm96", os.urandom(32)),
            UNSUPPORTED,
        )
    ciphertext = t.encrypt(aes, b"data")
    same_bytes("decrypt", t.decrypt(aes, ciphertext).reveal(), b"data")


# ---------------------------------------------------------------------------------
# transit.rs
# ---------------------------------------------------------------------------------


def parts(step: str, ciphertext: str) -> Tuple[str, int, str]:
    """``prefix:v<version>:<payload>`` split."""
    pieces = ciphertext.split(":", 2)
    ensure(len(pieces) == 3, f"{step}: malformed ciphertext: expected 'prefix:v<version>:<base64>'")
    prefix, version, payload = pieces
    ensure(
        version.startswith("v") and version[1:].isdigit() and int(version[1:]) > 0,
        f"{step}: malformed ciphertext: bad key version",
    )
    return prefix, int(version[1:]), payload


def made_by(step: str, ciphertext: str, expected: int) -> None:
    """``ciphertext`` carries key version ``expected``."""
    version = parts(step, ciphertext)[1]
    ensure(version == expected, f"{step}: the ciphertext carries key version {version}, expected {expected}")


def new_aes_key(t: ironsecrets.Transit, name: str) -> ironsecrets.KeyInfo:
    """Creates an aes256-gcm96 key and checks what ``create_key`` says about it."""
    info = t.create_key(name, "aes256-gcm96")
    ensure(
        info.name == name and info.key_type == "aes256-gcm96" and info.latest_version == 1,
        f"create_key returned {info.name!r} {info.key_type} v{info.latest_version}, "
        f"expected key {name!r}, aes256-gcm96, latest_version 1",
    )
    return info


def decrypts_to(
    t: ironsecrets.Transit,
    step: str,
    name: str,
    ciphertext: str,
    context: Optional[bytes],
    expected: bytes,
) -> None:
    """Decrypts and compares with ``expected``."""
    same_bytes(step, t.decrypt(name, ciphertext, context).reveal(), expected)


def tamper(ciphertext: str) -> str:
    """The same ciphertext with one base64 character in the middle of its payload changed."""
    prefix, version, payload = parts("parsing the ciphertext", ciphertext)
    ensure(
        len(payload) >= 8 and payload.isascii(),
        f"the ciphertext payload is not base64 ({len(payload)} bytes)",
    )
    middle = len(payload) // 2
    replacement = "B" if payload[middle] == "A" else "A"
    changed = payload[:middle] + replacement + payload[middle + 1 :]
    return f"{prefix}:v{version}:{changed}"


def transit_round_trip(client: Client, prefix: str) -> None:
    """An aes256-gcm96 key encrypts and decrypts, with and without a context; ciphertexts
    carry version 1; two encryptions differ."""
    t = client.transit
    name = key_name(prefix, "aes")
    new_aes_key(t, name)
    first = t.encrypt(name, PLAINTEXT)
    made_by("encrypt", first, 1)
    second = t.encrypt(name, PLAINTEXT)
    ensure(
        first != second,
        "encrypting the same plaintext twice gave the same ciphertext; nonces must be fresh",
    )
    decrypts_to(t, "decrypt", name, first, None, PLAINTEXT)
    decrypts_to(t, "decrypt", name, second, None, PLAINTEXT)
    bound = t.encrypt(name, PLAINTEXT, CONTEXT)
    decrypts_to(t, "decrypt with the same context", name, bound, CONTEXT, PLAINTEXT)


def transit_integrity(client: Client, prefix: str) -> None:
    """A tampered ciphertext, a wrong or a missing context is Integrity."""
    t = client.transit
    name = key_name(prefix, "aes")
    new_aes_key(t, name)
    ciphertext = t.encrypt(name, PLAINTEXT, CONTEXT)
    tampered = tamper(ciphertext)
    fails_with(
        "decrypt of a tampered ciphertext",
        lambda: t.decrypt(name, tampered, CONTEXT),
        ironsecrets.IntegrityError,
    )
    fails_with(
        "decrypt with a wrong context",
        lambda: t.decrypt(name, ciphertext, b"tenant-b"),
        ironsecrets.IntegrityError,
    )
    fails_with(
        "decrypt without the context",
        lambda: t.decrypt(name, ciphertext, None),
        ironsecrets.IntegrityError,
    )


def encrypt_then_rotate(t: ironsecrets.Transit, name: str) -> str:
    """Creates a key, encrypts, rotates: the v1 ciphertext."""
    new_aes_key(t, name)
    v1 = t.encrypt(name, PLAINTEXT)
    rotated = t.rotate_key(name)
    ensure(
        rotated.latest_version == 2,
        f"rotate_key returned latest_version {rotated.latest_version}, expected 2",
    )
    return v1


def transit_rotation(client: Client, prefix: str) -> None:
    """After ``rotate_key`` new ciphertexts carry version 2, v1 ones still decrypt, and
    ``rewrap`` turns a v1 ciphertext into a v2 one."""
    t = client.transit
    name = key_name(prefix, "aes")
    v1 = encrypt_then_rotate(t, name)
    v2 = t.encrypt(name, PLAINTEXT)
    made_by("encrypt after rotation", v2, 2)
    decrypts_to(t, "decrypt of a v1 ciphertext", name, v1, None, PLAINTEXT)
    rewrapped = t.rewrap(name, v1)
    made_by("rewrap of a v1 ciphertext", rewrapped, 2)
    decrypts_to(t, "decrypt of a rewrapped ciphertext", name, rewrapped, None, PLAINTEXT)


def transit_min_decryption_version(client: Client, prefix: str) -> None:
    """Below ``min_decryption_version`` decryption is InvalidInput; v2 still decrypts."""
    t = client.transit
    name = key_name(prefix, "aes")
    v1 = encrypt_then_rotate(t, name)
    v2 = t.encrypt(name, PLAINTEXT)
    info = t.set_min_decryption_version(name, 2)
    ensure(
        info.min_decryption_version == 2,
        f"set_min_decryption_version(2) returned min_decryption_version {info.min_decryption_version}",
    )
    fails_with(
        "decrypt of a v1 ciphertext below min_decryption_version",
        lambda: t.decrypt(name, v1),
        ironsecrets.InvalidInputError,
    )
    decrypts_to(t, "decrypt of a v2 ciphertext", name, v2, None, PLAINTEXT)


def transit_hmac(client: Client, prefix: str) -> None:
    """An HMAC verifies for its data and not for other data."""
    t = client.transit
    name = key_name(prefix, "aes")
    new_aes_key(t, name)
    mac = t.hmac(name, PLAINTEXT)
    ensure(t.verify_hmac(name, PLAINTEXT, mac), "verify_hmac of the same data returned false")
    ensure(not t.verify_hmac(name, b"other data", mac), "verify_hmac of other data returned true")


def sign_and_verify(t: ironsecrets.Transit, name: str, key_type: str) -> None:
    """A key of ``key_type`` signs; the signature verifies for the data only."""
    t.create_key(name, key_type)
    signature = t.sign(name, PLAINTEXT)
    ensure(t.verify(name, PLAINTEXT, signature), f"{key_type}: verify of the signed data returned false")
    ensure(not t.verify(name, b"altered data", signature), f"{key_type}: verify of altered data returned true")


def transit_sign_verify(client: Client, prefix: str) -> None:
    """Each declared signing key type signs and verifies; without one, signing with an
    encryption key is refused."""
    t = client.transit
    declared = declared_key_types(client)
    signing = [k for k in declared if k in SIGNING_KEY_TYPES]
    for key_type in signing:
        sign_and_verify(t, key_name(prefix, key_type), key_type)
    if not signing:
        name = key_name(prefix, "aes")
        new_aes_key(t, name)
        try:
            t.sign(name, PLAINTEXT)
        except ironsecrets.Error:
            return
        raise CheckFailed("sign with an aes256-gcm96 key succeeded")


def transit_data_key(client: Client, prefix: str) -> None:
    """``generate_data_key(256)``: 32 plaintext bytes whose v1 ciphertext decrypts to them."""
    t = client.transit
    name = key_name(prefix, "aes")
    new_aes_key(t, name)
    key = t.generate_data_key(name, 256)
    ensure(
        len(key.plaintext) == 32,
        f"generate_data_key(256) gave {len(key.plaintext)} plaintext bytes, expected 32",
    )
    made_by("generate_data_key(256)", key.ciphertext, 1)
    decrypts_to(
        t, "decrypt of the data key's ciphertext", name, key.ciphertext, None, key.plaintext.reveal()
    )


def _key_fields(info: ironsecrets.KeyInfo) -> Tuple[object, ...]:
    return (
        info.name,
        info.key_type,
        info.latest_version,
        info.min_decryption_version,
        info.created_at,
        info.exportable,
    )


def transit_key_management(client: Client, prefix: str) -> None:
    """Creating an existing key is AlreadyExists; ``read_key`` describes it as created and
    is NotFound for a missing one; ``list_keys`` is sorted and has the created key only."""
    t = client.transit
    name = key_name(prefix, "aes")
    missing = key_name(prefix, "missing")
    created = new_aes_key(t, name)
    fails_with(
        "create_key of an existing name",
        lambda: t.create_key(name),
        ironsecrets.AlreadyExistsError,
    )
    read = t.read_key(name)
    ensure(
        _key_fields(read) == _key_fields(created),
        f"read_key returned {_key_fields(read)}, expected what create_key returned: {_key_fields(created)}",
    )
    fails_with("read_key of a missing key", lambda: t.read_key(missing), ironsecrets.NotFoundError)
    names = t.list_keys()
    ensure(name in names, f"list_keys does not contain the created key {name!r}")
    ensure(missing not in names, f"list_keys contains {missing!r}, which was never created")
    ensure(names == sorted(names), "list_keys is not sorted")


def transit_import_key(client: Client, prefix: str) -> None:
    """``import_key`` of 32 random bytes as aes256-gcm96 makes a v1 key that works."""
    t = client.transit
    name = key_name(prefix, "imported")
    info = t.import_key(name, "aes256-gcm96", os.urandom(32))
    ensure(
        info.key_type == "aes256-gcm96" and info.latest_version == 1,
        f"import_key returned {info.key_type} v{info.latest_version}, expected aes256-gcm96 at latest_version 1",
    )
    ciphertext = t.encrypt(name, PLAINTEXT)
    made_by("encrypt with the imported key", ciphertext, 1)
    decrypts_to(t, "decrypt with the imported key", name, ciphertext, None, PLAINTEXT)


# ---------------------------------------------------------------------------------
# The list (crates/testkit/src/suite.rs, `checks!{...}`), in the Rust order.
# ---------------------------------------------------------------------------------


class Check(NamedTuple):
    """One check: its name (its function's), the capability it needs, its body."""

    name: str
    requires: Optional[str]
    body: Callable[[Client, str], None]


def _check(body: Callable[[Client, str], None], requires: Optional[str] = None) -> Check:
    return Check(body.__name__, requires, body)


CHECKS: List[Check] = [
    _check(round_trip_text),
    _check(round_trip_empty, "store.empty_values"),
    _check(round_trip_binary, "store.binary_values"),
    _check(round_trip_large),
    _check(round_trip_unicode),
    _check(round_trip_map),
    _check(versions_in_order, "store.versions"),
    _check(max_versions_trims, "store.max_versions"),
    _check(cas_must_not_exist, "store.check_and_set"),
    _check(cas_current_version, "store.check_and_set"),
    _check(list_by_prefix),
    _check(list_after_delete_and_purge, "store.soft_delete"),
    _check(delete_latest, "store.soft_delete"),
    _check(undelete_restores, "store.undelete"),
    _check(destroy_is_permanent, "store.destroy"),
    _check(purge_removes_everything),
    _check(metadata_on_put, "store.tags"),
    _check(metadata_update, "store.tags"),
    _check(metadata_timestamps, "store.metadata"),
    _check(missing_is_not_found),
    _check(invalid_paths_rejected),
    _check(invalid_list_prefix_rejected),
    _check(errors_carry_context),
    _check(canary_not_in_debug),
    _check(canary_not_in_cas_error, "store.check_and_set"),
    _check(undeclared_store_operations_are_refused),
    _check(undeclared_engines_are_unsupported),
    _check(undeclared_transit_features_are_refused, "transit"),
    _check(transit_round_trip, "transit"),
    _check(transit_integrity, "transit"),
    _check(transit_rotation, "transit.versioned_ciphertexts"),
    _check(transit_min_decryption_version, "transit.min_decryption_version"),
    _check(transit_hmac, "transit.hmac"),
    _check(transit_sign_verify, "transit"),
    _check(transit_data_key, "transit.data_keys"),
    _check(transit_key_management, "transit"),
    _check(transit_import_key, "transit.import"),
]


def requirement_holds(capabilities: Dict[str, Any], requirement: str) -> bool:
    """Whether ``capabilities`` has ``requirement`` (``store.x``, ``transit``, ``transit.x``)."""
    engine, _, field = requirement.partition(".")
    part = capabilities.get(engine)
    if not field:
        return part is not None and part is not False
    if not isinstance(part, dict):
        return False
    return bool(part.get(field))


# ---------------------------------------------------------------------------------
# The tests.
# ---------------------------------------------------------------------------------

#: One prefix per test run, as ``run_checks`` makes one per run.
RUN_PREFIX = f"conformance-py-{secrets.randbits(64):016x}/"




@pytest.fixture
def openbao_client(openbao: Dict[str, Any]) -> Iterator[Client]:
    """A client on the test OpenBao's KV v2 mount and transit mount."""
    client = Client.open(
        "vault",
        address=openbao["address"],
        token=openbao["token"],
        mount=openbao.get("kv_mount", "secret"),
        transit=openbao.get("transit_mount", "transit"),
    )
    yield client


BACKENDS = ("local", "openbao")


def _params() -> List[Any]:
    params = []
    for backend in BACKENDS:
        marks = [pytest.mark.services] if backend == "openbao" else []
        for check in CHECKS:
            params.append(pytest.param(backend, check, id=f"{backend}-{check.name}", marks=marks))
    return params


@pytest.mark.parametrize(("backend", "check"), _params())
def test_conformance(backend: str, check: Check, request: pytest.FixtureRequest) -> None:
    """Runs one check against one backend, skipping it without its capability."""
    client: Client = request.getfixturevalue(f"{backend}_client")
    if check.requires is not None and not requirement_holds(client.capabilities(), check.requires):
        pytest.skip(f"capabilities.{check.requires} is not declared")
    check.body(client, f"{RUN_PREFIX}{backend}/{check.name}/")


def _serve_binary() -> pathlib.Path:
    configured = os.environ.get("IRONSECRETS_TESTKIT_SERVE")
    if configured:
        return pathlib.Path(configured)
    target = os.environ.get("CARGO_TARGET_DIR")
    target_dir = pathlib.Path(target) if target else pathlib.Path(__file__).resolve().parents[3] / "target"
    return target_dir / "debug" / "ironsecrets-testkit-serve"


def test_check_names_match_rust() -> None:
    """The Python checks are the Rust checks: same names, same order, same requirements."""
    serve = _serve_binary()
    assert serve.exists(), f"{serve} is not built (cargo build -p ironsecrets-testkit)"
    out = subprocess.run(
        [str(serve), "checks"], check=True, capture_output=True, text=True, timeout=60
    ).stdout
    rust: List[Tuple[str, Optional[str]]] = []
    for line in out.splitlines():
        if not line.strip():
            continue
        name, _, requirement = line.partition("\t")
        rust.append((name.strip(), requirement.strip() or None))
    python = [(check.name, check.requires) for check in CHECKS]
    assert python == rust
    # Each check's function carries the Rust name, as in the test kit.
    assert all(check.body.__name__ == check.name for check in CHECKS)


def test_requirements_are_read_from_capabilities() -> None:
    """How a requirement string is read from a capabilities dict."""
    caps = {
        "store": {"empty_values": True, "versions": False},
        "transit": {"hmac": True, "import": False},
        "leases": False,
    }
    assert requirement_holds(caps, "store.empty_values")
    assert not requirement_holds(caps, "store.versions")
    assert requirement_holds(caps, "transit")
    assert requirement_holds(caps, "transit.hmac")
    assert not requirement_holds(caps, "transit.import")
    assert not requirement_holds({"store": {}, "transit": None}, "transit")
    assert not requirement_holds({"store": {}, "transit": None}, "transit.hmac")


def test_tamper_changes_one_payload_character() -> None:
    """``tamper`` keeps the prefix, the version and the length (as the Rust unit test)."""
    original = "vault:v3:QUJDREVGR0hJSktMTU5PUA=="
    tampered = tamper(original)
    assert tampered.startswith("vault:v3:")
    a, b = original.split(":", 2)[2], tampered.split(":", 2)[2]
    assert len(a) == len(b)
    assert sum(x != y for x, y in zip(a, b)) == 1
    assert key_name("conformance-0a/transit_hmac/", "aes") == "conformance-0a-transit_hmac-aes"


def test_metadata_timestamps_are_datetimes(local_client: Client) -> None:
    """The timestamps the checks compare are aware datetimes."""
    path = f"{RUN_PREFIX}types/timed"
    local_client.put(path, "x")
    meta = local_client.metadata(path)
    assert isinstance(meta.created_at, datetime.datetime)
    assert meta.created_at.tzinfo is not None
