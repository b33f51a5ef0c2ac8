from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from repatriation.domain.errors import (
    HandoverAlreadyRecorded,
    InvalidHandover,
    InvalidTransition,
    ReturneeNotFound,
)
from repatriation.domain.events import (
    ManifestArrived,
    ManifestClosed,
    ReturneeHandedOver,
)
from repatriation.domain.model import HandoverItem, HandoverTotals, Manifest
from repatriation.domain.returnee import Handover, HandoverOutcome, RefusalReason
from repatriation.domain.status import ManifestStatus

GUATEMALA = ZoneInfo("America/Guatemala")
AT_THE_POST = datetime(2026, 12, 1, 16, 5, tzinfo=UTC)  # 10:05 at Tecún Umán
LATER = datetime(2026, 12, 1, 16, 40, tzinfo=UTC)
RECEIVED = HandoverOutcome.RECEIVED
REFUSED = HandoverOutcome.REFUSED
NOT_PRESENTED = HandoverOutcome.NOT_PRESENTED


def record(manifest, *items, now=AT_THE_POST, officer="border.gt.tecun", post="GT-TECUN-UMAN"):
    return manifest.record_handovers(list(items), officer=officer, post=post, now=now)


def item(returnee, outcome, reason=None, recorded_at=None):
    return HandoverItem(
        returnee_id=returnee.id, outcome=outcome, reason=reason, recorded_at=recorded_at
    )


class TestRecordHandovers:
    def test_only_once_the_manifest_is_dispatched(self, build):
        manifest = build.confirmed()

        with pytest.raises(InvalidTransition) as caught:
            record(manifest, item(manifest.returnees[0], RECEIVED))

        assert caught.value.kind == "conflict"
        assert manifest.returnees[0].handover is None

    def test_the_first_hand_over_moves_dispatched_to_arrived(self, build):
        first = build.returnee(id=uuid.UUID(int=1001))
        manifest = build.dispatched([first, build.returnee()], id=uuid.UUID(int=900))

        assert record(manifest, item(first, RECEIVED)) == [True]

        assert manifest.status is ManifestStatus.ARRIVED
        assert manifest.arrived_at == AT_THE_POST
        header: dict[str, Any] = {
            "manifest_id": uuid.UUID(int=900),
            "reference": "MX-GT-2026-000123",
            "sending_country": "MX",
            "receiving_country": "GT",
            "reception_point": "GT-TECUN-UMAN",
            "scheduled_arrival": datetime(2026, 12, 1, 10, 0, tzinfo=GUATEMALA),
            "version": 6,  # 1 created, 2 submitted, 3-4 confirmed, 5 dispatched
            "occurred_at": AT_THE_POST,
        }
        assert manifest.events == [
            ManifestArrived(**header),
            ReturneeHandedOver(
                **header,
                returnee_id=uuid.UUID(int=1001),
                outcome=RECEIVED,
                reason=None,
                officer="border.gt.tecun",
                post="GT-TECUN-UMAN",
                recorded_at=AT_THE_POST,
            ),
        ]

    def test_records_who_where_and_when(self, build):
        manifest = build.dispatched([build.returnee(), build.returnee()])
        refused = manifest.returnees[0]

        record(manifest, item(refused, REFUSED, RefusalReason.IDENTITY_MISMATCH))

        assert refused.handover == Handover(
            outcome=REFUSED,
            reason=RefusalReason.IDENTITY_MISMATCH,
            officer="border.gt.tecun",
            post="GT-TECUN-UMAN",
            recorded_at=AT_THE_POST,
            stored_at=AT_THE_POST,
        )

    def test_the_same_outcome_again_is_a_no_op(self, build):
        manifest = build.dispatched([build.returnee(), build.returnee()])
        returnee = manifest.returnees[0]
        record(manifest, item(returnee, RECEIVED))
        manifest.events.clear()

        assert record(manifest, item(returnee, RECEIVED), now=LATER, officer="other") == [False]

        assert manifest.events == []
        assert manifest.version == 6
        assert returnee.handover.recorded_at == AT_THE_POST
        assert returnee.handover.officer == "border.gt.tecun"

    def test_a_different_outcome_is_a_conflict(self, build):
        manifest = build.dispatched([build.returnee(), build.returnee()])
        returnee = manifest.returnees[0]
        record(manifest, item(returnee, RECEIVED))

        with pytest.raises(HandoverAlreadyRecorded) as caught:
            record(manifest, item(returnee, NOT_PRESENTED), now=LATER)

        assert caught.value.kind == "conflict"
        assert caught.value.field == "items[0].outcome"
        assert returnee.handover_outcome is RECEIVED

    def test_a_refusal_with_another_reason_is_a_conflict(self, build):
        manifest = build.dispatched([build.returnee(), build.returnee()])
        returnee = manifest.returnees[0]
        record(manifest, item(returnee, REFUSED, RefusalReason.NOT_A_NATIONAL))

        with pytest.raises(HandoverAlreadyRecorded):
            record(manifest, item(returnee, REFUSED, RefusalReason.OTHER), now=LATER)

    def test_a_refusal_needs_a_reason_code(self, build):
        manifest = build.dispatched()

        with pytest.raises(InvalidHandover) as caught:
            record(manifest, item(manifest.returnees[0], REFUSED))

        assert caught.value.rule == "refusal_reason_required"
        assert caught.value.field == "items[0].reason"
        assert manifest.status is ManifestStatus.DISPATCHED

    @pytest.mark.parametrize(
        "reason",
        [
            "not_a_national",
            "identity_mismatch",
            "not_on_manifest",
            "medically_unfit",
            "outside_window",
            "other",
        ],
    )
    def test_accepts_each_refusal_reason_code(self, build, reason):
        manifest = build.dispatched()

        record(manifest, item(manifest.returnees[0], REFUSED, RefusalReason(reason)))

        assert manifest.returnees[0].handover.reason == reason

    def test_only_a_refusal_takes_a_reason(self, build):
        manifest = build.dispatched()

        with pytest.raises(InvalidHandover) as caught:
            record(manifest, item(manifest.returnees[0], RECEIVED, RefusalReason.OTHER))

        assert caught.value.rule == "reason_only_for_refusal"

    def test_a_bus_that_turned_back_is_not_presented_returned_to_station(self, build):
        manifest = build.dispatched()

        record(
            manifest,
            item(manifest.returnees[0], NOT_PRESENTED, RefusalReason.RETURNED_TO_STATION),
        )

        assert manifest.returnees[0].handover.outcome is NOT_PRESENTED
        assert manifest.returnees[0].handover.reason is RefusalReason.RETURNED_TO_STATION
        assert manifest.status is ManifestStatus.CLOSED

    @pytest.mark.parametrize("reason", ["other", "medically_unfit"])
    def test_not_presented_takes_no_other_reason(self, build, reason):
        manifest = build.dispatched()

        with pytest.raises(InvalidHandover) as caught:
            record(manifest, item(manifest.returnees[0], NOT_PRESENTED, RefusalReason(reason)))

        assert caught.value.rule == "reason_only_for_refusal"

    def test_received_takes_no_reason_not_even_returned_to_station(self, build):
        manifest = build.dispatched()

        with pytest.raises(InvalidHandover):
            record(
                manifest, item(manifest.returnees[0], RECEIVED, RefusalReason.RETURNED_TO_STATION)
            )

    def test_an_unknown_returnee_is_not_found(self, build):
        manifest = build.dispatched()

        with pytest.raises(ReturneeNotFound) as caught:
            record(
                manifest,
                item(manifest.returnees[0], RECEIVED),
                HandoverItem(returnee_id=uuid.UUID(int=31337), outcome=RECEIVED),
            )

        assert caught.value.kind == "not_found"
        assert caught.value.field == "items[1].returnee_id"

    def test_a_batch_is_all_or_nothing(self, build):
        manifest = build.dispatched([build.returnee(), build.returnee()])
        first, second = manifest.returnees

        with pytest.raises(InvalidHandover):
            record(manifest, item(first, RECEIVED), item(second, REFUSED))

        assert first.handover is None
        assert manifest.status is ManifestStatus.DISPATCHED
        assert manifest.version == 5
        assert manifest.events == []

    def test_the_same_returnee_twice_with_different_outcomes_is_invalid(self, build):
        manifest = build.dispatched([build.returnee(), build.returnee()])
        first = manifest.returnees[0]

        with pytest.raises(InvalidHandover) as caught:
            record(manifest, item(first, RECEIVED), item(first, NOT_PRESENTED))

        assert caught.value.rule == "duplicate_item"
        assert first.handover is None

    def test_only_at_the_manifests_reception_point(self, build):
        manifest = build.dispatched()

        with pytest.raises(InvalidHandover) as caught:
            record(manifest, item(manifest.returnees[0], RECEIVED), post="GT-LA-MESILLA")

        assert caught.value.rule == "handover_at_another_post"

    def test_not_on_a_cancelled_manifest(self, build):
        manifest = build.submitted()
        manifest.cancel(reason="road closed by landslide", now=AT_THE_POST)

        with pytest.raises(InvalidTransition):
            record(manifest, item(manifest.returnees[0], RECEIVED))


class TestClosing:
    def test_closes_when_every_returnee_has_an_outcome(self, build):
        manifest = build.dispatched([build.returnee() for _ in range(3)])
        a, b, c = manifest.returnees
        record(manifest, item(a, RECEIVED))
        manifest.events.clear()

        record(
            manifest,
            item(b, NOT_PRESENTED),
            item(c, REFUSED, RefusalReason.MEDICALLY_UNFIT),
            now=LATER,
        )

        assert manifest.status is ManifestStatus.CLOSED
        assert manifest.closed_at == LATER
        assert [type(e) for e in manifest.events] == [
            ReturneeHandedOver,
            ReturneeHandedOver,
            ManifestClosed,
        ]
        closed = manifest.events[-1]
        assert (closed.received, closed.not_presented, closed.refused) == (1, 1, 1)
        assert closed.version == 8  # 1-6 up to dispatch, then one per batch
        assert manifest.handover_totals() == HandoverTotals(
            received=1, not_presented=1, refused=1, pending=0
        )

    def test_stays_arrived_while_someone_has_no_outcome(self, build):
        manifest = build.dispatched([build.returnee() for _ in range(3)])

        record(manifest, *(item(r, RECEIVED) for r in manifest.returnees[:2]))

        assert manifest.status is ManifestStatus.ARRIVED
        assert manifest.handover_totals() == HandoverTotals(
            received=2, not_presented=0, refused=0, pending=1
        )

    def test_a_closed_manifest_takes_repeats_but_no_changes(self, build):
        manifest = build.dispatched()
        returnee = manifest.returnees[0]
        record(manifest, item(returnee, RECEIVED))
        assert manifest.status is ManifestStatus.CLOSED

        assert record(manifest, item(returnee, RECEIVED), now=LATER) == [False]
        with pytest.raises(HandoverAlreadyRecorded):
            record(manifest, item(returnee, NOT_PRESENTED), now=LATER)
        assert manifest.status is ManifestStatus.CLOSED

    def test_record_handover_records_a_single_person(self, build):
        manifest = build.dispatched()

        changed = manifest.record_handover(
            manifest.returnees[0].id,
            NOT_PRESENTED,
            officer="border.gt.tecun",
            post="GT-TECUN-UMAN",
            now=AT_THE_POST,
        )

        assert changed is True
        assert manifest.status is ManifestStatus.CLOSED


DISPATCHED = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)  # the builders dispatch at 02:00 local
SENT = datetime(2026, 12, 1, 19, 0, tzinfo=UTC)  # the link came back: the outbox is sent


class TestThePostsTime:
    """A post without a link records hand-overs on the device and sends them hours later:
    each item carries the time it was recorded at the post (`recorded_at`)."""

    def test_keeps_the_posts_time_and_when_it_was_stored(self, build):
        manifest = build.dispatched([build.returnee(), build.returnee()])
        first = manifest.returnees[0]

        record(manifest, item(first, RECEIVED, recorded_at=AT_THE_POST), now=SENT)

        assert (first.handover.recorded_at, first.handover.stored_at) == (AT_THE_POST, SENT)
        handed_over = manifest.events[-1]
        assert isinstance(handed_over, ReturneeHandedOver)
        assert (handed_over.recorded_at, handed_over.occurred_at) == (AT_THE_POST, SENT)

    def test_absent_means_now(self, build):
        manifest = build.dispatched([build.returnee(), build.returnee()])
        first = manifest.returnees[0]

        record(manifest, item(first, RECEIVED), now=SENT)

        assert (first.handover.recorded_at, first.handover.stored_at) == (SENT, SENT)
        assert manifest.arrived_at == SENT

    def test_arrived_at_is_the_earliest_post_time_of_the_first_batch(self, build):
        manifest = build.dispatched([build.returnee() for _ in range(3)])
        a, b, c = manifest.returnees

        record(
            manifest,
            item(a, RECEIVED, recorded_at=AT_THE_POST + timedelta(minutes=3)),
            item(b, RECEIVED, recorded_at=AT_THE_POST),
            now=SENT,
        )
        assert manifest.arrived_at == AT_THE_POST
        # Later batches do not move it, and closing is the server's time.
        record(manifest, item(c, RECEIVED, recorded_at=AT_THE_POST - timedelta(hours=1)), now=SENT)
        assert manifest.arrived_at == AT_THE_POST
        assert manifest.closed_at == SENT

    def test_up_to_two_minutes_ahead_of_the_server_is_clock_skew(self, build):
        manifest = build.dispatched([build.returnee(), build.returnee()])
        ahead = SENT + timedelta(minutes=2)

        record(manifest, item(manifest.returnees[0], RECEIVED, recorded_at=ahead), now=SENT)

        assert manifest.returnees[0].handover.recorded_at == ahead

    def test_refused_in_the_future_naming_the_field(self, build):
        manifest = build.dispatched([build.returnee(), build.returnee()])
        a, b = manifest.returnees
        future = SENT + timedelta(minutes=2, seconds=1)

        with pytest.raises(InvalidHandover) as caught:
            record(
                manifest,
                item(a, RECEIVED),
                item(b, RECEIVED, recorded_at=future),
                now=SENT,
            )

        assert (caught.value.rule, caught.value.field) == (
            "recorded_at_in_future",
            "items[1].recorded_at",
        )
        assert (a.handover, b.handover, manifest.status) == (None, None, ManifestStatus.DISPATCHED)
        assert manifest.events == []

    def test_refused_before_the_dispatch(self, build):
        manifest = build.dispatched([build.returnee(), build.returnee()])
        assert manifest.dispatched_at == DISPATCHED

        with pytest.raises(InvalidHandover) as caught:
            record(
                manifest,
                item(
                    manifest.returnees[0], RECEIVED, recorded_at=DISPATCHED - timedelta(seconds=1)
                ),
                now=SENT,
            )

        assert (caught.value.rule, caught.value.field) == (
            "recorded_before_dispatch",
            "items[0].recorded_at",
        )
        assert manifest.returnees[0].handover is None

    def test_the_dispatch_time_itself_is_accepted(self, build):
        manifest = build.dispatched([build.returnee(), build.returnee()])

        record(manifest, item(manifest.returnees[0], RECEIVED, recorded_at=DISPATCHED), now=SENT)

        assert manifest.arrived_at == DISPATCHED

    def test_a_repeat_keeps_the_first_time(self, build):
        manifest = build.dispatched([build.returnee(), build.returnee()])
        first = manifest.returnees[0]
        record(manifest, item(first, RECEIVED, recorded_at=AT_THE_POST), now=LATER)

        later = AT_THE_POST + timedelta(minutes=10)
        assert record(manifest, item(first, RECEIVED, recorded_at=later), now=SENT) == [False]

        assert (first.handover.recorded_at, first.handover.stored_at) == (AT_THE_POST, LATER)


def held_in_part(manifest, named, others):
    """The manifest as the repository's `get_for_handover` assembles it: only `named` held,
    everyone else's outcomes counted in `others`."""
    return Manifest(
        id=manifest.id,
        reference=manifest.reference,
        sending_country=manifest.sending_country,
        receiving_country=manifest.receiving_country,
        reception_point=manifest.reception_point,
        reception_time_zone=manifest.reception_time_zone,
        scheduled_departure=manifest.scheduled_departure,
        scheduled_arrival=manifest.scheduled_arrival,
        vehicle=manifest.vehicle,
        returnees=named,
        created_at=manifest.created_at,
        status=manifest.status,
        version=manifest.version,
        submitted_at=manifest.submitted_at,
        dispatched_at=manifest.dispatched_at,
        arrived_at=manifest.arrived_at,
        others=others,
    )


class TestHeldInPart:
    """A hand-over loads only the people it names (issue 19): the outcomes, the totals and
    the close come out as they would on the whole manifest, and nothing else may be asked."""

    def test_the_last_outcome_closes_with_the_others_counted(self, build):
        last = build.returnee()
        whole = build.dispatched([build.returnee(), build.returnee(), last])
        record(whole, *(item(r, RECEIVED) for r in whole.returnees[:2]))
        others = HandoverTotals(received=1, not_presented=0, refused=1, pending=0)
        manifest = held_in_part(whole, [last], others)

        assert record(manifest, item(last, NOT_PRESENTED), now=LATER) == [True]

        assert manifest.status is ManifestStatus.CLOSED
        assert manifest.handover_totals() == HandoverTotals(
            received=1, not_presented=1, refused=1, pending=0
        )
        closed = [e for e in manifest.events if isinstance(e, ManifestClosed)]
        assert [(e.received, e.not_presented, e.refused) for e in closed] == [(1, 1, 1)]

    def test_someone_still_pending_elsewhere_keeps_it_open(self, build):
        first = build.returnee()
        whole = build.dispatched([first, build.returnee()])
        others = HandoverTotals(received=0, not_presented=0, refused=0, pending=1)
        manifest = held_in_part(whole, [first], others)

        assert record(manifest, item(first, RECEIVED)) == [True]

        assert manifest.status is ManifestStatus.ARRIVED
        assert manifest.handover_totals().pending == 1
        assert manifest.on_record(item(first, RECEIVED)).handover.outcome is RECEIVED

    def test_a_person_not_held_is_not_on_it(self, build):
        first, second = build.returnee(), build.returnee()
        whole = build.dispatched([first, second])
        others = HandoverTotals(received=0, not_presented=0, refused=0, pending=1)
        manifest = held_in_part(whole, [first], others)

        with pytest.raises(ReturneeNotFound):
            record(manifest, item(second, RECEIVED))

    def test_what_needs_everyone_refuses(self, build):
        first = build.returnee()
        whole = build.dispatched([first, build.returnee()])
        others = HandoverTotals(received=0, not_presented=0, refused=0, pending=1)
        manifest = held_in_part(whole, [first], others)

        for needs_everyone in (
            lambda: manifest.returnees,
            manifest.listing,
            manifest.record_people,
            lambda: manifest.vulnerable_aboard,
        ):
            with pytest.raises(RuntimeError, match="only the returnees it names"):
                needs_everyone()
        assert manifest.returnees_held == [first]
