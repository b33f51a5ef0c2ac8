"""A service's seal on a document: its Ed25519 signature over a short statement that names the
document by digest — so a paper copy can be checked from the few values it prints.

The statement is four lines of text (UTF-8, each ending in a newline):

    puebla-seal/1
    <service>
    <subject>          e.g. "handover-record 0193…" (what the document is, and which)
    <digest>           the document's SHA-256 (lowercase hex)
    <signatures>       the SHA-256 of what was signed beside it, e.g. the officers' signatures

It is signed with the service's audit key (`puebla.audit_anchor.SigningKey`, the key of its
tree heads; key id and rotation as there). The first line keeps a seal from ever being read as
a tree head (those are JSON) and the other way round. Anyone holding the published public keys
(`PUEBLA_AUDIT_PUBLIC_KEYS`) verifies a seal offline: `verify_seal`, or the verifier command's
`record` mode (`puebla.transparency.verify`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature

from puebla.audit_anchor import PublicKeys, SigningKey

FORMAT = "puebla-seal/1"


def canonical(value: Any) -> bytes:
    """JSON with keys sorted, no whitespace, non-ASCII as itself, UTF-8: the one canonical form
    the documents' digests are taken over."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def statement(service: str, subject: str, digest: str, signatures: str) -> bytes:
    for value in (service, subject, digest, signatures):
        if "\n" in value:
            raise ValueError("a seal's statement has one value per line")
    return f"{FORMAT}\n{service}\n{subject}\n{digest}\n{signatures}\n".encode()


@dataclass(frozen=True)
class Seal:
    key_id: str
    signature: str  # base64 of the 64-byte Ed25519 signature

    def data(self) -> dict[str, str]:
        return {"format": FORMAT, "key_id": self.key_id, "signature": self.signature}


def seal(key: SigningKey, *, service: str, subject: str, digest: str, signatures: str) -> Seal:
    raw = key.private.sign(statement(service, subject, digest, signatures))
    return Seal(key.key_id, base64.b64encode(raw).decode())


def verify_seal(
    keys: PublicKeys,
    given: Seal,
    *,
    service: str,
    subject: str,
    digest: str,
    signatures: str,
) -> str | None:
    """None if `given` is the service's seal on exactly these values; else why not."""
    public = keys.get(service, given.key_id)
    if public is None:
        return f"the key {given.key_id!r} is not one of {service}'s published keys"
    try:
        raw = base64.b64decode(given.signature, validate=True)
    except (binascii.Error, ValueError):
        return "the seal is not valid base64"
    try:
        public.verify(raw, statement(service, subject, digest, signatures))
    except InvalidSignature:
        return "the seal does not match these values: one of them is not what was sealed"
    return None
