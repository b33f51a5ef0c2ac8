"""audit.<context>.checkpoint.v1 — a service's signed audit checkpoint (security review 6).

Each service's worker publishes, through its outbox, the head of its hash-chained audit trail
(`puebla.audit_anchor`): the last entry's `seq` and `hash` (`head`), how many entries the trail
holds up to it (`count`), when, and an Ed25519 signature by the service's key `key_id` over
the canonical JSON of every other field (`puebla.audit_anchor.Checkpoint.signed_body`). The
other services keep every checkpoint they receive, so a trail rewritten, re-hashed or cut
short in its own database no longer matches what was published.

`format` names what `head` is: today the hash chain's last hash (`puebla-audit-chain/1`). The
shape is that of an RFC 9162 signed tree head (tree size = `count`, root hash = `head`,
timestamp, signature): a transparency log would publish `audit.<context>.checkpoint.v2` with a
Merkle root beside this one until every witness reads it.

`access` is empty: a checkpoint names no person, case or country.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import AwareDatetime, ConfigDict, Field, StringConstraints

from puebla.contracts.base import EventData, register

CHAIN_FORMAT = "puebla-audit-chain/1"

Sha256Hex = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]

_EXAMPLE: dict[str, Any] = {
    "version": 128,
    "format": CHAIN_FORMAT,
    "service": "repatriation",
    "seq": 128,
    "head": "50d858e0985ecc7f60418aaf0cc5ab587f42c2570a884095a9e8ccacd0f6545c",
    "count": 127,
    "time": "2026-12-01T23:00:00Z",
    "key_id": "repatriation-2026-12",
    "signature": (
        "LdMSrvSxjWlZ+TVLGkogeXz0ppKw3RElBDmytfOj9XORWXoms9JOptIiiCxcjw2LM27WXR/fUdghZar4ed4n+A=="
    ),
}


def _example(service: str) -> ConfigDict:
    return ConfigDict(
        json_schema_extra={
            "examples": [
                {**_EXAMPLE, "service": service, "key_id": f"{service}-2026-12"},
            ]
        }
    )


class AuditCheckpointV1(EventData):
    """The signed head of one service's audit trail; `version` = `seq` (newer is larger)."""

    format: Literal["puebla-audit-chain/1"]
    service: str = Field(pattern=r"^[a-z_]+$")
    seq: int = Field(ge=1)
    head: Sha256Hex
    count: int = Field(ge=1)
    time: AwareDatetime
    key_id: str = Field(pattern=r"^[A-Za-z0-9._-]{1,64}$")
    signature: str = Field(pattern=r"^[A-Za-z0-9+/]{86}==$")  # base64 of 64 bytes


@register
class RepatriationAuditCheckpointV1(AuditCheckpointV1):
    event_type: ClassVar[str] = "audit.repatriation.checkpoint.v1"
    model_config = _example("repatriation")


@register
class ChildAuditCheckpointV1(AuditCheckpointV1):
    event_type: ClassVar[str] = "audit.child.checkpoint.v1"
    model_config = _example("child_protection")


@register
class FundAuditCheckpointV1(AuditCheckpointV1):
    event_type: ClassVar[str] = "audit.fund.checkpoint.v1"
    model_config = _example("reserve_fund")


@register
class ConsularAuditCheckpointV1(AuditCheckpointV1):
    event_type: ClassVar[str] = "audit.consular.checkpoint.v1"
    model_config = _example("consular")
