"""Domain events → contract events (`puebla.contracts.repatriation.v1`) and audit entries.

The only module of the service that knows both the domain events and the contract models.
Contracted events go to the outbox with the `access` label [sending, receiving] — except a
protection need found later, labelled [sending] alone and carrying only ids and counts: the
receiving country learns nothing of those people again, nor the kind of need. Every event,
contracted or internal, becomes one audit entry. Audit details carry ids, outcomes, reasons
and counts, never a person's names or date of birth, nor the kind or note of a protection need.
"""

from __future__ import annotations

from typing import Any

from puebla.contracts.common import PersonSummary
from puebla.contracts.repatriation import v1
from puebla.db.audit import AuditRecord
from puebla.db.unit_of_work import OutgoingEvent, audit_action
from repatriation.domain import events as ev

# The outbox's `aggregatetype` and the audit actions' first word (`audit_action`).
AGGREGATE = "manifest"


def _header(e: ev.ManifestEvent) -> dict[str, Any]:
    return {
        "version": e.version,
        "manifest_id": e.manifest_id,
        "reference": e.reference,
        "sending_country": e.sending_country,
        "receiving_country": e.receiving_country,
        "reception_point": e.reception_point,
        "scheduled_arrival": e.scheduled_arrival,
    }


def _on_manifest(s: ev.ReturneeSummary) -> v1.ReturneeOnManifest:
    return v1.ReturneeOnManifest(
        returnee_id=s.id,
        person=PersonSummary(
            given_names=s.given_names,
            surnames=s.surnames,
            sex=s.sex.value,
            date_of_birth=s.date_of_birth,
            nationality=s.nationality,
        ),
    )


def contract_event(e: ev.Event) -> v1.ManifestEventV1 | None:
    """The contract model of a domain event; None for the internal ones."""
    match e:
        case ev.ManifestSubmitted():
            return v1.ManifestSubmittedV1(
                **_header(e),
                scheduled_departure=e.scheduled_departure,
                late_notice=e.late_notice,
                late_notice_reason=e.late_notice_reason,
                returnees=[_on_manifest(s) for s in e.returnees],
            )
        case ev.ManifestAmended():
            return v1.ManifestAmendedV1(
                **_header(e),
                added=[_on_manifest(s) for s in e.added],
                removed=list(e.removed),
                removal_reason=e.removal_reason,
                returnee_count=e.returnee_count,
            )
        case ev.ManifestDispatched():
            return v1.ManifestDispatchedV1(
                **_header(e), returnee_ids=list(e.returnee_ids), returnee_count=e.returnee_count
            )
        case ev.ManifestCancelled():
            return v1.ManifestCancelledV1(
                **_header(e), reason=e.reason, previous_status=e.previous_status.value
            )
        case ev.ManifestClosed():
            return v1.ManifestClosedV1(
                **_header(e),
                received=e.received,
                not_presented=e.not_presented,
                refused=e.refused,
            )
        case ev.ReturneeProtectionNeedRecorded():
            # Ids and counts only: the kind and the note stay in the sending state's record.
            return v1.ReturneeProtectionNeedRecordedV1(
                **_header(e),
                returnee_ids=list(e.returnee_ids),
                returnee_count=e.returnee_count,
                recorded_at=e.occurred_at,
            )
        case ev.ReturneeHandedOver():
            return v1.ReturneeHandedOverV1(
                **_header(e),
                returnee_id=e.returnee_id,
                outcome=e.outcome.value,
                reason=e.reason.value if e.reason else None,
                officer=e.officer,
                post=e.post,
                recorded_at=e.recorded_at,  # the post's time (the envelope's is the server's)
            )
    return None


def access(e: ev.Event) -> list[str]:
    """Who may read the event: both countries, but a protection need the sending one alone."""
    if isinstance(e, ev.ReturneeProtectionNeedRecorded):
        return [e.sending_country]
    return [e.sending_country, e.receiving_country]


def outgoing(e: ev.Event) -> OutgoingEvent | None:
    """The outbox entry of a contracted domain event, labelled by `access`."""
    data = contract_event(e)
    if data is None:
        return None
    return OutgoingEvent(
        event_type=data.event_type,
        aggregate_type=AGGREGATE,
        aggregate_id=str(e.manifest_id),
        data=data,
        access=access(e),
    )


def _audit_detail(e: ev.Event) -> dict[str, Any]:
    match e:
        case ev.ManifestDrafted():
            return {
                "receiving_country": e.receiving_country,
                "reception_point": e.reception_point,
                "returnee_count": e.returnee_count,
            }
        case ev.ManifestSubmitted():
            # A late submission is allowed only with a reason, and flagged here (DOMAIN.md §1).
            return {
                "late_notice": e.late_notice,
                "late_notice_reason": e.late_notice_reason,
                "returnee_ids": [str(s.id) for s in e.returnees],
            }
        case ev.ReturneeAdded():
            return {"returnee_id": str(e.returnee_id)}
        case ev.ReturneeRemoved():
            return {
                "returnee_id": str(e.returnee_id),
                "reason": e.reason,
            }
        case ev.ManifestAmended():
            # People added inside the notice period are flagged as a late submission is.
            return {
                "added": [str(s.id) for s in e.added],
                "removed": [str(r) for r in e.removed],
                "removal_reason": e.removal_reason,
                "returnee_count": e.returnee_count,
                "late_notice": e.late_notice,
                "late_notice_reason": e.late_notice_reason,
            }
        case ev.ReturneeProtectionNeedRecorded():
            # Who was taken off, by whom and when — not the kind of need nor the note: the
            # trail is read by the RCM's auditor, outside the sending state, and these never
            # leave it (they stay on the manifest's own record, read by the sending officer).
            return {
                "returnee_id": str(e.returnee_id),
                "returnee_ids": [str(r) for r in e.returnee_ids],
                "family": e.family.value if e.family else None,
                "returnee_count": e.returnee_count,
            }
        case ev.ManifestDispatched():
            return {"returnee_count": e.returnee_count}
        case ev.ManifestCancelled():
            return {
                "reason": e.reason,
                "previous_status": e.previous_status.value,
            }
        case ev.ManifestArrived():
            return {}
        case ev.ReturneeHandedOver():
            return {
                "returnee_id": str(e.returnee_id),
                "outcome": e.outcome.value,
                "reason": e.reason.value if e.reason else None,
                "officer": e.officer,
                "post": e.post,
                "recorded_at": e.recorded_at.isoformat(),
            }
        case ev.ManifestClosed():
            return {
                "received": e.received,
                "not_presented": e.not_presented,
                "refused": e.refused,
            }
        case ev.PersonArrivedNotListed():
            # Their names and date of birth stay in the record, as a listed person's do.
            return {
                "arrival_id": str(e.arrival_id),
                "nationality": e.nationality,
                "officer": e.officer,
                "post": e.post,
                "recorded_at": e.recorded_at.isoformat(),
            }
        case ev.HandoverRecordSigned():
            # Whose outcome is disputed, not why: the reasons are free text about people.
            return {
                "side": e.side,
                "country": e.country,
                "officer": e.officer,
                "digest": e.digest,
                "objected": [str(r) for r in e.objected],
            }
        case ev.NationalityConfirmed():
            return {"returnee_id": str(e.returnee_id)}
        case ev.NationalityRejected():
            return {
                "returnee_id": str(e.returnee_id),
                "reason": e.reason,
            }
    raise TypeError(f"no audit mapping for {type(e).__name__}")  # pragma: no cover


def audit_record(e: ev.Event, actor: str) -> AuditRecord:
    """The audit entry of a domain event, its action named by the kit's one rule
    (`audit_action`: `manifest.submitted`, `manifest.returnee_protection_need_recorded`), its
    actor whoever the unit of work acts for (`UnitOfWork.drain` hands in `actor_name`)."""
    return AuditRecord(
        actor=actor,
        action=audit_action(AGGREGATE, e),
        entity_type=AGGREGATE,
        entity_id=str(e.manifest_id),
        detail={"version": e.version, "reference": e.reference, **_audit_detail(e)},
    )
