"""Builders for the child_protection domain's unit tests: no I/O, no clock, no randomness.

The default case: Mexico's DIF (`dif.mx`) opens it for a Honduran boy, Kevin Josué Martínez
Reyes, born 2012-04-09 (14 years old), identified in Tapachula on 2026-12-01 at 13:30 UTC and
opened at 15:00 UTC (`OPENED`). Honduras' DINAF (`dinaf.hn`) is the origin authority; the
return goes through HN-CORINTO, where DINAF is present. With the default deadline rule, counted
from the identification, the notification is due 2026-12-02 13:30, the interview 2026-12-04
13:30, the BIA 2026-12-16 13:30 and the BID 2026-12-31 13:30 (UTC). Tests that depend on one of
these values restate it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import count
from typing import Any

import pytest

from child_protection.domain import (
    Accompaniment,
    Actor,
    BidDecision,
    Caregiver,
    Child,
    ChildCase,
    FamilyContact,
    MeasureKind,
    Place,
    ReceptionPoint,
    Sex,
)

OPENED = datetime(2026, 12, 1, 15, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    """An instant `hours` after the default opening."""
    return OPENED + timedelta(hours=hours)


class Build:
    """Makes cases in a given stage; every default can be overridden by keyword."""

    dif = Actor("dif.mx", frozenset({"child_protection_officer"}), "MX")
    supervisor = Actor("dif.mx.supervisor", frozenset({"child_protection_supervisor"}), "MX")
    dinaf = Actor("dinaf.hn", frozenset({"child_protection_officer"}), "HN")
    dinaf_supervisor = Actor(
        "dinaf.hn.supervisor", frozenset({"child_protection_supervisor"}), "HN"
    )
    sbs = Actor("sbs.gt", frozenset({"child_protection_officer"}), "GT")
    consul = Actor("consul.hn.tapachula", frozenset({"consular_officer"}), "HN")
    inm = Actor("inm.mx", frozenset({"immigration_officer"}), "MX")

    corinto = ReceptionPoint("HN-CORINTO", "HN", has_child_protection_authority=True)

    def __init__(self) -> None:
        self._ids: Iterator[int] = count(1)

    # --- opening -------------------------------------------------------------------------------

    def child(self, **overrides: Any) -> Child:
        values: dict[str, Any] = {
            "given_names": "Kevin Josué",
            "surnames": "Martínez Reyes",
            "sex": Sex.MALE,
            "date_of_birth": date(2012, 4, 9),
            "languages": ("es",),
        }
        values.update(overrides)
        return Child(**values)

    def open(self, **overrides: Any) -> ChildCase:
        values: dict[str, Any] = {
            "case_id": uuid.UUID(int=next(self._ids)),
            "reference": "CP-MX-2026-000042",
            "actor": self.dif,
            "host_country": "MX",
            "nationality": "HN",
            "child": self.child(),
            "identified_at": datetime(2026, 12, 1, 13, 30, tzinfo=UTC),
            "place": Place("MX", "Chiapas", "Tapachula"),
            "accompaniment": Accompaniment.UNACCOMPANIED,
            "age_disputed": False,
            "protection_need": False,
            "trafficking_indicator": False,
            "opened_at": OPENED,
        }
        values.update(overrides)
        return ChildCase.open(**values)

    # --- writing sections ----------------------------------------------------------------------

    def write_bia(self, case: ChildCase, **overrides: Any) -> None:
        values: dict[str, Any] = {
            "actor": self.dif,
            "safety": "No threats known at the mother's home.",
            "family": "Mother in San Pedro Sula; father absent.",
            "health": "Healthy; minor dehydration treated on arrival.",
            "education": "Finished 6th grade in 2024.",
            "child_views": "Wants to go back to his mother.",
            "child_views_absent_reason": None,
            "recommendation": "Return to the mother with DINAF follow-up.",
            "complete": True,
            "written_at": at(24 * 10),
        }
        values.update(overrides)
        actor = values.pop("actor")
        case.write_bia(actor, **values)

    def write_origin(self, case: ChildCase, **overrides: Any) -> None:
        values: dict[str, Any] = {
            "actor": self.dinaf,
            "family_situation": "Mother works in a market; two younger siblings.",
            "home_situation": "Rented house, stable.",
            "risks_on_return": "None identified by DINAF's home visit.",
            "caregiver": Caregiver("Rosa Reyes", "mother"),
            "caregiver_agrees_and_able": True,
            "complete": True,
            "written_at": at(24 * 11),
        }
        values.update(overrides)
        actor = values.pop("actor")
        case.write_origin_assessment(actor, **values)

    def decide(self, case: ChildCase, **overrides: Any) -> None:
        values: dict[str, Any] = {
            "actor": self.supervisor,
            "decision": BidDecision.RETURN,
            "reasons": "Safe family environment; the mother agrees and is able.",
            "panel": ("Lic. Laura Gómez", "Psic. Mario Ruiz", "T.S. Elena Cruz"),
            "child_views_considered": "His wish to return to his mother was decisive.",
            "decided_at": at(24 * 20),
        }
        values.update(overrides)
        actor = values.pop("actor")
        case.decide_bid(actor, **values)

    def plan_return(self, case: ChildCase, **overrides: Any) -> None:
        values: dict[str, Any] = {
            "actor": self.dif,
            "reception_point": self.corinto,
            "scheduled_at": at(24 * 25),
            "escort": "Lic. Ana Torres (DIF)",
            "planned_at": at(24 * 21),
        }
        values.update(overrides)
        actor = values.pop("actor")
        case.plan_return(actor, **values)

    def receive(self, case: ChildCase, **overrides: Any) -> None:
        values: dict[str, Any] = {
            "actor": self.dinaf,
            "received_at": at(24 * 25 + 6),
            "received_by_institution": "DINAF Corinto",
        }
        values.update(overrides)
        actor = values.pop("actor")
        case.confirm_reception(actor, **values)

    def record_all_early_steps(self, case: ChildCase) -> None:
        case.record_protection_measure(
            self.dif, kind=MeasureKind.SHELTER, description="DIF shelter", taken_at=at(1)
        )
        case.record_notification(
            self.dif, authority="Procuraduría de Protección, Chiapas", notified_at=at(2)
        )
        case.record_interview(
            self.dif, conducted_at=at(20), language="es", notes="Travelled alone from SPS."
        )
        case.record_screening(
            self.dif,
            screened_at=at(30),
            protection_need=False,
            trafficking_indicator=False,
            notes="No fear of return expressed.",
        )
        case.record_family_tracing(
            self.dif,
            traced_at=at(48),
            actions=("Called the mother",),
            contacts=(FamilyContact("Rosa Reyes", "mother", "+504 5555 0000", "San Pedro Sula"),),
        )

    # --- whole stages ------------------------------------------------------------------------

    def assessed(self, **open_overrides: Any) -> ChildCase:
        """Both assessments complete, no BID yet."""
        case = self.open(**open_overrides)
        self.write_bia(case)
        self.write_origin(case)
        return case

    def determined(self, decision: BidDecision = BidDecision.RETURN) -> ChildCase:
        case = self.assessed()
        self.decide(case, decision=decision)
        return case

    def return_planned(self) -> ChildCase:
        case = self.determined()
        self.plan_return(case)
        return case

    def handed_over(self) -> ChildCase:
        case = self.return_planned()
        self.receive(case)
        return case


@pytest.fixture
def build() -> Build:
    return Build()
