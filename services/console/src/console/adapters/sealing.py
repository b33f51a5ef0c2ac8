"""Tokens at rest: the session store holds them sealed (Fernet: AES-128-CBC + HMAC-SHA256)
with the console's key, so a copy of its database or a backup opens no API."""

from __future__ import annotations

import json
from typing import Any, cast

from cryptography.fernet import Fernet, InvalidToken


class Sealer:
    def __init__(self, key: str) -> None:
        self._fernet = Fernet(key.encode())

    @staticmethod
    def new_key() -> str:
        """A fresh key for `CONSOLE_SESSION_KEY`."""
        return Fernet.generate_key().decode()

    def seal(self, value: dict[str, Any]) -> bytes:
        return self._fernet.encrypt(json.dumps(value).encode())

    def open(self, sealed: bytes, *, ttl: int | None = None) -> dict[str, Any] | None:
        """The sealed value, or None if it was not sealed with this key (or is older than
        `ttl` seconds)."""
        try:
            return cast(dict[str, Any], json.loads(self._fernet.decrypt(sealed, ttl=ttl)))
        except (InvalidToken, ValueError):
            return None
