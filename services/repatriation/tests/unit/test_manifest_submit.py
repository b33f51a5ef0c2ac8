from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from repatriation.domain.errors import (
    AdvanceNoticeTooShort,
    AgreementNotInForce,
    EmptyManifest,
    InvalidSchedule,
    InvalidTransition,
    OutsideReceptionWindow,
)
from repatriation.domain.events import ManifestSubmitted, ReturneeSummary
from repatriation.domain.reference_data import Agreement, NoticeRule
from repatriation.domain.returnee import Sex
from repatriation.domain.status import ManifestStatus

GUATEMALA = ZoneInfo("America/Guatemala")
# The default arrival, 2026-12-01 10:00 in Guatemala, is 16:00 UTC.
EXACTLY_24_H_BEFORE = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
ONE_MINUTE_LATE = datetime(2026, 11, 30, 16, 1, tzinfo=UTC)


class TestSubmitManifest:
    def test_moves_draft_to_submitted_and_bumps_the_version(self, build, reference_data):
        manifest = build.manifest()

        manifest.submit(reference_data=reference_data, now=datetime(2026, 11, 28, 12, tzinfo=UTC))

        assert manifest.status is ManifestStatus.SUBMITTED
        assert manifest.version == 2
        assert manifest.submitted_at == datetime(2026, 11, 28, 12, tzinfo=UTC)
        assert manifest.late_notice is False

    def test_event_carries_the_header_and_only_the_data_for_nationality_checks(
        self, build, reference_data
    ):
        ana = build.returnee(
            id=uuid.UUID(int=101),
            given_names="Ana",
            surnames="López",
            date_of_birth=date(1990, 5, 17),
            document=None,
        )
        pedro = build.returnee(
            id=uuid.UUID(int=102),
            given_names="Pedro",
            surnames="Xol",
            sex=Sex.M,
            date_of_birth=date(1958, 1, 9),  # 68: vulnerable, listed first
        )
        manifest = build.manifest([ana, pedro], id=uuid.UUID(int=900))
        manifest.events.clear()

        manifest.submit(reference_data=reference_data, now=datetime(2026, 11, 28, 12, tzinfo=UTC))

        assert manifest.events == [
            ManifestSubmitted(
                manifest_id=uuid.UUID(int=900),
                reference="MX-GT-2026-000123",
                sending_country="MX",
                receiving_country="GT",
                reception_point="GT-TECUN-UMAN",
                scheduled_arrival=datetime(2026, 12, 1, 10, 0, tzinfo=GUATEMALA),
                version=2,
                occurred_at=datetime(2026, 11, 28, 12, tzinfo=UTC),
                scheduled_departure=datetime(2026, 12, 1, 2, 0, tzinfo=GUATEMALA),
                late_notice=False,
                late_notice_reason=None,
                returnees=(
                    ReturneeSummary(
                        id=uuid.UUID(int=102),
                        given_names="Pedro",
                        surnames="Xol",
                        sex=Sex.M,
                        date_of_birth=date(1958, 1, 9),
                        nationality="GT",
                    ),
                    ReturneeSummary(
                        id=uuid.UUID(int=101),
                        given_names="Ana",
                        surnames="López",
                        sex=Sex.F,
                        date_of_birth=date(1990, 5, 17),
                        nationality="GT",
                    ),
                ),
            )
        ]

    def test_only_a_draft_can_be_submitted(self, build, reference_data):
        manifest = build.submitted()

        with pytest.raises(InvalidTransition) as caught:
            manifest.submit(reference_data=reference_data, now=EXACTLY_24_H_BEFORE)

        assert caught.value.kind == "conflict"
        assert caught.value.rule == "invalid_transition"

    def test_rejects_an_empty_manifest(self, build, reference_data):
        manifest = build.manifest([])

        with pytest.raises(EmptyManifest) as caught:
            manifest.submit(reference_data=reference_data, now=EXACTLY_24_H_BEFORE)

        assert caught.value.kind == "conflict"
        assert manifest.status is ManifestStatus.DRAFT

    def test_rechecks_the_agreement_against_todays_reference_data(self, build, reference_data):
        manifest = build.manifest()
        ended = Agreement(country="GT", valid_from=date(2006, 5, 1), valid_to=date(2026, 11, 29))
        agreements = tuple(a for a in reference_data.agreements if a.country != "GT")
        changed = replace(reference_data, agreements=(*agreements, ended))

        with pytest.raises(AgreementNotInForce):
            manifest.submit(reference_data=changed, now=EXACTLY_24_H_BEFORE)

        assert manifest.status is ManifestStatus.DRAFT
        assert manifest.version == 1

    def test_rechecks_the_reception_window_against_todays_reference_data(
        self, build, reference_data
    ):
        manifest = build.manifest()
        points = tuple(
            replace(p, window=replace(p.window, opens=p.window.opens.replace(hour=11)))
            if p.code == "GT-TECUN-UMAN"
            else p
            for p in reference_data.reception_points
        )

        with pytest.raises(OutsideReceptionWindow):
            manifest.submit(
                reference_data=replace(reference_data, reception_points=points),
                now=EXACTLY_24_H_BEFORE,
            )


class TestAdvanceNotice:
    def test_exactly_24_hours_before_arrival_is_on_time(self, build, reference_data):
        manifest = build.manifest()

        manifest.submit(reference_data=reference_data, now=EXACTLY_24_H_BEFORE)

        assert manifest.late_notice is False

    def test_rejects_one_minute_late_without_a_reason(self, build, reference_data):
        manifest = build.manifest()

        with pytest.raises(AdvanceNoticeTooShort) as caught:
            manifest.submit(reference_data=reference_data, now=ONE_MINUTE_LATE)

        assert caught.value.kind == "invalid"
        assert caught.value.rule == "advance_notice_too_short"
        assert caught.value.field == "late_notice_reason"
        assert "24 h" in caught.value.message
        assert manifest.status is ManifestStatus.DRAFT
        assert manifest.events[-1].version == 1

    def test_a_late_submission_with_a_reason_is_allowed_and_flagged(self, build, reference_data):
        manifest = build.manifest()
        manifest.events.clear()

        manifest.submit(
            reference_data=reference_data,
            now=ONE_MINUTE_LATE,
            late_notice_reason="  station over capacity  ",
        )

        assert manifest.status is ManifestStatus.SUBMITTED
        assert manifest.late_notice is True
        assert manifest.late_notice_reason == "station over capacity"
        (event,) = manifest.events
        assert event.late_notice is True
        assert event.late_notice_reason == "station over capacity"

    def test_the_reason_given_at_creation_serves_at_submission(self, build, reference_data):
        manifest = build.manifest(late_notice_reason="court order to release")

        manifest.submit(reference_data=reference_data, now=ONE_MINUTE_LATE)

        assert manifest.late_notice is True
        assert manifest.late_notice_reason == "court order to release"

    def test_a_blank_reason_is_no_reason(self, build, reference_data):
        manifest = build.manifest()

        with pytest.raises(AdvanceNoticeTooShort):
            manifest.submit(
                reference_data=reference_data, now=ONE_MINUTE_LATE, late_notice_reason=" "
            )

    def test_an_on_time_submission_is_not_flagged_even_with_a_reason(self, build, reference_data):
        manifest = build.manifest(late_notice_reason="just in case")

        manifest.submit(reference_data=reference_data, now=EXACTLY_24_H_BEFORE)

        assert manifest.late_notice is False

    def test_uses_the_receiving_countrys_own_lead_time(self, build, reference_data):
        data = replace(
            reference_data,
            notice_rules=(NoticeRule(receiving_country="GT", lead_time=timedelta(hours=48)),),
        )
        manifest = build.manifest(reference_data=data)

        # 30 h before arrival: enough for 24 h, not for Guatemala's 48 h.
        with pytest.raises(AdvanceNoticeTooShort) as caught:
            manifest.submit(reference_data=data, now=datetime(2026, 11, 30, 10, 0, tzinfo=UTC))

        assert "48 h" in caught.value.message

    def test_an_arrival_already_past_is_refused_even_with_a_reason(self, build, reference_data):
        manifest = build.manifest()

        with pytest.raises(InvalidSchedule) as caught:
            manifest.submit(
                reference_data=reference_data,
                now=datetime(2026, 12, 1, 16, 0, tzinfo=UTC),
                late_notice_reason="bus delayed",
            )

        assert caught.value.rule == "arrival_in_past"
