"""The migrations, frozen, build the schema the code uses (`puebla_dev.testing.migrations`) and
seed the reference data `consular.domain.seed` states: the migrations write their rows out
literally, so an edit of seed.py without a migration of its own fails here."""

from __future__ import annotations

from sqlalchemy import select

from consular.adapters import orm
from consular.adapters.repository import ReferenceRepository
from consular.config import SERVICE_DIR
from consular.domain import seed
from puebla_dev.testing.infra import Infra, scratch_database
from puebla_dev.testing.migrations import assert_migrations_match_models


async def test_a_database_migrated_to_head_is_what_the_models_say(infra: Infra) -> None:
    await assert_migrations_match_models(infra, "consular", SERVICE_DIR, orm.metadata)


async def test_the_seeded_reference_data_is_the_seed_of_the_domain(infra: Infra) -> None:
    async with (
        scratch_database(infra, "consular_migr", SERVICE_DIR) as db,
        db.sessions() as session,
    ):
        loaded = await ReferenceRepository(session).load()
        departures = (await session.execute(select(orm.departure_point))).mappings().all()

    expected = seed.reference_data()
    # Compared as sets: the order of rows in a table means nothing.
    assert set(loaded.directory.posts) == set(expected.directory.posts)
    assert dict(loaded.directory.subdivisions) == dict(expected.directory.subdivisions)
    assert set(loaded.mandatory) == set(expected.mandatory)
    assert set(loaded.clocks) == set(expected.clocks)
    assert [dict(d) for d in departures] == [dict(d) for d in seed.DEPARTURES]
