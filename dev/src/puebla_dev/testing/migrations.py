"""DEV-ONLY. The check that a service's migrations build the schema its code uses.

Migrations are frozen (literal DDL, literal seed rows: `puebla.db.migrations`), and the models
(`<service>.adapters.orm`, the platform tables of `puebla.db.tables`) live on. This is what
keeps the two together: a scratch database is migrated from nothing to head and Alembic's
autogenerate compares it with the models. A column added to a model and not to a migration,
or the reverse, is a difference and fails the service's `test_migrations_match_models.py`,
where comparing two things built from the same live definitions could never fail.
"""

from __future__ import annotations

import pprint
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import MetaData
from sqlalchemy.engine import Connection

from puebla.db.tables import define_audit_anchor_tables, define_platform_tables, new_metadata
from puebla_dev.testing.infra import Infra, scratch_database

__all__ = ["assert_migrations_match_models", "models_of", "schema_differences"]


def models_of(metadata: MetaData, *, platform_tables: bool = True) -> MetaData:
    """The service's tables plus, unless it keeps none (the console), the platform tables
    (outbox, inbox, idempotency, audit and its anchor), which not every `orm.py` declares."""
    target = new_metadata()
    for table in metadata.tables.values():
        table.to_metadata(target)
    if platform_tables:
        platform = new_metadata()
        define_platform_tables(platform)
        define_audit_anchor_tables(platform)
        for table in platform.tables.values():
            if table.name not in target.tables:
                table.to_metadata(target)
    return target


async def schema_differences(
    infra: Infra, service: str, service_dir: Path, models: MetaData
) -> list[Any]:
    """What autogenerate would write to bring a database migrated to head to `models`: empty
    when they agree. The database is new (`<service>_migr_<hex>`) and dropped afterwards."""

    def compare(sync: Connection) -> list[Any]:
        context = MigrationContext.configure(
            sync, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, models))

    async with (
        scratch_database(infra, f"{service}_migr", service_dir) as db,
        db.engine.connect() as conn,
    ):
        return await conn.run_sync(compare)


async def assert_migrations_match_models(
    infra: Infra,
    service: str,
    service_dir: Path,
    metadata: MetaData,
    *,
    platform_tables: bool = True,
) -> None:
    differences = await schema_differences(
        infra, service, service_dir, models_of(metadata, platform_tables=platform_tables)
    )
    assert differences == [], (
        f"{service}: the migrations and the models differ (write a migration, or fix the"
        f" model):\n{pprint.pformat(differences, width=100)}"
    )
