"""The children's pages' own rules: overdue first, what waits for the supervisor, the gates in
words, the acts' bodies from their forms, the timeline's who and which country, and that every
code the child_protection contract answers has words."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from console.entrypoints import i18n
from console.entrypoints.pages.children import (
    ACTS,
    GATE_BIA,
    GATE_ORIGIN,
    GATE_ORIGIN_UNKNOWN,
    GATE_RECEPTION,
    GATE_RETURN_BID,
    GATE_RETURN_BLOCK,
    act_body,
    act_field,
    audit_timeline,
    awaiting,
    case_order,
    gates,
    known_of,
    sensitive_timeline,
    shown_filter,
)
from console.entrypoints.words import WORDS

CONTRACT = Path(__file__).parents[4] / "contracts" / "openapi" / "child_protection.json"


def deadline(
    stage: str, due: str, *, met: str | None = None, overdue: bool = False
) -> dict[str, Any]:
    return {"stage": stage, "due_at": due, "met_at": met, "overdue": overdue}


def case(
    ref: str, stage: str = "identified", *deadlines: dict[str, Any], **extra: Any
) -> dict[str, Any]:
    return {
        "id": ref,
        "reference": ref,
        "stage": stage,
        "host_country": "MX",
        "nationality": "HN",
        "bid": None,
        "blocked_for_consulate": False,
        "deadlines": list(deadlines),
        **extra,
    }


class TestOrder:
    def test_overdue_first_whatever_its_next_deadline(self) -> None:
        soon = case("soon", "identified", deadline("notified", "2026-12-01T10:00:00Z"))
        late = case(
            "late",
            "notified",
            deadline("notified", "2026-11-01T10:00:00Z", met="2026-11-01T09:00:00Z"),
            deadline("interviewed", "2026-12-05T10:00:00Z", overdue=True),
        )
        assert [c["reference"] for c in case_order([soon, late])] == ["late", "soon"]

    def test_then_the_earliest_unmet_deadline_across_time_zones(self) -> None:
        later = case("later", "identified", deadline("notified", "2026-12-01T10:00:00-06:00"))
        earlier = case("earlier", "identified", deadline("notified", "2026-12-01T15:00:00Z"))
        done = case("done", "follow_up", deadline("notified", "2026-01-01T00:00:00Z", met="x"))
        ordered = case_order([done, later, earlier])
        assert [c["reference"] for c in ordered] == ["earlier", "later", "done"]


class TestAwaiting:
    def test_a_blocked_case_before_its_bid_awaits_a_protection_decision(self) -> None:
        assert awaiting(case("a", "screened", blocked_for_consulate=True)) == "protection"

    def test_a_complete_bia_without_a_bid_awaits_the_bid(self) -> None:
        assert awaiting(case("a", "assessed")) == "bid"
        assert awaiting(case("a", "determined", bid={"decision": "return"})) is None
        assert awaiting(case("a", "interviewed")) is None

    def test_page_filters_keep_only_matching_cases(self) -> None:
        cases = [case("hn", "assessed"), case("gt", "assessed", nationality="GT")]
        assert [c["reference"] for c in shown_filter(cases, nationality="GT")] == ["gt"]
        assert [c["reference"] for c in shown_filter(cases, waiting="protection")] == []


class TestGates:
    def test_the_bid_waits_for_the_bia_and_the_origin_assessment(self) -> None:
        open_case = case("a", "interviewed")
        assert gates(open_case, known_of(open_case, []))["bid"] == [GATE_BIA, GATE_ORIGIN]

    def test_the_bid_waits_for_the_origin_assessment_once_the_bia_is_done(self) -> None:
        assessed = case("a", "assessed")
        assert gates(assessed, known_of(assessed, []))["bid"] == [GATE_ORIGIN]
        written = [{"action": "child_case.origin_assessment_written", "detail": {"complete": True}}]
        found = gates(assessed, known_of(assessed, written))
        assert "bid" not in found

    def test_a_draft_origin_assessment_does_not_open_the_bid(self) -> None:
        assessed = case("a", "assessed")
        draft = [{"action": "child_case.origin_assessment_written", "detail": {"complete": False}}]
        assert gates(assessed, known_of(assessed, draft))["bid"] == [GATE_ORIGIN]

    def test_without_the_audit_the_origin_assessment_is_said_to_be_needed(self) -> None:
        assessed = case("a", "assessed")
        found = gates(assessed, known_of(assessed, None))
        assert "bid" not in found
        assert found["bid-note"] == [GATE_ORIGIN_UNKNOWN]

    def test_the_return_plan_needs_a_return_bid_and_no_block(self) -> None:
        assert gates(case("a", "assessed"), known_of(case("a"), None))["return-plan"] == [
            GATE_RETURN_BID
        ]
        blocked = case("a", "determined", bid={"decision": "return"}, blocked_for_consulate=True)
        assert gates(blocked, known_of(blocked, None))["return-plan"] == [GATE_RETURN_BLOCK]

    def test_reception_needs_a_return_plan(self) -> None:
        decided = case("a", "determined", bid={"decision": "return"})
        assert gates(decided, known_of(decided, None))["reception"] == [GATE_RECEPTION]
        planned = case("a", "return_planned", bid={"decision": "return"})
        assert "reception" not in gates(planned, known_of(planned, None))

    def test_every_gate_has_spanish_words(self) -> None:
        from console.entrypoints import i18n

        t = i18n.translations("es")
        for message in (GATE_BIA, GATE_ORIGIN, GATE_RETURN_BID, GATE_RECEPTION):
            assert t.ugettext(message) != message


class TestActBodies:
    def test_a_time_typed_on_the_case_clock(self) -> None:
        body = act_body(
            ACTS["reception"],
            {
                "received_at_day": "02/12/2026",
                "received_at_time": "09:30",
                "received_by_institution": "DINAF",
            },
            "America/Tegucigalpa",
        )
        instant = datetime.fromisoformat(body["received_at"])
        assert instant.astimezone(UTC) == datetime(2026, 12, 2, 15, 30, tzinfo=UTC)

    def test_an_optional_time_left_empty_is_not_sent(self) -> None:
        body = act_body(ACTS["follow-ups"], {"notes": "ok"}, "America/Tegucigalpa")
        assert body == {"notes": "ok"}

    def test_a_date_that_does_not_exist_names_its_field(self) -> None:
        with pytest.raises(i18n.NotADateTime, match="conducted_at"):
            act_body(
                ACTS["interviews"],
                {"language": "es", "notes": "n", "conducted_at_day": "31/02/2026"},
                "America/Mexico_City",
            )

    def test_checkboxes_lines_and_the_caregiver(self) -> None:
        body = act_body(
            ACTS["origin-assessment"],
            {"caregiver_name": "Gloria", "caregiver_relationship": "abuela", "complete": "yes"},
            None,
        )
        assert body["caregiver"] == {"name": "Gloria", "relationship": "abuela"}
        assert body["complete"] is True
        assert body["caregiver_agrees_and_able"] is False
        bid = act_body(ACTS["bid"], {"panel": "Ana\n\n Luis \n", "decision": "return"}, None)
        assert bid["panel"] == ["Ana", "Luis"]

    def test_the_apis_nested_fields_land_on_the_forms_fields(self) -> None:
        assert act_field(ACTS["origin-assessment"], "caregiver.name") == "caregiver_name"
        assert act_field(ACTS["family-tracing"], "contacts.0.name") == "contact_name"
        assert act_field(ACTS["bia"], "body.child_views") == "child_views"
        assert act_field(ACTS["bia"], "version") is None


class TestTimeline:
    def test_the_origin_countrys_acts_are_its_own_the_rest_the_hosts(self) -> None:
        entries = [
            {
                "seq": 2,
                "at": "2026-12-02T10:00:00Z",
                "actor": "dinaf.hn",
                "action": "child_case.origin_assessment_written",
                "detail": {"complete": True},
            },
            {
                "seq": 1,
                "at": "2026-12-01T10:00:00Z",
                "actor": "dif.mx",
                "action": "child_case.opened",
                "detail": {},
            },
            {
                "seq": 3,
                "at": "2026-12-02T11:00:00Z",
                "actor": "dif.mx.supervisor",
                "action": "child_case.audit_read",
                "detail": {},
            },
        ]
        timeline = audit_timeline(case("a"), entries)
        assert [(e.who, e.country) for e in timeline] == [("dif.mx", "MX"), ("dinaf.hn", "HN")]

    def test_the_sensitive_sections_in_time_order(self) -> None:
        sections = {
            "protection_measures": [
                {"taken_at": "2026-12-01T12:00:00Z", "recorded_by": "dif.mx", "kind": "shelter"}
            ],
            "follow_ups": [{"visited_at": "2026-12-01T11:00:00Z", "visited_by": "dinaf.hn"}],
        }
        timeline = sensitive_timeline(case("a"), sections)
        assert [(e.what, e.country) for e in timeline] == [
            ("child_case.follow_up_recorded", "HN"),
            ("child_case.protection_measure_recorded", "MX"),
        ]


def test_every_stage_and_bid_decision_of_the_contract_has_words() -> None:
    schemas = json.loads(CONTRACT.read_text())["components"]["schemas"]
    for code in schemas["Stage"]["enum"]:
        assert code in WORDS["case_stage"], code
    for code in schemas["BidSummary"]["properties"]["decision"]["enum"]:
        assert code in WORDS["bid_decision"], code
    for code in schemas["ProtectionMeasureCreate"]["properties"]["kind"]["enum"]:
        assert code in WORDS["measure_kind"], code


class FakeApis:
    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        self.asked: list[dict[str, Any]] = []

    async def get(self, service: str, path: str, **params: Any) -> dict[str, Any]:
        self.asked.append(params)
        items = self.items
        if params.get("overdue") == "true":
            items = [c for c in items if any(d["overdue"] for d in c["deadlines"])]
        return {"items": items, "next_cursor": None}


class FakePage:
    def __init__(self, roles: tuple[str, ...], items: list[dict[str, Any]]) -> None:
        from console.domain.officer import Officer

        self.officer = Officer("someone", "Someone", roles=roles, country="MX")
        self.apis = FakeApis(items)


async def test_the_supervisors_home_counts_what_awaits_them() -> None:
    from console.entrypoints.pages.children import children_queues

    items = [
        case("p", "screened", blocked_for_consulate=True),
        case("b", "assessed", deadline("determined", "2026-01-01T00:00:00Z", overdue=True)),
        case("n", "interviewed"),
    ]
    page = FakePage(("child_protection_supervisor",), items)
    queues = await children_queues(page)  # type: ignore[arg-type]
    assert [(q.href, q.count) for q in queues] == [
        ("/cases?overdue=yes", 1),
        ("/cases/queue", 1),
        ("/cases/queue", 1),
    ]
    assert await children_queues(FakePage(("border_officer",), items)) == []  # type: ignore[arg-type]
