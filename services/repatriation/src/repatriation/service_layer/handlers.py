"""One handler per command: open the unit of work, decide who is asking, lock the manifest,
call the aggregate, commit. Events and audit entries are written by the commit.

Who acts is the unit of work's: `uow.principal` (the verified caller, given once when the router
makes it: `Repatriation.uow(actor=caller)`) for the API's handlers, who decide access from it in
POLICY's order — on the manifest's scope read without a lock, 404 for a manifest the caller may
not read, then 403 for an action it may not take — and only then lock the row (`FOR UPDATE`),
so a caller who may not see a manifest never takes or waits for its lock. The decision is made
again on the locked aggregate (inside the transaction) before the domain decides state (409)
and input (422). The consular-decision handlers are driven by events: their unit of work acts
for the consul who decided (`uow.actor_name`, what the audit trail names).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass

from puebla.auth.principal import Principal
from puebla.ids import new_id
from repatriation.domain import (
    HandoverTotals,
    Manifest,
    ManifestStatus,
    OnRecord,
    Returnee,
    format_reference,
)
from repatriation.domain import commands as c
from repatriation.service_layer import access, queries
from repatriation.service_layer.access import Scoped
from repatriation.service_layer.errors import UnknownManifest
from repatriation.service_layer.unit_of_work import ManifestUnitOfWork
from repatriation.service_layer.views import HandoverRecordView

Decide = Callable[[Principal, Scoped], None]
RecordDigest = Callable[[HandoverRecordView], str]  # the record's digest (its canonical form)


async def _locked(
    uow: ManifestUnitOfWork,
    manifest_id: uuid.UUID,
    *,
    handing_over: Collection[uuid.UUID] | None = None,
) -> Manifest:
    """The manifest, locked: whole, or for a hand-over holding only the returnees it names."""
    if handing_over is None:
        manifest = await uow.manifests.get_for_update(manifest_id)
    else:
        manifest = await uow.manifests.get_for_handover(manifest_id, handing_over)
    if manifest is None:
        raise UnknownManifest(manifest_id)
    return manifest


async def _decided_then_locked(
    uow: ManifestUnitOfWork,
    manifest_id: uuid.UUID,
    decide: Decide,
    *,
    handing_over: Collection[uuid.UUID] | None = None,
) -> Manifest:
    """Visibility and permission decided on the unlocked scope, then the lock, then decided
    again on what the lock holds."""
    scope = await uow.manifests.scope(manifest_id)
    if scope is None:
        raise UnknownManifest(manifest_id)
    decide(uow.principal, scope)
    manifest = await _locked(uow, manifest_id, handing_over=handing_over)
    decide(uow.principal, manifest)
    return manifest


async def create_manifest(cmd: c.CreateManifest, uow: ManifestUnitOfWork) -> uuid.UUID:
    """A draft sent from the caller's own country (the token's)."""
    caller = uow.principal
    access.ensure_may_create(caller)
    sending_country = caller.country
    assert sending_country is not None  # ensure_may_create: an officer of a country
    async with uow:
        now = uow.clock()
        reference_data = await uow.manifests.reference_data(now.date())
        number = await uow.manifests.next_reference_number()
        manifest = Manifest.create(
            id=new_id(),
            reference=format_reference(sending_country, cmd.receiving_country, now.year, number),
            sending_country=sending_country,
            receiving_country=cmd.receiving_country,
            reception_point=cmd.reception_point,
            scheduled_departure=cmd.scheduled_departure,
            scheduled_arrival=cmd.scheduled_arrival,
            vehicle=cmd.vehicle,
            returnees=[Returnee.from_data(new_id(), data) for data in cmd.returnees],
            reference_data=reference_data,
            now=now,
            late_notice_reason=cmd.late_notice_reason,
        )
        uow.manifests.add(manifest, created_by=uow.actor_name)
        await uow.commit()
        return manifest.id


async def add_returnee(cmd: c.AddReturnee, uow: ManifestUnitOfWork) -> uuid.UUID:
    """Returns the new returnee's id."""
    async with uow:
        manifest = await _decided_then_locked(uow, cmd.manifest_id, access.ensure_manageable)
        now = uow.clock()
        returnee = Returnee.from_data(new_id(), cmd.returnee)
        manifest.add_returnee(
            returnee,
            reference_data=await uow.manifests.reference_data(now.date()),
            now=now,
            late_notice_reason=cmd.late_notice_reason,
        )
        await uow.commit()
        return returnee.id


async def remove_returnee(cmd: c.RemoveReturnee, uow: ManifestUnitOfWork) -> None:
    async with uow:
        manifest = await _decided_then_locked(uow, cmd.manifest_id, access.ensure_manageable)
        manifest.remove_returnee(cmd.returnee_id, now=uow.clock(), reason=cmd.reason)
        await uow.commit()


async def record_protection_need(
    cmd: c.RecordProtectionNeed, uow: ManifestUnitOfWork
) -> tuple[uuid.UUID, ...]:
    """Returns the ids of everyone taken off (the person and `leave_with` family)."""
    async with uow:
        manifest = await _decided_then_locked(uow, cmd.manifest_id, access.ensure_manageable)
        taken_off = manifest.record_protection_need(
            cmd.returnee_id,
            kind=cmd.kind,
            note=cmd.note,
            family=cmd.family,
            officer=uow.actor_name,
            now=uow.clock(),
        )
        await uow.commit()
        return taken_off


async def submit_manifest(cmd: c.SubmitManifest, uow: ManifestUnitOfWork) -> None:
    async with uow:
        manifest = await _decided_then_locked(uow, cmd.manifest_id, access.ensure_manageable)
        now = uow.clock()
        manifest.submit(
            reference_data=await uow.manifests.reference_data(now.date()),
            now=now,
            late_notice_reason=cmd.late_notice_reason,
        )
        await uow.commit()


async def dispatch_manifest(cmd: c.DispatchManifest, uow: ManifestUnitOfWork) -> None:
    async with uow:
        manifest = await _decided_then_locked(uow, cmd.manifest_id, access.ensure_manageable)
        manifest.dispatch(now=uow.clock())
        await uow.commit()


async def cancel_manifest(cmd: c.CancelManifest, uow: ManifestUnitOfWork) -> None:
    async with uow:
        manifest = await _decided_then_locked(uow, cmd.manifest_id, access.ensure_manageable)
        manifest.cancel(reason=cmd.reason, now=uow.clock())
        await uow.commit()


@dataclass(frozen=True)
class HandoversRecorded:
    """A hand-over request's answer, from the aggregate it changed (no second read): per item,
    whether it was recorded now and what the record holds for it; the manifest's status,
    version and totals after it."""

    recorded: list[bool]
    on_record: list[OnRecord]
    status: ManifestStatus
    version: int
    totals: HandoverTotals


async def record_handovers(cmd: c.RecordHandovers, uow: ManifestUnitOfWork) -> HandoversRecorded:
    """Per item: True if newly recorded, False if the same outcome was already on record. The
    record names the caller and their post (`ensure_hand_over`: the manifest's point)."""
    async with uow:
        named = {item.returnee_id for item in cmd.items if item.returnee_id is not None}
        manifest = await _decided_then_locked(
            uow, cmd.manifest_id, access.ensure_hand_over, handing_over=named
        )
        post = uow.principal.border_post
        assert post is not None  # ensure_hand_over: the border officer of this point
        results = manifest.record_handovers(
            cmd.items, officer=uow.actor_name, post=post, now=uow.clock(), new_id=new_id
        )
        await uow.commit()
        on_record = [manifest.on_record(item) for item in cmd.items]
        assert all(o is not None for o in on_record)  # record_handovers: all or nothing
        return HandoversRecorded(
            recorded=results,
            on_record=[o for o in on_record if o is not None],
            status=manifest.status,
            version=manifest.version,
            totals=manifest.handover_totals(),
        )


async def sign_handover_record(
    cmd: c.SignHandoverRecord, uow: ManifestUnitOfWork, digest_of: RecordDigest
) -> bool:
    """The caller signs the closed manifest's record for their side (`access.signing_side`).
    True if signed now, False if this side had signed exactly this already. The record is read
    under the manifest's lock and `digest_of` (the API's canonical form) gives its digest: what
    the caller signs must be the record as it stands, not as it was when they read it."""
    async with uow:
        manifest = await _decided_then_locked(uow, cmd.manifest_id, access.ensure_may_sign)
        side = access.signing_side(uow.principal, manifest)
        country = uow.principal.country
        assert side is not None  # ensure_may_sign
        assert country is not None
        record = await queries.handover_record_in(uow.session, uow.principal, manifest.id)
        signed = manifest.sign_handover_record(
            side=side,
            country=country,
            officer=uow.actor_name,
            digest=cmd.digest,
            objections=cmd.objections,
            current_digest=digest_of(record),
            now=uow.clock(),
        )
        await uow.commit()
        return signed


# -- driven by consular events -------------------------------------------------------------


async def confirm_nationality(cmd: c.ConfirmNationality, uow: ManifestUnitOfWork) -> bool:
    """False if this returnee's nationality was already confirmed (a replay: nothing changes)."""
    async with uow:
        manifest = await _locked(uow, cmd.manifest_id)
        changed = manifest.confirm_nationality(cmd.returnee_id, now=uow.clock())
        await uow.commit()  # also when unchanged: a tracked unit of work commits its inbox row
        return changed


async def reject_nationality(cmd: c.RejectNationality, uow: ManifestUnitOfWork) -> bool:
    async with uow:
        manifest = await _locked(uow, cmd.manifest_id)
        changed = manifest.reject_nationality(cmd.returnee_id, reason=cmd.reason, now=uow.clock())
        await uow.commit()
        return changed
