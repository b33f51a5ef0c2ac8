"""The three journeys of issue 7, through the running stack with real tokens, asserting what
each country's users could and could not see at every step (POLICY.md, DOMAIN.md, API.md).
The journeys themselves live in `e2e/journeys/` and also run as `make demo`."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from decimal import Decimal

import httpx
import pytest

from e2e.journeys import child_case, land_return, reserve_fund_return
from e2e.journeys.land_return import REJECTION_REASON
from puebla_dev.testing.keycloak import KeycloakTokens


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=30.0) as client:
        yield client


async def test_land_return_from_mexico_to_guatemala(
    system: dict[str, str], tokens: KeycloakTokens, http: httpx.AsyncClient
) -> None:
    facts = await land_return(http, tokens, system)
    print(facts.timeline.render())

    # inm.mx creates and submits a manifest of 30 Guatemalans.
    assert facts.created_status == 201
    assert facts.created_count == 30
    assert facts.children == 7  # each with a parent of their family group
    assert facts.vulnerable == 2  # the man born in 1950 and the pregnant woman
    assert facts.submitted_status == "submitted"

    # consul.gt.tapachula sees the notice and the 30 verification requests.
    notice = facts.notice
    assert notice["kind"] == "repatriation_notice"
    assert (notice["nationality"], notice["host_country"]) == ("GT", "MX")
    assert notice["consular_post"] == "GT-CONS-TAPACHULA"
    assert notice["manifest"]["reference"] == facts.reference
    assert notice["manifest"]["reception_point"] == "GT-TECUN-UMAN"
    assert notice["manifest"]["returnee_count"] == 30
    assert facts.pending_verifications == 30
    assert facts.claimed_nationalities == {"GT"}

    # 29 confirmed and 1 rejected, and repatriation shows exactly that.
    assert facts.decision_statuses == Counter({200: 30})
    assert facts.nationality_statuses == Counter({"confirmed": 29, "rejected": 1})
    assert facts.rejected_reason_on_manifest == REJECTION_REASON

    # inm.mx removes the rejected man (Guatemala is told again) and dispatches.
    assert facts.removal_status == 200
    assert facts.count_after_removal == 29
    assert facts.amended_notice_count == 29
    assert facts.dispatch_status == 200
    assert facts.status_after_dispatch == "dispatched"

    # border.gt.tecun: 28 received, 1 not presented; the manifest closes.
    assert (facts.border_read_status, facts.border_read_count) == (200, 29)
    assert facts.handover_status == 200
    assert facts.status_after_handover == "closed"

    # Both countries read the same hand-over record with the same totals.
    assert facts.record_by_sender == facts.record_by_receiver
    record = facts.record_by_receiver
    assert record["totals"] == {
        "received": 28,
        "not_presented": 1,
        "refused": 0,
        "pending": 0,
        "arrived_not_listed": 0,
        "total": 29,
    }
    assert record["reference"] == facts.reference
    assert (record["sending_country"], record["receiving_country"]) == ("MX", "GT")
    assert record["reception_point"] == "GT-TECUN-UMAN"
    assert record["status"] == "closed"
    assert len(record["entries"]) == 29
    # Vulnerable people first (DOMAIN.md §1): the man born in 1950 and the pregnant woman.
    assert [e["vulnerable"] for e in record["entries"]] == [True] * 2 + [False] * 27
    assert {e["given_names"] for e in record["entries"][:2]} == {"Tomás", "Lucía"}
    assert "Wilfredo" not in {e["given_names"] for e in record["entries"]}
    (absent,) = [e for e in record["entries"] if e["outcome"] == "not_presented"]
    assert (absent["given_names"], absent["surnames"]) == ("Ervin", "Coyoy Tax")
    assert {(e["officer"], e["post"]) for e in record["entries"]} == {
        ("border.gt.tecun", "GT-TECUN-UMAN")
    }

    # consul.sv.tapachula saw nothing, not even that the manifest exists.
    assert facts.other_consul_manifest_status == 404
    assert facts.other_consul_record_status == 404
    assert facts.other_consul_lists_manifest is False
    assert facts.other_consul_notifications == 0
    assert facts.other_consul_verifications == 0
    assert facts.other_consul_notice_status == 404
    assert facts.other_consul_verification_status == 404


async def test_a_honduran_child_in_mexico_and_one_honduras_never_sees(
    system: dict[str, str], tokens: KeycloakTokens, http: httpx.AsyncClient
) -> None:
    facts = await child_case(http, tokens, system)
    print(facts.timeline.render())

    # dif.mx opens the case.
    assert facts.opened_status == 201
    opened = facts.opened
    assert opened["stage"] == "identified"
    assert (opened["host_country"], opened["nationality"]) == ("MX", "HN")
    assert opened["blocked_for_consulate"] is False

    # consul.hn.tapachula is notified; reads the summary, never the sensitive sections.
    notice = facts.consul_notice
    assert notice["kind"] == "child_case"
    assert (notice["nationality"], notice["host_country"]) == ("HN", "MX")
    assert notice["consular_post"] == "HN-CONS-TAPACHULA"
    assert notice["related"] == {"service": "child_protection", "id": facts.case_id}
    assert notice["person"]["given_names"] == "Kevin Josué"
    assert facts.consul_summary_status == 200
    assert facts.consul_sensitive_status == 403

    # Origin assessment, BIA, BID (return), return plan, reception and follow-up.
    assert facts.steps == {
        "protection_measure": (200, "in_protective_custody"),
        "interview": (200, "interviewed"),
        "origin_assessment": (200, "interviewed"),
        "bia": (200, "assessed"),
        "bid": (200, "determined"),
        "return_plan": (200, "return_planned"),
        "reception": (200, "handed_over"),
        "follow_up": (200, "follow_up"),
    }
    assert facts.bid_decision == "return"

    # Every sensitive read is in the case's audit trail: who, and why, in order.
    assert [(who, status) for who, _, status in facts.sensitive_reads] == [
        ("dinaf.hn", 200),
        ("dif.mx", 200),
        ("dif.mx.supervisor", 200),
        ("dinaf.hn", 200),
    ]
    assert facts.audit_status == 200
    assert facts.audited_reads == [(who, why) for who, why, _ in facts.sensitive_reads]

    # The second child (protection need): Mexico sees its notice held back ...
    assert facts.protected_opened_status == 201
    assert facts.protected_blocked is True
    assert facts.protected_host_notice["kind"] == "child_case"
    assert facts.protected_host_notice["status"] == "suppressed"
    assert facts.protected_host_notice["sent_at"] is None
    # ... and Honduras sees nothing, end to end.
    nothing = {
        "case": 404,
        "sensitive": 404,
        "listed": False,
        "first_child_listed": True,  # the list is there, newest first, without her
        "notifications": 0,
        "verifications": 0,
        "notice": 404,
    }
    assert facts.hidden_from == {
        "dinaf.hn": {**nothing, "origin_assessment_write": 404},
        "consul.hn.tapachula": nothing,
    }


async def test_a_reserve_fund_return(
    system: dict[str, str], tokens: KeycloakTokens, http: httpx.AsyncClient
) -> None:
    facts = await reserve_fund_return(http, tokens, system)
    print(facts.timeline.render())

    # consul.sv.tapachula files; iom.officer reviews; two approvers (USD 640 > 500).
    assert facts.statuses == {
        "create": (201, "draft"),
        "submit": (200, "submitted"),
        "review": (200, "under_review"),
        "approve": (200, "under_review"),
        "approve2": (200, "approved"),
        "disburse": (201, "disbursed"),
        "complete": (200, "returned"),
    }
    application = facts.application
    assert application["status"] == "returned"
    assert application["requesting_country"] == "SV"
    assert application["current_country"] == "GT"
    assert application["categories"] == ["over_70"]
    assert application["reviewed_by"] == "iom.officer"
    assert application["approvals_needed"] == 2
    assert [a["by"] for a in application["approvals"]] == ["iom.approver", "iom.approver2"]
    assert application["budget_year"] == facts.year
    assert application["requested_total"] == "640.00"
    assert application["approved_total"] == "640.00"
    assert application["disbursed_total"] == "540.00"
    assert application["released_total"] == "100.00"
    assert application["reserved"] == "0.00"

    # El Salvador's post in Guatemala (where he is) is told of the approved return.
    notice = facts.consul_notice
    assert notice["kind"] == "reserve_fund_return"
    assert (notice["nationality"], notice["host_country"]) == ("SV", "GT")
    assert notice["consular_post"] == "SV-EMB-GUATEMALA"
    assert notice["related"] == {"service": "reserve_fund", "id": facts.application_id}

    # The year's budget: nothing reserved before the last approval, then reserved, paid out,
    # and the unspent rest given back on completion.
    zero = Decimal("0")
    assert facts.budget_moves == {
        "first approval": {
            "allocated": zero,
            "reserved": zero,
            "disbursed": zero,
            "available": zero,
        },
        "approved": {
            "allocated": zero,
            "reserved": Decimal("640.00"),
            "disbursed": zero,
            "available": Decimal("-640.00"),
        },
        "disbursed": {
            "allocated": zero,
            "reserved": Decimal("100.00"),
            "disbursed": Decimal("540.00"),
            "available": Decimal("-640.00"),
        },
        "completed": {
            "allocated": zero,
            "reserved": zero,
            "disbursed": Decimal("540.00"),
            "available": Decimal("-540.00"),
        },
    }

    # ts.rcm sees the totals move, and nothing personal.
    assert facts.report_status == 200
    assert facts.report_keys == {
        "year",
        "allocated",
        "reserved",
        "disbursed",
        "available",
        "total",
        "by_nationality",
        "by_category",
        "by_requesting_country",
    }
    moved = (1, "640.00", "540.00")
    assert facts.report_moves == {
        "total:all": moved,
        "by_nationality:SV": moved,
        "by_category:over_70": moved,
        "by_requesting_country:SV": moved,
    }
    assert facts.csv_status == 200
    assert facts.csv_type.startswith("text/csv")
    for text in (facts.report_json, facts.report_csv):
        assert "José Santos" not in text
        assert "Ramos Alvarado" not in text
        assert "1950-03-14" not in text
    assert facts.personal_in_reports == []
    assert facts.secretariat_application_status == 404
    assert facts.secretariat_listed == 0
