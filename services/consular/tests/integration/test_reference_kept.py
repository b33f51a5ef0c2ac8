"""The reference data a process keeps (`ReferenceRepository.load`, migration 0010): read again
only when a write to its tables has changed the generation token, so an edit still takes
effect at the next unit of work, and an unchanged directory costs one row a unit of work."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from sqlalchemy import text

from consular.adapters.repository import ReferenceRepository
from puebla.runtime import Runtime
from puebla_dev.testing.statements import sent_statements

POST = (
    "INSERT INTO consular_post (code, valid_from, country, kind, city, host_country,"
    " jurisdiction, email, placeholder) VALUES (:code, '2020-01-01', 'VE', 'embassy',"
    " 'Ciudad de México', 'MX', '{}', 'embajada.mexico@ve.example', true)"
)


async def posts(runtime: Runtime) -> set[str]:
    async with runtime.sessions() as session:
        reference = await ReferenceRepository(session).load()
        return {p.code for p in reference.directory.posts}


async def token(runtime: Runtime) -> uuid.UUID:
    async with runtime.sessions() as session:
        found = await session.execute(text("SELECT token FROM reference_generation"))
        return uuid.UUID(str(found.scalar_one()))


async def test_an_unchanged_directory_is_one_row_a_unit_of_work(runtime: Runtime) -> None:
    first = await posts(runtime)
    async with sent_statements(runtime.engine) as sent, runtime.sessions() as session:
        reference = ReferenceRepository(session)
        assert {p.code for p in (await reference.load()).directory.posts} == first
        departure = await reference.departure("GT-TECUN-UMAN", "MX", date(2026, 12, 1))
    assert [s for s in sent if s.startswith("SELECT")] == ["SELECT token FROM reference_generation"]
    assert departure.state is not None  # Tecún Umán's buses leave from Chiapas (the seed)


async def test_an_edit_takes_effect_at_the_next_unit_of_work(runtime: Runtime) -> None:
    before = await posts(runtime)
    async with runtime.sessions() as session:
        await session.execute(text(POST), {"code": "VE-EMB-MEXICO"})
        await session.commit()
    assert await posts(runtime) == before | {"VE-EMB-MEXICO"}
    async with runtime.sessions() as session:
        await session.execute(text("DELETE FROM consular_post WHERE code = 'VE-EMB-MEXICO'"))
        await session.commit()
    assert await posts(runtime) == before


@pytest.mark.parametrize(
    "write",
    [
        "UPDATE subdivision SET names = names WHERE false",  # a statement, even of no rows
        "DELETE FROM mandatory_notification WHERE false",
        "UPDATE notification_clock SET time_zone = time_zone",
        "TRUNCATE subdivision CASCADE",
        "UPDATE departure_point SET city = city WHERE false",  # migration 0011
    ],
)
async def test_every_write_to_the_reference_tables_changes_the_token(
    runtime: Runtime, write: str
) -> None:
    before = await token(runtime)
    async with runtime.sessions() as session:
        await session.execute(text(write))
        changed = await session.execute(text("SELECT token FROM reference_generation"))
        assert changed.scalar_one() != before
        await session.rollback()  # the test's database keeps its seed
    assert await token(runtime) == before
