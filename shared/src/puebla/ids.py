"""Identifiers: UUIDv7 for events and records, so ids sort by creation time."""

from __future__ import annotations

import uuid

import uuid6


def new_id() -> uuid.UUID:
    # uuid6.uuid7 returns a uuid6.UUID (a uuid.UUID subclass); normalise to the stdlib type
    # so that equality, JSON encoding and asyncpg all treat it the same.
    return uuid.UUID(int=uuid6.uuid7().int)
