"""The reference data an API process keeps (`puebla.db.reference`, migration 0009): read again
only when a write to `reception_point`, `agreement` or `notice_rule` has changed the generation
token, so an edit takes effect at the next unit of work and an unchanged set costs a submission
one row; which notice rules are in force is still decided by the day of the use."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from puebla.runtime import Runtime
from puebla_dev.testing.statements import sent_statements
from repatriation.adapters.repository import SqlManifestRepository
from repatriation.domain.reference_data import ReferenceData

TODAY = date(2026, 12, 1)


async def reference(runtime: Runtime, on: date = TODAY) -> ReferenceData:
    async with runtime.sessions() as session:
        return await SqlManifestRepository(session).reference_data(on)


def lead_time(data: ReferenceData, country: str) -> timedelta | None:
    found = [r.lead_time for r in data.notice_rules if r.receiving_country == country]
    return found[0] if found else None


async def test_unchanged_reference_tables_are_one_row_a_unit_of_work(runtime: Runtime) -> None:
    first = await reference(runtime)
    async with sent_statements(runtime.engine) as sent:
        assert await reference(runtime) == first
    assert [s for s in sent if s.startswith("SELECT")] == ["SELECT token FROM reference_generation"]


async def test_an_edit_is_in_force_from_its_day_at_the_next_unit_of_work(runtime: Runtime) -> None:
    await reference(runtime)  # kept
    async with runtime.sessions() as session:
        await session.execute(
            text(
                "INSERT INTO notice_rule (receiving_country, valid_from, lead_time_minutes)"
                " VALUES ('BZ', :tomorrow, 2880)"
            ),
            {"tomorrow": TODAY + timedelta(days=1)},
        )
        await session.commit()
    try:
        assert lead_time(await reference(runtime), "BZ") is None  # not in force today
        assert lead_time(await reference(runtime, TODAY + timedelta(days=1)), "BZ") == timedelta(
            days=2
        )
    finally:
        async with runtime.sessions() as session:
            await session.execute(text("DELETE FROM notice_rule WHERE receiving_country = 'BZ'"))
            await session.commit()
    assert lead_time(await reference(runtime, TODAY + timedelta(days=1)), "BZ") is None


@pytest.mark.parametrize(
    "write",
    [
        "UPDATE reception_point SET name = name WHERE false",  # a statement, even of no rows
        "DELETE FROM agreement WHERE false",
        "UPDATE notice_rule SET lead_time_minutes = lead_time_minutes",
        "TRUNCATE agreement",
    ],
)
async def test_every_write_to_the_reference_tables_changes_the_token(
    runtime: Runtime, write: str
) -> None:
    async def token() -> uuid.UUID:
        async with runtime.sessions() as session:
            found = await session.execute(text("SELECT token FROM reference_generation"))
            return uuid.UUID(str(found.scalar_one()))

    before = await token()
    async with runtime.sessions() as session:
        await session.execute(text(write))
        changed = await session.execute(text("SELECT token FROM reference_generation"))
        assert changed.scalar_one() != before
        await session.rollback()  # the test's database keeps its seed
    assert await token() == before
