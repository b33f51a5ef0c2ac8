"""A protection need found after the person was put on the manifest (DOMAIN.md §1, "Protection
screen ... at every moment"): the person comes off, with their family if the officer says so;
only an event for the sending country is emitted."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

import pytest

from repatriation.domain.errors import (
    ChildWouldStayWithoutAdult,
    FamilyChoiceRequired,
    InvalidTransition,
    ReturneeNotFound,
)
from repatriation.domain.events import ManifestAmended, ReturneeProtectionNeedRecorded
from repatriation.domain.protection import FamilyChoice, ProtectionNeedKind

NOW = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
ASYLUM = ProtectionNeedKind.ASYLUM


def record(manifest, returnee, *, family=None, note=None, kind=ASYLUM):
    return manifest.record_protection_need(
        returnee.id, kind=kind, note=note, family=family, officer="inm.mx", now=NOW
    )


class TestRecordProtectionNeed:
    @pytest.mark.parametrize("state", ["manifest", "submitted"])
    def test_takes_the_person_off_and_only_the_sending_state_hears_of_it(self, build, state):
        fears = build.returnee(id=uuid.UUID(int=77))
        stays = build.returnee(id=uuid.UUID(int=78))
        manifest = getattr(build, state)([fears, stays], id=uuid.UUID(int=900))
        manifest.events.clear()
        version = manifest.version

        taken_off = record(manifest, fears, note="  Fears the gang in her town  ")

        assert taken_off == (uuid.UUID(int=77),)
        assert manifest.returnees == [stays]
        assert manifest.version == version + 1
        (event,) = manifest.events
        assert not isinstance(event, ManifestAmended)
        assert event == ReturneeProtectionNeedRecorded(
            manifest_id=uuid.UUID(int=900),
            reference="MX-GT-2026-000123",
            sending_country="MX",
            receiving_country="GT",
            reception_point="GT-TECUN-UMAN",
            scheduled_arrival=manifest.scheduled_arrival,
            version=version + 1,
            occurred_at=NOW,
            returnee_id=uuid.UUID(int=77),
            returnee_ids=(uuid.UUID(int=77),),
            kind=ASYLUM,
            note="Fears the gang in her town",
            family=None,
            returnee_count=1,
        )
        (removal,) = manifest.protection_removals
        assert (removal.returnee_id, removal.kind, removal.note, removal.family_of) == (
            uuid.UUID(int=77),
            ASYLUM,
            "Fears the gang in her town",
            None,
        )
        assert (removal.given_names, removal.recorded_by, removal.recorded_at) == (
            "Ana María",
            "inm.mx",
            NOW,
        )

    def test_family_on_the_manifest_needs_a_choice(self, build):
        mother = build.returnee(family_group="F1")
        son = build.returnee(given_names="Pedro", family_group="F1")
        manifest = build.submitted([mother, son])

        with pytest.raises(FamilyChoiceRequired) as caught:
            record(manifest, mother)

        assert (caught.value.field, caught.value.rule, caught.value.kind) == (
            "family",
            "family_choice_required",
            "invalid",
        )
        assert manifest.returnees == [mother, son]
        assert manifest.events == []

    def test_leave_with_takes_the_family_off_too(self, build):
        mother = build.returnee(family_group="F1")
        daughter = build.child(family_group="F1")
        other = build.returnee(family_group="F2")
        manifest = build.submitted([mother, daughter, other])

        taken_off = record(manifest, mother, family=FamilyChoice.LEAVE_WITH)

        assert taken_off == (mother.id, daughter.id)
        assert manifest.returnees == [other]
        (event,) = manifest.events
        assert event.returnee_ids == (mother.id, daughter.id)
        assert event.family is FamilyChoice.LEAVE_WITH
        assert event.returnee_count == 1
        assert [(r.returnee_id, r.family_of) for r in manifest.protection_removals] == [
            (mother.id, None),
            (daughter.id, mother.id),
        ]

    def test_stay_keeps_the_family_on_when_an_adult_of_it_remains(self, build):
        mother = build.returnee(family_group="F1")
        father = build.returnee(given_names="José", sex="M", family_group="F1")
        daughter = build.child(family_group="F1")
        manifest = build.submitted([mother, father, daughter])

        assert record(manifest, mother, family=FamilyChoice.STAY) == (mother.id,)

        assert manifest.returnees == [father, daughter]

    def test_stay_may_not_leave_a_child_without_an_adult_of_its_group(self, build):
        mother = build.returnee(family_group="F1")
        daughter = build.child(family_group="F1")
        manifest = build.submitted([mother, daughter])

        with pytest.raises(ChildWouldStayWithoutAdult) as caught:
            record(manifest, mother, family=FamilyChoice.STAY)

        assert (caught.value.field, caught.value.rule, caught.value.kind) == (
            "family",
            "child_would_stay_without_adult",
            "invalid",
        )
        assert manifest.returnees == [mother, daughter]
        assert manifest.protection_removals == []

    def test_a_child_whose_need_it_is_may_leave_while_the_family_stays(self, build):
        mother = build.returnee(family_group="F1")
        daughter = build.child(family_group="F1", date_of_birth=date(2012, 1, 1))
        manifest = build.submitted([mother, daughter])

        record(manifest, daughter, family=FamilyChoice.STAY, kind=ProtectionNeedKind.TRAFFICKING)

        assert manifest.returnees == [mother]

    @pytest.mark.parametrize("state", ["dispatched"])
    def test_not_once_the_bus_has_left(self, build, state):
        manifest = getattr(build, state)()

        with pytest.raises(InvalidTransition) as caught:
            record(manifest, manifest.returnees[0])

        assert caught.value.kind == "conflict"
        assert len(manifest.returnees) == 1

    def test_not_on_a_cancelled_manifest(self, build):
        manifest = build.submitted()
        manifest.cancel(reason="bus broke down", now=NOW)

        with pytest.raises(InvalidTransition):
            record(manifest, manifest.returnees[0])

    def test_someone_not_on_the_manifest_is_not_found(self, build):
        manifest = build.submitted()
        stranger = build.returnee()

        with pytest.raises(ReturneeNotFound):
            record(manifest, stranger)
