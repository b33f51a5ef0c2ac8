"""A process started right after a fault waits for its database instead of crash-looping."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy.exc import OperationalError, ProgrammingError

from puebla.db.availability import database_unavailable
from puebla.runtime import patiently


def in_recovery() -> OperationalError:
    try:
        raise asyncpg.CannotConnectNowError("the database system is not yet accepting connections")
    except asyncpg.CannotConnectNowError as cause:
        try:
            raise OperationalError("SELECT 1", {}, cause) from cause
        except OperationalError as wrapped:
            return wrapped


class Flaky:
    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.calls = 0

    async def __call__(self) -> None:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)


class TestStartingPatiently:
    async def test_a_database_in_recovery_is_waited_for(self) -> None:
        start = Flaky([in_recovery(), ConnectionRefusedError(111, "refused")])
        await patiently("database", start, database_unavailable, patience=30, pause=0)
        assert start.calls == 3

    async def test_a_real_error_is_raised_at_once(self) -> None:
        start = Flaky([ProgrammingError("SELECT nope", {}, Exception("no such column"))])
        with pytest.raises(ProgrammingError):
            await patiently("database", start, database_unavailable, patience=30)
        assert start.calls == 1

    async def test_patience_runs_out(self) -> None:
        start = Flaky([in_recovery() for _ in range(100)])
        with pytest.raises(OperationalError):
            await patiently("database", start, database_unavailable, patience=-1.0)
        assert start.calls == 1
