"""audit.<context>.checkpoint.v2 — a service's signed tree head (issue 18).

Each service's audit trail is a transparency log in the structure of RFC 9162 (a Merkle tree
over its entries' commitments, `puebla.transparency.log`). Its worker publishes, through its
outbox, a signed tree head now and then: the tree's size (`tree_size`, how many entries the
log holds), its root (`root_hash`), when, and an Ed25519 signature by the service's key
`key_id` over the canonical JSON of those fields and `format`
(`puebla.audit_anchor.Checkpoint.signed_body`).

Beside the signed fields, the consistency proof (RFC 9162 §2.1.4) from the service's previous
signed head (`previous_size`) to this one: a witness that holds the previous head checks that
the new tree extends it — that nothing signed before was changed, removed or reordered —
without reading a single entry. The proof needs no signature: it either verifies against two
signed roots or it does not.

`access` is empty: a tree head names no person, case or country, and its leaves are hashes.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AwareDatetime, ConfigDict, Field, StringConstraints

from puebla.contracts.base import EventData, register

LOG_FORMAT = "puebla-audit-log/2"

Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]

_EXAMPLE: dict[str, Any] = {
    "version": 131,
    "format": LOG_FORMAT,
    "service": "repatriation",
    "tree_size": 131,
    "root_hash": "9f3c0d3b6a1f1e42b3a1d8a7c5e0b2f4d6c8e0a2b4c6d8e0f2a4b6c8d0e2f4a6",
    "time": "2026-12-02T23:00:00Z",
    "key_id": "repatriation-2026-12",
    "signature": (
        "LdMSrvSxjWlZ+TVLGkogeXz0ppKw3RElBDmytfOj9XORWXoms9JOptIiiCxcjw2LM27WXR/fUdghZar4ed4n+A=="
    ),
    "previous_size": 128,
    "consistency": [
        "50d858e0985ecc7f60418aaf0cc5ab587f42c2570a884095a9e8ccacd0f6545c",
        "0e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    ],
}


def _example(service: str) -> ConfigDict:
    return ConfigDict(
        json_schema_extra={
            "examples": [{**_EXAMPLE, "service": service, "key_id": f"{service}-2026-12"}]
        }
    )


class AuditCheckpointV2(EventData):
    """The signed head of one service's transparency log; `version` = `tree_size`."""

    format: Literal["puebla-audit-log/2"]
    service: str = Field(pattern=r"^[a-z_]+$")
    tree_size: int = Field(ge=1)
    root_hash: Sha256Hex
    time: AwareDatetime
    key_id: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")
    signature: str = Field(pattern=r"^[A-Za-z0-9+/]{86}==$")  # base64 of 64 bytes
    # Unsigned: the proof that this tree extends the one of the previous signed head.
    previous_size: int | None = Field(default=None, ge=1)
    consistency: list[Sha256Hex] = Field(default_factory=list, max_length=128)


@register
class RepatriationAuditCheckpointV2(AuditCheckpointV2):
    event_type: ClassVar[str] = "audit.repatriation.checkpoint.v2"
    model_config = _example("repatriation")


@register
class ChildAuditCheckpointV2(AuditCheckpointV2):
    event_type: ClassVar[str] = "audit.child.checkpoint.v2"
    model_config = _example("child_protection")


@register
class FundAuditCheckpointV2(AuditCheckpointV2):
    event_type: ClassVar[str] = "audit.fund.checkpoint.v2"
    model_config = _example("reserve_fund")


@register
class ConsularAuditCheckpointV2(AuditCheckpointV2):
    event_type: ClassVar[str] = "audit.consular.checkpoint.v2"
    model_config = _example("consular")
