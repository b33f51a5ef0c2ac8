"""Scratch databases on the running stack's PostgreSQL, and bulk loading with COPY.

Every database the bench creates is named `bench_*`: the services' own databases
(`repatriation`, `consular`, …) are only ever read by the bench, never written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import asyncpg
from sqlalchemy import Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateIndex, CreateTable

PG = "postgresql://postgres@127.0.0.1:5432"


def dsn(database: str) -> str:
    return f"{PG}/{database}"


def _checked(name: str) -> str:
    if not name.startswith("bench_") or not name.replace("_", "").isalnum():
        raise ValueError(f"not a bench database name: {name!r}")
    return name


async def database_exists(name: str) -> bool:
    conn = await asyncpg.connect(dsn("postgres"))
    try:
        return bool(await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name))
    finally:
        await conn.close()


async def create_database(name: str, *, fresh: bool) -> None:
    conn = await asyncpg.connect(dsn("postgres"))
    try:
        if fresh:
            await conn.execute(f'DROP DATABASE IF EXISTS "{_checked(name)}" WITH (FORCE)')
        exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await conn.execute(f'CREATE DATABASE "{_checked(name)}"')
    finally:
        await conn.close()


async def drop_database(name: str) -> None:
    conn = await asyncpg.connect(dsn("postgres"))
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{_checked(name)}" WITH (FORCE)')
    finally:
        await conn.close()


async def create_tables_like(conn: asyncpg.Connection, tables: Sequence[Table]) -> None:
    """The services' own table definitions (columns, constraints, indexes), as DDL."""
    dialect = postgresql.dialect()
    for table in tables:
        await conn.execute(str(CreateTable(table).compile(dialect=dialect)))
        for index in table.indexes:
            await conn.execute(str(CreateIndex(index).compile(dialect=dialect)))


async def copy_rows(
    conn: asyncpg.Connection,
    table: str,
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    chunk: int = 50_000,
) -> int:
    """COPY in chunks (bounded memory); returns the number of rows."""
    total = 0
    batch: list[Sequence[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            await conn.copy_records_to_table(table, records=batch, columns=list(columns))
            total += len(batch)
            batch = []
    if batch:
        await conn.copy_records_to_table(table, records=batch, columns=list(columns))
        total += len(batch)
    return total


async def backend_pids(database: str) -> list[int]:
    """The server processes serving `database` now (to read their CPU time)."""
    conn = await asyncpg.connect(dsn("postgres"))
    try:
        rows = await conn.fetch(
            "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
            database,
        )
        return [r["pid"] for r in rows]
    finally:
        await conn.close()
