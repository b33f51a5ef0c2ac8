"""The audit trail as a transparency log (`puebla.transparency.log`): writers take no lock,
the sealer gives each entry its place, and verification recomputes everything from the
entries — changing, deleting or re-placing any of them makes it fail at that entry."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from puebla.db import audit
from puebla.db.audit import AuditRecord
from puebla.db.unit_of_work import UnitOfWork, write_trail
from puebla.transparency import log, merkle
from puebla_dev.testing.infra import Infra, MigratedDatabase, scratch_database

from .conftest import FIXTURE_SERVICE

AT = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest_asyncio.fixture(loop_scope="session")
async def own_db(infra: Infra) -> AsyncIterator[MigratedDatabase]:
    # Tampering breaks a log for good, so these tests get a database of their own.
    async with scratch_database(infra, "puebla_audit", FIXTURE_SERVICE) as db:
        yield db


def entry(i: int) -> AuditRecord:
    return AuditRecord(
        "dif.mx", "child_case.sensitive_read", "child_case", f"case-{i}", {"purpose": "BIA", "n": i}
    )


async def write_entries(db: MigratedDatabase, n: int) -> None:
    for i in range(n):
        uow = UnitOfWork(db.sessions, source="puebla/test", actor="test")
        async with uow:
            uow.record(entry(i))
            await uow.commit()


async def seqs(db: MigratedDatabase) -> list[int]:
    async with db.sessions() as session:
        return list((await session.execute(text("SELECT seq FROM audit ORDER BY seq"))).scalars())


async def as_owner(db: MigratedDatabase, *statements: str, **params: object) -> None:
    """What only the database's owner can do, and only after switching the guards off."""
    async with db.sessions() as session:
        for statement in statements:
            await session.execute(text(statement), params)
        await session.commit()


async def verified(
    db: MigratedDatabase, signed: log.SignedSize | None = None
) -> log.LogVerification:
    async with db.sessions() as session:
        return await log.verify(session, signed=signed)


class TestSealing:
    async def test_every_entry_gets_a_place_and_the_log_verifies(
        self, own_db: MigratedDatabase
    ) -> None:
        await write_entries(own_db, 5)

        assert await log.seal_all(own_db.sessions, at=AT) == 5

        async with own_db.sessions() as session:
            assert await log.tree_size(session) == 5
            pending = (await session.execute(text("SELECT count(*) FROM audit_pending"))).scalar()
            commitments = (
                await session.execute(
                    text(
                        "SELECT a.hash FROM audit_leaf l JOIN audit a ON a.seq = l.seq"
                        " ORDER BY l.leaf_index"
                    )
                )
            ).scalars()
            root = await log.root_at(session, 5)
        assert pending == 0
        # The stored tree's root is RFC 9162's MTH over the commitments, in the log's order.
        assert root == merkle.root([merkle.leaf_hash(bytes.fromhex(c)) for c in commitments])
        result = await verified(own_db, log.SignedSize(5, root))
        assert (result.ok, result.entries) == (True, 5)

    async def test_a_writer_with_an_open_transaction_holds_nobody_up(
        self, own_db: MigratedDatabase
    ) -> None:
        async with own_db.sessions() as slow:
            # A use case that wrote its audit entry and has not committed yet.
            await write_trail(
                slow, outbox=[], entries=audit.rows([entry(1)], at=AT, correlation_id=None)
            )

            # Another writer commits at once (before the log, it queued behind a lock).
            await asyncio.wait_for(write_entries(own_db, 1), timeout=5)
            assert await log.seal_all(own_db.sessions, at=AT) == 1

            await slow.commit()
        # The late entry (the lower seq) is sealed after: the log's order is sealing order.
        assert await log.seal_all(own_db.sessions, at=AT) == 1
        async with own_db.sessions() as session:
            placed = (
                await session.execute(text("SELECT seq FROM audit_leaf ORDER BY leaf_index"))
            ).scalars()
            assert list(placed) == sorted(await seqs(own_db), reverse=True)
        assert (await verified(own_db)).ok

    async def test_sealing_in_rounds_builds_the_same_tree(self, own_db: MigratedDatabase) -> None:
        for _ in range(7):
            await write_entries(own_db, 3)
            await log.seal(own_db.sessions, at=AT, batch=2)
        await log.seal_all(own_db.sessions, at=AT)

        async with own_db.sessions() as session:
            commitments = (
                await session.execute(
                    text(
                        "SELECT a.hash FROM audit_leaf l JOIN audit a ON a.seq = l.seq"
                        " ORDER BY l.leaf_index"
                    )
                )
            ).scalars()
            leaves = [merkle.leaf_hash(bytes.fromhex(c)) for c in commitments]
            for size in range(1, 22):
                assert await log.root_at(session, size) == merkle.root(leaves[:size]), size
            proof = await log.inclusion(session, 5, 21)
            assert merkle.verify_inclusion(leaves[5], 5, 21, proof, merkle.root(leaves))
            between = await log.consistency(session, 13, 21)
            assert merkle.verify_consistency(
                13, 21, merkle.root(leaves[:13]), merkle.root(leaves), between
            )


class TestTampering:
    @pytest.mark.parametrize(
        ("column", "new_value"),
        [
            ("actor", "'someone.else'"),
            ("detail", """'{"purpose": "curiosity", "n": 2}'::jsonb"""),
            ("at", "at + interval '1 second'"),
            ("entity_id", "'case-99'"),
        ],
    )
    @pytest.mark.parametrize("sealed", [True, False], ids=["sealed", "pending"])
    async def test_changing_any_entry_breaks_verification_there(
        self, own_db: MigratedDatabase, column: str, new_value: str, sealed: bool
    ) -> None:
        await write_entries(own_db, 4)
        if sealed:
            await log.seal_all(own_db.sessions, at=AT)
        seq = (await seqs(own_db))[2]

        await as_owner(
            own_db,
            "ALTER TABLE audit DISABLE TRIGGER audit_append_only",
            f"UPDATE audit SET {column} = {new_value} WHERE seq = :s",
            s=seq,
        )

        result = await verified(own_db)
        assert (result.ok, result.broken_at_seq, result.reason) == (
            False,
            seq,
            "entry content was changed",
        )

    async def test_deleting_an_entry_is_found(self, own_db: MigratedDatabase) -> None:
        await write_entries(own_db, 4)
        await log.seal_all(own_db.sessions, at=AT)
        seq = (await seqs(own_db))[1]

        await as_owner(
            own_db,
            "ALTER TABLE audit DISABLE TRIGGER audit_append_only",
            "DELETE FROM audit WHERE seq = :s",
            s=seq,
        )

        result = await verified(own_db)
        assert (result.ok, result.broken_at_seq) == (False, seq)
        assert result.reason == f"entry seq {seq} was deleted"

    async def test_an_entry_rewritten_with_its_commitment_recomputed_is_found(
        self, own_db: MigratedDatabase
    ) -> None:
        # The entry and its hash agree again, but its leaf (and every signed root) does not.
        await write_entries(own_db, 3)
        await log.seal_all(own_db.sessions, at=AT)
        seq = (await seqs(own_db))[0]
        async with own_db.sessions() as session:
            row = (
                (await session.execute(text("SELECT * FROM audit WHERE seq = :s"), {"s": seq}))
                .mappings()
                .one()
            )
        forged = log.commitment_of({**row, "actor": "someone.else"})

        await as_owner(
            own_db,
            "ALTER TABLE audit DISABLE TRIGGER audit_append_only",
            "UPDATE audit SET actor = 'someone.else', hash = :h WHERE seq = :s",
            h=forged,
            s=seq,
        )

        result = await verified(own_db)
        assert (result.ok, result.broken_at_seq) == (False, seq)
        assert result.reason == f"leaf 0 does not hash entry seq {seq}"

    async def test_the_database_refuses_to_change_the_log(self, own_db: MigratedDatabase) -> None:
        await write_entries(own_db, 1)
        await log.seal_all(own_db.sessions, at=AT)
        for statement in (
            "UPDATE audit SET actor = 'x'",
            "DELETE FROM audit_leaf",
            "UPDATE audit_node SET hash = '\\x00'",
            "TRUNCATE audit_node",
        ):
            async with own_db.sessions() as session:
                with pytest.raises(DBAPIError, match="append-only"):
                    await session.execute(text(statement))
