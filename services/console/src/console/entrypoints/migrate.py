"""`python -m console.entrypoints.migrate`: the session store's migrations with the owner's URL
(`CONSOLE_MIGRATION_DATABASE_URL`), then exit; Kubernetes runs it as an init container. It reads
only the database settings: the container never needs the client secret or the session key."""

from __future__ import annotations

from console.config import DatabaseSettings, definition
from puebla.runtime import migrate_main

if __name__ == "__main__":
    migrate_main(definition(DatabaseSettings()))
