"""What every repository needs: the aggregates a unit of work has seen, and the versioned write.

A repository remembers each aggregate it handed out or was given, with the version it had
then (`Seen`): the unit of work writes those that changed and collects their events. Writing
one back is an UPDATE guarded by that version (`update_versioned`): if someone else committed
a change in between, nothing is written and `ConcurrentChange` says to read it again.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Table, update
from sqlalchemy.ext.asyncio import AsyncSession

from puebla.refusals import ConcurrentChange

A = TypeVar("A")
K = TypeVar("K", bound=Hashable)


@dataclass
class _Entry(Generic[A]):
    aggregate: A
    version: int | None  # as loaded; None: new in this unit of work (an INSERT)


class Seen(Generic[K, A]):
    """The identity map of one unit of work: one object per key, in the order first seen."""

    def __init__(self) -> None:
        self._entries: dict[K, _Entry[A]] = {}

    def loaded(self, key: K, aggregate: A, version: int) -> A:
        """Remembers `aggregate` as read at `version`; the first object for a key stays."""
        entry = self._entries.setdefault(key, _Entry(aggregate, version))
        return entry.aggregate

    def added(self, key: K, aggregate: A) -> None:
        self._entries[key] = _Entry(aggregate, None)

    def get(self, key: K) -> A | None:
        entry = self._entries.get(key)
        return entry.aggregate if entry else None

    def version_of(self, key: K) -> int | None:
        """The version read (None for a new one): what `update_versioned` guards on."""
        return self._entries[key].version

    def written(self, key: K, version: int) -> None:
        """After a write: the version now stored is the base of the next one."""
        self._entries[key].version = version

    def __iter__(self) -> Iterator[A]:
        return iter([entry.aggregate for entry in self._entries.values()])

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        return key in self._entries


async def update_versioned(
    session: AsyncSession,
    table: Table,
    key: Mapping[str, Any],
    *,
    loaded_version: int,
    values: Mapping[str, Any],
    what: str = "The record",
) -> None:
    """UPDATE `table` SET `values` WHERE `key` and version = `loaded_version`; raises
    `ConcurrentChange(what)` when no row matched (someone else changed it since it was read).
    `values` carries the new version itself (the aggregate counts its own changes)."""
    condition = [table.c[column] == value for column, value in key.items()]
    result = await session.execute(
        update(table).where(*condition, table.c.version == loaded_version).values(**values)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise ConcurrentChange(what)
