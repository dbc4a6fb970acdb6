"""The native module: the Rust client (crate ironsecrets-python) as Python classes.

Import from :mod:`ironsecrets`, which re-exports everything here.
"""

from __future__ import annotations

import builtins
import datetime
from typing import Any, NoReturn, AsyncIterator, Awaitable, ClassVar, Iterator, Mapping, Sequence, Union, final

__version__: str
__all__ = [
    "AlreadyExistsError",
    "AsyncClient",
    "AsyncCredentials",
    "AsyncLeases",
    "AsyncTransit",
    "AsyncVault",
    "Client",
    "ConfigError",
    "ConflictError",
    "CredentialRequest",
    "Credentials",
    "DataKey",
    "Drained",
    "ERROR_KINDS",
    "Error",
    "Generation",
    "Generations",
    "Health",
    "IntegrityError",
    "InvalidInputError",
    "KeyInfo",
    "Lease",
    "LeaseEvent",
    "LeaseEvents",
    "LeaseExpiredError",
    "LeaseManager",
    "LeasedCredential",
    "Leases",
    "ManagedLease",
    "NotFoundError",
    "OPERATIONS",
    "PermissionDeniedError",
    "RateLimitedError",
    "RotationEntry",
    "RotationPolicy",
    "RotationStats",
    "Secret",
    "SecretMap",
    "SecretMetadata",
    "SecretValue",
    "SignedCertificate",
    "Ticket",
    "TokenInfo",
    "TokenLease",
    "Transit",
    "UnauthenticatedError",
    "UnavailableError",
    "UnexpectedError",
    "UnsupportedError",
    "Vault",
    "VersionInfo",
]

#: The names of the core's error kinds, in the core's order (``ErrorKind::ALL``); each
#: has an exception class named ``<kind>Error``.
ERROR_KINDS: list[str]
#: The names of the core's operations (``Operation::ALL``), as errors report them.
OPERATIONS: list[str]

#: What an option passed as a keyword argument may be.
OptionValue = Union[str, bytes, bool, int, "SecretValue"]
#: What a secret value may be given as.
ValueLike = Union[str, bytes, "SecretValue"]
#: A version given by number or id.
VersionLike = Union[int, str]
#: A duration given in seconds or as a timedelta.
DurationLike = Union[float, int, datetime.timedelta]

class Error(Exception):
    """Every ironsecrets error; one subclass per error kind."""

    #: The kind's name (``NotFound``, ``Conflict``, ...).
    kind: str
    #: Whether a retry may help.
    retryable: bool
    #: How long the backend asked to wait before a retry, in seconds.
    retry_after: float | None
    #: The backend (``local``, ``vault``, ``aws``, ``azure``, ``gcp``).
    backend: str | None
    #: The operation's name (``get``, ``put``, ``transit-encrypt``, ...).
    operation: str | None
    #: The secret path, key name or lease id the error is about.
    path: str | None

class NotFoundError(Error):
    """The secret, version, key or lease does not exist (or is deleted)."""

class AlreadyExistsError(Error):
    """Something with that name exists already."""

class ConflictError(Error):
    """A check-and-set or concurrent change conflicted."""

class PermissionDeniedError(Error):
    """The caller is known but not allowed to do this."""

class UnauthenticatedError(Error):
    """The caller could not be identified (missing or expired token)."""

class InvalidInputError(Error):
    """The request itself is malformed (bad path, bad option)."""

class UnsupportedError(Error):
    """The backend does not support this operation."""

class UnavailableError(Error):
    """The backend is down, sealed, on standby or unreachable."""

class RateLimitedError(Error):
    """The backend asked us to slow down."""

class LeaseExpiredError(Error):
    """The lease has expired or was revoked."""

class IntegrityError(Error):
    """Data was tampered with, or a wrong key was used."""

class ConfigError(Error):
    """The client is misconfigured (URI, environment, master key), or was made before
    ``os.fork()`` and used in the child."""

class UnexpectedError(Error):
    """Anything else."""

@final
class SecretValue:
    """The bytes of a secret: shown as ``[REDACTED]`` everywhere (repr, str, format,
    logging, tracebacks); read with :meth:`reveal`. Cannot be pickled or copied."""

    def __new__(cls, value: str | bytes) -> SecretValue: ...
    def reveal(self) -> bytes:
        """The raw bytes."""
    def reveal_str(self) -> str:
        """The value as text; InvalidInputError if it is not UTF-8."""
    def __len__(self) -> int: ...
    def __bool__(self) -> bool: ...
    def __eq__(self, other: object, /) -> bool: ...
    __hash__: ClassVar[None]  # type: ignore[assignment]
    def __copy__(self) -> NoReturn:
        """Refused: a secret is not copied by accident."""
    def __deepcopy__(self, memo: object) -> NoReturn:
        """Refused: a secret is not copied by accident."""

@final
class SecretMap(Mapping[str, SecretValue]):
    """A key/value secret: field names are plain, values are :class:`SecretValue`.
    Read-only."""

    def __getitem__(self, key: str, /) -> SecretValue: ...
    def __iter__(self) -> Iterator[str]: ...
    def __len__(self) -> int: ...
    def __contains__(self, key: object, /) -> bool: ...
    def reveal(self) -> dict[str, str]:
        """Every field as text (a plain dict: handle with care)."""
    def __copy__(self) -> NoReturn:
        """Refused: a secret is not copied by accident."""
    def __deepcopy__(self, memo: object) -> NoReturn:
        """Refused: a secret is not copied by accident."""

@final
class RotationPolicy:
    """How often a secret must change, and how long before that to remind."""

    def __new__(cls, period: DurationLike, remind_before: DurationLike | None = None) -> RotationPolicy:
        """A policy; ``remind_before`` defaults to 14 days."""
    @staticmethod
    def days(period: int, remind_before: int = 14) -> RotationPolicy:
        """A policy in whole days."""
    @property
    def period(self) -> datetime.timedelta: ...
    @property
    def remind_before(self) -> datetime.timedelta: ...
    def __eq__(self, other: object, /) -> bool: ...

@final
class Secret:
    """One version of a secret."""

    @property
    def path(self) -> str: ...
    @property
    def version(self) -> str: ...
    @property
    def created_at(self) -> datetime.datetime: ...
    @property
    def value(self) -> SecretValue: ...
    def fields(self) -> SecretMap:
        """The value as a key/value secret; InvalidInputError if it is not one."""

@final
class VersionInfo:
    """One version's state."""

    @property
    def version(self) -> str: ...
    @property
    def created_at(self) -> datetime.datetime: ...
    @property
    def state(self) -> str:
        """``active``, ``deleted`` or ``destroyed``."""
    @property
    def deleted_at(self) -> datetime.datetime | None: ...
    @property
    def stages(self) -> list[str]: ...

@final
class SecretMetadata:
    """A secret's versions, timestamps, tags and rotation policy."""

    @property
    def path(self) -> str: ...
    @property
    def current_version(self) -> str: ...
    @property
    def created_at(self) -> datetime.datetime: ...
    @property
    def updated_at(self) -> datetime.datetime: ...
    @property
    def versions(self) -> list[VersionInfo]: ...
    @property
    def max_versions(self) -> int | None: ...
    @property
    def tags(self) -> dict[str, str]: ...
    @property
    def rotation(self) -> RotationPolicy | None: ...

@final
class RotationEntry:
    """Where one secret stands against its rotation policy."""

    @property
    def path(self) -> str: ...
    @property
    def policy(self) -> RotationPolicy: ...
    @property
    def default_policy(self) -> bool: ...
    @property
    def last_rotated(self) -> datetime.datetime: ...
    @property
    def status(self) -> str:
        """``healthy``, ``expiring_soon`` or ``expired``."""
    @property
    def days(self) -> int | None:
        """Days left (expiring soon) or over (expired)."""

@final
class KeyInfo:
    """A transit key."""

    @property
    def name(self) -> str: ...
    @property
    def key_type(self) -> str: ...
    @property
    def latest_version(self) -> int: ...
    @property
    def min_decryption_version(self) -> int: ...
    @property
    def created_at(self) -> datetime.datetime: ...
    @property
    def exportable(self) -> bool: ...

@final
class DataKey:
    """A data key: its plaintext (use, then drop) and its ciphertext (store)."""

    @property
    def plaintext(self) -> SecretValue: ...
    @property
    def ciphertext(self) -> str: ...

@final
class Lease:
    """A lease on dynamic credentials or a token."""

    @property
    def id(self) -> str: ...
    @property
    def ttl(self) -> datetime.timedelta: ...
    @property
    def renewable(self) -> bool: ...
    @property
    def issued_at(self) -> datetime.datetime: ...
    @property
    def expires_at(self) -> datetime.datetime: ...

@final
class LeasedCredential:
    """Credentials under a lease (``username``/``password``, a certificate, ...)."""

    @property
    def lease(self) -> Lease: ...
    @property
    def data(self) -> SecretMap: ...

@final
class CredentialRequest:
    """What dynamic credential to issue."""

    @staticmethod
    def database(mount: str, role: str) -> CredentialRequest:
        """A database dynamic role (``<mount>/creds/<role>``)."""
    @staticmethod
    def database_static(mount: str, role: str) -> CredentialRequest:
        """A database static role (``<mount>/static-creds/<role>``)."""
    @staticmethod
    def ssh_otp(mount: str, role: str, ip: str, username: str | None = None) -> CredentialRequest:
        """An SSH one-time password."""
    @staticmethod
    def ssh_signed_key(
        mount: str,
        role: str,
        public_key: str,
        valid_principals: Sequence[str] = ...,
        host: bool = False,
        ttl: DurationLike | None = None,
    ) -> CredentialRequest:
        """An SSH certificate for ``public_key``."""
    @staticmethod
    def pki_certificate(
        mount: str,
        role: str,
        common_name: str,
        alt_names: Sequence[str] = ...,
        ttl: DurationLike | None = None,
    ) -> CredentialRequest:
        """An X.509 certificate and its private key."""
    @staticmethod
    def cloud(mount: str, role: str, ttl: DurationLike | None = None) -> CredentialRequest:
        """Cloud credentials (AWS, Azure or GCP secrets engine; AWS STS)."""
    @property
    def role_path(self) -> str: ...

@final
class TokenLease:
    """A token a login returned."""

    @property
    def token(self) -> SecretValue: ...
    @property
    def accessor(self) -> str: ...
    @property
    def policies(self) -> list[str]: ...
    @property
    def lease(self) -> Lease: ...
    @property
    def entity_id(self) -> str | None: ...

@final
class TokenInfo:
    """What the server knows of a token."""

    @property
    def accessor(self) -> str: ...
    @property
    def display_name(self) -> str: ...
    @property
    def path(self) -> str: ...
    @property
    def policies(self) -> list[str]: ...
    @property
    def lease(self) -> Lease: ...

@final
class Health:
    """A Vault / OpenBao server's health."""

    @property
    def status(self) -> str:
        """``active``, ``standby``, ``performance_standby``, ``dr_secondary``,
        ``sealed`` or ``uninitialized``."""
    @property
    def version(self) -> str: ...
    @property
    def cluster_name(self) -> str | None: ...

@final
class SignedCertificate:
    """A certificate Vault's PKI engine signed."""

    @property
    def certificate(self) -> str: ...
    @property
    def issuing_ca(self) -> str: ...
    @property
    def ca_chain(self) -> list[str]: ...
    @property
    def serial_number(self) -> str: ...
    @property
    def expiration(self) -> datetime.datetime: ...

# ---------------------------------------------------------------------------------
# Clients. Every method of the sync classes blocks with the GIL released (Ctrl-C
# interrupts it); the Async classes have the same methods as awaitables.
# ---------------------------------------------------------------------------------

@final
class Client:
    """A connection to one backend (``local://``, ``vault://``, ``aws-sm://``,
    ``azure-kv://``, ``gcp-sm://``), behind error context and retries."""

    @staticmethod
    def from_uri(uri: str, **options: OptionValue) -> Client:
        """Opens the backend a URI names; ``options`` are the backend's options
        (``master_key``, ``token``, ``region``, ...), never read from the URI."""
    @staticmethod
    def from_env() -> Client:
        """Opens ``$IRONSECRETS_STORE`` or the default embedded store."""
    @staticmethod
    def open(scheme: str, **options: OptionValue) -> Client:
        """Opens backend ``scheme`` with key/value options."""
    def with_retry(
        self,
        max_attempts: int = 4,
        initial_backoff: DurationLike = ...,
        max_backoff: DurationLike = ...,
    ) -> Client:
        """The same connection with another retry policy (``max_attempts=1``: none;
        backoffs default to 0.05 s and 2 s)."""
    def with_cache(self, ttl: DurationLike, max_entries: int = 10000) -> Client:
        """The same connection with reads cached for ``ttl``."""
    @property
    def name(self) -> str: ...
    def capabilities(self) -> dict[str, Any]:
        """What the backend supports (``store``, ``transit``, ``leases``,
        ``dynamic_credentials``)."""
    @property
    def transit(self) -> Transit: ...
    @property
    def leases(self) -> Leases: ...
    @property
    def credentials(self) -> Credentials: ...
    def vault(self) -> Vault:
        """The Vault / OpenBao engines; UnsupportedError for other backends."""
    def get(self, path: str, version: VersionLike | None = None, *, stage: str | None = None) -> Secret: ...
    def get_version(self, path: str, version: VersionLike) -> Secret: ...
    def put(
        self,
        path: str,
        value: ValueLike | Mapping[str, ValueLike],
        *,
        cas: VersionLike | None = None,
        tags: Mapping[str, str] | None = None,
        rotation: RotationPolicy | None = None,
        max_versions: int | None = None,
    ) -> VersionInfo:
        """Writes a new version. ``cas=0``: only if the secret does not exist;
        ``cas=N``: only if version N is the newest."""
    def patch(
        self,
        path: str,
        set: Mapping[str, ValueLike] | None = None,
        remove: Sequence[str] = ...,
    ) -> VersionInfo:
        """Changes some fields of a key/value secret as a new version (check-and-set
        against the version read)."""
    def list(self, prefix: str = "") -> builtins.list[str]: ...
    def delete(self, path: str, versions: Sequence[VersionLike] = ...) -> None: ...
    def undelete(self, path: str, versions: Sequence[VersionLike] = ...) -> None: ...
    def destroy(self, path: str, versions: Sequence[VersionLike] = ...) -> None: ...
    def purge(self, path: str) -> None: ...
    def versions(self, path: str) -> builtins.list[VersionInfo]: ...
    def metadata(self, path: str) -> SecretMetadata: ...
    def update_metadata(
        self,
        path: str,
        *,
        tags: Mapping[str, str] | None = None,
        rotation: RotationPolicy | None = None,
        clear_rotation: bool = False,
        max_versions: int | None = None,
    ) -> SecretMetadata: ...
    def rotation_status(self, prefix: str = "", at: datetime.datetime | None = None) -> builtins.list[RotationEntry]: ...

@final
class AsyncClient:
    """:class:`Client` for asyncio: the same methods, as awaitables. Cancelling the
    awaiting task cancels the request."""

    @staticmethod
    def from_uri(uri: str, **options: OptionValue) -> Awaitable[AsyncClient]: ...
    @staticmethod
    def from_env() -> Awaitable[AsyncClient]: ...
    @staticmethod
    def open(scheme: str, **options: OptionValue) -> Awaitable[AsyncClient]: ...
    def with_retry(
        self,
        max_attempts: int = 4,
        initial_backoff: DurationLike = ...,
        max_backoff: DurationLike = ...,
    ) -> AsyncClient: ...
    def with_cache(self, ttl: DurationLike, max_entries: int = 10000) -> AsyncClient: ...
    @property
    def name(self) -> str: ...
    def capabilities(self) -> dict[str, Any]: ...
    @property
    def transit(self) -> AsyncTransit: ...
    @property
    def leases(self) -> AsyncLeases: ...
    @property
    def credentials(self) -> AsyncCredentials: ...
    def vault(self) -> AsyncVault: ...
    def get(self, path: str, version: VersionLike | None = None, *, stage: str | None = None) -> Awaitable[Secret]: ...
    def get_version(self, path: str, version: VersionLike) -> Awaitable[Secret]: ...
    def put(
        self,
        path: str,
        value: ValueLike | Mapping[str, ValueLike],
        *,
        cas: VersionLike | None = None,
        tags: Mapping[str, str] | None = None,
        rotation: RotationPolicy | None = None,
        max_versions: int | None = None,
    ) -> Awaitable[VersionInfo]: ...
    def patch(
        self,
        path: str,
        set: Mapping[str, ValueLike] | None = None,
        remove: Sequence[str] = ...,
    ) -> Awaitable[VersionInfo]: ...
    def list(self, prefix: str = "") -> Awaitable[builtins.list[str]]: ...
    def delete(self, path: str, versions: Sequence[VersionLike] = ...) -> Awaitable[None]: ...
    def undelete(self, path: str, versions: Sequence[VersionLike] = ...) -> Awaitable[None]: ...
    def destroy(self, path: str, versions: Sequence[VersionLike] = ...) -> Awaitable[None]: ...
    def purge(self, path: str) -> Awaitable[None]: ...
    def versions(self, path: str) -> Awaitable[builtins.list[VersionInfo]]: ...
    def metadata(self, path: str) -> Awaitable[SecretMetadata]: ...
    def update_metadata(
        self,
        path: str,
        *,
        tags: Mapping[str, str] | None = None,
        rotation: RotationPolicy | None = None,
        clear_rotation: bool = False,
        max_versions: int | None = None,
    ) -> Awaitable[SecretMetadata]: ...
    def rotation_status(self, prefix: str = "", at: datetime.datetime | None = None) -> Awaitable[builtins.list[RotationEntry]]: ...

@final
class Transit:
    """The transit engine: keys that never leave the backend."""

    def create_key(self, name: str, key_type: str = "aes256-gcm96", exportable: bool = False) -> KeyInfo: ...
    def read_key(self, name: str) -> KeyInfo: ...
    def list_keys(self) -> list[str]: ...
    def rotate_key(self, name: str) -> KeyInfo: ...
    def set_min_decryption_version(self, name: str, version: int) -> KeyInfo: ...
    def encrypt(self, name: str, plaintext: ValueLike, context: bytes | None = None) -> str: ...
    def decrypt(self, name: str, ciphertext: str, context: bytes | None = None) -> SecretValue: ...
    def rewrap(self, name: str, ciphertext: str, context: bytes | None = None) -> str: ...
    def sign(self, name: str, data: ValueLike) -> str: ...
    def verify(self, name: str, data: ValueLike, signature: str) -> bool: ...
    def hmac(self, name: str, data: ValueLike) -> str: ...
    def verify_hmac(self, name: str, data: ValueLike, hmac: str) -> bool: ...
    def generate_data_key(self, name: str, bits: int = 256) -> DataKey: ...
    def import_key(self, name: str, key_type: str, material: ValueLike) -> KeyInfo: ...

@final
class AsyncTransit:
    """:class:`Transit` as awaitables."""

    def create_key(self, name: str, key_type: str = "aes256-gcm96", exportable: bool = False) -> Awaitable[KeyInfo]: ...
    def read_key(self, name: str) -> Awaitable[KeyInfo]: ...
    def list_keys(self) -> Awaitable[list[str]]: ...
    def rotate_key(self, name: str) -> Awaitable[KeyInfo]: ...
    def set_min_decryption_version(self, name: str, version: int) -> Awaitable[KeyInfo]: ...
    def encrypt(self, name: str, plaintext: ValueLike, context: bytes | None = None) -> Awaitable[str]: ...
    def decrypt(self, name: str, ciphertext: str, context: bytes | None = None) -> Awaitable[SecretValue]: ...
    def rewrap(self, name: str, ciphertext: str, context: bytes | None = None) -> Awaitable[str]: ...
    def sign(self, name: str, data: ValueLike) -> Awaitable[str]: ...
    def verify(self, name: str, data: ValueLike, signature: str) -> Awaitable[bool]: ...
    def hmac(self, name: str, data: ValueLike) -> Awaitable[str]: ...
    def verify_hmac(self, name: str, data: ValueLike, hmac: str) -> Awaitable[bool]: ...
    def generate_data_key(self, name: str, bits: int = 256) -> Awaitable[DataKey]: ...
    def import_key(self, name: str, key_type: str, material: ValueLike) -> Awaitable[KeyInfo]: ...

@final
class Leases:
    """Lease renewal, revocation and lookup."""

    def renew(self, lease_id: str, increment: DurationLike | None = None) -> Lease: ...
    def revoke(self, lease_id: str) -> None: ...
    def lookup(self, lease_id: str) -> Lease: ...

@final
class AsyncLeases:
    """:class:`Leases` as awaitables."""

    def renew(self, lease_id: str, increment: DurationLike | None = None) -> Awaitable[Lease]: ...
    def revoke(self, lease_id: str) -> Awaitable[None]: ...
    def lookup(self, lease_id: str) -> Awaitable[Lease]: ...

@final
class Credentials:
    """Dynamic credentials: database, SSH, PKI, cloud."""

    def issue(self, request: CredentialRequest) -> LeasedCredential: ...

@final
class AsyncCredentials:
    """:class:`Credentials` as awaitables."""

    def issue(self, request: CredentialRequest) -> Awaitable[LeasedCredential]: ...

@final
class Vault:
    """A Vault / OpenBao client's own engines: logins, token, health, PKI signing. A
    token login is the client's ``token`` option (``Client.open("vault", token=...)``)."""

    def login_approle(self, role_id: str, secret_id: ValueLike, mount: str = "approle") -> TokenLease: ...
    def login_userpass(self, username: str, password: ValueLike, mount: str = "userpass") -> TokenLease: ...
    def login_jwt(self, jwt: ValueLike, role: str | None = None, mount: str = "jwt") -> TokenLease: ...
    def login_kubernetes(self, role: str, token_file: str | None = None, mount: str = "kubernetes") -> TokenLease: ...
    def login_cert(self, name: str | None = None, mount: str = "cert") -> TokenLease: ...
    def renew_self(self, increment: DurationLike | None = None) -> TokenLease: ...
    def lookup_self(self) -> TokenInfo: ...
    def health(self) -> Health: ...
    def pki_sign(
        self,
        mount: str,
        role: str,
        csr: str,
        common_name: str = "",
        alt_names: Sequence[str] = ...,
        ttl: DurationLike | None = None,
    ) -> SignedCertificate: ...

@final
class AsyncVault:
    """:class:`Vault` as awaitables."""

    def login_approle(self, role_id: str, secret_id: ValueLike, mount: str = "approle") -> Awaitable[TokenLease]: ...
    def login_userpass(self, username: str, password: ValueLike, mount: str = "userpass") -> Awaitable[TokenLease]: ...
    def login_jwt(self, jwt: ValueLike, role: str | None = None, mount: str = "jwt") -> Awaitable[TokenLease]: ...
    def login_kubernetes(self, role: str, token_file: str | None = None, mount: str = "kubernetes") -> Awaitable[TokenLease]: ...
    def login_cert(self, name: str | None = None, mount: str = "cert") -> Awaitable[TokenLease]: ...
    def renew_self(self, increment: DurationLike | None = None) -> Awaitable[TokenLease]: ...
    def lookup_self(self) -> Awaitable[TokenInfo]: ...
    def health(self) -> Awaitable[Health]: ...
    def pki_sign(
        self,
        mount: str,
        role: str,
        csr: str,
        common_name: str = "",
        alt_names: Sequence[str] = ...,
        ttl: DurationLike | None = None,
    ) -> Awaitable[SignedCertificate]: ...

# ---------------------------------------------------------------------------------
# Leases kept alive, and credential generations for pools.
# ---------------------------------------------------------------------------------

@final
class LeaseEvent:
    """Something that happened to a managed lease."""

    @property
    def kind(self) -> str:
        """``renewed``, ``rotated``, ``failed``, ``expired`` or ``revoked``."""
    @property
    def name(self) -> str: ...
    @property
    def lease(self) -> Lease | None:
        """The lease as granted (renewed) or the new one (rotated)."""
    @property
    def lease_id(self) -> str | None:
        """The revoked lease's id (revoked)."""
    @property
    def error_kind(self) -> str | None: ...
    @property
    def message(self) -> str | None: ...
    @property
    def retry_in(self) -> datetime.timedelta | None: ...

@final
class LeaseEvents:
    """The events of a managed lease from the moment it was asked for: an iterator
    (blocking, GIL released) and an async iterator. Ends when the lease is stopped."""

    def __iter__(self) -> Iterator[LeaseEvent]: ...
    def __next__(self) -> LeaseEvent: ...
    def __aiter__(self) -> AsyncIterator[LeaseEvent]: ...
    def __anext__(self) -> Awaitable[LeaseEvent]: ...
    def next(self, timeout: DurationLike | None = None) -> LeaseEvent | None:
        """The next event, or ``None`` after ``timeout`` or when the lease is stopped."""

@final
class LeaseManager:
    """Keeps leases alive from one background task: renews them ahead of expiry and
    issues new credentials when they cannot be renewed any more."""

    def __new__(
        cls,
        client: Client | AsyncClient,
        *,
        renew_fraction: float = 2.0 / 3.0,
        reissue_fraction: float = 0.85,
        reissue_lead: DurationLike = ...,
        revoke_old_after: DurationLike | None = None,
        backoff_initial: DurationLike = ...,
        backoff_max: DurationLike = ...,
        call_timeout: DurationLike = ...,
    ) -> LeaseManager:
        """A manager on ``client``'s backend. Durations are seconds or timedeltas;
        defaults: ``reissue_lead`` 1 s, ``backoff_initial`` 0.5 s, ``backoff_max`` 30 s,
        ``call_timeout`` 10 s."""
    def manage(self, name: str, request: CredentialRequest) -> ManagedLease:
        """Issues the credential (blocking) and keeps it alive."""
    def manage_async(self, name: str, request: CredentialRequest) -> Awaitable[ManagedLease]: ...
    def events(self) -> LeaseEvents:
        """Every managed lease's events from now on."""
    def shutdown(self, revoke: bool = True) -> None:
        """Stops every lease, revoking them when ``revoke``."""

@final
class ManagedLease:
    """One lease the manager keeps alive."""

    @property
    def name(self) -> str: ...
    def current(self) -> LeasedCredential: ...
    def lease(self) -> Lease: ...
    def changed(self, timeout: DurationLike | None = None) -> LeasedCredential | None:
        """Waits (GIL released) for a credential newer than the last one this returned;
        ``None`` after ``timeout``, or once the lease is stopped and none is left."""
    def changed_async(self) -> Awaitable[LeasedCredential | None]: ...
    def events(self) -> LeaseEvents: ...
    def rotate(self) -> None:
        """Asks for a new credential now and returns at once; follow :meth:`changed` for
        it."""
    def stop(self, revoke: bool = True) -> None: ...

@final
class RotationStats:
    """What a :class:`Generations` has done so far."""

    @property
    def generation(self) -> int: ...
    @property
    def opened(self) -> int: ...
    @property
    def retired(self) -> int: ...
    @property
    def refused_stale(self) -> int: ...
    @property
    def revoked_drained(self) -> int: ...
    @property
    def revoked_at_deadline(self) -> int: ...
    @property
    def revoke_failures(self) -> int: ...
    @property
    def draining(self) -> int: ...

@final
class Generation:
    """One credential of a managed lease, numbered from 0."""

    @property
    def number(self) -> int: ...
    @property
    def credential(self) -> LeasedCredential: ...

@final
class Ticket:
    """An open connection of one generation; :meth:`close` it with the connection."""

    @property
    def generation(self) -> int: ...
    def is_stale(self) -> bool:
        """Whether the credential was replaced since (close the connection when idle)."""
    def close(self) -> None: ...

@final
class Drained:
    """An old generation is done with (its lease revoked)."""

    @property
    def generation(self) -> int: ...
    @property
    def at_deadline(self) -> bool: ...
    @property
    def revoked(self) -> bool: ...

@final
class Generations:
    """Which credential each pooled connection was opened with, and when an old
    credential's lease may be revoked: the driver-neutral half of a rotating pool."""

    def __new__(
        cls,
        lease: ManagedLease,
        *,
        revoke_margin: DurationLike = ...,
        unleased_drain: DurationLike = ...,
    ) -> Generations:
        """Follows ``lease``; an old lease is revoked once drained, or ``revoke_margin``
        (default 0.5 s) before it ends; a replaced credential without a lease is done
        with after ``unleased_drain`` (default 60 s)."""
    def current(self) -> Generation: ...
    def open(self, generation: int) -> Ticket:
        """A ticket for a connection opened with ``generation``'s credential;
        ConflictError if the credential rotated meanwhile (connect again)."""
    def changed(self, after: int, timeout: DurationLike | None = None) -> Generation | None: ...
    def changed_async(self, after: int) -> Awaitable[Generation | None]: ...
    def drained(self, timeout: DurationLike | None = None) -> Drained | None:
        """The next old generation done with, from when this object was made."""
    def draining(self) -> bool: ...
    def stats(self) -> RotationStats: ...
    def close(self) -> None: ...
