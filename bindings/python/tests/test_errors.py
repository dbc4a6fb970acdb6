"""Errors: one exception class per core error kind, declared in the stub, and the right
class (with its context) for each mistake a user can make."""

from __future__ import annotations

import ast
import pathlib
import socket
from typing import Any, Dict, Set

import pytest

import ironsecrets


def _stub_path() -> pathlib.Path:
    return pathlib.Path(ironsecrets._native.__file__).with_name("_native.pyi")


def _stub_error_classes() -> Set[str]:
    """The classes the installed stub declares as subclasses of ``Error``."""
    tree = ast.parse(_stub_path().read_text(encoding="utf-8"))
    declared: Set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            bases = {b.id for b in node.bases if isinstance(b, ast.Name)}
            if "Error" in bases:
                declared.add(node.name)
    return declared


@pytest.fixture
def client(local_client: ironsecrets.Client) -> ironsecrets.Client:
    return local_client


def _closed_port() -> int:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


# ---------------------------------------------------------------------------------
# The classes.
# ---------------------------------------------------------------------------------


def test_error_base_is_an_exception() -> None:
    assert issubclass(ironsecrets.Error, Exception)


def test_every_kind_has_a_class_declared_in_the_stub() -> None:
    assert ironsecrets.ERROR_KINDS, "ERROR_KINDS is empty"
    declared = _stub_error_classes()
    for kind in ironsecrets.ERROR_KINDS:
        name = f"{kind}Error"
        cls = getattr(ironsecrets, name, None)
        assert isinstance(cls, type), f"ironsecrets.{name} is missing"
        assert issubclass(cls, ironsecrets.Error), f"{name} is not a subclass of ironsecrets.Error"
        assert cls is not ironsecrets.Error
        assert name in declared, f"{name} is not declared in {_stub_path()}"
    # ... and the stub declares no class the module lacks.
    for name in declared:
        assert name[: -len("Error")] in ironsecrets.ERROR_KINDS, f"the stub declares {name}, which is no kind"


def test_the_wheel_ships_the_stub_and_py_typed() -> None:
    assert _stub_path().is_file()
    assert _stub_path().with_name("py.typed").is_file()


def test_kinds_and_operations_are_the_cores() -> None:
    assert ironsecrets.ERROR_KINDS[0] == "NotFound"
    assert ironsecrets.ERROR_KINDS[-1] == "Unexpected"
    assert len(set(ironsecrets.ERROR_KINDS)) == len(ironsecrets.ERROR_KINDS)
    for operation in ("get", "put", "metadata", "open", "transit-encrypt", "lease-renew"):
        assert operation in ironsecrets.OPERATIONS


# ---------------------------------------------------------------------------------
# The errors users hit.
# ---------------------------------------------------------------------------------


def test_not_found_names_backend_operation_and_path(client: ironsecrets.Client) -> None:
    with pytest.raises(ironsecrets.NotFoundError) as caught:
        client.get("app/missing")
    err = caught.value
    assert err.kind == "NotFound"
    assert err.operation == "get"
    assert err.backend == "local"
    assert err.path == "app/missing"
    assert err.retryable is False
    assert err.retry_after is None
    assert isinstance(err, ironsecrets.Error)
    assert str(err)


def test_conflict_on_check_and_set(client: ironsecrets.Client) -> None:
    client.put("app/cas", "one")
    with pytest.raises(ironsecrets.ConflictError) as caught:
        client.put("app/cas", "two", cas=0)
    assert caught.value.kind == "Conflict"
    assert caught.value.operation == "put"
    assert caught.value.path == "app/cas"
    assert caught.value.retryable is False
    with pytest.raises(ironsecrets.ConflictError):
        client.put("app/cas", "two", cas=7)


@pytest.mark.parametrize("path", ["../x", "", "a//b", "/a", "a/"])
def test_invalid_paths_are_invalid_input(client: ironsecrets.Client, path: str) -> None:
    with pytest.raises(ironsecrets.InvalidInputError) as caught:
        client.get(path)
    assert caught.value.kind == "InvalidInput"
    assert caught.value.operation == "get"


def test_unknown_key_type_is_invalid_input(client: ironsecrets.Client) -> None:
    with pytest.raises(ironsecrets.InvalidInputError) as caught:
        client.transit.create_key("k", "no-such-type")
    assert "no-such-type" in str(caught.value)


def test_fields_of_a_non_map_is_invalid_input(client: ironsecrets.Client) -> None:
    client.put("app/plain", "not json")
    with pytest.raises(ironsecrets.InvalidInputError):
        client.get("app/plain").fields()


def test_reveal_str_of_binary_is_invalid_input() -> None:
    with pytest.raises(ironsecrets.InvalidInputError):
        ironsecrets.SecretValue(b"\xff\xfe").reveal_str()


def test_wrong_argument_types_are_type_errors(client: ironsecrets.Client) -> None:
    with pytest.raises(TypeError):
        client.put("app/x", 42)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        client.get("app/x", version=True)


def test_unknown_scheme_is_config() -> None:
    with pytest.raises(ironsecrets.ConfigError) as caught:
        ironsecrets.Client.from_uri("nope://somewhere")
    err = caught.value
    assert err.kind == "Config"
    assert err.operation == "open"
    assert "nope" in str(err)
    assert err.retryable is False
    with pytest.raises(ironsecrets.ConfigError):
        ironsecrets.Client.open("nope")


def test_wrong_master_key_is_refused(tmp_store: str, master_key: str) -> None:
    ironsecrets.Client.from_uri(
        "local://" + tmp_store, master_key=master_key, kdf_memory_kib=1024, kdf_iterations=1, kdf_parallelism=1
    ).put("app/x", "v")
    wrong = "not the master key at all"
    with pytest.raises(ironsecrets.IntegrityError) as caught:
        ironsecrets.Client.from_uri("local://" + tmp_store, master_key=wrong)
    assert "master key" in str(caught.value)
    assert wrong not in str(caught.value)
    assert master_key not in str(caught.value)


def test_missing_master_key_is_config(tmp_store: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IRONSECRETS_MASTER_KEY", raising=False)
    with pytest.raises(ironsecrets.ConfigError) as caught:
        ironsecrets.Client.from_uri("local://" + tmp_store)
    assert "IRONSECRETS_MASTER_KEY" in str(caught.value)


def test_missing_store_with_create_false_is_refused(tmp_store: str, master_key: str) -> None:
    with pytest.raises(ironsecrets.Error) as caught:
        ironsecrets.Client.from_uri("local://" + tmp_store, master_key=master_key, create=False)
    assert caught.value.kind in ("NotFound", "Config")


def test_option_in_uri_and_kwargs_is_config(tmp_store: str, master_key: str) -> None:
    with pytest.raises(ironsecrets.ConfigError) as caught:
        ironsecrets.Client.from_uri(
            "local://" + tmp_store + "?principal=admin", master_key=master_key, principal="admin"
        )
    assert "principal" in str(caught.value)
    assert "twice" in str(caught.value)


def test_credential_in_uri_is_config_and_not_echoed(tmp_store: str) -> None:
    with pytest.raises(ironsecrets.ConfigError) as caught:
        ironsecrets.Client.from_uri("local://" + tmp_store + "?master_key=s3cr3t-in-uri")
    assert "master_key" in str(caught.value)
    assert "s3cr3t-in-uri" not in str(caught.value)
    assert "s3cr3t-in-uri" not in repr(caught.value)


def test_unknown_option_is_config_naming_it(tmp_store: str, master_key: str) -> None:
    with pytest.raises(ironsecrets.ConfigError) as caught:
        ironsecrets.Client.from_uri("local://" + tmp_store, master_key=master_key, mastr_kee="x")
    assert "mastr_kee" in str(caught.value)
    with pytest.raises(ironsecrets.ConfigError) as caught:
        ironsecrets.Client.open("vault", address="http://127.0.0.1:1", token="t", mout="secret")
    assert "mout" in str(caught.value)


def test_vault_engines_on_local_are_unsupported(client: ironsecrets.Client) -> None:
    with pytest.raises(ironsecrets.UnsupportedError) as caught:
        client.vault()
    assert caught.value.kind == "Unsupported"


def test_leases_on_local_are_unsupported(client: ironsecrets.Client) -> None:
    caps = client.capabilities()
    assert caps["leases"] is False
    with pytest.raises(ironsecrets.UnsupportedError):
        client.leases.lookup("some/lease")
    with pytest.raises(ironsecrets.UnsupportedError):
        client.credentials.issue(ironsecrets.CredentialRequest.database("database", "app"))


def test_tampered_ciphertext_is_integrity(client: ironsecrets.Client) -> None:
    t = client.transit
    t.create_key("k")
    ciphertext = t.encrypt("k", b"hello world, this is a plaintext")
    prefix, version, payload = ciphertext.split(":", 2)
    middle = len(payload) // 2
    tampered = payload[:middle] + ("B" if payload[middle] == "A" else "A") + payload[middle + 1 :]
    with pytest.raises(ironsecrets.IntegrityError) as caught:
        t.decrypt("k", f"{prefix}:{version}:{tampered}")
    assert caught.value.kind == "Integrity"
    assert caught.value.operation == "transit-decrypt"


def test_unreachable_vault_is_unavailable() -> None:
    port = _closed_port()
    client = ironsecrets.Client.open("vault", address=f"http://127.0.0.1:{port}", token="t").with_retry(
        max_attempts=1
    )
    with pytest.raises(ironsecrets.UnavailableError) as caught:
        client.get("app/x")
    err = caught.value
    assert err.kind == "Unavailable"
    assert err.retryable is True
    assert err.backend == "vault"
    assert err.operation == "get"
    assert err.path == "app/x"


def test_plain_http_to_a_remote_vault_is_config() -> None:
    with pytest.raises(ironsecrets.ConfigError) as caught:
        ironsecrets.Client.open("vault", address="http://vault.example.com:8200", token="t")
    assert "loopback" in str(caught.value)


@pytest.mark.services
def test_bad_token_on_openbao_is_unauthenticated_or_denied(openbao: Dict[str, Any]) -> None:
    client = ironsecrets.Client.open(
        "vault", address=openbao["address"], token="not-a-real-token", mount=openbao["kv_mount"]
    ).with_retry(max_attempts=1)
    with pytest.raises((ironsecrets.UnauthenticatedError, ironsecrets.PermissionDeniedError)) as caught:
        client.get("app/anything")
    assert caught.value.kind in ("Unauthenticated", "PermissionDenied")
    assert caught.value.backend == "vault"
    assert "not-a-real-token" not in str(caught.value)


@pytest.mark.services
def test_login_with_a_wrong_password_is_refused(openbao: Dict[str, Any]) -> None:
    userpass = openbao["userpass"]
    client = ironsecrets.Client.open("vault", address=openbao["address"]).with_retry(max_attempts=1)
    with pytest.raises((ironsecrets.UnauthenticatedError, ironsecrets.PermissionDeniedError, ironsecrets.InvalidInputError)) as caught:
        client.vault().login_userpass(userpass["username"], "wrong-password-canary", mount=userpass["mount"])
    assert "wrong-password-canary" not in str(caught.value)


@pytest.mark.services
def test_missing_secret_on_openbao_names_vault(openbao: Dict[str, Any]) -> None:
    client = ironsecrets.Client.open("vault", address=openbao["address"], token=openbao["token"])
    with pytest.raises(ironsecrets.NotFoundError) as caught:
        client.get("py-errors/never-written")
    assert caught.value.backend == "vault"
    assert caught.value.operation == "get"
    assert caught.value.path == "py-errors/never-written"
