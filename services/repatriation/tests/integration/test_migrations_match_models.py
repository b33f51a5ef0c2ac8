"""The migrations, frozen, build the schema the code uses (`puebla_dev.testing.migrations`)."""

from __future__ import annotations

from puebla_dev.testing.infra import Infra
from puebla_dev.testing.migrations import assert_migrations_match_models
from repatriation.adapters.orm import metadata
from repatriation.config import SERVICE_DIR


async def test_a_database_migrated_to_head_is_what_the_models_say(infra: Infra) -> None:
    await assert_migrations_match_models(infra, "repatriation", SERVICE_DIR, metadata)
