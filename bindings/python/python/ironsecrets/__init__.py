"""ironsecrets: one API for secrets, leases, dynamic credentials and encryption as a
service, over HashiCorp Vault / OpenBao, AWS, Azure, GCP and an embedded encrypted store.

>>> import ironsecrets
>>> client = ironsecrets.Client.from_uri("local:///tmp/app.db", master_key="...")  # doctest: +SKIP
>>> client.put("app/db/password", "hunter2")  # doctest: +SKIP
>>> client.get("app/db/password").value.reveal_str()  # doctest: +SKIP
'hunter2'

Everything is implemented by the Rust core (module :mod:`ironsecrets._native`); this
package re-exports it. Pools that follow credential rotation are in
:mod:`ironsecrets.sqlalchemy` and :mod:`ironsecrets.psycopg`.
"""

from ._native import *  # noqa: F401,F403
from ._native import __all__, __version__  # noqa: F401
