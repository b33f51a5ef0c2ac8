"""From a trigger (a command) to the notifications and verification requests it causes.

Each function validates the trigger, then opens one aggregate per nationality concerned;
`Notification.open` applies the rules of DOMAIN.md §4 to each. Handlers add what these return to
their repository; a suppressed notification is recorded like any other.

Ids are made by the caller (`new_id`), which owns the id scheme (UUIDv7 in `puebla.ids`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from uuid import UUID

from consular.domain.commands import (
    NotifyChildCase,
    NotifyFundReturn,
    NotifyRepatriation,
    NotifyRepatriationCancelled,
    ReportNotification,
    RequestVerification,
)
from consular.domain.errors import (
    InvalidInput,
    NotHostImmigrationOfficer,
    NotReportable,
    OnlyForDetention,
    PersonWishRequired,
)
from consular.domain.notification import ManifestSummary, Notification
from consular.domain.reference import ReferenceData
from consular.domain.rules import REPORTABLE_KINDS, NotificationKind
from consular.domain.values import Actor, Place, Related, country_code
from consular.domain.verification import NationalityVerification

REPATRIATION = "repatriation"
CHILD_PROTECTION = "child_protection"
RESERVE_FUND = "reserve_fund"


# --- keys that make event-driven notifications replay-safe ------------------------------


def repatriation_notice_key(manifest_id: str, manifest_version: int) -> str:
    # Each submission and each amendment is its own notice; a replay of either is not.
    return f"{REPATRIATION}:{manifest_id}:notice:v{manifest_version}"


def repatriation_cancellation_key(manifest_id: str) -> str:
    return f"{REPATRIATION}:{manifest_id}:cancellation"


def child_case_key(case_id: str, nationality: str) -> str:
    return f"{child_case_prefix(case_id)}{nationality}"


def child_case_prefix(case_id: str) -> str:
    """What every nationality's `child_case_key` of one case starts with."""
    return f"{CHILD_PROTECTION}:{case_id}:child_case:"


def fund_return_key(application_id: str) -> str:
    return f"{RESERVE_FUND}:{application_id}:approved"


def known_at(at: datetime, now: datetime) -> datetime:
    """When another service says its trigger happened, never later than now here: a producer
    whose clock runs ahead must not get its notice refused (lost) as "in the future"; the
    clock then starts when this service learns of it."""
    return min(at, now)


# --- host authority reports -------------------------------------------------------------


def notify_on_report(
    cmd: ReportNotification,
    reporter: Actor,
    reference: ReferenceData,
    new_id: Callable[[], UUID],
    now: datetime,
) -> list[Notification]:
    """One notification per nationality of the person, in the order given.

    Only an immigration officer of the host country (the country of the place) reports. A
    nationality with no post in the host country is never a refusal to the reporting officer:
    its notification is kept `unroutable` and routed when the directory has a post.
    """
    host = country_code(cmd.place.country, "place.country")
    if not reporter.is_immigration_officer_of(host):
        raise NotHostImmigrationOfficer(
            f"only an immigration officer of {host} reports what happened in {host}"
        )
    if cmd.kind not in REPORTABLE_KINDS:
        raise NotReportable(f"{cmd.kind} notifications come from other services, not reports")
    nationalities = _nationalities(cmd.nationalities, "person.nationality")
    if cmd.kind is NotificationKind.DETENTION:
        if cmd.person_requests_notification is None:
            raise PersonWishRequired("say whether the detained person asked for notification")
    else:
        if cmd.person_requests_notification is not None:
            raise OnlyForDetention(
                "only a detained person is asked", field="person_requests_notification"
            )
        if cmd.person_objects_to_consular_action:
            raise OnlyForDetention(
                "only a detained person's objection is recorded",
                field="person_objects_to_consular_action",
            )
    return [
        Notification.open(
            id=new_id(),
            kind=cmd.kind,
            nationality=nationality,
            person=cmd.person,
            place=cmd.place,
            occurred_at=cmd.occurred_at,
            related=None,
            reference=reference,
            now=now,
            protection_need=cmd.protection_need,
            holds_host_nationality=host in nationalities,
            person_requests_notification=cmd.person_requests_notification,
            person_objects_to_consular_action=bool(cmd.person_objects_to_consular_action),
        )
        for nationality in nationalities
    ]


# --- repatriation manifests -------------------------------------------------------------


def notify_on_repatriation(
    cmd: NotifyRepatriation,
    reference: ReferenceData,
    notification_id: UUID,
    now: datetime,
) -> Notification:
    """The receiving country's consulate in the sending country, for the departure place: a bus
    leaving Chiapas for Guatemala is notified to Guatemala's consulate in Tapachula. (Returnees
    with a protection need never reach a manifest; each returnee's identity goes in their own
    verification request, not in this notice.)"""
    _check_manifest_route(cmd.sending_country, cmd.receiving_country, cmd.departure)
    return Notification.open(
        id=notification_id,
        kind=NotificationKind.REPATRIATION_NOTICE,
        nationality=cmd.receiving_country,
        person=None,
        place=cmd.departure,
        occurred_at=cmd.notified_at,
        related=Related(REPATRIATION, cmd.manifest_id),
        reference=reference,
        now=now,
        protection_need=False,
        manifest=ManifestSummary(
            reference=cmd.manifest_reference,
            version=cmd.manifest_version,
            reception_point=cmd.reception_point,
            scheduled_arrival=cmd.scheduled_arrival,
            returnee_count=cmd.returnee_count,
        ),
        source_key=repatriation_notice_key(cmd.manifest_id, cmd.manifest_version),
    )


def notify_on_repatriation_cancelled(
    cmd: NotifyRepatriationCancelled,
    reference: ReferenceData,
    notification_id: UUID,
    now: datetime,
) -> Notification:
    """A notification of its own kind (`repatriation_cancellation`), routed like the notice it
    cancels, with its own clocks: the consulate must learn the bus is not coming."""
    _check_manifest_route(cmd.sending_country, cmd.receiving_country, cmd.departure)
    return Notification.open(
        id=notification_id,
        kind=NotificationKind.REPATRIATION_CANCELLATION,
        nationality=cmd.receiving_country,
        person=None,
        place=cmd.departure,
        occurred_at=cmd.cancelled_at,
        related=Related(REPATRIATION, cmd.manifest_id),
        reference=reference,
        now=now,
        protection_need=False,
        manifest=ManifestSummary(
            reference=cmd.manifest_reference,
            version=cmd.manifest_version,
            reception_point=cmd.reception_point,
            scheduled_arrival=None,
            returnee_count=0,
        ),
        source_key=repatriation_cancellation_key(cmd.manifest_id),
    )


def _check_manifest_route(sending: str, receiving: str, departure: Place) -> None:
    sending = country_code(sending, "sending_country")
    receiving = country_code(receiving, "receiving_country")
    if sending == receiving:
        raise InvalidInput(
            "a manifest crosses a border", rule="same_country", field="receiving_country"
        )
    if departure.country != sending:
        raise InvalidInput(
            "the bus leaves from the sending country", rule="departure_country", field="departure"
        )


# --- unaccompanied children -------------------------------------------------------------


def notify_on_child_case(
    cmd: NotifyChildCase,
    reference: ReferenceData,
    new_id: Callable[[], UUID],
    now: datetime,
) -> list[Notification]:
    """One `child_case` notification per nationality of the child; suppressed while the case
    is blocked for the consulate (released later by `Notification.release`)."""
    nationalities = _nationalities(cmd.nationalities, "child.nationality")
    host = country_code(cmd.place.country, "place.country")
    return [
        Notification.open(
            id=new_id(),
            kind=NotificationKind.CHILD_CASE,
            nationality=nationality,
            person=cmd.child,
            place=cmd.place,
            occurred_at=cmd.opened_at,
            related=Related(CHILD_PROTECTION, cmd.case_id),
            reference=reference,
            now=now,
            protection_need=cmd.protection_need,
            holds_host_nationality=host in nationalities,
            consular_contact_blocked=cmd.blocked_for_consulate,
            source_key=child_case_key(cmd.case_id, nationality),
        )
        for nationality in nationalities
    ]


# --- Reserve Fund returns ---------------------------------------------------------------


def notify_on_fund_approval(
    cmd: NotifyFundReturn,
    reference: ReferenceData,
    notification_id: UUID,
    now: datetime,
) -> Notification:
    """One `reserve_fund_return` notice to the beneficiary's post in the host country; always
    sent (IOM's approval means the person asked to return), unless the person is a national of
    the host country. A child's notice names the child's case (`child_case_id`)."""
    notice = Notification.open(
        id=notification_id,
        kind=NotificationKind.RESERVE_FUND_RETURN,
        nationality=cmd.nationality,
        person=cmd.beneficiary,
        place=cmd.place,
        occurred_at=cmd.approved_at,
        related=Related(RESERVE_FUND, cmd.application_id),
        reference=reference,
        now=now,
        protection_need=False,
        source_key=fund_return_key(cmd.application_id),
    )
    notice.child_case_id = cmd.child_case_id
    return notice


# --- nationality verification -----------------------------------------------------------


def request_verification(
    cmd: RequestVerification, verification_id: UUID
) -> NationalityVerification:
    return NationalityVerification.request(
        id=verification_id,
        person=cmd.person,
        claimed_nationality=cmd.claimed_nationality,
        host_country=cmd.host_country,
        related=cmd.related,
        requested_at=cmd.requested_at,
        protection_need=cmd.protection_need,
    )


def _nationalities(values: tuple[str, ...], field: str) -> tuple[str, ...]:
    if not values:
        raise InvalidInput("at least one nationality", rule="nationality_required", field=field)
    codes = tuple(country_code(v, field) for v in values)
    if len(set(codes)) != len(codes):
        raise InvalidInput("each nationality once", rule="duplicate_nationality", field=field)
    return codes
