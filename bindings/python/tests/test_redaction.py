"""Secret values never show: not in repr, str, format, logging, tracebacks, warnings or
error messages; they cannot be pickled or copied; revealing them is explicit."""

from __future__ import annotations

import collections.abc
import copy
import logging
import pickle
import secrets
import sys
import traceback
import warnings
from typing import List, Tuple

import pytest

import ironsecrets


@pytest.fixture
def client(local_client: ironsecrets.Client) -> ironsecrets.Client:
    return local_client


@pytest.fixture
def canary() -> str:
    return f"canary-{secrets.token_hex(8)}"


def _shown(value: object) -> List[str]:
    return [
        repr(value),
        str(value),
        f"{value}",
        f"{value!r}",
        f"{value!s}",
        "%s" % (value,),
        "%r" % (value,),
        "{}".format(value),
        format(value, ""),
        str([value]),
        str({"k": value}),
        repr((value,)),
    ]


def _assert_hidden(value: object, canary: str) -> None:
    for text in _shown(value):
        assert canary not in text, f"{type(value).__name__} shows the canary"


def test_secret_value_shows_redacted(client: ironsecrets.Client, canary: str) -> None:
    client.put("app/token", canary)
    secret = client.get("app/token")
    _assert_hidden(secret, canary)
    _assert_hidden(secret.value, canary)
    assert "REDACTED" in repr(secret.value)
    assert "REDACTED" in str(secret.value)
    assert secret.value.reveal() == canary.encode()
    assert isinstance(secret.value.reveal(), bytes)
    assert secret.value.reveal_str() == canary
    assert isinstance(secret.value.reveal_str(), str)
    assert len(secret.value) == len(canary)
    assert bool(secret.value)
    assert not ironsecrets.SecretValue(b"")
    assert secret.value == ironsecrets.SecretValue(canary)
    with pytest.raises(TypeError):
        hash(secret.value)  # the stub declares SecretValue unhashable


def test_version_info_and_metadata_hide_the_value(client: ironsecrets.Client, canary: str) -> None:
    written = client.put("app/token", canary, tags={"owner": "me"})
    _assert_hidden(written, canary)
    _assert_hidden(client.metadata("app/token"), canary)
    _assert_hidden(client.versions("app/token"), canary)


def test_secret_map_shows_keys_not_values(client: ironsecrets.Client, canary: str) -> None:
    client.put("app/db", {"username": "app", "password": canary})
    fields = client.get("app/db").fields()
    _assert_hidden(fields, canary)
    assert "password" in repr(fields)
    for value in fields.values():
        _assert_hidden(value, canary)
    for item in fields.items():
        _assert_hidden(item, canary)
    assert fields["password"].reveal_str() == canary
    assert fields.reveal() == {"username": "app", "password": canary}


def test_secret_map_is_a_read_only_mapping(client: ironsecrets.Client, canary: str) -> None:
    client.put("app/db", {"username": "app", "password": canary})
    fields = client.get("app/db").fields()
    assert isinstance(fields, collections.abc.Mapping)
    assert not isinstance(fields, collections.abc.MutableMapping)
    assert sorted(fields) == ["password", "username"]
    assert len(fields) == 2
    assert "password" in fields
    assert "nope" not in fields
    assert fields.get("nope") is None
    with pytest.raises(KeyError):
        fields["nope"]
    with pytest.raises(TypeError):
        fields["password"] = "x"  # type: ignore[index]
    with pytest.raises((TypeError, AttributeError)):
        del fields["password"]  # type: ignore[attr-defined]
    assert fields["password"].reveal_str() == canary


def test_secrets_cannot_be_pickled_or_copied(client: ironsecrets.Client, canary: str) -> None:
    client.put("app/db", {"username": "app", "password": canary})
    secret = client.get("app/db")
    fields = secret.fields()
    for value in (secret.value, fields, ironsecrets.SecretValue(canary)):
        with pytest.raises(TypeError):
            pickle.dumps(value)
        with pytest.raises(TypeError):
            copy.copy(value)
        with pytest.raises(TypeError):
            copy.deepcopy(value)
    with pytest.raises(TypeError):
        pickle.dumps(secret)
    with pytest.raises(TypeError):
        copy.deepcopy({"secret": secret.value})


def test_logging_at_debug_hides_the_value(
    client: ironsecrets.Client, canary: str, caplog: pytest.LogCaptureFixture
) -> None:
    client.put("app/db", {"username": "app", "password": canary})
    client.put("app/token", canary)
    secret = client.get("app/token")
    fields = client.get("app/db").fields()
    log = logging.getLogger("ironsecrets.tests.redaction")
    with caplog.at_level(logging.DEBUG):
        log.debug("secret %s", secret)
        log.debug("value %r", secret.value)
        log.debug("map %s", fields)
        log.debug("object: %s", {"s": secret, "m": fields})
        log.info("formatted %s", secret.value)
        log.debug(secret.value)
        log.debug("dict", extra={"secret_value": secret.value})
        # The SDK's own logging (if any) during calls.
        client.get("app/token")
        client.get("app/db").fields()
    assert caplog.records
    for record in caplog.records:
        assert canary not in record.getMessage()
    assert canary not in caplog.text


def test_leased_credential_hides_its_fields(client: ironsecrets.Client, canary: str) -> None:
    # Without a server, a credential cannot be issued; SecretMap, which carries every
    # credential's fields (LeasedCredential.data), is what is shown. The server tests
    # (test_engines.py) check a real LeasedCredential.
    client.put("app/cred", {"username": "v-app", "password": canary})
    fields = client.get("app/cred").fields()
    _assert_hidden(fields, canary)


def _traceback_texts(client: ironsecrets.Client) -> Tuple[str, str]:
    """The traceback of an error raised while a SecretValue is a local, plain and with
    locals. (No frame here holds the canary as text.)"""

    def fails() -> None:
        secret_value = client.get("app/token").value
        fields = client.get("app/map").fields()
        assert secret_value is not None and fields is not None
        raise RuntimeError("boom")

    try:
        fails()
    except RuntimeError:
        plain = traceback.format_exc()
        with_locals = "".join(
            traceback.TracebackException(*sys.exc_info(), capture_locals=True).format()  # type: ignore[arg-type]
        )
        return plain, with_locals
    raise AssertionError("fails() did not raise")  # pragma: no cover


def test_traceback_with_locals_hides_the_value(client: ironsecrets.Client, canary: str) -> None:
    client.put("app/token", canary)
    client.put("app/map", {"password": canary})
    plain, with_locals = _traceback_texts(client)
    assert "secret_value" in with_locals, "capture_locals did not capture the local"
    assert "REDACTED" in with_locals
    assert canary not in plain
    assert canary not in with_locals


def test_warnings_hide_the_value(client: ironsecrets.Client, canary: str) -> None:
    client.put("app/token", canary)
    value = client.get("app/token").value
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        warnings.warn(str(value))
        warnings.warn(f"token is {value}")
    assert len(caught) == 2
    for warning in caught:
        assert canary not in str(warning.message)


def test_conflict_errors_do_not_echo_the_value(client: ironsecrets.Client, canary: str) -> None:
    first = client.put("app/token", canary)
    client.put("app/token", canary)
    for cas in (0, first.version):
        with pytest.raises(ironsecrets.ConflictError) as caught:
            client.put("app/token", canary, cas=cas)
        err = caught.value
        for text in (str(err), repr(err), *map(str, err.args)):
            assert canary not in text
        assert canary not in "".join(traceback.format_exception(type(err), err, err.__traceback__))


def test_transit_plaintexts_are_secret_values(client: ironsecrets.Client, canary: str) -> None:
    t = client.transit
    t.create_key("k")
    ciphertext = t.encrypt("k", canary)
    assert canary not in ciphertext
    plain = t.decrypt("k", ciphertext)
    assert isinstance(plain, ironsecrets.SecretValue)
    _assert_hidden(plain, canary)
    assert plain.reveal_str() == canary
    data_key = t.generate_data_key("k")
    assert isinstance(data_key.plaintext, ironsecrets.SecretValue)
    assert "REDACTED" in repr(data_key.plaintext)
    assert len(data_key.plaintext.reveal()) == 32
