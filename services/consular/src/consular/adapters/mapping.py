"""Rows and JSON columns ↔ domain values: the explicit mapping the repositories and the read
side share (no ORM classes; the tables are `orm.py`'s Core tables)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from consular.domain.directory import ConsularPost, PostKind
from consular.domain.model import (
    ConsularAction,
    Delivery,
    ManifestSummary,
    NationalityVerification,
    Notification,
)
from consular.domain.rules import NotificationKind, SuppressionReason
from consular.domain.states import (
    Channel,
    ConsularActionKind,
    DeliveryStatus,
    NotificationStatus,
    VerificationStatus,
    WithdrawalReason,
)
from consular.domain.values import Person, Place, Related, Sex

# --- value mapping ----------------------------------------------------------------------------


def person_to_json(person: Person) -> dict[str, Any]:
    return {
        "given_names": person.given_names,
        "surnames": person.surnames,
        "sex": person.sex.value,
        "date_of_birth": person.date_of_birth.isoformat() if person.date_of_birth else None,
        "estimated_age": person.estimated_age,
    }


def person_from_json(data: dict[str, Any]) -> Person:
    born = data.get("date_of_birth")
    return Person(
        given_names=data["given_names"],
        surnames=data["surnames"],
        sex=Sex(data["sex"]),
        date_of_birth=date.fromisoformat(born) if born else None,
        estimated_age=data.get("estimated_age"),
    )


def _place_to_json(place: Place) -> dict[str, Any]:
    return {"country": place.country, "state": place.state, "city": place.city}


def _manifest_to_json(manifest: ManifestSummary) -> dict[str, Any]:
    arrival = manifest.scheduled_arrival
    return {
        "reference": manifest.reference,
        "version": manifest.version,
        "reception_point": manifest.reception_point,
        "scheduled_arrival": arrival.isoformat() if arrival else None,
        "returnee_count": manifest.returnee_count,
        "returnee_ids": (
            sorted(manifest.returnee_ids) if manifest.returnee_ids is not None else None
        ),
    }


def _manifest_from_json(data: dict[str, Any]) -> ManifestSummary:
    arrival = data.get("scheduled_arrival")
    ids = data.get("returnee_ids")
    return ManifestSummary(
        reference=data["reference"],
        version=data["version"],
        reception_point=data["reception_point"],
        scheduled_arrival=datetime.fromisoformat(arrival) if arrival else None,
        returnee_count=data["returnee_count"],
        returnee_ids=frozenset(ids) if ids is not None else None,
    )


def _actions_to_json(actions: Iterable[ConsularAction]) -> list[dict[str, Any]]:
    return [
        {
            "kind": a.kind.value,
            "by": a.by,
            "at": a.at.isoformat(),
            "recorded_at": a.recorded_at.isoformat(),
            "notes": a.notes,
        }
        for a in actions
    ]


def _actions_from_json(data: list[dict[str, Any]]) -> tuple[ConsularAction, ...]:
    return tuple(
        ConsularAction(
            ConsularActionKind(a["kind"]),
            a["by"],
            datetime.fromisoformat(a["at"]),
            datetime.fromisoformat(a["recorded_at"]),
            a["notes"],
        )
        for a in data
    )


def _related(service: str | None, id_: str | None, returnee: str | None) -> Related | None:
    if service is None or id_ is None:
        return None
    return Related(service, id_, returnee)


def notification_row(n: Notification) -> dict[str, Any]:
    related = n.related
    return {
        "id": n.id,
        "kind": n.kind.value,
        "nationality": n.nationality,
        "host_country": n.host_country,
        "person": person_to_json(n.person) if n.person else None,
        "place": _place_to_json(n.place),
        "occurred_at": n.occurred_at,
        "related_service": related.service if related else None,
        "related_id": related.id if related else None,
        "related_returnee_id": related.returnee_id if related else None,
        "source_key": n.source_key,
        "status": n.status.value,
        "suppression_reason": n.suppression_reason.value if n.suppression_reason else None,
        "consular_post": n.consular_post,
        "recipient_email": n.recipient_email,
        "time_zone": n.time_zone,
        "person_requests_notification": n.person_requests_notification,
        "person_objects_to_consular_action": n.person_objects_to_consular_action,
        "mandatory": n.mandatory,
        "manifest": _manifest_to_json(n.manifest) if n.manifest else None,
        "child_case_id": n.child_case_id,
        "created_at": n.created_at,
        "due_at": n.due_at,
        "ack_due_at": n.ack_due_at,
        "sent_at": n.sent_at,
        "acknowledged_at": n.acknowledged_at,
        "acknowledged_by": n.acknowledged_by,
        "overdue": n.overdue,
        "escalated_at": n.escalated_at,
        "withdrawn_reason": n.withdrawn_reason.value if n.withdrawn_reason else None,
        "withdrawn_at": n.withdrawn_at,
        "actions": _actions_to_json(n.actions),
        "version": n.version,
    }


def notification_from_row(row: Any, deliveries: Sequence[Any]) -> Notification:
    place = row.place
    return Notification(
        id=row.id,
        kind=NotificationKind(row.kind),
        nationality=row.nationality,
        host_country=row.host_country,
        person=person_from_json(row.person) if row.person else None,
        place=Place(place["country"], place.get("state"), place.get("city")),
        occurred_at=row.occurred_at,
        related=_related(row.related_service, row.related_id, row.related_returnee_id),
        source_key=row.source_key,
        status=NotificationStatus(row.status),
        suppression_reason=(
            SuppressionReason(row.suppression_reason) if row.suppression_reason else None
        ),
        consular_post=row.consular_post,
        recipient_email=row.recipient_email,
        time_zone=row.time_zone,
        person_requests_notification=row.person_requests_notification,
        person_objects_to_consular_action=row.person_objects_to_consular_action,
        mandatory=row.mandatory,
        manifest=_manifest_from_json(row.manifest) if row.manifest else None,
        child_case_id=row.child_case_id,
        created_at=row.created_at,
        due_at=row.due_at,
        ack_due_at=row.ack_due_at,
        sent_at=row.sent_at,
        acknowledged_at=row.acknowledged_at,
        acknowledged_by=row.acknowledged_by,
        overdue=row.overdue,
        escalated_at=row.escalated_at,
        withdrawn_reason=_withdrawal_reason(row.withdrawn_reason),
        withdrawn_at=row.withdrawn_at,
        deliveries=tuple(
            Delivery(
                channel=Channel(d.channel),
                status=DeliveryStatus(d.status),
                attempts=d.attempts,
                last_error=d.last_error,
                sent_at=d.sent_at,
            )
            # The domain's channel order, whatever order the rows came in.
            for d in sorted(deliveries, key=lambda d: list(Channel).index(Channel(d.channel)))
        ),
        actions=_actions_from_json(row.actions or []),
        version=row.version,
    )


def _withdrawal_reason(value: str | None) -> WithdrawalReason | None:
    return WithdrawalReason(value) if value else None


def verification_row(v: NationalityVerification) -> dict[str, Any]:
    return {
        "id": v.id,
        "person": person_to_json(v.person),
        "claimed_nationality": v.claimed_nationality,
        "host_country": v.host_country,
        "related_service": v.related.service,
        "related_id": v.related.id,
        "related_returnee_id": v.related.returnee_id,
        "source_key": v.source_key,
        "status": v.status.value,
        "requested_at": v.requested_at,
        "decided_by": v.decided_by,
        "decided_at": v.decided_at,
        "reason": v.reason,
        "withdrawn_reason": v.withdrawn_reason.value if v.withdrawn_reason else None,
        "withdrawn_at": v.withdrawn_at,
        "version": v.version,
    }


def verification_from_row(row: Any) -> NationalityVerification:
    return NationalityVerification(
        id=row.id,
        person=person_from_json(row.person),
        claimed_nationality=row.claimed_nationality,
        host_country=row.host_country,
        related=Related(row.related_service, row.related_id, row.related_returnee_id),
        status=VerificationStatus(row.status),
        requested_at=row.requested_at,
        decided_by=row.decided_by,
        decided_at=row.decided_at,
        reason=row.reason,
        withdrawn_reason=_withdrawal_reason(row.withdrawn_reason),
        withdrawn_at=row.withdrawn_at,
        version=row.version,
    )


def post_from_row(row: Any) -> ConsularPost:
    return ConsularPost(
        code=row.code,
        country=row.country,
        kind=PostKind(row.kind),
        city=row.city,
        host_country=row.host_country,
        jurisdiction=frozenset(row.jurisdiction),
        email=row.email,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        placeholder=row.placeholder,
    )


def as_timedelta(value: Any) -> timedelta:
    if isinstance(value, timedelta):
        return value
    raise TypeError(f"interval expected, got {value!r}")
