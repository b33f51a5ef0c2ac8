from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from repatriation.domain.errors import (
    AdvanceNoticeTooShort,
    ChildWouldBeLeftUnaccompanied,
    DuplicateReturnee,
    FamilyWouldBeSeparated,
    InvalidTransition,
    OutsideReceptionWindow,
    RemovalReasonRequired,
    ReturneeHasProtectionNeed,
    ReturneeIsUnaccompaniedMinor,
    ReturneeNotFound,
)
from repatriation.domain.events import (
    ManifestAmended,
    ReturneeAdded,
    ReturneeRemoved,
    ReturneeSummary,
)
from repatriation.domain.returnee import Sex

GUATEMALA = ZoneInfo("America/Guatemala")
NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


class TestAddReturnee:
    def test_adds_to_a_draft_with_an_internal_event(self, build, reference_data):
        manifest = build.manifest()
        manifest.events.clear()
        newcomer = build.returnee()

        manifest.add_returnee(newcomer, reference_data=reference_data, now=NOW)

        assert manifest.returnees[-1] is newcomer
        assert manifest.version == 2
        assert [type(e) for e in manifest.events] == [ReturneeAdded]
        assert manifest.events[0].returnee_id == newcomer.id

    def test_adding_after_submission_is_an_amendment(self, build, reference_data):
        manifest = build.submitted(id=uuid.UUID(int=900))
        newcomer = build.returnee(
            id=uuid.UUID(int=77),
            given_names="Marta",
            surnames="Cux",
            date_of_birth=date(1995, 2, 3),
        )

        manifest.add_returnee(newcomer, reference_data=reference_data, now=NOW)

        assert manifest.events == [
            ManifestAmended(
                manifest_id=uuid.UUID(int=900),
                reference="MX-GT-2026-000123",
                sending_country="MX",
                receiving_country="GT",
                reception_point="GT-TECUN-UMAN",
                scheduled_arrival=datetime(2026, 12, 1, 10, 0, tzinfo=GUATEMALA),
                version=3,
                occurred_at=NOW,
                added=(
                    ReturneeSummary(
                        id=uuid.UUID(int=77),
                        given_names="Marta",
                        surnames="Cux",
                        sex=Sex.F,
                        date_of_birth=date(1995, 2, 3),
                        nationality="GT",
                    ),
                ),
                removed=(),
                removal_reason=None,
                returnee_count=2,
            )
        ]
        assert newcomer.nationality_status == "pending"

    def test_not_after_dispatch(self, build, reference_data):
        manifest = build.dispatched()

        with pytest.raises(InvalidTransition) as caught:
            manifest.add_returnee(build.returnee(), reference_data=reference_data, now=NOW)

        assert caught.value.kind == "conflict"
        assert len(manifest.returnees) == 1

    def test_not_after_cancellation(self, build, reference_data):
        manifest = build.submitted()
        manifest.cancel(reason="bus broke down", now=NOW)

        with pytest.raises(InvalidTransition):
            manifest.add_returnee(build.returnee(), reference_data=reference_data, now=NOW)

    def test_rejects_an_unaccompanied_minor(self, build, reference_data):
        manifest = build.submitted()

        with pytest.raises(ReturneeIsUnaccompaniedMinor) as caught:
            manifest.add_returnee(build.child(), reference_data=reference_data, now=NOW)

        assert caught.value.field == "family_group"
        assert len(manifest.returnees) == 1
        assert manifest.events == []

    def test_accepts_a_child_whose_adult_is_already_aboard(self, build, reference_data):
        manifest = build.submitted([build.returnee(family_group="F1")])

        manifest.add_returnee(
            build.child(family_group="F1"), reference_data=reference_data, now=NOW
        )

        assert len(manifest.returnees) == 2

    def test_rejects_a_protection_need_and_keeps_nothing(self, build, reference_data):
        manifest = build.submitted()

        with pytest.raises(ReturneeHasProtectionNeed) as caught:
            manifest.add_returnee(
                build.returnee(protection_need=True), reference_data=reference_data, now=NOW
            )

        assert caught.value.field == "protection_need"
        assert len(manifest.returnees) == 1
        assert manifest.events == []
        assert manifest.version == 2

    def test_a_vulnerable_newcomer_brings_the_stricter_window(self, build, reference_data):
        manifest = build.submitted(
            scheduled_arrival=datetime(2026, 12, 1, 16, 30, tzinfo=GUATEMALA)
        )

        with pytest.raises(OutsideReceptionWindow):
            manifest.add_returnee(
                build.returnee(vulnerabilities=build.flags(pregnant=True)),
                reference_data=reference_data,
                now=NOW,
            )

        assert len(manifest.returnees) == 1

    def test_rejects_a_returnee_already_aboard(self, build, reference_data):
        manifest = build.manifest()

        with pytest.raises(DuplicateReturnee):
            manifest.add_returnee(manifest.returnees[0], reference_data=reference_data, now=NOW)


class TestRemoveReturnee:
    def test_removes_from_a_draft_without_a_reason(self, build):
        stays, leaves = build.returnee(), build.returnee()
        manifest = build.manifest([stays, leaves])
        manifest.events.clear()

        manifest.remove_returnee(leaves.id, now=NOW)

        assert manifest.returnees == [stays]
        assert manifest.version == 2
        assert [type(e) for e in manifest.events] == [ReturneeRemoved]
        assert manifest.events[0].reason is None

    def test_needs_a_reason_once_submitted(self, build):
        stays, leaves = build.returnee(), build.returnee()
        manifest = build.submitted([stays, leaves])

        with pytest.raises(RemovalReasonRequired) as caught:
            manifest.remove_returnee(leaves.id, now=NOW)

        assert caught.value.field == "reason"
        assert manifest.returnees == [stays, leaves]

    def test_removing_after_submission_is_an_amendment(self, build):
        stays = build.returnee()
        leaves = build.returnee(id=uuid.UUID(int=55))
        manifest = build.submitted([stays, leaves])

        manifest.remove_returnee(leaves.id, now=NOW, reason="released by court order")

        (event,) = manifest.events
        assert isinstance(event, ManifestAmended)
        assert event.added == ()
        assert event.removed == (uuid.UUID(int=55),)
        assert event.removal_reason == "released by court order"
        assert event.returnee_count == 1
        assert event.version == 3

    def test_separating_a_family_after_submission_needs_a_reason(self, build):
        mother = build.returnee(family_group="F1")
        father = build.returnee(family_group="F1", sex=Sex.M)
        manifest = build.submitted([mother, father])

        with pytest.raises(FamilyWouldBeSeparated) as caught:
            manifest.remove_returnee(father.id, now=NOW)

        assert caught.value.kind == "invalid"
        assert caught.value.rule == "family_separation_needs_reason"
        assert manifest.returnees == [mother, father]

    def test_separating_a_family_with_a_recorded_reason_is_allowed(self, build):
        mother = build.returnee(family_group="F1")
        father = build.returnee(family_group="F1", sex=Sex.M)
        manifest = build.submitted([mother, father])

        manifest.remove_returnee(father.id, now=NOW, reason="hospitalised in Tapachula")

        assert manifest.returnees == [mother]
        assert manifest.events[0].removal_reason == "hospitalised in Tapachula"

    def test_the_last_adult_of_a_family_with_children_cannot_leave_first(self, build):
        mother = build.returnee(family_group="F1")
        child = build.child(family_group="F1")
        manifest = build.submitted([mother, child])

        with pytest.raises(ChildWouldBeLeftUnaccompanied) as caught:
            manifest.remove_returnee(mother.id, now=NOW, reason="medically unfit to travel")

        assert caught.value.kind == "conflict"
        assert "child_protection" in caught.value.message
        assert manifest.returnees == [mother, child]

    def test_the_last_adult_cannot_leave_a_child_alone_in_a_draft_either(self, build):
        mother = build.returnee(family_group="F1")
        child = build.child(family_group="F1")
        manifest = build.manifest([mother, child])

        with pytest.raises(ChildWouldBeLeftUnaccompanied):
            manifest.remove_returnee(mother.id, now=NOW)

    def test_children_first_then_the_adult(self, build):
        mother = build.returnee(family_group="F1")
        child = build.child(family_group="F1")
        other = build.returnee()
        manifest = build.submitted([mother, child, other])

        manifest.remove_returnee(child.id, now=NOW, reason="child-protection case opened")
        manifest.remove_returnee(mother.id, now=NOW, reason="stays with her child")

        assert manifest.returnees == [other]

    def test_one_of_two_adults_may_leave_the_children_with_the_other(self, build):
        mother = build.returnee(family_group="F1")
        father = build.returnee(family_group="F1", sex=Sex.M)
        child = build.child(family_group="F1")
        manifest = build.submitted([mother, father, child])

        manifest.remove_returnee(father.id, now=NOW, reason="nationality rejected")

        assert manifest.returnees == [mother, child]

    def test_an_unknown_returnee_is_not_found(self, build):
        manifest = build.submitted()

        with pytest.raises(ReturneeNotFound) as caught:
            manifest.remove_returnee(uuid.UUID(int=999_999), now=NOW, reason="x")

        assert caught.value.kind == "not_found"
        assert caught.value.rule == "returnee_not_found"

    def test_not_after_dispatch(self, build):
        manifest = build.dispatched([build.returnee(), build.returnee()])

        with pytest.raises(InvalidTransition):
            manifest.remove_returnee(manifest.returnees[0].id, now=NOW, reason="too late")


class TestAdvanceNoticeOnAmendments:
    """Adding people to a submitted manifest notifies the receiving side again: inside the
    notice period (24 h for GT; arrival 2026-12-01 16:00 UTC) only with a reason, flagged."""

    INSIDE = datetime(2026, 11, 30, 16, 1, tzinfo=UTC)  # 23 h 59 min before arrival

    def test_inside_the_notice_period_needs_a_reason(self, build, reference_data):
        manifest = build.submitted()

        with pytest.raises(AdvanceNoticeTooShort) as caught:
            manifest.add_returnee(build.returnee(), reference_data=reference_data, now=self.INSIDE)

        assert (caught.value.field, caught.value.kind) == ("late_notice_reason", "invalid")
        assert len(manifest.returnees) == 1
        assert manifest.events == []

    def test_with_a_reason_it_is_allowed_and_flagged(self, build, reference_data):
        manifest = build.submitted()

        manifest.add_returnee(
            build.returnee(),
            reference_data=reference_data,
            now=self.INSIDE,
            late_notice_reason="  brother found at the station  ",
        )

        (event,) = manifest.events
        assert isinstance(event, ManifestAmended)
        assert (event.late_notice, event.late_notice_reason) == (
            True,
            "brother found at the station",
        )

    def test_on_time_is_not_flagged(self, build, reference_data):
        manifest = build.submitted()

        manifest.add_returnee(
            build.returnee(),
            reference_data=reference_data,
            now=datetime(2026, 11, 30, 16, 0, tzinfo=UTC),  # exactly 24 h before
            late_notice_reason="not needed",
        )

        (event,) = manifest.events
        assert (event.late_notice, event.late_notice_reason) == (False, None)

    def test_a_draft_has_no_notice_to_give(self, build, reference_data):
        manifest = build.manifest()

        manifest.add_returnee(build.returnee(), reference_data=reference_data, now=self.INSIDE)

        assert len(manifest.returnees) == 2
