from __future__ import annotations

from datetime import UTC, datetime

import pytest

from repatriation.domain.errors import CancellationReasonRequired, InvalidTransition
from repatriation.domain.events import ManifestCancelled
from repatriation.domain.model import HandoverItem
from repatriation.domain.returnee import HandoverOutcome
from repatriation.domain.status import ManifestStatus

NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
AT_THE_POST = datetime(2026, 12, 1, 16, 5, tzinfo=UTC)


def _in_state(build, status):
    if status == "draft":
        return build.manifest()
    if status == "submitted":
        return build.submitted()
    manifest = build.dispatched([build.returnee(), build.returnee()])
    if status == "dispatched":
        return manifest
    handed_over = manifest.returnees if status == "closed" else manifest.returnees[:1]
    manifest.record_handovers(
        [HandoverItem(returnee_id=r.id, outcome=HandoverOutcome.RECEIVED) for r in handed_over],
        officer="border.gt.tecun",
        post="GT-TECUN-UMAN",
        now=AT_THE_POST,
    )
    manifest.events.clear()
    return manifest


class TestCancelManifest:
    @pytest.mark.parametrize("status", ["draft", "submitted"])
    def test_cancels_before_the_bus_leaves(self, build, status):
        manifest = _in_state(build, status)
        manifest.events.clear()
        version = manifest.version

        manifest.cancel(reason="  road closed by landslide ", now=NOW)

        assert manifest.status is ManifestStatus.CANCELLED
        assert manifest.cancelled_at == NOW
        assert manifest.cancellation_reason == "road closed by landslide"
        assert manifest.version == version + 1
        (event,) = manifest.events
        assert isinstance(event, ManifestCancelled)
        assert event.reason == "road closed by landslide"
        assert event.previous_status == status

    @pytest.mark.parametrize("status", ["dispatched", "arrived", "closed"])
    def test_not_once_the_bus_has_left(self, build, status):
        # People are on the road: each of them gets a hand-over outcome instead (a bus that
        # turns back: not_presented, returned_to_station).
        manifest = _in_state(build, status)

        with pytest.raises(InvalidTransition) as caught:
            manifest.cancel(reason="changed our minds", now=NOW)

        assert caught.value.kind == "conflict"
        assert manifest.status == status

    def test_not_twice(self, build):
        manifest = build.submitted()
        manifest.cancel(reason="road closed by landslide", now=NOW)

        with pytest.raises(InvalidTransition):
            manifest.cancel(reason="again", now=NOW)

    @pytest.mark.parametrize("reason", [None, "", "   "])
    def test_needs_a_reason(self, build, reason):
        manifest = build.submitted()

        with pytest.raises(CancellationReasonRequired) as caught:
            manifest.cancel(reason=reason, now=NOW)

        assert caught.value.field == "reason"
        assert manifest.status is ManifestStatus.SUBMITTED
