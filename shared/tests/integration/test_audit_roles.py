"""The runtime role cannot rewrite the audit trail (security review 6), on the real PostgreSQL.

Each service database has two roles (`puebla_dev.devstack.postgres`): `<db>_owner` owns the schema
and runs the migrations, `<db>` is what the service runs as. The runtime role owns nothing, has
only INSERT and SELECT on the append-only tables, and keeps what it needs everywhere else; a
BEFORE TRUNCATE trigger stops even the owner from emptying them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import asyncpg
import pytest
import pytest_asyncio
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from puebla.db.audit import AuditRecord
from puebla.db.tables import APPEND_ONLY_TABLES
from puebla.db.unit_of_work import UnitOfWork
from puebla.transparency import log
from puebla_dev.testing.infra import Infra
from puebla_dev.testing.roles import RoleSeparatedDatabase, role_separated_database

from .conftest import FIXTURE_SERVICE

REPO = Path(__file__).resolve().parents[3]
SERVICES = ["repatriation", "child_protection", "reserve_fund", "consular"]


@pytest_asyncio.fixture(loop_scope="session")
async def split_db(infra: Infra) -> AsyncIterator[RoleSeparatedDatabase]:
    async with role_separated_database(infra, "puebla_roles", FIXTURE_SERVICE) as db:
        yield db


async def write_entry(db: RoleSeparatedDatabase, entity_id: str = "case-1") -> None:
    uow = UnitOfWork(db.sessions, source="puebla/test", actor="test")
    async with uow:
        uow.record(AuditRecord("dif.mx", "case.read_sensitive", "child_case", entity_id))
        await uow.commit()


async def run_as(url: str, statement: str) -> None:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


class TestTheRuntimeRole:
    async def test_appends_and_reads_the_trail(self, split_db: RoleSeparatedDatabase) -> None:
        await write_entry(split_db)
        assert await log.seal_all(split_db.sessions, at=datetime.now(UTC)) == 1
        async with split_db.sessions() as session:
            result = await log.verify(session)
        assert result.ok
        assert result.entries == 1

    @pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE {table} SET {column} = {column}",
            "DELETE FROM {table}",
            "TRUNCATE {table}",
            "ALTER TABLE {table} DISABLE TRIGGER USER",
            "DROP TABLE {table}",
        ],
    )
    async def test_may_not_change_delete_or_truncate_an_append_only_table(
        self, split_db: RoleSeparatedDatabase, table: str, statement: str
    ) -> None:
        await write_entry(split_db)
        # Refused by the privileges (or ownership), before any trigger is asked.
        column = "level" if table == "audit_node" else "seq"
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await run_as(split_db.runtime_url, statement.format(table=table, column=column))

    async def test_owns_nothing_in_its_database(self, split_db: RoleSeparatedDatabase) -> None:
        conn = await asyncpg.connect(split_db.superuser_url.replace("+asyncpg", ""))
        try:
            owned = await conn.fetch(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) = $1",
                split_db.runtime_role,
            )
            schema_owner = await conn.fetchval(
                "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = 'public'"
            )
        finally:
            await conn.close()
        assert owned == []
        assert schema_owner == split_db.owner_role

    async def test_may_not_create_tables(self, split_db: RoleSeparatedDatabase) -> None:
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await run_as(split_db.runtime_url, "CREATE TABLE sneaky (id int)")


class TestTheTruncateGuard:
    @pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
    async def test_even_the_owner_cannot_truncate_without_disabling_the_trigger(
        self, split_db: RoleSeparatedDatabase, table: str
    ) -> None:
        await write_entry(split_db)
        with pytest.raises(
            asyncpg.exceptions.RaiseError, match=r"append-only \(TRUNCATE refused\)"
        ):
            await run_as(split_db.owner_url, f"TRUNCATE {table}")
        async with split_db.sessions() as session:
            assert (await session.execute(text("SELECT count(*) FROM audit"))).scalar_one() >= 1

    async def test_the_owner_cannot_update_the_checkpoints_either(
        self, split_db: RoleSeparatedDatabase
    ) -> None:
        async with split_db.sessions() as session:
            await session.execute(
                text(
                    "INSERT INTO audit_checkpoint (seq, head, count, at, key_id, signature)"
                    " VALUES (1, 'h', 1, now(), 'k', 's')"
                )
            )
            await session.commit()
        with pytest.raises(asyncpg.exceptions.RaiseError, match="append-only"):
            await run_as(split_db.owner_url, "DELETE FROM audit_checkpoint")


@pytest.mark.parametrize("service", SERVICES)
async def test_each_service_runtime_role_keeps_what_it_needs_on_its_other_tables(
    infra: Infra, service: str
) -> None:
    service_dir = REPO / "services" / service
    async with role_separated_database(infra, f"{service}_roles", service_dir) as db:
        conn = await asyncpg.connect(db.superuser_url.replace("+asyncpg", ""))
        try:
            rows = await conn.fetch(
                "SELECT tablename,"
                " has_table_privilege($1, format('%I', tablename), 'SELECT') AS s,"
                " has_table_privilege($1, format('%I', tablename), 'INSERT') AS i,"
                " has_table_privilege($1, format('%I', tablename), 'UPDATE') AS u,"
                " has_table_privilege($1, format('%I', tablename), 'DELETE') AS d,"
                " has_table_privilege($1, format('%I', tablename), 'TRUNCATE') AS t"
                " FROM pg_tables WHERE schemaname = 'public'",
                db.runtime_role,
            )
            sequences = await conn.fetch(
                "SELECT sequencename, has_sequence_privilege($1, format('%I', sequencename),"
                " 'USAGE') AS usage FROM pg_sequences WHERE schemaname = 'public'",
                db.runtime_role,
            )
        finally:
            await conn.close()
        rights = {r["tablename"]: (r["s"], r["i"], r["u"], r["d"], r["t"]) for r in rows}
        assert {"outbox", "inbox", "idempotency", *APPEND_ONLY_TABLES} <= set(rights)
        for table, granted in rights.items():
            if table in APPEND_ONLY_TABLES:
                assert granted == (True, True, False, False, False), table
            elif table == "alembic_version":
                assert granted == (True, False, False, False, False), table
            else:
                assert granted == (True, True, True, True, False), table
        assert all(s["usage"] for s in sequences)


async def test_a_database_migrated_by_the_superuser_before_the_split_is_handed_over(
    infra: Infra,
) -> None:
    """The local stack's databases predate the roles: the stack hands every object to the
    owner, and the runtime role then works and is refused as in a new one."""
    async with role_separated_database(
        infra, "puebla_handover", FIXTURE_SERVICE, migrate_as_superuser_first=True
    ) as db:
        await write_entry(db)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await run_as(db.runtime_url, "TRUNCATE audit")
        conn = await asyncpg.connect(db.superuser_url.replace("+asyncpg", ""))
        try:
            owners = {
                r["owner"]
                for r in await conn.fetch(
                    "SELECT pg_get_userbyid(c.relowner) AS owner FROM pg_class c"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public'"
                )
            }
        finally:
            await conn.close()
        assert owners == {db.owner_role}


async def test_only_the_owner_can_still_rewrite_an_entry_and_the_service_does_not_run_as_it(
    split_db: RoleSeparatedDatabase,
) -> None:
    """What the split closes: the owner (which the service used to run as) may disable the
    row trigger and rewrite an entry (the hash chain and the checkpoint see that); the
    runtime role is refused by its privileges."""
    await write_entry(split_db, "case-owner")
    await run_as(split_db.owner_url, "ALTER TABLE audit DISABLE TRIGGER audit_append_only")
    try:
        await run_as(split_db.owner_url, "UPDATE audit SET actor = 'someone.else'")
    finally:
        await run_as(split_db.owner_url, "ALTER TABLE audit ENABLE TRIGGER audit_append_only")
    async with split_db.sessions() as session:
        with pytest.raises(DBAPIError, match="permission denied"):
            await session.execute(text("UPDATE audit SET actor = 'x'"))
