"""The append-only audit trail: what was done, by whom, to which record.

Each entry carries its commitment (`hash`: SHA-256 of its canonical form, random id included,
so it reveals nothing of the entry). Appending takes no lock: the entries of a transaction are
inserted with their commitment and queued in `audit_pending`, in the transaction of their
effect; the worker's sealer gives them their place in the service's transparency log
(`puebla.transparency.log`), whose signed tree heads every other service keeps. Entries of the
hash chain that came before the log keep the `prev_hash` they were chained with; new ones
have none ("").
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from puebla.ids import new_id

# The `prev_hash` of an entry written since the transparency log: it belongs to no chain.
UNCHAINED = ""


@dataclass(frozen=True)
class AuditRecord:
    """What a use case asks to be recorded; the unit of work chains and stores it."""

    actor: str
    action: str
    entity_type: str
    entity_id: str
    detail: dict[str, Any] = field(default_factory=dict)


def event_detail(event: Any) -> dict[str, Any]:
    """A domain event's fields as an audit detail: what `dataclasses.asdict` gives once stored
    as JSON, without its deep copy of every value (events are frozen and hold ids, strings,
    times and enums; the copy was most of a consumer's audit cost)."""
    return {f.name: _plain(getattr(event, f.name)) for f in dataclasses.fields(event)}


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


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


# The columns of an audit row, in the order `rows` gives them.
COLUMNS = (
    "id",
    "at",
    "actor",
    "action",
    "entity_type",
    "entity_id",
    "detail",
    "correlation_id",
    "prev_hash",
    "hash",
)


def rows(
    records: list[AuditRecord], *, at: datetime, correlation_id: str | None
) -> list[tuple[Any, ...]]:
    """The audit rows of `records` (`COLUMNS`, `detail` as JSON text), each with its
    commitment. The unit of work inserts them, with their place in the log's queue
    (`audit_pending`), in the transaction of their effect."""
    out = []
    for record in records:
        entry_id = new_id()
        # JSON round trip so the hash is computed over exactly what JSONB will give back.
        detail = json.loads(json.dumps(record.detail, default=str))
        digest = entry_hash(
            prev_hash=UNCHAINED,
            entry_id=entry_id,
            at=at,
            actor=record.actor,
            action=record.action,
            entity_type=record.entity_type,
            entity_id=record.entity_id,
            detail=detail,
            correlation_id=correlation_id,
        )
        out.append(
            (
                entry_id,
                at,
                record.actor,
                record.action,
                record.entity_type,
                record.entity_id,
                json.dumps(detail),
                correlation_id,
                UNCHAINED,
                digest,
            )
        )
    return out
