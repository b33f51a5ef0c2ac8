"""Domain events → contract events: who the `access` label lets read them, and what a
protection need never carries onto the bus."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from pydantic import BaseModel

from repatriation.adapters import integration
from repatriation.domain.protection import FamilyChoice, ProtectionNeedKind

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


class TestProtectionNeedOnTheBus:
    def test_labelled_for_the_sending_country_alone_with_ids_and_counts_only(self, build):
        mother = build.returnee(id=uuid.UUID(int=501), family_group="F1")
        son = build.child(id=uuid.UUID(int=502), family_group="F1")
        manifest = build.submitted([mother, son, build.returnee()])
        manifest.record_protection_need(
            mother.id,
            kind=ProtectionNeedKind.FEAR_OF_RETURN,
            note="Threatened by the gang of her town",
            family=FamilyChoice.LEAVE_WITH,
            officer="inm.mx",
            now=NOW,
        )
        (event,) = manifest.events

        out = integration.outgoing(event)

        assert out is not None
        assert out.event_type == "repatriation.returnee.protection_need_recorded.v1"
        assert out.access == ["MX"]
        assert isinstance(out.data, BaseModel)
        data = out.data.model_dump(mode="json")
        assert data["returnee_ids"] == [str(uuid.UUID(int=501)), str(uuid.UUID(int=502))]
        assert data["returnee_count"] == 1
        assert data["recorded_at"] == "2026-11-29T09:00:00Z"
        wire = json.dumps(data)
        assert "fear_of_return" not in wire
        assert "Threatened" not in wire
        assert "leave_with" not in wire

    def test_the_other_events_stay_labelled_for_both_countries(self, build):
        manifest = build.manifest([build.returnee(), build.returnee()])
        manifest.submit(reference_data=build.reference_data, now=NOW)
        manifest.remove_returnee(manifest.returnees[0].id, now=NOW, reason="Not a national")
        manifest.cancel(reason="Bus broke down", now=NOW)

        labels = [integration.outgoing(e) for e in manifest.events]

        assert [(o.event_type, o.access) for o in labels if o is not None] == [
            ("repatriation.manifest.submitted.v1", ["MX", "GT"]),
            ("repatriation.manifest.amended.v1", ["MX", "GT"]),
            ("repatriation.manifest.cancelled.v1", ["MX", "GT"]),
        ]
