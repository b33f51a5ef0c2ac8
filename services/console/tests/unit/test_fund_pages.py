"""The Reserve Fund pages' own rules: amounts as officers type them, the cap shown per item,
where the API's refusal of the cap is shown, the two-approver gate and the timeline."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from console.entrypoints import web
from console.entrypoints.pages.fund import (
    acts_of,
    awaiting_second,
    crossing_item,
    gates,
    item_field,
    item_lines,
    items_body,
    not_now,
    parse_amount,
    timeline,
    usd,
)


@dataclass
class Officer:
    username: str
    roles: tuple[str, ...]

    def has(self, role: str) -> bool:
        return role in self.roles


APPROVER = Officer("iom.approver", ("fund_approver",))
APPROVER2 = Officer("iom.approver2", ("fund_approver",))
FUND_OFFICER = Officer("iom.officer", ("fund_officer",))
CONSUL = Officer("consul.gt.tapachula", ("consular_officer",))


def application(**extra: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "status": "under_review",
        "approvals_needed": 2,
        "approvals": [],
        "recommendation": "approve",
        "reviewed_by": "iom.officer",
        "reviewed_at": "2026-12-01T15:00:00+00:00",
        "review_note": "ok",
        "created_at": "2026-12-01T13:00:00+00:00",
        "submitted_at": "2026-12-01T14:00:00+00:00",
        "updated_at": "2026-12-01T16:00:00+00:00",
        "requested_by": {"username": "consul.gt.tapachula"},
        "information_requests": [],
        "disbursements": [],
    }
    base.update(extra)
    return base


class TestAmounts:
    @pytest.mark.parametrize(
        ("typed", "amount"),
        [
            ("420", "420.00"),
            ("420.5", "420.50"),
            ("1,250.00", "1250.00"),
            ("1250,50", "1250.50"),
            ("USD 40", "40.00"),
            (" 0.75 ", "0.75"),
        ],
    )
    def test_as_officers_type_them(self, typed: str, amount: str) -> None:
        assert parse_amount(typed) == Decimal(amount)

    @pytest.mark.parametrize("typed", ["", "abc", "1.234", "-5", "12.3.4", "1e3"])
    def test_anything_else_is_not_an_amount(self, typed: str) -> None:
        assert parse_amount(typed) is None

    def test_shown_in_usd_with_two_places_and_thousands(self) -> None:
        assert usd("1250.5") == "USD 1,250.50"
        assert usd(Decimal("0")) == "USD 0.00"
        assert usd(None) == "—"


class TestTheCapPerItem:
    def test_each_item_shows_what_the_cap_leaves_it(self) -> None:
        lines = {
            line.kind: line
            for line in item_lines({"amount_transport": "420", "amount_meals": "60"})
        }
        assert lines["transport"].room == Decimal("940.00")  # 1000 - 60
        assert lines["meals"].room == Decimal("580.00")  # 1000 - 420
        assert lines["lodging"].room == Decimal("520.00")  # 1000 - 480

    def test_over_the_cap_nothing_is_left(self) -> None:
        lines = {
            line.kind: line
            for line in item_lines({"amount_transport": "900", "amount_meals": "200"})
        }
        assert lines["lodging"].room == Decimal("0.00")

    def test_the_refusal_of_the_cap_goes_next_to_the_item_that_crosses_it(self) -> None:
        values = {
            "amount_transport": "420",
            "amount_escort": "120",
            "amount_lodging": "300",
            "amount_meals": "200",
            "amount_documents": "10",
        }
        assert crossing_item(values) == "amount_meals"
        assert item_field("items", [], values) == "amount_meals"

    def test_an_indexed_refusal_goes_to_its_item(self) -> None:
        values = {"amount_escort": "0", "amount_meals": "20"}
        items, names = items_body(values)
        assert [i["kind"] for i in items] == ["escort", "meals"]
        assert item_field("items[0].amount", names, values) == "amount_escort"
        assert item_field("items.1.amount", names, values) == "amount_meals"

    def test_the_sentence_is_spanish(self) -> None:
        from console.entrypoints.pages.fund import RULES

        sentence = web.rule_sentence("es", "cap.over_case_cap", RULES)
        assert "tope de USD 1,000.00" in sentence


class TestTwoApprovers:
    def test_after_one_approval_of_two_it_awaits_a_second(self) -> None:
        once = application(approvals=[{"by": "iom.approver", "at": "2026-12-01T16:00:00+00:00"}])
        assert awaiting_second(once)
        assert not awaiting_second(application())
        assert not awaiting_second(application(approvals_needed=1, approvals=once["approvals"]))

    def test_the_same_approver_is_not_offered_the_second_approval(self) -> None:
        once = application(approvals=[{"by": "iom.approver", "at": "2026-12-01T16:00:00+00:00"}])
        assert gates(once, APPROVER)["approve"] is not None
        assert gates(once, APPROVER2)["approve"] is None

    def test_the_reviewer_does_not_approve(self) -> None:
        reviewed_by_approver = application(reviewed_by="iom.approver2")
        assert gates(reviewed_by_approver, APPROVER2)["approve"] is not None
        assert gates(reviewed_by_approver, APPROVER)["approve"] is None

    def test_no_approval_before_the_review(self) -> None:
        assert gates(application(status="submitted", recommendation=None), APPROVER)["approve"]

    def test_each_role_its_acts(self) -> None:
        submitted = application(status="submitted", recommendation=None)
        assert gates(submitted, FUND_OFFICER)["review"] is None
        assert gates(submitted, CONSUL)["review"] is not None
        assert gates(application(status="draft"), CONSUL)["submit"] is None
        assert gates(application(status="info_requested"), CONSUL)["answer"] is None
        assert gates(application(status="disbursed"), FUND_OFFICER)["cancel"] is not None


def test_the_timeline_in_the_order_things_happened() -> None:
    a = application(
        approvals=[{"by": "iom.approver", "at": "2026-12-01T16:30:00+00:00", "note": None}],
        information_requests=[
            {
                "question": "¿Boleto?",
                "asked_by": "iom.officer",
                "asked_at": "2026-12-01T14:30:00+00:00",
                "answer": "Sí",
                "answered_by": "consul.gt.tapachula",
                "answered_at": "2026-12-01T14:45:00+00:00",
            }
        ],
    )
    acts = timeline(a)
    assert [act.by for act in acts] == [
        "consul.gt.tapachula",
        None,
        "iom.officer",
        "consul.gt.tapachula",
        "iom.officer",
        "iom.approver",
    ]


@pytest.mark.parametrize(
    ("schema", "prop", "kind"),
    [
        ("ApplicationRead", "status", "fund_status"),
        ("ApplicationRead", "categories", "fund_category"),
        ("CostItemRead", "kind", "cost_kind"),
        ("ConsentRead", "given_by", "consent_by"),
        ("ApplicationRead", "recommendation", "recommendation"),
    ],
)
def test_every_code_of_the_contract_has_words(schema: str, prop: str, kind: str) -> None:
    import json
    from pathlib import Path

    from console.entrypoints.words import WORDS

    spec = json.loads(
        (Path(__file__).resolve().parents[4] / "contracts/openapi/reserve_fund.json").read_text()
    )
    node = spec["components"]["schemas"][schema]["properties"][prop]
    node = node.get("items", node)
    codes = next(n["enum"] for n in [node, *node.get("anyOf", [])] if "enum" in n)
    assert [c for c in codes if c not in WORDS[kind]] == []


def test_an_applicant_is_offered_sending_and_answering_only_when_theirs_to_do() -> None:
    assert acts_of(CONSUL, "draft") == ["submit", "cancel"]
    assert acts_of(CONSUL, "info_requested") == ["answer", "cancel"]
    assert acts_of(CONSUL, "under_review") == ["cancel"]
    assert "approve" in acts_of(APPROVER, "draft")


class FakeApis:
    def __init__(self, by_status: dict[str, list[dict[str, Any]]]) -> None:
        self.by_status = by_status

    async def get(self, service: str, path: str, **params: Any) -> dict[str, Any]:
        assert (service, path) == ("reserve_fund", "/v1/applications")
        return {"items": self.by_status.get(params.get("status", ""), []), "next_cursor": None}


@dataclass
class FakePage:
    officer: Officer
    apis: FakeApis


async def test_the_home_queues_of_an_approver_leave_out_what_they_already_approved() -> None:
    from console.entrypoints.pages.fund import fund_queues

    mine = application(approvals=[{"by": "iom.approver", "at": "2026-12-01T16:00:00+00:00"}])
    other = application()
    page = FakePage(APPROVER, FakeApis({"under_review": [mine, other]}))
    queues = {q.label: q.count for q in await fund_queues(page)}  # type: ignore[arg-type]
    assert queues == {
        "Fund applications awaiting a decision": 1,
        "Awaiting a second approval": 1,
    }


def test_not_now_says_why_and_leaves_out_stages_already_past() -> None:
    once = application(approvals=[{"by": "iom.approver", "at": "2026-12-01T16:00:00+00:00"}])
    assert [name for name, _ in not_now(once, APPROVER)] == ["Approve"]
    paid = application(status="disbursed")
    assert [name for name, _ in not_now(paid, FUND_OFFICER)] == [
        "Close the application",
        "Cancel the application",
    ]
