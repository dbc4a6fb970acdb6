"""The main job on the embedded store, from Python, with no server: store, read, version
and rotate secrets, encrypt with a transit key, then show the rotation status.

Run (with the ironsecrets wheel installed)::

    python examples/python/quickstart.py

It uses ``IRONSECRETS_MASTER_KEY`` when set, a throw-away demo key otherwise, and a
store file in a temporary directory that is removed at the end.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import ironsecrets

DEMO_KEY = "quickstart demo key - never use in production"


def run(store: Path, master_key: str) -> None:
    """The quickstart on the store file ``store`` (created here)."""
    client = ironsecrets.Client.from_uri("local://" + str(store), master_key=master_key, create_new=True)
    print(f"opened {store} on the {client.name} backend")

    # A key/value secret with a rotation policy, read back field by field.
    policy = ironsecrets.RotationPolicy.days(30, remind_before=7)
    client.put("app/db", {"username": "app", "password": "first-password"}, rotation=policy)
    fields = client.get("app/db").fields()
    print(f"app/db username = {fields['username'].reveal_str()}")
    print(f"app/db password = {fields['password']} (values print redacted)")

    # Rotate: a new version; the old one stays readable by number.
    v2 = client.put("app/db", {"username": "app", "password": "second-password"})
    v1 = client.get_version("app/db", 1)
    versions = ", ".join(f"{v.version} ({v.state})" for v in client.versions("app/db"))
    print(f"rotated app/db to version {v2.version}; version {v1.version} is still readable")
    print(f"app/db versions: {versions}")
    client.put("app/api-key", "sk-test-123")

    # Encrypt with a transit key that never leaves the store.
    transit = client.transit
    transit.create_key("payments")
    ciphertext = transit.encrypt("payments", "4111 1111 1111 1111")
    plaintext = transit.decrypt("payments", ciphertext)
    print(f"transit ciphertext {ciphertext} decrypts to {len(plaintext)} bytes")

    print("\nrotation status:")
    for entry in client.rotation_status():
        default = " (default policy)" if entry.default_policy else ""
        print(f"  {entry.path:<14} {entry.status}{default}")


def main() -> int:
    master_key = os.environ.get("IRONSECRETS_MASTER_KEY")
    if not master_key:
        print("IRONSECRETS_MASTER_KEY is not set: using a throw-away demo key for this run")
        master_key = DEMO_KEY
    with tempfile.TemporaryDirectory(prefix="ironsecrets-quickstart-") as directory:
        try:
            run(Path(directory) / "store.db", master_key)
        except ironsecrets.Error as e:
            print(f"quickstart failed: {e.kind}: {e}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
