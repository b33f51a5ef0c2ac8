"""`python -m repatriation.entrypoints.migrate`: the service's migrations, with the owner's URL
(`REPATRIATION_MIGRATION_DATABASE_URL`), then exit; Kubernetes runs it as an init container."""

from __future__ import annotations

from puebla.runtime import migrate_main
from repatriation.config import definition

if __name__ == "__main__":
    migrate_main(definition())
