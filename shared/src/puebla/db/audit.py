"""The append-only, hash-chained audit trail.

Each entry holds the hash of the one before it, so changing or deleting any stored entry breaks
every hash after it and `verify_chain` says where. Appending takes a transaction-scoped
advisory lock: entries are chained in commit order, one writer at a time per service database.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass, field, replace
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
class ExpectedHead:
    """What a signed checkpoint vouches for (`puebla.audit_anchor`): the entry `seq` has hash
    `head` and is the `count`-th entry of the trail."""

    seq: int
    head: str
    count: int
    at: datetime | None = None


@dataclass(frozen=True)
class ChainVerification:
    ok: bool
    entries: int
    broken_at_seq: int | None = None
    reason: str | None = None
    # The checkpoint verified against, if any.
    expected: ExpectedHead | None = None


async def verify_chain(
    session: AsyncSession, *, expected: ExpectedHead | None = None, batch: int = 5000
) -> ChainVerification:
    """Recomputes every hash in order; the first mismatch is reported with its sequence.

    With `expected` (the last published checkpoint) the chain must also reach it unchanged:
    the entry at its `seq` holds its `head` and is its `count`-th. A chain rewritten and
    re-hashed verifies link by link but has another head there; a chain cut short, or with
    entries removed before the checkpoint and re-hashed, lacks the entry or counts fewer."""
    result = await _walk(session, expected, batch)
    return replace(result, expected=expected)


async def _walk(
    session: AsyncSession, expected: ExpectedHead | None, batch: int
) -> ChainVerification:
    prev = GENESIS
    last_seq = 0
    count = 0
    reached = expected is None
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
            if not reached and expected is not None:
                return ChainVerification(
                    False,
                    count,
                    last_seq + 1,
                    f"the trail ends at seq {last_seq} with {count} entries, but the checkpoint"
                    f" of {_when(expected)} vouches for {expected.count} up to seq"
                    f" {expected.seq}: entries were removed from its end",
                )
            return ChainVerification(ok=True, entries=count)
        for row in rows:
            if not reached and expected is not None and row["seq"] > expected.seq:
                return ChainVerification(
                    False,
                    count,
                    expected.seq,
                    f"entry seq {expected.seq}, the head of the checkpoint of {_when(expected)},"
                    " is missing",
                )
            if row["prev_hash"] != prev:
                return ChainVerification(False, count, row["seq"], "previous hash does not link")
            digest = entry_hash(
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
            if digest != row["hash"]:
                return ChainVerification(False, count, row["seq"], "entry content was changed")
            prev = row["hash"]
            last_seq = row["seq"]
            count += 1
            if expected is not None and row["seq"] == expected.seq:
                reached = True
                if row["hash"] != expected.head:
                    return ChainVerification(
                        False,
                        count,
                        row["seq"],
                        f"entry seq {row['seq']} differs from the head signed in the checkpoint"
                        f" of {_when(expected)}: the trail was rewritten and re-hashed",
                    )
                if count != expected.count:
                    return ChainVerification(
                        False,
                        count,
                        row["seq"],
                        f"{count} entries up to seq {row['seq']}, but the checkpoint of"
                        f" {_when(expected)} counted {expected.count}: entries were"
                        " removed or added before it",
                    )


def _when(expected: ExpectedHead) -> str:
    return expected.at.isoformat() if expected.at is not None else f"seq {expected.seq}"
