"""One handler per command: open the unit of work, decide who is asking, lock the manifest,
call the aggregate, commit. Events and audit entries are written by the commit.

API handlers take the caller's `Principal` and decide access from it in POLICY's order: on the
manifest's scope read without a lock, 404 for a manifest the caller may not read, then 403 for
an action it may not take — and only then lock the row (`FOR UPDATE`), so a caller who may not
see a manifest never takes or waits for its lock. The decision is made again on the locked
aggregate (inside the transaction) before the domain decides state (409) and input (422). The
consular-decision handlers are driven by events and take the deciding officer's name for the
audit trail instead.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from puebla.auth.policy import ensure_allowed
from puebla.auth.principal import Principal
from puebla.ids import new_id
from repatriation.domain import Manifest, Returnee, format_reference
from repatriation.domain import commands as c
from repatriation.service_layer import access
from repatriation.service_layer.access import Scoped
from repatriation.service_layer.errors import ArrivalInPast, NotAReceivingCountry, UnknownManifest
from repatriation.service_layer.unit_of_work import ManifestUnitOfWork

Decide = Callable[[Principal, Scoped], None]


async def _locked(uow: ManifestUnitOfWork, manifest_id: uuid.UUID) -> Manifest:
    manifest = await uow.manifests.get_for_update(manifest_id)
    if manifest is None:
        raise UnknownManifest(manifest_id)
    return manifest


async def _decided_then_locked(
    uow: ManifestUnitOfWork, manifest_id: uuid.UUID, actor: Principal, decide: Decide
) -> Manifest:
    """Visibility and permission decided on the unlocked scope, then the lock, then decided
    again on what the lock holds."""
    scope = await uow.manifests.scope(manifest_id)
    if scope is None:
        raise UnknownManifest(manifest_id)
    decide(actor, scope)
    manifest = await _locked(uow, manifest_id)
    decide(actor, manifest)
    return manifest


async def create_manifest(
    cmd: c.CreateManifest, uow: ManifestUnitOfWork, actor: Principal
) -> uuid.UUID:
    ensure_allowed(
        access.can_create(actor) and actor.country == cmd.sending_country,
        "Only an immigration officer creates manifests, for their own country.",
    )
    async with uow:
        now = uow.clock()
        reference_data = await uow.manifests.reference_data(now.date())
        if cmd.receiving_country != cmd.sending_country and not any(
            p.country == cmd.receiving_country for p in reference_data.reception_points
        ):
            raise NotAReceivingCountry(cmd.receiving_country)
        if cmd.scheduled_arrival.tzinfo is not None and cmd.scheduled_arrival <= now:
            raise ArrivalInPast()
        number = await uow.manifests.next_reference_number()
        manifest = Manifest.create(
            id=new_id(),
            reference=format_reference(
                cmd.sending_country, cmd.receiving_country, now.year, number
            ),
            sending_country=cmd.sending_country,
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
        uow.manifests.add(manifest, created_by=actor.username)
        uow.actor = actor.username
        await uow.commit()
        return manifest.id


async def add_returnee(cmd: c.AddReturnee, uow: ManifestUnitOfWork, actor: Principal) -> uuid.UUID:
    """Returns the new returnee's id."""
    async with uow:
        manifest = await _decided_then_locked(uow, cmd.manifest_id, actor, access.ensure_manageable)
        now = uow.clock()
        returnee = Returnee.from_data(new_id(), cmd.returnee)
        manifest.add_returnee(
            returnee,
            reference_data=await uow.manifests.reference_data(now.date()),
            now=now,
            late_notice_reason=cmd.late_notice_reason,
        )
        uow.actor = actor.username
        await uow.commit()
        return returnee.id


async def remove_returnee(cmd: c.RemoveReturnee, uow: ManifestUnitOfWork, actor: Principal) -> None:
    async with uow:
        manifest = await _decided_then_locked(uow, cmd.manifest_id, actor, access.ensure_manageable)
        manifest.remove_returnee(cmd.returnee_id, now=uow.clock(), reason=cmd.reason)
        uow.actor = actor.username
        await uow.commit()


async def record_protection_need(
    cmd: c.RecordProtectionNeed, uow: ManifestUnitOfWork, actor: Principal
) -> tuple[uuid.UUID, ...]:
    """Returns the ids of everyone taken off (the person and `leave_with` family)."""
    async with uow:
        manifest = await _decided_then_locked(uow, cmd.manifest_id, actor, access.ensure_manageable)
        taken_off = manifest.record_protection_need(
            cmd.returnee_id,
            kind=cmd.kind,
            note=cmd.note,
            family=cmd.family,
            officer=actor.username,
            now=uow.clock(),
        )
        uow.actor = actor.username
        await uow.commit()
        return taken_off


async def submit_manifest(cmd: c.SubmitManifest, uow: ManifestUnitOfWork, actor: Principal) -> None:
    async with uow:
        manifest = await _decided_then_locked(uow, cmd.manifest_id, actor, access.ensure_manageable)
        now = uow.clock()
        manifest.submit(
            reference_data=await uow.manifests.reference_data(now.date()),
            now=now,
            late_notice_reason=cmd.late_notice_reason,
        )
        uow.actor = actor.username
        await uow.commit()


async def dispatch_manifest(
    cmd: c.DispatchManifest, uow: ManifestUnitOfWork, actor: Principal
) -> None:
    async with uow:
        manifest = await _decided_then_locked(uow, cmd.manifest_id, actor, access.ensure_manageable)
        manifest.dispatch(now=uow.clock())
        uow.actor = actor.username
        await uow.commit()


async def cancel_manifest(cmd: c.CancelManifest, uow: ManifestUnitOfWork, actor: Principal) -> None:
    async with uow:
        manifest = await _decided_then_locked(uow, cmd.manifest_id, actor, access.ensure_manageable)
        manifest.cancel(reason=cmd.reason, now=uow.clock())
        uow.actor = actor.username
        await uow.commit()


async def record_handovers(
    cmd: c.RecordHandovers, uow: ManifestUnitOfWork, actor: Principal
) -> list[bool]:
    """Per item: True if newly recorded, False if the same outcome was already on record."""
    async with uow:
        manifest = await _decided_then_locked(uow, cmd.manifest_id, actor, access.ensure_hand_over)
        results = manifest.record_handovers(
            cmd.items, officer=cmd.officer, post=cmd.post, now=uow.clock()
        )
        uow.actor = actor.username
        await uow.commit()
        return results


# -- driven by consular events -------------------------------------------------------------


async def confirm_nationality(
    cmd: c.ConfirmNationality, uow: ManifestUnitOfWork, *, decided_by: str
) -> bool:
    """False if this returnee's nationality was already confirmed (a replay: nothing changes)."""
    async with uow:
        manifest = await _locked(uow, cmd.manifest_id)
        changed = manifest.confirm_nationality(cmd.returnee_id, now=uow.clock())
        uow.actor = decided_by
        await uow.commit()  # also when unchanged: a tracked unit of work commits its inbox row
        return changed


async def reject_nationality(
    cmd: c.RejectNationality, uow: ManifestUnitOfWork, *, decided_by: str
) -> bool:
    async with uow:
        manifest = await _locked(uow, cmd.manifest_id)
        changed = manifest.reject_nationality(cmd.returnee_id, reason=cmd.reason, now=uow.clock())
        uow.actor = decided_by
        await uow.commit()
        return changed
