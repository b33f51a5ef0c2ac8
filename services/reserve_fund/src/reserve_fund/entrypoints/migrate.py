"""`python -m reserve_fund.entrypoints.migrate`: the service's migrations, with the owner's URL
(`RESERVE_FUND_MIGRATION_DATABASE_URL`), then exit; Kubernetes runs it as an init container."""

from __future__ import annotations

from puebla.runtime import migrate_main
from reserve_fund.config import definition

if __name__ == "__main__":
    migrate_main(definition())
