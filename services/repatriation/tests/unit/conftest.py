"""Builders for the repatriation domain's unit tests: no I/O, no clock, no randomness in values.

The default manifest goes from Mexico to Guatemala through GT-TECUN-UMAN (America/Guatemala,
UTC-6 all year, no DST), leaving Tuesday 2026-12-01 02:00 local and arriving the same day at
10:00 local. The default "now" is Saturday 2026-11-28 12:00 UTC, well before the 24 h notice.
Tests that depend on one of these values restate it literally.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from itertools import count
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from repatriation.domain import seed
from repatriation.domain.model import Manifest, Vehicle
from repatriation.domain.reference_data import ReferenceData
from repatriation.domain.returnee import Returnee, Sex, Vulnerabilities

GUATEMALA = ZoneInfo("America/Guatemala")
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
DEPARTURE = datetime(2026, 12, 1, 2, 0, tzinfo=GUATEMALA)
ARRIVAL = datetime(2026, 12, 1, 10, 0, tzinfo=GUATEMALA)
LATER = datetime(2026, 12, 1, 16, 5, tzinfo=UTC)  # hand-over time: 10:05 at the post

NO_FLAGS = Vulnerabilities(
    pregnant=False, disability=False, illness_or_injury=False, trafficking_indicator=False
)


class Build:
    """Makes returnees and manifests in a given state; every default can be overridden."""

    def __init__(self) -> None:
        self._ids: Iterator[int] = count(1)
        self.reference_data = seed.reference_data()

    def returnee(self, **overrides: Any) -> Returnee:
        values: dict[str, Any] = {
            "id": uuid.UUID(int=next(self._ids)),
            "given_names": "Ana María",
            "surnames": "López Pérez",
            "sex": Sex.F,
            "date_of_birth": date(1990, 5, 17),
            "nationality": "GT",
            "place_of_origin": "Quetzaltenango",
            "vulnerabilities": NO_FLAGS,
            "protection_need": False,
        }
        values.update(overrides)
        return Returnee(**values)

    def child(self, **overrides: Any) -> Returnee:
        return self.returnee(
            **{"given_names": "Luis", "date_of_birth": date(2015, 3, 2)} | overrides
        )

    def flags(self, **overrides: bool) -> Vulnerabilities:
        values = {
            "pregnant": False,
            "disability": False,
            "illness_or_injury": False,
            "trafficking_indicator": False,
        } | overrides
        return Vulnerabilities(**values)

    def manifest(
        self,
        returnees: Sequence[Returnee] | None = None,
        *,
        reference_data: ReferenceData | None = None,
        seats: int = 50,
        **overrides: Any,
    ) -> Manifest:
        values: dict[str, Any] = {
            "id": uuid.UUID(int=10_000 + next(self._ids)),
            "reference": "MX-GT-2026-000123",
            "sending_country": "MX",
            "receiving_country": "GT",
            "reception_point": "GT-TECUN-UMAN",
            "scheduled_departure": DEPARTURE,
            "scheduled_arrival": ARRIVAL,
            "vehicle": Vehicle(plate="CHS-4521", seats=seats),
            "returnees": [self.returnee()] if returnees is None else list(returnees),
            "reference_data": reference_data or self.reference_data,
            "now": NOW,
        }
        values.update(overrides)
        return Manifest.create(**values)

    def submitted(self, returnees: Sequence[Returnee] | None = None, **kw: Any) -> Manifest:
        manifest = self.manifest(returnees, **kw)
        manifest.submit(reference_data=self.reference_data, now=NOW)
        manifest.events.clear()
        return manifest

    def confirmed(self, returnees: Sequence[Returnee] | None = None, **kw: Any) -> Manifest:
        manifest = self.submitted(returnees, **kw)
        for returnee in manifest.returnees:
            manifest.confirm_nationality(returnee.id, now=NOW)
        manifest.events.clear()
        return manifest

    def dispatched(self, returnees: Sequence[Returnee] | None = None, **kw: Any) -> Manifest:
        manifest = self.confirmed(returnees, **kw)
        manifest.dispatch(now=DEPARTURE)
        manifest.events.clear()
        return manifest


@pytest.fixture
def build() -> Build:
    return Build()


@pytest.fixture
def reference_data() -> ReferenceData:
    return seed.reference_data()
