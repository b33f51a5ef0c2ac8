"""The audit chain verifies; changing any stored entry makes verification fail."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from puebla.db.audit import AuditRecord, verify_chain
from puebla.db.unit_of_work import UnitOfWork
from puebla_dev.testing.infra import Infra, MigratedDatabase, scratch_database

from .conftest import FIXTURE_SERVICE


@pytest_asyncio.fixture(loop_scope="session")
async def own_db(infra: Infra) -> AsyncIterator[MigratedDatabase]:
    # Tampering breaks a chain for good, so these tests get a database of their own.
    async with scratch_database(infra, "puebla_audit", FIXTURE_SERVICE) as db:
        yield db


async def write_entries(db: MigratedDatabase, n: int) -> None:
    for i in range(n):
        uow = UnitOfWork(db.sessions, source="puebla/test", actor="test")
        async with uow:
            uow.record(
                AuditRecord(
                    "dif.mx",
                    "case.read_sensitive",
                    "child_case",
                    f"case-{i}",
                    {"purpose": "BIA review", "n": i},
                )
            )
            await uow.commit()


class TestAuditChain:
    async def test_an_untouched_chain_verifies(self, own_db: MigratedDatabase) -> None:
        await write_entries(own_db, 5)
        async with own_db.sessions() as session:
            result = await verify_chain(session)
        assert result.ok
        assert result.entries == 5

    @pytest.mark.parametrize(
        ("column", "new_value"),
        [
            ("actor", "'someone.else'"),
            ("detail", """'{"purpose": "curiosity", "n": 2}'::jsonb"""),
            ("at", "at + interval '1 second'"),
            ("entity_id", "'case-99'"),
        ],
    )
    async def test_changing_any_stored_entry_breaks_verification(
        self, own_db: MigratedDatabase, column: str, new_value: str
    ) -> None:
        db = own_db
        await write_entries(db, 4)
        async with db.sessions() as session:
            seq = (
                (await session.execute(text("SELECT seq FROM audit ORDER BY seq")))
                .scalars()
                .all()[2]
            )
            # Only a superuser who switches off the append-only trigger can do this.
            await session.execute(text("ALTER TABLE audit DISABLE TRIGGER audit_append_only"))
            await session.execute(
                text(f"UPDATE audit SET {column} = {new_value} WHERE seq = :s"), {"s": seq}
            )
            await session.commit()
            result = await verify_chain(session)
        assert not result.ok
        assert result.broken_at_seq == seq

    async def test_deleting_an_entry_breaks_verification(self, own_db: MigratedDatabase) -> None:
        db = own_db
        await write_entries(db, 4)
        async with db.sessions() as session:
            seqs = (
                (await session.execute(text("SELECT seq FROM audit ORDER BY seq"))).scalars().all()
            )
            await session.execute(text("ALTER TABLE audit DISABLE TRIGGER audit_append_only"))
            await session.execute(text("DELETE FROM audit WHERE seq = :s"), {"s": seqs[1]})
            await session.commit()
            result = await verify_chain(session)
        assert not result.ok
        assert result.broken_at_seq == seqs[2]

    async def test_the_database_refuses_to_change_an_entry(self, own_db: MigratedDatabase) -> None:
        await write_entries(own_db, 1)
        async with own_db.sessions() as session:
            with pytest.raises(DBAPIError, match="append-only"):
                await session.execute(text("UPDATE audit SET actor = 'x'"))
