"""Engines on a real OpenBao (and PostgreSQL): transit, leases and dynamic database
credentials, logins, health, PKI."""

from __future__ import annotations

import datetime
import logging
import os
import secrets
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

import ironsecrets

pytestmark = pytest.mark.services


@pytest.fixture
def vault(openbao: Dict[str, Any]) -> Iterator[ironsecrets.Client]:
    yield ironsecrets.Client.open(
        "vault",
        address=openbao["address"],
        token=openbao["token"],
        mount=openbao["kv_mount"],
        transit=openbao["transit_mount"],
    )


def _name(label: str) -> str:
    return f"py-{label}-{secrets.token_hex(4)}"


# ---------------------------------------------------------------------------------
# Transit.
# ---------------------------------------------------------------------------------


def test_transit_everything(vault: ironsecrets.Client) -> None:
    t = vault.transit
    name = _name("aes")
    created = t.create_key(name)
    assert (created.name, created.key_type, created.latest_version) == (name, "aes256-gcm96", 1)
    assert isinstance(created.created_at, datetime.datetime)
    assert created.exportable is False
    assert name in t.list_keys()

    v1 = t.encrypt(name, "hello transit")
    assert v1.startswith("vault:v1:")
    assert t.decrypt(name, v1).reveal_str() == "hello transit"
    with_context = t.encrypt(name, b"bound", context=b"tenant-a")
    assert t.decrypt(name, with_context, context=b"tenant-a").reveal() == b"bound"
    with pytest.raises(ironsecrets.IntegrityError):
        t.decrypt(name, with_context, context=b"tenant-b")

    rotated = t.rotate_key(name)
    assert rotated.latest_version == 2
    assert t.read_key(name).latest_version == 2
    rewrapped = t.rewrap(name, v1)
    assert rewrapped.startswith("vault:v2:")
    assert t.decrypt(name, rewrapped).reveal_str() == "hello transit"
    assert t.set_min_decryption_version(name, 2).min_decryption_version == 2
    with pytest.raises(ironsecrets.InvalidInputError):
        t.decrypt(name, v1)

    mac = t.hmac(name, b"message")
    assert t.verify_hmac(name, b"message", mac)
    assert not t.verify_hmac(name, b"other", mac)

    data_key = t.generate_data_key(name, 256)
    assert len(data_key.plaintext) == 32
    assert t.decrypt(name, data_key.ciphertext).reveal() == data_key.plaintext.reveal()

    with pytest.raises(ironsecrets.AlreadyExistsError):
        t.create_key(name)
    with pytest.raises(ironsecrets.NotFoundError):
        t.read_key(_name("missing"))


@pytest.mark.parametrize("key_type", ["ed25519", "ecdsa-p256", "rsa-2048"])
def test_transit_sign_verify(vault: ironsecrets.Client, key_type: str) -> None:
    t = vault.transit
    name = _name(key_type)
    assert t.create_key(name, key_type).key_type == key_type
    signature = t.sign(name, b"signed data")
    assert signature.startswith("vault:v1:")
    assert t.verify(name, b"signed data", signature)
    assert not t.verify(name, b"altered data", signature)


def test_transit_import(vault: ironsecrets.Client) -> None:
    # As the Rust check: 32 random bytes imported as an aes256-gcm96 key.
    t = vault.transit
    name = _name("imported")
    info = t.import_key(name, "aes256-gcm96", os.urandom(32))
    assert (info.key_type, info.latest_version) == ("aes256-gcm96", 1)
    ciphertext = t.encrypt(name, b"imported")
    assert ciphertext.startswith("vault:v1:")
    assert t.decrypt(name, ciphertext).reveal() == b"imported"


def test_async_transit(openbao: Dict[str, Any]) -> None:
    import asyncio

    async def main() -> None:
        client = await ironsecrets.AsyncClient.open(
            "vault", address=openbao["address"], token=openbao["token"], transit=openbao["transit_mount"]
        )
        name = _name("async")
        await client.transit.create_key(name)
        ciphertexts = await asyncio.gather(*(client.transit.encrypt(name, f"m{i}") for i in range(20)))
        plains = await asyncio.gather(*(client.transit.decrypt(name, c) for c in ciphertexts))
        assert [p.reveal_str() for p in plains] == [f"m{i}" for i in range(20)]

    asyncio.run(main())


# ---------------------------------------------------------------------------------
# Leases and dynamic database credentials.
# ---------------------------------------------------------------------------------


def _pg_connect(postgres: Dict[str, Any], username: str, password: str) -> Any:
    import psycopg
    return psycopg.connect(
        host=postgres["host"],
        port=postgres["port"],
        dbname=postgres["database"],
        user=username,
        password=password,
        connect_timeout=5,
    )


def test_dynamic_database_credentials(
    vault: ironsecrets.Client, postgres: Dict[str, Any], database: Dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    import psycopg
    assert vault.capabilities()["dynamic_credentials"] is True
    assert vault.capabilities()["leases"] is True
    request = ironsecrets.CredentialRequest.database(database["mount"], database["long_role"])
    assert request.role_path == f"{database['mount']}/{database['long_role']}"
    credential = vault.credentials.issue(request)
    username = credential.data["username"].reveal_str()
    password = credential.data["password"].reveal_str()
    assert username and password
    # The credential never shows its password.
    for shown in (repr(credential), str(credential), repr(credential.data), f"{credential.data}"):
        assert password not in shown
    with caplog.at_level(logging.DEBUG):
        logging.getLogger("ironsecrets.tests").debug("credential %s %r", credential, credential.data)
    assert password not in caplog.text

    lease = credential.lease
    assert lease.id.startswith(f"{database['mount']}/creds/{database['long_role']}/")
    assert lease.renewable is True
    assert lease.ttl > datetime.timedelta(0)
    assert lease.expires_at > lease.issued_at

    with _pg_connect(postgres, username, password) as conn:
        assert conn.execute("SELECT current_user").fetchone() == (username,)

    looked_up = vault.leases.lookup(lease.id)
    assert looked_up.id == lease.id
    assert looked_up.ttl > datetime.timedelta(0)
    renewed = vault.leases.renew(lease.id, 600)
    assert renewed.id == lease.id
    assert renewed.ttl > datetime.timedelta(0)

    vault.leases.revoke(lease.id)
    deadline = time.monotonic() + 10
    while True:
        try:
            _pg_connect(postgres, username, password).close()
        except psycopg.OperationalError:
            break
        assert time.monotonic() < deadline, "the revoked credential still logs in"
        time.sleep(0.2)
    with pytest.raises((ironsecrets.NotFoundError, ironsecrets.LeaseExpiredError, ironsecrets.InvalidInputError)):
        vault.leases.lookup(lease.id)


def test_async_dynamic_credentials(openbao: Dict[str, Any], database: Dict[str, Any]) -> None:
    import asyncio

    async def main() -> None:
        client = await ironsecrets.AsyncClient.open("vault", address=openbao["address"], token=openbao["token"])
        credential = await client.credentials.issue(
            ironsecrets.CredentialRequest.database(database["mount"], database["long_role"])
        )
        looked_up = await client.leases.lookup(credential.lease.id)
        assert looked_up.id == credential.lease.id
        await client.leases.revoke(credential.lease.id)

    asyncio.run(main())


# ---------------------------------------------------------------------------------
# Logins and health.
# ---------------------------------------------------------------------------------


def _plant(vault: ironsecrets.Client) -> str:
    path = f"py-logins/{secrets.token_hex(4)}"
    vault.put(path, "planted")
    return path


def test_userpass_login_then_read(vault: ironsecrets.Client, openbao: Dict[str, Any]) -> None:
    path = _plant(vault)
    userpass = openbao["userpass"]
    client = ironsecrets.Client.open("vault", address=openbao["address"], mount=openbao["kv_mount"])
    token = client.vault().login_userpass(userpass["username"], userpass["password"], mount=userpass["mount"])
    assert isinstance(token.token, ironsecrets.SecretValue)
    assert token.token.reveal_str() not in repr(token)
    assert token.accessor
    assert openbao["policy"] in token.policies
    assert client.get(path).value.reveal_str() == "planted"
    info = client.vault().lookup_self()
    assert openbao["policy"] in info.policies
    renewed = client.vault().renew_self()
    assert renewed.lease.ttl > datetime.timedelta(0)


def test_approle_login_then_read(vault: ironsecrets.Client, openbao: Dict[str, Any]) -> None:
    path = _plant(vault)
    approle = openbao["approle"]
    client = ironsecrets.Client.open("vault", address=openbao["address"], mount=openbao["kv_mount"])
    token = client.vault().login_approle(approle["role_id"], approle["secret_id"], mount=approle["mount"])
    assert openbao["policy"] in token.policies
    assert client.get(path).value.reveal_str() == "planted"


def test_login_at_open(vault: ironsecrets.Client, openbao: Dict[str, Any]) -> None:
    path = _plant(vault)
    userpass = openbao["userpass"]
    client = ironsecrets.Client.open(
        "vault",
        address=openbao["address"],
        mount=openbao["kv_mount"],
        login="userpass",
        auth_mount=userpass["mount"],
        username=userpass["username"],
        password=userpass["password"],
    )
    assert client.get(path).value.reveal_str() == "planted"


def test_health_is_active(vault: ironsecrets.Client) -> None:
    health = vault.vault().health()
    assert health.status == "active"
    assert health.version


# ---------------------------------------------------------------------------------
# PKI (set up with hvac and the root token; the CSR made by the openssl CLI).
# ---------------------------------------------------------------------------------


@pytest.fixture
def pki_mount(openbao: Dict[str, Any]) -> Iterator[str]:
    import hvac
    admin = hvac.Client(url=openbao["address"], token=openbao["token"])
    mount = _name("pki")
    admin.sys.enable_secrets_engine("pki", path=mount, config={"max_lease_ttl": "87600h"})
    admin.secrets.pki.generate_root(type="internal", common_name="ironsecrets py test root", mount_point=mount)
    admin.secrets.pki.create_or_update_role(
        "web",
        {"allowed_domains": "example.com", "allow_subdomains": True, "max_ttl": "72h", "key_type": "ec", "key_bits": 256},
        mount_point=mount,
    )
    yield mount
    admin.sys.disable_secrets_engine(mount)


def _csr(tmp_path: Path, common_name: str) -> str:
    openssl = shutil.which("openssl")
    assert openssl is not None, "the PKI test makes its CSR with the openssl CLI"
    subprocess.run(
        [
            openssl, "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "csr.pem"), "-subj", f"/CN={common_name}",
        ],
        check=True,
        capture_output=True,
    )
    return (tmp_path / "csr.pem").read_text()


def test_pki_sign_csr(vault: ironsecrets.Client, pki_mount: str, tmp_path: Path) -> None:
    csr = _csr(tmp_path, "app.example.com")
    signed = vault.vault().pki_sign(pki_mount, "web", csr, common_name="app.example.com", ttl=3600)
    assert signed.certificate.startswith("-----BEGIN CERTIFICATE-----")
    assert signed.issuing_ca.startswith("-----BEGIN CERTIFICATE-----")
    assert signed.serial_number
    now = datetime.datetime.now(datetime.timezone.utc)
    assert now < signed.expiration <= now + datetime.timedelta(hours=1, minutes=5)


def test_pki_issue_certificate(vault: ironsecrets.Client, pki_mount: str) -> None:
    credential = vault.credentials.issue(
        ironsecrets.CredentialRequest.pki_certificate(pki_mount, "web", "svc.example.com", ttl=600)
    )
    data = credential.data
    assert data["certificate"].reveal_str().startswith("-----BEGIN CERTIFICATE-----")
    private_key = data["private_key"].reveal_str()
    assert "PRIVATE KEY" in private_key
    assert private_key not in repr(credential)
