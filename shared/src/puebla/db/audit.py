"""The append-only, hash-chained audit trail.

Each entry holds the hash of the one before it, so changing or deleting any stored entry breaks
every hash after it and `verify_chain` says where. Appending takes a transaction-scoped
advisory lock: entries are chained in commit order, one writer at a time per service database.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from puebla.ids import new_id

GENESIS = "0" * 64
AUDIT_LOCK = 0x41554454  # "AUDT"


@dataclass(frozen=True)
class AuditRecord:
    """What a use case asks to be recorded; the unit of work chains and stores it."""

    actor: str
    action: str
    entity_type: str
    entity_id: str
    detail: dict[str, Any] = field(default_factory=dict)


def entry_hash(
    *,
    prev_hash: str,
    entry_id: uuid.UUID,
    at: datetime,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    detail: dict[str, Any],
    correlation_id: str | None,
) -> str:
    canonical = json.dumps(
        {
            "prev": prev_hash,
            "id": str(entry_id),
            "at": at.isoformat(),
            "actor": actor,
            "action": action,
            "entity_type": entity_type,
            "entity_id": entity_id,
            "detail": detail,
            "correlation_id": correlation_id,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


async def append(
    session: AsyncSession,
    records: list[AuditRecord],
    *,
    at: datetime,
    correlation_id: str | None,
) -> None:
    if not records:
        return
    await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": AUDIT_LOCK})
    prev = (
        await session.execute(text("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1"))
    ).scalar_one_or_none() or GENESIS
    rows = []
    for record in records:
        entry_id = new_id()
        # JSON round trip so the hash is computed over exactly what JSONB will give back.
        detail = json.loads(json.dumps(record.detail, default=str))
        digest = entry_hash(
            prev_hash=prev,
            entry_id=entry_id,
            at=at,
            actor=record.actor,
            action=record.action,
            entity_type=record.entity_type,
            entity_id=record.entity_id,
            detail=detail,
            correlation_id=correlation_id,
        )
        rows.append(
            {
                "id": entry_id,
                "at": at,
                "actor": record.actor,
                "action": record.action,
                "entity_type": record.entity_type,
                "entity_id": record.entity_id,
                "detail": json.dumps(detail),
                "correlation_id": correlation_id,
                "prev_hash": prev,
                "hash": digest,
            }
        )
        prev = digest
    await session.execute(
        text(
            "INSERT INTO audit (id, at, actor, action, entity_type, entity_id, detail,"
            " correlation_id, prev_hash, hash) VALUES (:id, :at, :actor, :action, :entity_type,"
            " :entity_id, CAST(:detail AS jsonb), :correlation_id, :prev_hash, :hash)"
        ),
        rows,
    )


@dataclass(frozen=True)
class ChainVerification:
    ok: bool
    entries: int
    broken_at_seq: int | None = None
    reason: str | None = None


async def verify_chain(session: AsyncSession, *, batch: int = 5000) -> ChainVerification:
    """Recomputes every hash in order; the first mismatch is reported with its sequence."""
    prev = GENESIS
    last_seq = 0
    count = 0
    while True:
        result = await session.execute(
            text(
                "SELECT seq, id, at, actor, action, entity_type, entity_id, detail,"
                " correlation_id, prev_hash, hash FROM audit WHERE seq > :after"
                " ORDER BY seq LIMIT :n"
            ),
            {"after": last_seq, "n": batch},
        )
        rows = result.mappings().all()
        if not rows:
            return ChainVerification(ok=True, entries=count)
        for row in rows:
            if row["prev_hash"] != prev:
                return ChainVerification(False, count, row["seq"], "previous hash does not link")
            expected = entry_hash(
                prev_hash=prev,
                entry_id=row["id"],
                at=row["at"],
                actor=row["actor"],
                action=row["action"],
                entity_type=row["entity_type"],
                entity_id=row["entity_id"],
                detail=row["detail"],
                correlation_id=row["correlation_id"],
            )
            if expected != row["hash"]:
                return ChainVerification(False, count, row["seq"], "entry content was changed")
            prev = row["hash"]
            last_seq = row["seq"]
            count += 1
