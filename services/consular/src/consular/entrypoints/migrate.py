"""`python -m consular.entrypoints.migrate`: the service's migrations, with the owner's URL
(`CONSULAR_MIGRATION_DATABASE_URL`), then exit; Kubernetes runs it as an init container."""

from __future__ import annotations

from consular.config import definition
from puebla.runtime import migrate_main

if __name__ == "__main__":
    migrate_main(definition())
