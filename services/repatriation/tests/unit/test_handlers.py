"""The handlers on a fake unit of work (`fakes.py`): POLICY's order — not visible (404) before
not allowed (403) before state (409) and input (422), and no lock asked before it is decided —
and what a handler takes from who acts (the sending country, the officer and post of a
hand-over, who recorded a protection need), without PostgreSQL or Keycloak.

The default manifest (conftest's `build`) goes MX → GT through GT-TECUN-UMAN, leaving
2026-12-01 02:00 and arriving 10:00 Guatemala time; "now" is 2026-11-28 12:00 UTC.
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from puebla.auth.principal import Principal
from puebla.refusals import NotAllowed, NotVisible
from repatriation.domain import HandoverItem, HandoverOutcome, ProtectionNeedKind, Vehicle
from repatriation.domain import commands as c
from repatriation.domain.errors import (
    InvalidSchedule,
    InvalidTransition,
    NotAReceivingCountry,
)
from repatriation.service_layer import handlers
from repatriation.service_layer.errors import UnknownManifest

from .fakes import FakeManifestUnitOfWork

GUATEMALA = ZoneInfo("America/Guatemala")
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
AT_THE_POST = datetime(2026, 12, 1, 16, 5, tzinfo=UTC)  # 10:05 at Tecún Umán

INM_MX = Principal("inm-mx", "inm.mx", frozenset({"immigration_officer"}), country="MX")
IGM_GT = Principal("igm-gt", "igm.gt", frozenset({"immigration_officer"}), country="GT")
DGME_SV = Principal("dgme-sv", "dgme.sv", frozenset({"immigration_officer"}), country="SV")
CONSUL_GT = Principal("consul-gt", "consul.gt.tapachula", frozenset({"consular_officer"}), "GT")
BORDER_TECUN = Principal(
    "border-gt-tecun",
    "border.gt.tecun",
    frozenset({"border_officer"}),
    country="GT",
    border_post="GT-TECUN-UMAN",
)


def _create(**overrides: Any) -> c.CreateManifest:
    """The default manifest, without returnees (the domain's tests cover who may travel)."""
    default = c.CreateManifest(
        receiving_country="GT",
        reception_point="GT-TECUN-UMAN",
        scheduled_departure=datetime(2026, 12, 1, 2, 0, tzinfo=GUATEMALA),
        scheduled_arrival=datetime(2026, 12, 1, 10, 0, tzinfo=GUATEMALA),
        vehicle=Vehicle(plate="CHS-4521", seats=50),
        returnees=(),
    )
    return replace(default, **overrides)


class TestAccessOrder:
    async def test_a_third_country_gets_404_and_never_asks_for_the_lock(self, build):
        manifest = build.submitted()
        uow = FakeManifestUnitOfWork(DGME_SV, now=NOW, manifests=[manifest])

        with pytest.raises(NotVisible):
            await handlers.cancel_manifest(
                c.CancelManifest(manifest_id=manifest.id, reason="Bus broke down"), uow.as_uow()
            )

        assert (uow.manifests.locked, uow.committed) == ([], False)

    async def test_an_absent_manifest_is_the_same_404(self):
        uow = FakeManifestUnitOfWork(INM_MX, now=NOW)

        with pytest.raises(UnknownManifest) as caught:
            await handlers.dispatch_manifest(
                c.DispatchManifest(manifest_id=uuid.UUID(int=77)), uow.as_uow()
            )

        assert (caught.value.kind, caught.value.message) == (
            "not_found",
            "The manifest was not found.",
        )

    async def test_the_receiving_side_reads_but_gets_403_and_no_lock(self, build):
        manifest = build.submitted()
        uow = FakeManifestUnitOfWork(IGM_GT, now=NOW, manifests=[manifest])

        with pytest.raises(NotAllowed) as caught:
            await handlers.submit_manifest(c.SubmitManifest(manifest_id=manifest.id), uow.as_uow())

        assert caught.value.kind == "forbidden"
        assert (uow.manifests.locked, uow.committed) == ([], False)

    async def test_403_comes_before_the_state(self, build):
        # Dispatched: cancelling is refused by state too (409) — the receiving side hears 403.
        manifest = build.dispatched()
        uow = FakeManifestUnitOfWork(IGM_GT, now=NOW, manifests=[manifest])

        with pytest.raises(NotAllowed):
            await handlers.cancel_manifest(
                c.CancelManifest(manifest_id=manifest.id, reason="Bus broke down"), uow.as_uow()
            )

    async def test_404_comes_before_the_input(self, build):
        # A returnee not on the manifest would be a 404 with a field; a third country never
        # gets that far.
        manifest = build.submitted()
        uow = FakeManifestUnitOfWork(DGME_SV, now=NOW, manifests=[manifest])

        with pytest.raises(NotVisible) as caught:
            await handlers.remove_returnee(
                c.RemoveReturnee(manifest_id=manifest.id, returnee_id=uuid.UUID(int=999)),
                uow.as_uow(),
            )

        assert caught.value.field is None

    async def test_the_consul_does_not_see_a_draft(self, build):
        manifest = build.manifest()
        uow = FakeManifestUnitOfWork(CONSUL_GT, now=NOW, manifests=[manifest])

        with pytest.raises(NotVisible):
            await handlers.record_handovers(
                c.RecordHandovers(manifest_id=manifest.id, items=()), uow.as_uow()
            )

    async def test_the_sending_officer_may_not_record_hand_overs(self, build):
        manifest = build.dispatched()
        uow = FakeManifestUnitOfWork(INM_MX, now=AT_THE_POST, manifests=[manifest])
        item = HandoverItem(returnee_id=manifest.returnees[0].id, outcome=HandoverOutcome.RECEIVED)

        with pytest.raises(NotAllowed):
            await handlers.record_handovers(
                c.RecordHandovers(manifest_id=manifest.id, items=(item,)), uow.as_uow()
            )

    async def test_the_state_decides_once_access_is_granted(self, build):
        manifest = build.dispatched()
        uow = FakeManifestUnitOfWork(INM_MX, now=NOW, manifests=[manifest])

        with pytest.raises(InvalidTransition):
            await handlers.cancel_manifest(
                c.CancelManifest(manifest_id=manifest.id, reason="Bus broke down"), uow.as_uow()
            )

        assert (uow.manifests.locked, uow.committed) == ([manifest.id], False)


class TestCreate:
    async def test_only_an_immigration_officer_creates(self):
        uow = FakeManifestUnitOfWork(BORDER_TECUN, now=NOW)

        with pytest.raises(NotAllowed):
            await handlers.create_manifest(_create(), uow.as_uow())

        assert (uow.manifests.manifests, uow.committed) == ({}, False)

    async def test_the_sending_country_and_the_author_are_the_callers(self):
        uow = FakeManifestUnitOfWork(INM_MX, now=NOW)

        manifest_id = await handlers.create_manifest(_create(), uow.as_uow())

        created = uow.manifests.manifests[manifest_id]
        assert (created.sending_country, created.reference) == ("MX", "MX-GT-2026-000001")
        assert uow.manifests.created_by[manifest_id] == "inm.mx"
        assert uow.committed is True

    async def test_a_country_without_a_reception_point_is_refused(self):
        uow = FakeManifestUnitOfWork(INM_MX, now=NOW)

        with pytest.raises(NotAReceivingCountry):
            await handlers.create_manifest(_create(receiving_country="CR"), uow.as_uow())

        assert uow.committed is False

    async def test_an_arrival_already_past_is_refused(self):
        uow = FakeManifestUnitOfWork(INM_MX, now=NOW)
        past = _create(
            scheduled_departure=datetime(2026, 11, 28, 1, 0, tzinfo=GUATEMALA),
            scheduled_arrival=datetime(2026, 11, 28, 5, 0, tzinfo=GUATEMALA),
        )

        with pytest.raises(InvalidSchedule) as caught:
            await handlers.create_manifest(past, uow.as_uow())

        assert caught.value.rule == "arrival_in_past"


class TestWhoActs:
    async def test_a_hand_over_names_the_officer_and_the_post_of_the_caller(self, build):
        manifest = build.dispatched()
        uow = FakeManifestUnitOfWork(BORDER_TECUN, now=AT_THE_POST, manifests=[manifest])
        first = manifest.returnees[0].id
        item = HandoverItem(returnee_id=first, outcome=HandoverOutcome.RECEIVED)

        recorded = await handlers.record_handovers(
            c.RecordHandovers(manifest_id=manifest.id, items=(item,)), uow.as_uow()
        )

        handover = manifest.returnee(first).handover
        assert recorded.recorded == [True]
        assert [o.handover for o in recorded.on_record] == [handover]
        assert handover is not None
        assert (handover.officer, handover.post) == ("border.gt.tecun", "GT-TECUN-UMAN")
        assert uow.committed is True

    async def test_a_protection_need_is_recorded_by_the_caller(self, build):
        manifest = build.submitted([build.returnee(), build.returnee(given_names="Rosa")])
        uow = FakeManifestUnitOfWork(INM_MX, now=NOW, manifests=[manifest])
        first = manifest.returnees[0].id

        taken_off = await handlers.record_protection_need(
            c.RecordProtectionNeed(
                manifest_id=manifest.id, returnee_id=first, kind=ProtectionNeedKind.ASYLUM
            ),
            uow.as_uow(),
        )

        assert taken_off == (first,)
        assert [r.recorded_by for r in manifest.protection_removals] == ["inm.mx"]

    async def test_a_consular_decision_acts_for_the_consul_and_a_replay_changes_nothing(
        self, build
    ):
        manifest = build.submitted()
        returnee_id = manifest.returnees[0].id
        cmd = c.ConfirmNationality(manifest_id=manifest.id, returnee_id=returnee_id)

        first = FakeManifestUnitOfWork("consul.gt.tapachula", now=NOW, manifests=[manifest])
        again = FakeManifestUnitOfWork("consul.gt.tapachula", now=NOW, manifests=[manifest])

        assert await handlers.confirm_nationality(cmd, first.as_uow()) is True
        assert await handlers.confirm_nationality(cmd, again.as_uow()) is False
        # Committed also when unchanged: a tracked unit of work commits its inbox row.
        assert (first.committed, again.committed) == (True, True)
