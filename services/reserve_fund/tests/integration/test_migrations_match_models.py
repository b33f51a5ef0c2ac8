"""The migrations, frozen, build the schema the code uses (`puebla_dev.testing.migrations`)."""

from __future__ import annotations

from puebla_dev.testing.infra import Infra
from puebla_dev.testing.migrations import assert_migrations_match_models
from reserve_fund.adapters.orm import metadata
from reserve_fund.config import SERVICE_DIR


async def test_a_database_migrated_to_head_is_what_the_models_say(infra: Infra) -> None:
    await assert_migrations_match_models(infra, "reserve_fund", SERVICE_DIR, metadata)
