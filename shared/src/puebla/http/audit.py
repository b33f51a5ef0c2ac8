"""`GET /v1/audit` on every service: the whole audit trail, for the `auditor` role only
(POLICY.md "Audit"), with the hash chain's verification against the service's last published
signed checkpoint (`puebla.audit_anchor`). Entries carry ids and actions, never the sensitive
content they are about."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from sqlalchemy import text

from puebla.audit_anchor import bus_checkpoint, latest_checkpoint, public_keys
from puebla.contracts.audit.v2 import LOG_FORMAT
from puebla.http.deps import Caller, ServiceRuntime
from puebla.http.errors import problem_responses
from puebla.http.pagination import page_request
from puebla.http.schemas import Page, ResponseModel
from puebla.pagination import Cursor, PageRequest
from puebla.problems import FieldError, Problem, forbidden, invalid, not_found
from puebla.transparency import log as transparency

AUDITOR = "auditor"


class AuditEntryRead(ResponseModel):
    seq: int
    id: uuid.UUID
    at: datetime
    actor: str
    action: str
    entity_type: str
    entity_id: str
    detail: dict[str, Any]
    correlation_id: str | None
    prev_hash: str
    hash: str


class CheckpointRead(ResponseModel):
    seq: int
    head: str
    count: int
    at: datetime
    key_id: str


class AnchorRead(CheckpointRead):
    # "local": the service's own copy; "bus": the AUDIT stream's, newer than any local copy.
    source: Literal["local", "bus"]


class WitnessedRead(CheckpointRead):
    service: str
    format: str
    signature: str


class ChainRead(ResponseModel):
    ok: bool
    entries: int
    broken_at_seq: int | None
    reason: str | None
    # The service's last published checkpoint the chain was verified against (None: none yet,
    # the chain alone was checked). `puebla.audit_anchor`.
    checkpoint: AnchorRead | None = None


router = APIRouter(prefix="/v1/audit", tags=["audit"], responses=problem_responses(401, 403, 422))


def _only_auditors(caller: Caller) -> None:
    if not caller.has_role(AUDITOR):
        raise forbidden("Only an auditor reads the whole audit trail.")


@router.get("", response_model=Page[AuditEntryRead])
async def list_audit(
    caller: Caller,
    runtime: ServiceRuntime,
    page: Annotated[PageRequest, Depends(page_request)],
    entity_type: Annotated[str | None, Query(max_length=100)] = None,
    entity_id: Annotated[str | None, Query(max_length=100)] = None,
) -> Page[AuditEntryRead]:
    _only_auditors(caller)
    # Oldest first, the order the chain is built in; the cursor is (at, id) of the last row.
    where = ["true"]
    params: dict[str, Any] = {"n": page.limit + 1}
    if page.cursor:
        where.append("(at, id) > (:after_at, :after_id)")
        params.update(after_at=page.cursor.after, after_id=page.cursor.after_id)
    if entity_type:
        where.append("entity_type = :entity_type")
        params["entity_type"] = entity_type
    if entity_id:
        where.append("entity_id = :entity_id")
        params["entity_id"] = entity_id
    async with runtime.sessions() as session:
        rows = (
            (
                await session.execute(
                    text(
                        "SELECT seq, id, at, actor, action, entity_type, entity_id, detail,"
                        f" correlation_id, prev_hash, hash FROM audit WHERE {' AND '.join(where)}"
                        " ORDER BY at, id LIMIT :n"
                    ),
                    params,
                )
            )
            .mappings()
            .all()
        )
    items = [AuditEntryRead.model_validate(dict(r)) for r in rows[: page.limit]]
    more = len(rows) > page.limit
    cursor = Cursor(items[-1].at, items[-1].id).encode() if more and items else None
    return Page[AuditEntryRead](items=items, next_cursor=cursor)


@router.get("/verification", response_model=ChainRead)
async def verify_audit(caller: Caller, runtime: ServiceRuntime) -> ChainRead:
    _only_auditors(caller)
    service = runtime.definition.name
    keys = public_keys(runtime.definition.platform)
    # The bus's copy first: read outside the database, before the trail is.
    published = await bus_checkpoint(runtime.js, service, keys) if runtime.js else None
    async with runtime.sessions() as session:
        anchor = await latest_checkpoint(session, service, keys)
        checkpoint, source = anchor.checkpoint, "local"
        if published is not None and (checkpoint is None or published.seq > checkpoint.seq):
            # Newer on the bus than in the database: the local copies were removed.
            checkpoint, source = published, "bus"
        result = await transparency.verify(
            session, signed=checkpoint.signed_size() if checkpoint is not None else None
        )
    read = (
        AnchorRead(
            seq=checkpoint.seq,
            head=checkpoint.head,
            count=checkpoint.count,
            at=checkpoint.time,
            key_id=checkpoint.key_id,
            source=source,
        )
        if checkpoint is not None
        else None
    )
    if result.ok and anchor.refused:
        # A checkpoint row the worker never wrote: someone with the database's role did.
        return ChainRead(
            ok=False,
            entries=result.entries,
            broken_at_seq=None,
            reason=f"a stored checkpoint does not verify: {anchor.refused[0]}",
            checkpoint=read,
        )
    return ChainRead(
        ok=result.ok,
        entries=result.entries,
        broken_at_seq=result.broken_at_seq,
        reason=result.reason,
        checkpoint=read,
    )


@router.get("/checkpoints", response_model=list[WitnessedRead])
async def witnessed_checkpoints(caller: Caller, runtime: ServiceRuntime) -> list[WitnessedRead]:
    """The newest signed tree head of each *other* service that this one keeps
    (`audit_witness`): an auditor, or a state's verifier, compares them with what that
    service serves (`python -m puebla.transparency.verify --witness`)."""
    _only_auditors(caller)
    async with runtime.sessions() as session:
        rows = (
            (
                await session.execute(
                    text(
                        "SELECT DISTINCT ON (service) service, seq, head, count, at, key_id,"
                        " format, signature FROM audit_witness WHERE format = :f"
                        " ORDER BY service, seq DESC"
                    ),
                    {"f": LOG_FORMAT},
                )
            )
            .mappings()
            .all()
        )
    return [WitnessedRead.model_validate(dict(r)) for r in rows]


# -- the transparency log, for every member state's verifier -------------------------------
#
# Tree heads, proofs and leaf hashes say nothing about anyone (a leaf is the hash of an entry's
# commitment, which its random id keeps from being guessed): any signed-in caller may read
# them, so each member state can check a service's log without reading its entries
# (`python -m puebla.transparency.verify`). Reading the entries stays the auditor's.


class TreeHeadRead(ResponseModel):
    """A signed tree head (RFC 9162): the signature covers every field but itself."""

    format: str
    service: str
    tree_size: int
    root_hash: str
    time: datetime
    key_id: str
    signature: str


class InclusionRead(ResponseModel):
    seq: int
    leaf_index: int
    tree_size: int
    leaf_hash: str
    proof: list[str]


class ConsistencyRead(ResponseModel):
    first: int
    second: int
    proof: list[str]


class LeavesRead(ResponseModel):
    start: int
    leaf_hashes: list[str]


MAX_LEAVES = 1000
# Entry numbers and tree sizes are PostgreSQL BIGINTs: a larger one is a 422, not an overflow.
MAX_BIGINT = 2**63 - 1


def _beyond(field: str, size: int) -> Problem:
    return invalid(
        [FieldError(field, "beyond_tree_size", f"the log holds {size} entries")],
        f"The log holds {size} entries.",
    )


@router.get("/log/head", response_model=TreeHeadRead, responses=problem_responses(404))
async def log_head(caller: Caller, runtime: ServiceRuntime) -> TreeHeadRead:
    """The newest tree head this service signed (404 before the first)."""
    service = runtime.definition.name
    async with runtime.sessions() as session:
        anchor = await latest_checkpoint(session, service, public_keys(runtime.definition.platform))
    head = anchor.checkpoint
    if head is None:
        raise not_found("A signed tree head")
    return TreeHeadRead(
        format=head.format,
        service=service,
        tree_size=head.seq,
        root_hash=head.head,
        time=head.time,
        key_id=head.key_id,
        signature=head.signature,
    )


@router.get("/log/inclusion", response_model=InclusionRead, responses=problem_responses(404))
async def log_inclusion(
    caller: Caller,
    runtime: ServiceRuntime,
    seq: Annotated[int, Query(ge=1, le=MAX_BIGINT, description="the entry")],
    tree_size: Annotated[int, Query(ge=1, le=MAX_BIGINT, description="of a signed tree head")],
) -> InclusionRead:
    """The proof that entry `seq` is in the tree of `tree_size` leaves (RFC 9162 §2.1.3)."""
    async with runtime.sessions() as session:
        size = await transparency.tree_size(session)
        if tree_size > size:
            raise _beyond("tree_size", size)
        leaf = await transparency.leaf_of(session, seq)
        if leaf is None or leaf[0] >= tree_size:
            raise not_found("The entry in a tree of that size")
        proof = await transparency.inclusion(session, leaf[0], tree_size)
    return InclusionRead(
        seq=seq,
        leaf_index=leaf[0],
        tree_size=tree_size,
        leaf_hash=leaf[1].hex(),
        proof=[node.hex() for node in proof],
    )


@router.get("/log/consistency", response_model=ConsistencyRead)
async def log_consistency(
    caller: Caller,
    runtime: ServiceRuntime,
    first: Annotated[int, Query(ge=1, le=MAX_BIGINT)],
    second: Annotated[int, Query(ge=1, le=MAX_BIGINT)],
) -> ConsistencyRead:
    """The proof that the tree of `second` leaves extends the one of `first` (§2.1.4)."""
    if first > second:
        raise invalid([FieldError("first", "after_second", "first must not exceed second")])
    async with runtime.sessions() as session:
        size = await transparency.tree_size(session)
        if second > size:
            raise _beyond("second", size)
        proof = await transparency.consistency(session, first, second)
    return ConsistencyRead(first=first, second=second, proof=[node.hex() for node in proof])


@router.get("/log/leaves", response_model=LeavesRead)
async def log_leaves(
    caller: Caller,
    runtime: ServiceRuntime,
    start: Annotated[int, Query(ge=0, le=MAX_BIGINT)] = 0,
    count: Annotated[int, Query(ge=1, le=MAX_LEAVES)] = MAX_LEAVES,
) -> LeavesRead:
    """Leaf hashes in the log's order, to rebuild the tree without reading an entry."""
    async with runtime.sessions() as session:
        rows = await session.execute(
            text(
                "SELECT hash FROM audit_node WHERE level = 0 AND position >= :start"
                " ORDER BY position LIMIT :n"
            ),
            {"start": start, "n": count},
        )
        hashes = [bytes(h).hex() for h in rows.scalars()]
    return LeavesRead(start=start, leaf_hashes=hashes)
