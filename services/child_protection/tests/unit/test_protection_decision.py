"""The consular block: set by a protection need or trafficking indicator, cleared only by the
host supervisor's protection decision — and only then is the consulate notified."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from child_protection.domain import Accompaniment, Child, Place, Sex, Stage
from child_protection.domain import errors as e
from child_protection.domain.events import (
    CaseOpened,
    ConsularBlockCleared,
    ProtectionDecisionRecorded,
)


def _notifying_events(case):
    """Events on which the consular service would notify the consulate."""
    return [
        ev
        for ev in case.events
        if isinstance(ev, CaseOpened | ConsularBlockCleared) and ev.notify_consulate
    ]


class TestBlockedCase:
    def test_never_notifies_the_consulate_until_the_supervisor_clears_it(self, build):
        case = build.open(trafficking_indicator=True)
        build.record_all_early_steps(case)
        build.write_bia(case)
        case.decide_protection(
            build.supervisor,
            clear_block=False,
            reasons="Recruiter network still under investigation.",
            decided_at=datetime(2026, 12, 5, tzinfo=UTC),
        )
        case.check_deadlines(datetime(2026, 12, 20, tzinfo=UTC))

        assert _notifying_events(case) == []
        assert all(ev.access == ("MX",) for ev in case.events)
        assert case.blocked_for_consulate is True

        case.decide_protection(
            build.supervisor,
            clear_block=True,
            reasons="Risk assessed: the family is not involved with the recruiters.",
            decided_at=datetime(2026, 12, 21, 10, tzinfo=UTC),
        )

        (notifying,) = _notifying_events(case)
        assert isinstance(notifying, ConsularBlockCleared)
        assert notifying.access == ("MX", "HN")
        assert notifying.nationality == "HN"
        assert notifying.host_country == "MX"
        assert notifying.child == Child(
            given_names="Kevin Josué",
            surnames="Martínez Reyes",
            sex=Sex.MALE,
            date_of_birth=date(2012, 4, 9),
            languages=("es",),
        )
        assert notifying.identified_at == datetime(2026, 12, 1, 13, 30, tzinfo=UTC)
        assert notifying.place == Place("MX", "Chiapas", "Tapachula")
        assert notifying.accompaniment is Accompaniment.UNACCOMPANIED
        assert notifying.stage is Stage.ASSESSED
        assert case.blocked_for_consulate is False
        assert case.access == ("MX", "HN")

    def test_keeping_the_block_records_the_decision_only(self, build):
        case = build.open(trafficking_indicator=True)

        case.decide_protection(
            build.supervisor,
            clear_block=False,
            reasons="Recruiter network may reach the family.",
            decided_at=datetime(2026, 12, 2, tzinfo=UTC),
        )

        event = case.events[-1]
        assert isinstance(event, ProtectionDecisionRecorded)
        assert event.block_cleared is False
        assert event.access == ("MX",)
        assert case.sensitive.protection_decisions[0].reasons == (
            "Recruiter network may reach the family."
        )

    def test_clearing_the_block_keeps_the_trafficking_indicator(self, build):
        case = build.open(trafficking_indicator=True)

        case.decide_protection(
            build.supervisor,
            clear_block=True,
            reasons="Risk contained.",
            decided_at=datetime(2026, 12, 2, tzinfo=UTC),
        )

        assert case.blocked_for_consulate is False
        assert case.sensitive.indicators.trafficking_indicator is True

    def test_nationality_sees_the_case_once_cleared(self, build):
        case = build.open(trafficking_indicator=True)
        assert case.is_visible_to(build.consul) is False

        case.decide_protection(
            build.supervisor,
            clear_block=True,
            reasons="Risk contained.",
            decided_at=datetime(2026, 12, 2, tzinfo=UTC),
        )

        assert case.is_visible_to(build.consul) is True
        assert case.is_visible_to(build.dinaf) is True


class TestProtectionNeedIsPermanent:
    """POLICY.md: a person with a protection need is invisible to their own country; only a
    trafficking indicator is ever "cleared by a host supervisor"."""

    def test_clearing_a_protection_need_block_is_refused(self, build):
        case = build.open(protection_need=True)
        version = case.version

        with pytest.raises(e.ProtectionNeedBlockIsPermanent) as refused:
            case.decide_protection(
                build.supervisor,
                clear_block=True,
                reasons="Child says she no longer fears return.",
                decided_at=datetime(2026, 12, 2, tzinfo=UTC),
            )

        assert refused.value.kind == "conflict"
        assert refused.value.rule == "protection_need_block_is_permanent"
        assert case.version == version
        assert case.blocked_for_consulate is True
        assert case.is_visible_to(build.consul) is False
        assert case.is_visible_to(build.dinaf) is False
        assert _notifying_events(case) == []

    def test_with_both_flags_the_block_stays(self, build):
        case = build.open(protection_need=True, trafficking_indicator=True)

        with pytest.raises(e.ProtectionNeedBlockIsPermanent):
            case.decide_protection(
                build.supervisor,
                clear_block=True,
                reasons="Trafficking risk contained.",
                decided_at=datetime(2026, 12, 2, tzinfo=UTC),
            )

        assert case.access == ("MX",)

    def test_keeping_the_block_is_still_recorded(self, build):
        case = build.open(protection_need=True)

        case.decide_protection(
            build.supervisor,
            clear_block=False,
            reasons="Asylum claim filed with COMAR.",
            decided_at=datetime(2026, 12, 2, tzinfo=UTC),
        )

        assert isinstance(case.events[-1], ProtectionDecisionRecorded)
        assert case.blocked_for_consulate is True


class TestDecideProtection:
    def test_nationality_supervisor_cannot_even_see_a_blocked_case(self, build):
        case = build.open(trafficking_indicator=True)

        with pytest.raises(e.CaseNotVisible):
            case.decide_protection(
                build.dinaf_supervisor,
                clear_block=True,
                reasons="-",
                decided_at=datetime(2026, 12, 2, tzinfo=UTC),
            )

        assert case.blocked_for_consulate is True

    def test_host_officer_is_forbidden(self, build):
        case = build.open(trafficking_indicator=True)

        with pytest.raises(e.OnlyHostSupervisorDecides) as raised:
            case.decide_protection(
                build.dif,
                clear_block=True,
                reasons="-",
                decided_at=datetime(2026, 12, 2, tzinfo=UTC),
            )

        assert raised.value.kind == "forbidden"

    def test_refused_on_a_case_that_is_not_blocked(self, build):
        with pytest.raises(e.NotBlockedForConsulate) as raised:
            build.open().decide_protection(
                build.supervisor,
                clear_block=True,
                reasons="-",
                decided_at=datetime(2026, 12, 2, tzinfo=UTC),
            )

        assert raised.value.kind == "conflict"

    def test_reasons_are_required(self, build):
        with pytest.raises(e.SectionRequired) as raised:
            build.open(protection_need=True).decide_protection(
                build.supervisor,
                clear_block=True,
                reasons="",
                decided_at=datetime(2026, 12, 2, tzinfo=UTC),
            )

        assert raised.value.field == "reasons"
