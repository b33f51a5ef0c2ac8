"""Which domain events leave the service, and with which `access` label (`adapters/integration.py`).

A protection need or trafficking indicator found after opening (the consulate may already know
of the child) goes out as `child.case.consular_block_set.v1`, labelled for the host alone; every
event after it is host-only too, until a supervisor clears a trafficking indicator's block.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
from pydantic import BaseModel

from child_protection.adapters import integration
from child_protection.domain import BidDecision, ChildCase

from .conftest import Build, at

CONTRACTS = Path(__file__).resolve().parents[4] / "contracts" / "events"
BLOCK_SET = "child.case.consular_block_set.v1"


def _schema(event_type: str) -> dict[str, object]:
    context = event_type.split(".", 1)[0]
    return dict(json.loads((CONTRACTS / context / f"{event_type}.schema.json").read_text()))


def _json(data: BaseModel | dict[str, object]) -> dict[str, object]:
    return data.model_dump(mode="json") if isinstance(data, BaseModel) else data


def _published(case: ChildCase) -> list[tuple[str, list[str], dict[str, object]]]:
    """(type, access, data as JSON) of the case's new events that cross the boundary."""
    out = [
        (e.event_type, sorted(e.access), _json(e.data))
        for event in case.events
        for e in integration.outgoing(event, case)
    ]
    case.events.clear()
    return out


def _screen(case: ChildCase, build: Build, **flags: bool) -> None:
    case.record_screening(
        build.dif,
        screened_at=at(30),
        protection_need=flags.get("protection_need", False),
        trafficking_indicator=flags.get("trafficking_indicator", False),
        notes="Screened.",
    )


class TestConsularBlockSet:
    @pytest.mark.parametrize("flag", ["protection_need", "trafficking_indicator"])
    def test_a_late_flag_publishes_the_block_for_the_host_only(self, build, flag) -> None:
        case = build.open()
        assert _published(case)[0][1] == ["HN", "MX"]  # the consulate was told of the case

        _screen(case, build, **{flag: True})

        (block,) = [p for p in _published(case) if p[0] == BLOCK_SET]
        _, access, data = block
        assert access == ["MX"]
        jsonschema.Draft202012Validator(
            _schema(BLOCK_SET), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
        ).validate(data)
        assert data == {
            "version": 2,
            "case_id": str(case.id),
            "reference": "CP-MX-2026-000042",
            "host_country": "MX",
            "nationality": "HN",
            "stage": "screened",
            "blocked_at": "2026-12-02T21:00:00Z",
        }
        # Nothing in it says why: the flag stays a sensitive section of the host.
        assert flag not in json.dumps(data)

    def test_no_block_event_when_the_consulate_never_knew(self, build) -> None:
        case = build.open(protection_need=True)
        _published(case)

        _screen(case, build, trafficking_indicator=True)

        assert BLOCK_SET not in [p[0] for p in _published(case)]

    def test_a_flag_after_a_cleared_block_blocks_again(self, build) -> None:
        case = build.open(trafficking_indicator=True)
        case.decide_protection(
            build.supervisor, clear_block=True, reasons="Family not involved.", decided_at=at(5)
        )
        assert [p[1] for p in _published(case)][-1] == ["HN", "MX"]

        _screen(case, build, protection_need=True)

        assert [(p[0], p[1]) for p in _published(case)] == [(BLOCK_SET, ["MX"])]

    def test_every_later_event_of_a_blocked_case_is_host_only(self, build) -> None:
        case = build.open()
        _published(case)
        _screen(case, build, protection_need=True)
        build.write_bia(case)
        case.decide_bid(
            build.supervisor,
            decision=BidDecision.ASYLUM,
            reasons="Fear of the gang that threatened him.",
            panel=("Lic. Laura Gómez",),
            child_views_considered="He asked not to be sent back.",
            decided_at=at(24 * 20),
        )
        case.check_deadlines(at(24 * 40))  # the notification and interview never recorded
        case.close(build.dif, reason="Referred to COMAR.", closed_at=at(24 * 41))

        published = _published(case)

        assert [p[0] for p in published] == [
            BLOCK_SET,
            "child.case.determined.v1",
            "child.stage.overdue.v1",
            "child.stage.overdue.v1",
            "child.case.closed.v1",
        ]
        assert {tuple(p[1]) for p in published} == {("MX",)}
