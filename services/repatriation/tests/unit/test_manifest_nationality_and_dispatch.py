from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from repatriation.domain.errors import (
    EmptyManifest,
    InvalidTransition,
    NationalityAlreadyDecided,
    NationalityNotConfirmed,
    NationalityRejectionReasonRequired,
    NotEnoughSeats,
    RejectedReturneeOnManifest,
    ReturneeNotFound,
)
from repatriation.domain.events import (
    ManifestDispatched,
    NationalityConfirmed,
    NationalityRejected,
)
from repatriation.domain.returnee import NationalityStatus
from repatriation.domain.status import ManifestStatus

GUATEMALA = ZoneInfo("America/Guatemala")
DECIDED = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)
LEAVES = datetime(2026, 12, 1, 8, 10, tzinfo=UTC)


class TestConfirmNationality:
    def test_confirms_a_pending_returnee(self, build):
        manifest = build.submitted()
        returnee = manifest.returnees[0]

        changed = manifest.confirm_nationality(returnee.id, now=DECIDED)

        assert changed is True
        assert returnee.nationality_status is NationalityStatus.CONFIRMED
        assert returnee.nationality_decided_at == DECIDED
        assert manifest.version == 3
        assert [type(e) for e in manifest.events] == [NationalityConfirmed]
        assert manifest.events[0].returnee_id == returnee.id

    def test_the_same_decision_again_changes_nothing(self, build):
        manifest = build.submitted()
        returnee = manifest.returnees[0]
        manifest.confirm_nationality(returnee.id, now=DECIDED)
        manifest.events.clear()

        changed = manifest.confirm_nationality(returnee.id, now=LEAVES)

        assert changed is False
        assert manifest.events == []
        assert manifest.version == 3
        assert returnee.nationality_decided_at == DECIDED

    def test_a_replay_after_dispatch_is_still_a_no_op(self, build):
        manifest = build.dispatched()

        assert manifest.confirm_nationality(manifest.returnees[0].id, now=LEAVES) is False

    def test_a_different_decision_after_one_is_recorded_is_a_conflict(self, build):
        manifest = build.submitted()
        returnee = manifest.returnees[0]
        manifest.confirm_nationality(returnee.id, now=DECIDED)

        with pytest.raises(NationalityAlreadyDecided) as caught:
            manifest.reject_nationality(returnee.id, reason="not in civil registry", now=LEAVES)

        assert caught.value.kind == "conflict"
        assert returnee.nationality_status is NationalityStatus.CONFIRMED

    def test_an_unknown_returnee_is_not_found(self, build):
        manifest = build.submitted()

        with pytest.raises(ReturneeNotFound):
            manifest.confirm_nationality(uuid.UUID(int=424242), now=DECIDED)

    def test_a_new_decision_on_a_cancelled_manifest_is_refused(self, build):
        manifest = build.submitted()
        manifest.cancel(reason="bus broke down", now=DECIDED)

        with pytest.raises(InvalidTransition):
            manifest.confirm_nationality(manifest.returnees[0].id, now=DECIDED)


class TestRejectNationality:
    def test_rejects_with_the_consulates_reason(self, build):
        manifest = build.submitted()
        returnee = manifest.returnees[0]

        changed = manifest.reject_nationality(
            returnee.id, reason="not in civil registry", now=DECIDED
        )

        assert changed is True
        assert returnee.nationality_status is NationalityStatus.REJECTED
        assert returnee.nationality_rejection_reason == "not in civil registry"
        (event,) = manifest.events
        assert isinstance(event, NationalityRejected)
        assert event.reason == "not in civil registry"

    def test_rejecting_again_is_a_no_op(self, build):
        manifest = build.submitted()
        returnee = manifest.returnees[0]
        manifest.reject_nationality(returnee.id, reason="not in civil registry", now=DECIDED)
        manifest.events.clear()

        changed = manifest.reject_nationality(returnee.id, reason="other words", now=LEAVES)

        assert changed is False
        assert manifest.events == []
        assert returnee.nationality_rejection_reason == "not in civil registry"

    def test_confirming_after_a_rejection_is_a_conflict(self, build):
        manifest = build.submitted()
        returnee = manifest.returnees[0]
        manifest.reject_nationality(returnee.id, reason="not in civil registry", now=DECIDED)

        with pytest.raises(NationalityAlreadyDecided):
            manifest.confirm_nationality(returnee.id, now=LEAVES)

    def test_a_rejection_needs_a_reason(self, build):
        manifest = build.submitted()

        with pytest.raises(NationalityRejectionReasonRequired):
            manifest.reject_nationality(manifest.returnees[0].id, reason=" ", now=DECIDED)


class TestDispatchManifest:
    def test_dispatches_when_every_returnee_is_confirmed(self, build):
        first = build.returnee(id=uuid.UUID(int=1001))
        second = build.returnee(id=uuid.UUID(int=1002))
        manifest = build.confirmed([first, second], id=uuid.UUID(int=900))

        manifest.dispatch(now=LEAVES)

        assert manifest.status is ManifestStatus.DISPATCHED
        assert manifest.dispatched_at == LEAVES
        assert manifest.events == [
            ManifestDispatched(
                manifest_id=uuid.UUID(int=900),
                reference="MX-GT-2026-000123",
                sending_country="MX",
                receiving_country="GT",
                reception_point="GT-TECUN-UMAN",
                scheduled_arrival=datetime(2026, 12, 1, 10, 0, tzinfo=GUATEMALA),
                version=5,  # created 1, submitted 2, two confirmations 3 and 4
                occurred_at=LEAVES,
                returnee_ids=(uuid.UUID(int=1001), uuid.UUID(int=1002)),
                returnee_count=2,
            )
        ]

    def test_refuses_while_a_nationality_is_pending(self, build):
        waiting = build.returnee(id=uuid.UUID(int=1002))
        manifest = build.submitted([build.returnee(), waiting])
        manifest.confirm_nationality(manifest.returnees[0].id, now=DECIDED)

        with pytest.raises(NationalityNotConfirmed) as caught:
            manifest.dispatch(now=LEAVES)

        assert caught.value.kind == "conflict"
        assert caught.value.rule == "nationality_not_confirmed"
        assert caught.value.returnee_ids == (uuid.UUID(int=1002),)
        assert manifest.status is ManifestStatus.SUBMITTED

    def test_refuses_while_a_rejected_returnee_remains(self, build):
        rejected = build.returnee(id=uuid.UUID(int=1002))
        manifest = build.submitted([build.returnee(), rejected])
        manifest.confirm_nationality(manifest.returnees[0].id, now=DECIDED)
        manifest.reject_nationality(rejected.id, reason="Honduran national", now=DECIDED)

        with pytest.raises(RejectedReturneeOnManifest) as caught:
            manifest.dispatch(now=LEAVES)

        assert caught.value.kind == "conflict"
        assert caught.value.returnee_ids == (uuid.UUID(int=1002),)

    def test_dispatches_once_the_rejected_returnee_is_removed(self, build):
        rejected = build.returnee()
        manifest = build.submitted([build.returnee(), rejected])
        manifest.confirm_nationality(manifest.returnees[0].id, now=DECIDED)
        manifest.reject_nationality(rejected.id, reason="Honduran national", now=DECIDED)

        manifest.remove_returnee(rejected.id, now=DECIDED, reason="nationality rejected")
        manifest.dispatch(now=LEAVES)

        assert manifest.status is ManifestStatus.DISPATCHED

    def test_refuses_with_more_returnees_than_seats(self, build):
        manifest = build.confirmed([build.returnee() for _ in range(3)], seats=2)

        with pytest.raises(NotEnoughSeats) as caught:
            manifest.dispatch(now=LEAVES)

        assert caught.value.kind == "conflict"
        assert caught.value.field == "vehicle.seats"
        assert "2 seat(s) for 3 returnees" in caught.value.message

    def test_a_seat_for_each_returnee_is_enough(self, build):
        manifest = build.confirmed([build.returnee() for _ in range(3)], seats=3)

        manifest.dispatch(now=LEAVES)

        assert manifest.status is ManifestStatus.DISPATCHED

    def test_a_draft_cannot_be_dispatched(self, build):
        manifest = build.manifest()

        with pytest.raises(InvalidTransition):
            manifest.dispatch(now=LEAVES)

    def test_a_manifest_emptied_by_amendments_cannot_be_dispatched(self, build):
        manifest = build.submitted()
        manifest.remove_returnee(manifest.returnees[0].id, now=DECIDED, reason="released")

        with pytest.raises(EmptyManifest):
            manifest.dispatch(now=LEAVES)
