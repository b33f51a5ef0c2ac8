"""The migrations, frozen, build the schema the code uses (`puebla_dev.testing.migrations`)."""

from __future__ import annotations

from console.adapters.session_store import metadata
from console.config import SERVICE_DIR
from puebla_dev.testing.infra import Infra
from puebla_dev.testing.migrations import assert_migrations_match_models


async def test_a_database_migrated_to_head_is_what_the_models_say(infra: Infra) -> None:
    await assert_migrations_match_models(
        infra,
        "console",
        SERVICE_DIR,
        metadata,
        platform_tables=False,  # the console keeps no outbox, inbox or audit of its own
    )
