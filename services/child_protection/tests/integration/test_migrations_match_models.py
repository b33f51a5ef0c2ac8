"""The migrations, frozen, build the schema the code uses (`puebla_dev.testing.migrations`) and
seed the rows `child_protection.domain.seed` states: the migrations write their rows out
literally, so an edit of seed.py without a migration of its own fails here."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import text

from child_protection.adapters.orm import metadata
from child_protection.config import SERVICE_DIR
from child_protection.domain import seed
from puebla_dev.testing.infra import Infra, scratch_database
from puebla_dev.testing.migrations import assert_migrations_match_models


async def test_a_database_migrated_to_head_is_what_the_models_say(infra: Infra) -> None:
    await assert_migrations_match_models(infra, "child_protection", SERVICE_DIR, metadata)


# The day before the 2026-12-01 revisions (migration 0004), and that day.
@pytest.mark.parametrize("day", [date(2026, 11, 30), date(2026, 12, 1)])
async def test_the_seeded_rows_are_the_seed_of_the_domain(infra: Infra, day: date) -> None:
    async with (
        scratch_database(infra, "child_protection_migr", SERVICE_DIR) as db,
        db.sessions() as session,
    ):
        rules = (
            await session.execute(
                text(
                    "SELECT country, notification_hours, interview_hours, bia_days, bid_days"
                    " FROM deadline_rule WHERE valid_from <= :day"
                    " AND (valid_to IS NULL OR valid_to > :day)"
                ),
                {"day": day},
            )
        ).all()
        points = (
            await session.execute(
                text(
                    "SELECT code, country, name, has_child_protection_authority,"
                    " child_protection_authority FROM reception_point WHERE valid_from <= :day"
                    " AND (valid_to IS NULL OR valid_to > :day)"
                ),
                {"day": day},
            )
        ).all()

    assert {tuple(r) for r in rules} == {
        (
            r.country,
            r.notification.total_seconds() // 3600,
            r.interview.total_seconds() // 3600,
            r.bia.days,
            r.bid.days,
        )
        for r in seed.DEADLINE_RULES
    }
    assert {tuple(p) for p in points} == {
        (
            e.point.code,
            e.point.country,
            e.name,
            e.point.has_child_protection_authority,
            e.child_protection_authority,
        )
        for e in seed.reception_points_on(day)
    }
