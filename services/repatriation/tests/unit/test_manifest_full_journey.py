"""A 200-returnee manifest from draft to closing, with the events each step emits."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, date, datetime
from typing import cast

from repatriation.domain.events import (
    ManifestArrived,
    ManifestClosed,
    ManifestDispatched,
    ManifestSubmitted,
    NationalityConfirmed,
    ReturneeHandedOver,
)
from repatriation.domain.model import HandoverItem
from repatriation.domain.returnee import HandoverOutcome, RefusalReason
from repatriation.domain.status import ManifestStatus

SUBMITTED_AT = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
CONSULATE_AT = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)
LEAVES_AT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
FIRST_BATCH_AT = datetime(2026, 12, 1, 16, 5, tzinfo=UTC)
SECOND_BATCH_AT = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)


def _two_hundred_returnees(build):
    """160 adults travelling alone (the first 5 pregnant) and 10 families of two adults and two
    children: 200 people, ids 1..200 in the order they are listed on the create body."""
    people = []
    for n in range(1, 161):
        people.append(
            build.returnee(
                id=uuid.UUID(int=n),
                vulnerabilities=build.flags(pregnant=n <= 5),
            )
        )
    for family in range(10):
        first = 161 + 4 * family
        group = f"F{family + 1}"
        people += [
            build.returnee(id=uuid.UUID(int=first), family_group=group),
            build.returnee(id=uuid.UUID(int=first + 1), family_group=group, sex="M"),
            build.child(id=uuid.UUID(int=first + 2), family_group=group),
            build.child(
                id=uuid.UUID(int=first + 3), family_group=group, date_of_birth=date(2019, 8, 30)
            ),
        ]
    return people


class TestTwoHundredReturnees:
    def test_created_submitted_confirmed_dispatched_and_fully_handed_over(
        self, build, reference_data
    ):
        manifest = build.manifest(_two_hundred_returnees(build), seats=200)
        assert len(manifest.returnees) == 200
        manifest.events.clear()

        # Submitted: one event listing all 200, the 5 vulnerable people first.
        manifest.submit(reference_data=reference_data, now=SUBMITTED_AT)
        (submitted,) = manifest.events
        assert isinstance(submitted, ManifestSubmitted)
        assert len(submitted.returnees) == 200
        assert [s.id.int for s in submitted.returnees[:6]] == [1, 2, 3, 4, 5, 6]
        assert submitted.version == 2
        manifest.events.clear()

        # The consulate confirms everyone; a replayed confirmation changes nothing.
        for returnee in manifest.returnees:
            assert manifest.confirm_nationality(returnee.id, now=CONSULATE_AT) is True
        assert manifest.confirm_nationality(uuid.UUID(int=200), now=CONSULATE_AT) is False
        assert len(manifest.events) == 200
        assert all(isinstance(e, NationalityConfirmed) for e in manifest.events)
        assert manifest.version == 202
        manifest.events.clear()

        manifest.dispatch(now=LEAVES_AT)
        (dispatched,) = manifest.events
        assert isinstance(dispatched, ManifestDispatched)
        assert dispatched.returnee_count == 200
        assert dispatched.version == 203
        manifest.events.clear()

        # First batch at the post: 150 received.
        first_batch = [
            HandoverItem(returnee_id=uuid.UUID(int=n), outcome=HandoverOutcome.RECEIVED)
            for n in range(1, 151)
        ]
        assert (
            manifest.record_handovers(
                first_batch, officer="border.gt.tecun", post="GT-TECUN-UMAN", now=FIRST_BATCH_AT
            )
            == [True] * 150
        )
        assert manifest.status is ManifestStatus.ARRIVED
        assert [type(e) for e in manifest.events] == [ManifestArrived] + [ReturneeHandedOver] * 150
        manifest.events.clear()

        # Second batch: the other 50 — 45 received, 3 not presented, 2 refused — plus a repeat
        # of someone already received, which is a no-op.
        second_batch = [
            HandoverItem(returnee_id=uuid.UUID(int=n), outcome=HandoverOutcome.RECEIVED)
            for n in range(151, 196)
        ]
        second_batch += [
            HandoverItem(returnee_id=uuid.UUID(int=n), outcome=HandoverOutcome.NOT_PRESENTED)
            for n in (196, 197, 198)
        ]
        second_batch += [
            HandoverItem(
                returnee_id=uuid.UUID(int=199),
                outcome=HandoverOutcome.REFUSED,
                reason=RefusalReason.IDENTITY_MISMATCH,
            ),
            HandoverItem(
                returnee_id=uuid.UUID(int=200),
                outcome=HandoverOutcome.REFUSED,
                reason=RefusalReason.MEDICALLY_UNFIT,
            ),
            HandoverItem(returnee_id=uuid.UUID(int=1), outcome=HandoverOutcome.RECEIVED),
        ]
        results = manifest.record_handovers(
            second_batch, officer="border.gt.tecun", post="GT-TECUN-UMAN", now=SECOND_BATCH_AT
        )

        assert results == [True] * 50 + [False]
        # cast: mypy keeps the status narrowed to ARRIVED from an assertion above.
        assert cast(ManifestStatus, manifest.status) is ManifestStatus.CLOSED
        assert manifest.closed_at == SECOND_BATCH_AT
        assert [type(e) for e in manifest.events] == [ReturneeHandedOver] * 50 + [ManifestClosed]
        closed = manifest.events[-1]
        assert (closed.received, closed.not_presented, closed.refused) == (195, 3, 2)
        assert closed.version == 205
        assert Counter(e.outcome for e in manifest.events[:-1]) == {
            "received": 45,
            "not_presented": 3,
            "refused": 2,
        }
        assert manifest.handover_totals().total == 200
