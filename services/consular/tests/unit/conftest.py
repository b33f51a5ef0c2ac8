"""Builders for the consular unit tests: the seed reference data and a host immigration office
that files reports.

Defaults: `inm.mx` reports, at 18:00 UTC on 10 March 2026 (12:00 in Tapachula), that a
Guatemalan man was detained in Tapachula, Chiapas, at 15:00 UTC (09:00 local) and asked for his
consulate to be told.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

import pytest

from consular.domain import seed
from consular.domain.commands import ReportNotification
from consular.domain.model import Notification
from consular.domain.reference import ReferenceData
from consular.domain.rules import NotificationKind
from consular.domain.triggers import notify_on_report
from consular.domain.values import Actor, Person, Place, Sex

NOW = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)
DETAINED_AT = datetime(2026, 3, 10, 15, 0, tzinfo=UTC)
INM_MX = Actor("inm.mx", frozenset({"immigration_officer"}), "MX")
JUAN = Person("Juan Carlos", "López Pérez", Sex.M, date(1990, 4, 2))


class Ids:
    """Predictable ids: 00000000-0000-0000-0000-000000000001, ...002, ..."""

    def __init__(self) -> None:
        self.last = 0

    def __call__(self) -> UUID:
        self.last += 1
        return UUID(int=self.last)


class Office:
    """The host immigration office: files reports through the domain's entry point."""

    def __init__(self, reference: ReferenceData) -> None:
        self.reference = reference
        self.ids = Ids()

    def report(
        self,
        *,
        reference: ReferenceData | None = None,
        now: datetime = NOW,
        **overrides: Any,
    ) -> list[Notification]:
        """`reported_by` (default `INM_MX`) is who reports; the rest are command fields."""
        fields: dict[str, Any] = {
            "kind": NotificationKind.DETENTION,
            "person": JUAN,
            "nationalities": ("GT",),
            "place": Place("MX", "Chiapas", "Tapachula"),
            "occurred_at": DETAINED_AT,
            "protection_need": False,
            "person_requests_notification": True,
        }
        if overrides.get("kind", NotificationKind.DETENTION) is not NotificationKind.DETENTION:
            fields["person_requests_notification"] = None
        reporter = overrides.pop("reported_by", INM_MX)
        fields.update(overrides)
        return notify_on_report(
            ReportNotification(**fields), reporter, reference or self.reference, self.ids, now
        )

    def one(self, **overrides: Any) -> Notification:
        (notification,) = self.report(**overrides)
        notification.events.clear()
        return notification


@pytest.fixture
def reference() -> ReferenceData:
    return seed.reference_data()


@pytest.fixture
def office(reference: ReferenceData) -> Office:
    return Office(reference)


@pytest.fixture
def new_id() -> Callable[[], UUID]:
    return Ids()
