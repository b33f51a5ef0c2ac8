"""Sensitive sections stay apart: the summary never reads them, events never carry them."""

from __future__ import annotations

import dataclasses
import inspect
from datetime import UTC, datetime

import pytest

from child_protection.domain import BidDecision, Stage, errors
from child_protection.domain import events as events_module
from child_protection.domain.events import CaseEvent

# Everything an event may carry: identity, place, stage, decisions, times, codes.
SUMMARY_FIELDS = {
    "case_id",
    "reference",
    "version",
    "stage",
    "access",
    "occurred_at",
    "actor",
    "host_country",
    "nationality",
    "child",
    "age_disputed",
    "identified_at",
    "place",
    "accompaniment",
    "blocked_for_consulate",
    "notify_consulate",
    "block_cleared",
    "authority",
    "complete",
    "decision",
    "superseded_decision",
    "return_plan_cancelled",
    "reception_point",
    "scheduled_at",
    "received_at",
    "received_by_institution",
    "overdue_stage",
    "due_at",
}


class _Untouchable:
    def __getattr__(self, name):
        raise AssertionError(f"the summary read sensitive.{name}")


def _event_classes():
    return [
        cls
        for _, cls in inspect.getmembers(events_module, inspect.isclass)
        if issubclass(cls, CaseEvent)
    ]


class TestSummary:
    @pytest.mark.parametrize(
        "make", ["open", "assessed", "determined", "return_planned", "handed_over"]
    )
    def test_is_built_without_touching_sensitive_sections(self, build, make):
        case = getattr(build, make)()
        case.sensitive = _Untouchable()

        summary = case.summary(datetime(2027, 1, 1, tzinfo=UTC))

        assert summary.reference == "CP-MX-2026-000042"
        assert summary.child.surnames == "Martínez Reyes"
        assert len(summary.deadlines) == 4

    def test_shows_the_bid_decision_only(self, build):
        summary = build.determined(BidDecision.ASYLUM).summary(datetime(2027, 1, 1, tzinfo=UTC))

        assert summary.stage is Stage.ASYLUM_REFERRAL
        assert summary.bid_decision is BidDecision.ASYLUM
        assert {f.name for f in dataclasses.fields(summary)} == {
            "id",
            "reference",
            "version",
            "stage",
            "host_country",
            "nationality",
            "child",
            "age_disputed",
            "deadlines",
            "bid_decision",
            "blocked_for_consulate",
        }


class TestEventsCarrySummaryOnly:
    def test_every_event_field_is_a_summary_field(self):
        classes = _event_classes()
        assert len(classes) == 21  # CaseEvent and its 20 kinds

        carried = {f.name for cls in classes for f in dataclasses.fields(cls)}

        assert carried <= SUMMARY_FIELDS

    def test_no_event_carries_a_sensitive_value(self, build):
        case = build.open(trafficking_indicator=True, indicator_details="SECRET-INDICATOR")
        case.decide_protection(
            build.supervisor,
            clear_block=True,
            reasons="SECRET-REASON",
            decided_at=datetime(2026, 12, 2, tzinfo=UTC),
        )
        build.write_bia(case, health="SECRET-HEALTH")
        build.write_origin(case, home_situation="SECRET-HOME")
        build.decide(case, reasons="SECRET-BID")

        dumped = repr(case.events)

        assert "SECRET" not in dumped


class TestErrorCatalogue:
    def _error_classes(self):
        bases = {
            errors.CaseError,
            errors.InvalidCaseInput,
            errors.CaseConflict,
            errors.ActionForbidden,
        }
        return [
            cls
            for _, cls in inspect.getmembers(errors, inspect.isclass)
            if issubclass(cls, errors.CaseError) and cls not in bases
        ]

    def test_rules_are_unique(self):
        rules = [cls.default_rule for cls in self._error_classes()]

        assert len(rules) == len(set(rules))

    def test_kinds_follow_the_bases(self):
        for cls in self._error_classes():
            expected = (
                "invalid"
                if issubclass(cls, errors.InvalidCaseInput)
                else "conflict"
                if issubclass(cls, errors.CaseConflict)
                else "forbidden"
                if issubclass(cls, errors.ActionForbidden)
                else "not_found"
            )
            assert cls.kind == expected, cls.__name__

    def test_field_given_at_raise_wins_over_the_default(self):
        error = errors.BidRequiresCompleteAssessments("no BIA", field="bia")

        assert (error.kind, error.rule, error.field, str(error)) == (
            "conflict",
            "bid_requires_complete_assessments",
            "bia",
            "no BIA",
        )
