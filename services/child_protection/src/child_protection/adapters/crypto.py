"""Encryption at rest of a case's sensitive sections: AES-256-GCM with rotating, named keys.

- Keys come from the setting `CHILD_PROTECTION_ENCRYPTION_KEYS` = `"k2:<base64 32 bytes>,k1:…"`:
  the FIRST key seals every new write, all of them open what is stored. Rotation: put the new key
  first and keep the old ones until `reencrypt_all` has resealed every row with the new key.
- Each sealed value is stored with the id of its key and its own random 96-bit nonce.
- The associated data binds a ciphertext to its case: a blob copied into another case's row
  fails authentication instead of showing one child's file under another child's name.
- Key material never reaches a log, a repr, an exception or an error page.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32  # AES-256
NONCE_BYTES = 12  # the GCM standard nonce; random per write (2^-32 collision bound per key)
_KEY_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}")

# DEV-ONLY. A fixed, public key so that the local stack and the tests run without any set-up.
# It protects nothing: anyone with this repository can decrypt what it sealed. Every deployment
# outside a developer's machine MUST set CHILD_PROTECTION_ENCRYPTION_KEYS to its own keys
# (e.g. `python -c "import os,base64;print(base64.b64encode(os.urandom(32)).decode())"`).
DEV_ONLY_KEY_ID = "dev-only-do-not-deploy"
DEV_ONLY_KEYS = f"{DEV_ONLY_KEY_ID}:ZGV2LW9ubHkga2V5OiBwdWJsaWMsIG5vIGRlcGxveSE="

# SHA-256 of every key whose material is public in this repository, whatever id it is given:
# the devstack's DEV_ONLY_KEYS above and compose.yaml's `x-child-protection-keys` (k1). A ring
# holding any of them protects nothing; the service refuses it unless PUEBLA_ENV=dev.
PUBLIC_DEV_KEY_SHA256 = frozenset(
    {
        "1ca1d60ca7eee9f3baf704ccc63845729ad7be7b8163cbf1944f55a66b51cc4f",  # DEV_ONLY_KEYS
        "71bbb78b17bdd07041651e7db58bac628459f4353373013bfac1eca540fc4c85",  # compose.yaml k1
    }
)


def is_public_dev_key(material: bytes) -> bool:
    return hashlib.sha256(material).hexdigest() in PUBLIC_DEV_KEY_SHA256


class KeyRingError(ValueError):
    """The key setting is malformed. The message never contains key material."""


class SealedDataError(Exception):
    """A stored ciphertext cannot be opened: unknown key id, wrong case, or tampered."""


@dataclass(frozen=True)
class Sealed:
    key_id: str
    nonce: bytes
    ciphertext: bytes  # includes the 16-byte GCM tag

    def __repr__(self) -> str:
        return f"Sealed(key_id={self.key_id!r}, {len(self.ciphertext)} bytes)"


def case_associated_data(case_id: UUID) -> bytes:
    """What a case's sensitive blob is bound to."""
    return f"puebla/child_protection/case-sensitive/v1/{case_id}".encode()


class KeyRing:
    """Named AES-256-GCM keys; the first one seals."""

    def __init__(self, keys: Sequence[tuple[str, bytes]]) -> None:
        if not keys:
            raise KeyRingError("at least one encryption key is required")
        self._keys: dict[str, AESGCM] = {}
        self._public_dev_key_ids: list[str] = []
        for key_id, material in keys:
            if not _KEY_ID.fullmatch(key_id):
                raise KeyRingError(f"key id {key_id!r} must match {_KEY_ID.pattern}")
            if key_id in self._keys:
                raise KeyRingError(f"key id {key_id!r} appears twice")
            if len(material) != KEY_BYTES:
                raise KeyRingError(f"key {key_id!r} must be {KEY_BYTES} bytes")
            self._keys[key_id] = AESGCM(material)
            if is_public_dev_key(material):
                self._public_dev_key_ids.append(key_id)
        self.current_key_id = keys[0][0]

    @classmethod
    def parse(cls, setting: str) -> KeyRing:
        """`"k2:<base64>,k1:<base64>"` → a key ring sealing with k2."""
        keys: list[tuple[str, bytes]] = []
        for position, item in enumerate(part.strip() for part in setting.split(",")):
            if not item:
                continue
            key_id, sep, encoded = item.partition(":")
            if not sep:
                raise KeyRingError(f"key #{position + 1} must look like '<id>:<base64>'")
            try:
                material = base64.b64decode(encoded.strip(), validate=True)
            except (binascii.Error, ValueError):
                raise KeyRingError(f"key {key_id.strip()!r} is not valid base64") from None
            keys.append((key_id.strip(), material))
        return cls(keys)

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(self._keys)

    @property
    def is_dev_only(self) -> bool:
        """True when any key of the ring is a public dev key (recognised by its hash, so a
        public key under another id counts too): what it sealed, anyone can open."""
        return bool(self._public_dev_key_ids)

    @property
    def public_dev_key_ids(self) -> tuple[str, ...]:
        return tuple(self._public_dev_key_ids)

    def seal(self, plaintext: bytes, associated_data: bytes) -> Sealed:
        nonce = os.urandom(NONCE_BYTES)
        key = self._keys[self.current_key_id]
        return Sealed(self.current_key_id, nonce, key.encrypt(nonce, plaintext, associated_data))

    def open(self, sealed: Sealed, associated_data: bytes) -> bytes:
        key = self._keys.get(sealed.key_id)
        if key is None:
            raise SealedDataError(
                f"sealed with key {sealed.key_id!r}, which is not in the key ring"
            )
        try:
            return key.decrypt(sealed.nonce, sealed.ciphertext, associated_data)
        except InvalidTag:
            raise SealedDataError(
                "the ciphertext does not authenticate (tampered, or not this case's)"
            ) from None

    def __repr__(self) -> str:
        return f"KeyRing(key_ids={list(self._keys)!r}, current={self.current_key_id!r})"
