"""Each service's audit checkpoint signing key for the local stack (`puebla.audit_anchor`).

Made at first start under `var/keys/audit/<service>.key` (mode 0600; var/ is git-ignored, so a
key is never committed) and reused after: the checkpoints a service published stay verifiable
across restarts. Production keys come from the secret manager (deploy/k8s).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from puebla.audit_anchor import SigningKey
from puebla_dev.devstack.processes import var_dir


def key_dir() -> Path:
    return var_dir() / "keys" / "audit"


def signing_key(service: str) -> SigningKey:
    path = key_dir() / f"{service}.key"
    if path.exists():
        return SigningKey.parse(path.read_text())
    path.parent.mkdir(parents=True, exist_ok=True)
    key = SigningKey.generate(f"{service.replace('_', '-')}-dev-{secrets.token_hex(4)}")
    # Written to a private temporary file and renamed: never readable by others, never half.
    tmp = path.with_suffix(f".tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(key.setting() + "\n")
    try:
        os.link(tmp, path)  # the first of two concurrent starts wins; the other reads its key
    except FileExistsError:
        return SigningKey.parse(path.read_text())
    finally:
        tmp.unlink()
    return key


def service_env(service: str, services: list[str]) -> dict[str, str]:
    """A service's signing key and every service's public key, as the processes read them."""
    return {
        "PUEBLA_AUDIT_SIGNING_KEY": signing_key(service).setting(),
        "PUEBLA_AUDIT_PUBLIC_KEYS": ",".join(signing_key(s).public_setting(s) for s in services),
        # Often, on a developer's machine: a checkpoint soon after each burst of activity.
        "PUEBLA_AUDIT_CHECKPOINT_SECONDS": "10",
    }
