"""A service's audit trail as a transparency log in its own database (RFC 9162 §2.1).

Writers take no lock (`puebla.db.audit.append`): each entry is inserted with its commitment
(`hash`, the SHA-256 of the entry's canonical form — its random id makes it hiding, so a leaf
says nothing about a person) and queued in `audit_pending`, in the transaction of its effect.
The worker's sealer (`seal`) then gives the queued entries, in `seq` order, their place in the
log: `audit_leaf` (leaf index → seq) and every perfect subtree they complete in `audit_node`
(level 0 holds the leaf hashes, SHA-256(0x00 ‖ commitment)). One sealer at a time per service
(an advisory lock only sealers take); what it writes is append-only like the entries.

From the stored subtrees the tree head and any inclusion or consistency proof of any size are
computed in O(log² n) reads (`StoredNodes`, `puebla.transparency.merkle`), without loading the
leaves. `verify` recomputes everything from the entries themselves: their commitments, the
leaves, and the root at the size a signed tree head vouches for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from puebla.db.audit import entry_hash
from puebla.transparency import merkle

SEAL_LOCK = 0x5345414C  # "SEAL": sealers of one service database, one at a time
SEAL_BATCH = 1000


class StoredNodes:
    """`merkle.NodeSource` over `audit_node`: the perfect subtrees the sealer stored."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def subtree(self, start: int, size: int) -> bytes:
        level = size.bit_length() - 1
        found = (
            await self.session.execute(
                text("SELECT hash FROM audit_node WHERE level = :l AND position = :p"),
                {"l": level, "p": start >> level},
            )
        ).scalar_one_or_none()
        if found is None:
            raise LookupError(f"no stored subtree of {size} leaves at {start}")
        return bytes(found)


async def tree_size(session: AsyncSession) -> int:
    """How many entries the log holds (sealed ones): the last leaf index + 1."""
    last = (
        await session.execute(
            text("SELECT leaf_index FROM audit_leaf ORDER BY leaf_index DESC LIMIT 1")
        )
    ).scalar_one_or_none()
    return 0 if last is None else int(last) + 1


async def root_at(session: AsyncSession, size: int) -> bytes:
    return await merkle.root_of(StoredNodes(session), size)


async def inclusion(session: AsyncSession, index: int, size: int) -> list[bytes]:
    return await merkle.inclusion_of(StoredNodes(session), index, size)


async def consistency(session: AsyncSession, first: int, second: int) -> list[bytes]:
    return await merkle.consistency_of(StoredNodes(session), first, second)


async def leaf_of(session: AsyncSession, seq: int) -> tuple[int, bytes] | None:
    """The leaf index and leaf hash of the entry `seq`, once sealed."""
    row = (
        await session.execute(
            text(
                "SELECT l.leaf_index, n.hash FROM audit_leaf l JOIN audit_node n"
                " ON n.level = 0 AND n.position = l.leaf_index WHERE l.seq = :s"
            ),
            {"s": seq},
        )
    ).first()
    return None if row is None else (int(row[0]), bytes(row[1]))


async def seal(
    sessions: async_sessionmaker[AsyncSession], *, at: datetime, batch: int = SEAL_BATCH
) -> int:
    """Gives up to `batch` queued entries their place in the log, in `seq` order, in one
    transaction; returns how many. Entries of transactions still open are not visible yet and
    are sealed by a later round, after the ones sealed now: the log's order is the order of
    sealing, fixed once and for all by the leaf index."""
    async with sessions() as session, session.begin():
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SEAL_LOCK})
        rows = (
            await session.execute(
                text(
                    "SELECT p.seq, a.hash FROM audit_pending p JOIN audit a ON a.seq = p.seq"
                    " ORDER BY p.seq LIMIT :n"
                ),
                {"n": batch},
            )
        ).all()
        if not rows:
            return 0
        size = await tree_size(session)
        known: dict[tuple[int, int], bytes] = {}
        leaves: list[dict[str, Any]] = []
        nodes: list[dict[str, Any]] = []
        for offset, (seq, commitment) in enumerate(rows):
            index = size + offset
            missing = [key for key in merkle.needed_siblings(index) if key not in known]
            known.update(await _stored(session, missing))
            for node in merkle.completed_nodes(
                index, merkle.leaf_hash(bytes.fromhex(commitment)), known
            ):
                known[(node.level, node.index)] = node.hash
                nodes.append({"l": node.level, "p": node.index, "h": node.hash})
            leaves.append({"i": index, "s": seq, "at": at})
        await session.execute(
            text("INSERT INTO audit_leaf (leaf_index, seq, sealed_at) VALUES (:i, :s, :at)"),
            leaves,
        )
        await session.execute(
            text("INSERT INTO audit_node (level, position, hash) VALUES (:l, :p, :h)"), nodes
        )
        await session.execute(
            text("DELETE FROM audit_pending WHERE seq = ANY(:seqs)"),
            {"seqs": [seq for seq, _ in rows]},
        )
    return len(rows)


async def seal_all(sessions: async_sessionmaker[AsyncSession], *, at: datetime) -> int:
    """`seal` until nothing is queued (the worker's round; tests)."""
    total = 0
    while done := await seal(sessions, at=at):
        total += done
    return total


async def _stored(
    session: AsyncSession, keys: list[tuple[int, int]]
) -> dict[tuple[int, int], bytes]:
    if not keys:
        return {}
    rows = await session.execute(
        text(
            "SELECT level, position, hash FROM audit_node"
            " WHERE (level, position) IN"
            " (SELECT * FROM unnest(CAST(:ls AS smallint[]), CAST(:ps AS bigint[])))"
        ),
        {"ls": [level for level, _ in keys], "ps": [position for _, position in keys]},
    )
    return {(int(level), int(position)): bytes(h) for level, position, h in rows}


# -- verification ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SignedSize:
    """What a signed tree head vouches for: the root of the log's first `size` leaves."""

    size: int
    root: bytes
    at: datetime | None = None


@dataclass(frozen=True)
class LogVerification:
    ok: bool
    entries: int  # sealed entries checked (the log's size when all is well)
    broken_at_seq: int | None = None
    reason: str | None = None
    pending: int = 0  # entries still waiting for their place, their commitments checked


def commitment_of(row: Any) -> str:
    """The entry's commitment recomputed from what it says (`hash` must equal it). Entries of
    the hash chain that came before the log keep the `prev_hash` they were written with;
    later ones have none ("")."""
    return entry_hash(
        prev_hash=row["prev_hash"],
        entry_id=row["id"],
        at=row["at"],
        actor=row["actor"],
        action=row["action"],
        entity_type=row["entity_type"],
        entity_id=row["entity_id"],
        detail=row["detail"],
        correlation_id=row["correlation_id"],
    )


async def verify(
    session: AsyncSession, *, signed: SignedSize | None = None, batch: int = 5000
) -> LogVerification:
    """Recomputes, leaf by leaf in the log's order, each entry's commitment from its content,
    each leaf hash, and the root at `signed.size` (the newest signed tree head), then checks
    the entries still queued. A changed entry, a deleted one, a leaf rewritten, a log cut
    short or rebuilt differently: each is reported with the first `seq` concerned."""
    frontier: dict[tuple[int, int], bytes] = {}
    count = 0
    root_checked = signed is None or signed.size == 0
    position = 0
    while True:
        rows = (
            (
                await session.execute(
                    text(
                        "SELECT l.leaf_index, l.seq AS leaf_seq, n.hash AS leaf, a.seq, a.id,"
                        " a.at, a.actor, a.action, a.entity_type, a.entity_id, a.detail,"
                        " a.correlation_id, a.prev_hash, a.hash FROM audit_leaf l"
                        " LEFT JOIN audit a ON a.seq = l.seq LEFT JOIN audit_node n"
                        " ON n.level = 0 AND n.position = l.leaf_index"
                        " WHERE l.leaf_index >= :from ORDER BY l.leaf_index LIMIT :n"
                    ),
                    {"from": position, "n": batch},
                )
            )
            .mappings()
            .all()
        )
        for row in rows:
            index = row["leaf_index"]
            if index != position:
                return LogVerification(
                    False, count, row["leaf_seq"], f"leaf {position} is missing from the log"
                )
            if row["seq"] is None:
                return LogVerification(
                    False, count, row["leaf_seq"], f"entry seq {row['leaf_seq']} was deleted"
                )
            if commitment_of(row) != row["hash"]:
                return LogVerification(False, count, row["seq"], "entry content was changed")
            leaf = merkle.leaf_hash(bytes.fromhex(row["hash"]))
            if row["leaf"] is None or bytes(row["leaf"]) != leaf:
                return LogVerification(
                    False, count, row["seq"], f"leaf {index} does not hash entry seq {row['seq']}"
                )
            _grow(frontier, index, leaf)
            count += 1
            position += 1
            if signed is not None and position == signed.size:
                if await merkle.root_of(_Frontier(frontier), position) != signed.root:
                    return LogVerification(
                        False,
                        count,
                        row["seq"],
                        f"the log's first {signed.size} entries are not those the tree head"
                        f" signed{_when(signed)} vouches for: the log was rewritten",
                    )
                root_checked = True
        if len(rows) < batch:
            break
    if not root_checked and signed is not None:
        return LogVerification(
            False,
            count,
            None,
            f"the log holds {count} entries, but the tree head signed{_when(signed)} vouches"
            f" for {signed.size}: entries were removed from its end",
        )
    pending, changed = await _verify_pending(session)
    if changed is not None:
        return LogVerification(False, count, changed, "entry content was changed", pending)
    return LogVerification(True, count, pending=pending)


def _grow(frontier: dict[tuple[int, int], bytes], index: int, leaf: bytes) -> None:
    """Appends leaf `index` to the frontier: the perfect subtrees a later leaf or a tree head
    can still need — left children only (even index), one per level, so verifying a log of
    any length holds O(log n) hashes."""
    for node in merkle.completed_nodes(index, leaf, frontier):
        if node.index % 2 == 0:
            frontier[(node.level, node.index)] = node.hash
    for key in merkle.needed_siblings(index):
        del frontier[key]


class _Frontier:
    """`merkle.NodeSource` over the perfect subtrees `_grow` keeps: exactly those a tree head
    of the size reached so far is made of."""

    def __init__(self, nodes: dict[tuple[int, int], bytes]) -> None:
        self.nodes = nodes

    async def subtree(self, start: int, size: int) -> bytes:
        level = size.bit_length() - 1
        return self.nodes[(level, start >> level)]


async def _verify_pending(session: AsyncSession) -> tuple[int, int | None]:
    """How many entries wait for their place, and the first whose content was changed."""
    result = await session.execute(
        text(
            "SELECT a.seq, a.id, a.at, a.actor, a.action, a.entity_type, a.entity_id,"
            " a.detail, a.correlation_id, a.prev_hash, a.hash FROM audit_pending p"
            " JOIN audit a ON a.seq = p.seq ORDER BY p.seq"
        )
    )
    rows = result.mappings().all()
    for row in rows:
        if commitment_of(row) != row["hash"]:
            return len(rows), int(row["seq"])
    return len(rows), None


def _when(signed: SignedSize) -> str:
    return f" at {signed.at.isoformat()}" if signed.at is not None else ""
