"""Domain events ↔ contract events: the only module that knows both.

Outgoing: `translate(event, aggregate)` turns the domain events that leave the service into
`consular.*.v1` contract events with their access label (the host country and the person's
nationality). `NotificationSuppressed` never leaves: the person's country may not learn of it.

Incoming: `read_lenient(model, envelope)` reads another context's event with its producer's contract
model, ignoring fields added after this consumer was written (`extra="ignore"` on the consuming
side, STYLE.md "Contracts"), and the `*_trigger` functions turn each into the plain values the
service layer needs.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from pydantic import BaseModel

from consular.domain.events import (
    Event,
    NationalityConfirmed,
    NationalityRejected,
    NotificationAcknowledged,
    NotificationOverdue,
)
from consular.domain.model import NationalityVerification, Notification
from consular.domain.values import Person, Place, Related, Sex
from puebla.contracts.base import EventData
from puebla.contracts.child.v1 import (
    CaseOpenedV1,
    ChildIdentity,
    ConsularBlockClearedV1,
    ConsularBlockSetV1,
    ConsularNoticeV1,
)
from puebla.contracts.child.v1 import Place as PlaceV1
from puebla.contracts.common import PersonSummary
from puebla.contracts.common import Related as RelatedV1
from puebla.contracts.consular.v1 import (
    NationalityConfirmedV1,
    NationalityRejectedV1,
    NotificationAcknowledgedV1,
    NotificationOverdueV1,
)
from puebla.contracts.envelope import IncomingEnvelope
from puebla.contracts.fund.v1 import FundApplicationApprovedV1, FundApplicationCancelledV1
from puebla.contracts.lenient import read_lenient
from puebla.contracts.repatriation.v1 import (
    ManifestAmendedV1,
    ManifestCancelledV1,
    ManifestSubmittedV1,
    ReturneeOnManifest,
    ReturneeProtectionNeedRecordedV1,
)
from puebla.db.audit import AuditRecord, event_detail
from puebla.db.unit_of_work import OutgoingEvent, audit_action

# The aggregate types of the outbox (`aggregatetype`) and of the audit trail (`entity_type`).
NOTIFICATION = "notification"
VERIFICATION = "verification"


# --- outgoing -------------------------------------------------------------------------------


def _related_v1(related: Related | None) -> RelatedV1 | None:
    if related is None:
        return None
    return RelatedV1.model_validate(
        {"service": related.service, "id": related.id, "subject_id": related.returnee_id}
    )


def translate(
    event: Event,
    aggregate: Notification | NationalityVerification,
    label: list[str] | None = None,
) -> OutgoingEvent | None:
    """The contract events for `event`. A notification's events carry the record's own access
    label (`label`), narrowed to the host, the nationality and IOM: a Fund return is labelled
    for IOM and the nationality, not for the host."""
    if isinstance(aggregate, Notification):
        parties = {aggregate.host_country, aggregate.nationality, "IOM"}
        own = label or [aggregate.host_country, aggregate.nationality]
        access = [c for c in own if c in parties]
        if isinstance(event, NotificationAcknowledged):
            data: EventData = NotificationAcknowledgedV1(
                version=event.version,
                notification_id=event.notification_id,
                kind=event.kind.value,
                nationality=event.nationality,
                host_country=event.host_country,
                consular_post=event.consular_post,
                related=_related_v1(event.related),
                acknowledged_by=event.acknowledged_by,
                acknowledged_at=event.acknowledged_at,
            )
        elif isinstance(event, NotificationOverdue):
            data = NotificationOverdueV1(
                version=event.version,
                notification_id=event.notification_id,
                kind=event.kind.value,
                nationality=event.nationality,
                host_country=event.host_country,
                consular_post=event.consular_post,
                related=_related_v1(event.related),
                overdue=event.missed.value,
                due_at=event.due_at,
            )
        else:
            return None
        return OutgoingEvent(
            event_type=type(data).event_type,
            aggregate_type=NOTIFICATION,
            aggregate_id=str(aggregate.id),
            data=data,
            access=access,
        )
    access = [aggregate.host_country, aggregate.claimed_nationality]
    if isinstance(event, NationalityConfirmed):
        data = NationalityConfirmedV1(
            version=event.version,
            verification_id=event.verification_id,
            related=_required(_related_v1(event.related)),
            claimed_nationality=event.claimed_nationality,
            decided_by=event.decided_by,
            decided_at=event.decided_at,
            reason=event.reason,
        )
    elif isinstance(event, NationalityRejected):
        data = NationalityRejectedV1(
            version=event.version,
            verification_id=event.verification_id,
            related=_required(_related_v1(event.related)),
            claimed_nationality=event.claimed_nationality,
            decided_by=event.decided_by,
            decided_at=event.decided_at,
            reason=event.reason,
        )
    else:
        return None
    return OutgoingEvent(
        event_type=type(data).event_type,
        aggregate_type=VERIFICATION,
        aggregate_id=str(aggregate.id),
        data=data,
        access=access,
    )


def audit_record(
    aggregate: Notification | NationalityVerification, event: Event, actor: str
) -> AuditRecord:
    """The audit entry of a domain event, e.g. `notification.acknowledged`,
    `notification.consular_action_recorded`, `verification.nationality_confirmed`. Domain
    events carry ids, states and times, no personal data: the whole event is the detail."""
    entity = NOTIFICATION if isinstance(aggregate, Notification) else VERIFICATION
    return AuditRecord(
        actor,
        audit_action(entity, event),
        entity,
        str(aggregate.id),
        event_detail(event),
    )


def _required(related: RelatedV1 | None) -> RelatedV1:
    if related is None:  # a verification is always about a record elsewhere
        raise ValueError("a verification decision names the record it is about")
    return related


# --- incoming: what the service layer gets ------------------------------------------------------


@dataclass(frozen=True)
class PersonClaim:
    """A person on another service's record and the nationality claimed for them."""

    subject_id: str
    person: Person
    nationality: str


@dataclass(frozen=True)
class ManifestTrigger:
    """A submitted or amended manifest: `returnees` are the people to verify (all of a
    submission, the added of an amendment), `removed` the people an amendment took off,
    `returnee_ids` everyone on it when the event says so (a submission)."""

    manifest_id: str
    reference: str
    version: int
    sending_country: str
    receiving_country: str
    reception_point: str
    scheduled_arrival: datetime
    returnee_count: int
    returnees: tuple[PersonClaim, ...]
    at: datetime  # when it was submitted or amended: the notice's clock starts here
    access: tuple[str, ...]
    removed: tuple[str, ...] = ()
    returnee_ids: frozenset[str] | None = None


@dataclass(frozen=True)
class ManifestCancellation:
    manifest_id: str
    reference: str
    version: int
    sending_country: str
    receiving_country: str
    reception_point: str
    previous_status: str
    at: datetime
    access: tuple[str, ...]


def person_from_contract(summary: PersonSummary) -> Person:
    return Person(
        given_names=summary.given_names,
        surnames=summary.surnames,
        sex=Sex(summary.sex),
        date_of_birth=summary.date_of_birth,
    )


def _claims(returnees: list[ReturneeOnManifest]) -> tuple[PersonClaim, ...]:
    return tuple(
        PersonClaim(
            subject_id=str(r.returnee_id),
            person=person_from_contract(r.person),
            nationality=r.person.nationality,
        )
        for r in returnees
    )


def manifest_submitted(envelope: IncomingEnvelope) -> ManifestTrigger:
    data = read_lenient(ManifestSubmittedV1, envelope)
    trigger = _trigger(data, envelope, len(data.returnees), data.returnees)
    return replace(trigger, returnee_ids=frozenset(str(r.returnee_id) for r in data.returnees))


def manifest_amended(envelope: IncomingEnvelope) -> ManifestTrigger:
    """An amendment asks verification only for the people it added, and withdraws the
    requests of the people it removed (never passing the removal reason on)."""
    data = read_lenient(ManifestAmendedV1, envelope)
    trigger = _trigger(data, envelope, data.returnee_count, data.added)
    return replace(trigger, removed=tuple(str(r) for r in data.removed))


@dataclass(frozen=True)
class ReturneesProtected:
    """People taken off a manifest for a protection need (the event is the sending
    country's alone; it carries neither the kind of need nor its note)."""

    manifest_id: str
    version: int
    sending_country: str
    returnee_ids: tuple[str, ...]
    returnee_count: int  # left on the manifest
    at: datetime
    access: tuple[str, ...]


def returnee_protection_need_recorded(envelope: IncomingEnvelope) -> ReturneesProtected:
    data = read_lenient(ReturneeProtectionNeedRecordedV1, envelope)
    return ReturneesProtected(
        manifest_id=str(data.manifest_id),
        version=data.version,
        sending_country=data.sending_country,
        returnee_ids=tuple(str(r) for r in data.returnee_ids),
        returnee_count=data.returnee_count,
        at=data.recorded_at,
        access=tuple(envelope.access),
    )


def _trigger(
    data: ManifestSubmittedV1 | ManifestAmendedV1,
    envelope: IncomingEnvelope,
    returnee_count: int,
    to_verify: list[ReturneeOnManifest],
) -> ManifestTrigger:
    return ManifestTrigger(
        manifest_id=str(data.manifest_id),
        reference=data.reference,
        version=data.version,
        sending_country=data.sending_country,
        receiving_country=data.receiving_country,
        reception_point=data.reception_point,
        scheduled_arrival=data.scheduled_arrival,
        returnee_count=returnee_count,
        returnees=_claims(to_verify),
        at=envelope.time,
        access=tuple(envelope.access),
    )


def manifest_cancelled(envelope: IncomingEnvelope) -> ManifestCancellation:
    data = read_lenient(ManifestCancelledV1, envelope)
    return ManifestCancellation(
        manifest_id=str(data.manifest_id),
        reference=data.reference,
        version=data.version,
        sending_country=data.sending_country,
        receiving_country=data.receiving_country,
        reception_point=data.reception_point,
        previous_status=data.previous_status,
        at=envelope.time,
        access=tuple(envelope.access),
    )


@dataclass(frozen=True)
class ChildCaseTrigger:
    """A child case opened (`cleared=False`) or its consular block cleared (`cleared=True`):
    `notify` says whether the child's consulate may be told now. `child` is who the child is,
    told only by `child.case.consular_notice.v1` (the consulate is entitled to it); None when
    the event says only that the case exists or was cleared — `place` is then the host country
    alone."""

    case_id: str
    child: Person | None
    nationality: str
    place: Place
    at: datetime  # opened, or cleared: the notice's clock starts here
    notify: bool
    cleared: bool
    access: tuple[str, ...]
    version: int = 1  # the case's version after the change: orders blocks and clearings


def _child(identity: ChildIdentity) -> Person:
    return Person(
        given_names=identity.given_names,
        surnames=identity.surnames,
        sex=Sex(identity.sex),
        date_of_birth=identity.date_of_birth,
        estimated_age=identity.estimated_age,
    )


class _EarlierIdentity(BaseModel):
    """The child's identity as `child.case.opened.v1` and `child.case.consular_block_cleared.v1`
    carried it before it moved to `child.case.consular_notice.v1`: read, while a producer of
    that time may still be publishing (a rolling deployment), so that no notice is lost; the
    events of today's producer have none."""

    child: ChildIdentity
    place: PlaceV1


def _identity(envelope: IncomingEnvelope, host: str) -> tuple[Person | None, Place]:
    if "child" not in envelope.data:
        return None, Place(host)
    earlier = read_lenient(_EarlierIdentity, envelope)
    place = earlier.place
    return _child(earlier.child), Place(place.country, place.state, place.city)


def child_case_opened(envelope: IncomingEnvelope) -> ChildCaseTrigger:
    """That a case exists, and whether its consulate may be told; a blocked case's opening
    holds its notice back."""
    data = read_lenient(CaseOpenedV1, envelope)
    child, place = _identity(envelope, data.host_country)
    return ChildCaseTrigger(
        case_id=str(data.case_id),
        child=child,
        nationality=data.nationality,
        place=place,
        at=data.opened_at,
        notify=data.notify_consulate,
        cleared=False,
        access=tuple(envelope.access),
        version=data.version,
    )


def child_consular_block_cleared(envelope: IncomingEnvelope) -> ChildCaseTrigger:
    data = read_lenient(ConsularBlockClearedV1, envelope)
    child, place = _identity(envelope, data.host_country)
    return ChildCaseTrigger(
        case_id=str(data.case_id),
        child=child,
        nationality=data.nationality,
        place=place,
        at=data.cleared_at,
        notify=data.notify_consulate,
        cleared=True,
        access=tuple(envelope.access),
        version=data.version,
    )


def child_consular_notice(envelope: IncomingEnvelope) -> ChildCaseTrigger:
    """`child.case.consular_notice.v1`: the consulate may be told now, and of whom."""
    data = read_lenient(ConsularNoticeV1, envelope)
    return ChildCaseTrigger(
        case_id=str(data.case_id),
        child=_child(data.child),
        nationality=data.nationality,
        place=Place(data.place.country, data.place.state, data.place.city),
        at=data.allowed_at,
        notify=True,
        cleared=data.occasion == "block_cleared",
        access=tuple(envelope.access),
        version=data.version,
    )


@dataclass(frozen=True)
class ChildCaseBlock:
    """`child.case.consular_block_set.v1`: the child's consulate must no longer see the case."""

    case_id: str
    host_country: str
    nationality: str
    version: int
    at: datetime
    access: tuple[str, ...]


def child_consular_block_set(envelope: IncomingEnvelope) -> ChildCaseBlock:
    data = read_lenient(ConsularBlockSetV1, envelope)
    return ChildCaseBlock(
        case_id=str(data.case_id),
        host_country=data.host_country,
        nationality=data.nationality,
        version=data.version,
        at=data.blocked_at,
        access=tuple(envelope.access),
    )


@dataclass(frozen=True)
class FundReturnTrigger:
    application_id: str
    beneficiary: Person
    nationality: str
    current_country: str
    approved_at: datetime
    access: tuple[str, ...]
    child_case_id: str | None = None  # the beneficiary is a child with a case


def fund_application_approved(envelope: IncomingEnvelope) -> FundReturnTrigger:
    data = read_lenient(FundApplicationApprovedV1, envelope)
    b = data.beneficiary
    return FundReturnTrigger(
        application_id=str(data.application_id),
        beneficiary=Person(
            given_names=b.given_names,
            surnames=b.surnames,
            sex=Sex(b.sex),
            date_of_birth=b.date_of_birth,
        ),
        nationality=b.nationality,
        current_country=data.current_country,
        approved_at=data.approved_at,
        access=tuple(envelope.access),
        child_case_id=str(data.child_case_id) if data.child_case_id else None,
    )


@dataclass(frozen=True)
class FundReturnCancellation:
    application_id: str
    version: int
    at: datetime


def fund_application_cancelled(envelope: IncomingEnvelope) -> FundReturnCancellation:
    data = read_lenient(FundApplicationCancelledV1, envelope)
    return FundReturnCancellation(
        application_id=str(data.application_id), version=data.version, at=data.cancelled_at
    )
