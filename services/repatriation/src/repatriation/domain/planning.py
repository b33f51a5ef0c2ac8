"""Where, when and under which agreement a manifest may arrive (DOMAIN.md §1).

All times are stored in UTC; every check that concerns the reception point is made in the
point's own time zone and calendar, because that is where the hand-over happens.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from repatriation.domain.errors import (
    AdvanceNoticeTooShort,
    AgreementNotInForce,
    InvalidSchedule,
    NotAReceivingCountry,
    OutsideReceptionWindow,
    SameCountry,
    UnknownReceptionPoint,
)
from repatriation.domain.reference_data import ReceptionPoint, ReferenceData


def require_aware(moment: datetime, name: str) -> None:
    """A naive time is a bug in the caller, never an answer: the API's schemas take only times
    with an offset (`AwareDatetime`: a naive one is a 422 `timezone_aware` before any of this
    runs), and the handlers hand in an aware `now`."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime")


def check_schedule(
    scheduled_departure: datetime, scheduled_arrival: datetime, *, now: datetime
) -> None:
    """The arrival after the departure, and still ahead: a past arrival cannot be planned."""
    require_aware(scheduled_departure, "scheduled_departure")
    require_aware(scheduled_arrival, "scheduled_arrival")
    if scheduled_arrival <= now:
        raise InvalidSchedule(
            "The scheduled arrival is already past: plan a future arrival.",
            rule="arrival_in_past",
            field="scheduled_arrival",
        )
    if scheduled_arrival <= scheduled_departure:
        raise InvalidSchedule(
            "The scheduled arrival must be after the scheduled departure.",
            rule="arrival_before_departure",
            field="scheduled_arrival",
        )


def check_receiving_country(
    reference_data: ReferenceData, *, sending_country: str, receiving_country: str
) -> None:
    """Another country must have an official reception point (of any date: which one is in
    service on the arrival date is `resolve_reception_point`'s) to receive anyone."""
    if receiving_country == sending_country:
        return  # SameCountry says it (check_countries)
    if not any(p.country == receiving_country for p in reference_data.reception_points):
        raise NotAReceivingCountry(receiving_country)


def check_countries(sending_country: str, receiving_country: str) -> None:
    if sending_country == receiving_country:
        raise SameCountry()


def resolve_reception_point(
    reference_data: ReferenceData,
    code: str,
    *,
    receiving_country: str,
    scheduled_arrival: datetime,
) -> ReceptionPoint:
    """The version of the reception point in service on the arrival date, in that country."""
    versions = reference_data.reception_point_versions(code)
    if not versions:
        raise UnknownReceptionPoint(
            "Unknown reception point: use a code from GET /v1/reception-points.",
            rule="unknown_reception_point",
        )
    if all(v.country != receiving_country for v in versions):
        raise UnknownReceptionPoint(
            f"Reception point {code} is not in the receiving country {receiving_country}: "
            "choose one of that country's official reception points.",
            rule="reception_point_not_in_receiving_country",
        )
    point = reference_data.reception_point(code, scheduled_arrival)
    if point is None or point.country != receiving_country:
        raise UnknownReceptionPoint(
            f"Reception point {code} is not in service on the arrival date: choose another "
            "point or date.",
            rule="reception_point_not_in_service",
        )
    return point


def check_agreements(
    reference_data: ReferenceData,
    *,
    sending_country: str,
    receiving_country: str,
    arrival_date: date,
) -> None:
    """Both parties' adherence must be in force on the arrival date: the receiving country's
    (DOMAIN.md) and, since a return under the Memorandum takes two parties, the sender's."""
    for country, field in (
        (receiving_country, "receiving_country"),
        (sending_country, "sending_country"),
    ):
        if not reference_data.agreement_in_force(country, arrival_date):
            raise AgreementNotInForce(country, arrival_date.isoformat(), field=field)


def check_reception_window(
    point: ReceptionPoint, scheduled_arrival: datetime, *, vulnerable_aboard: bool
) -> None:
    """The arrival must fall inside the point's window, in its local time; the stricter window
    applies as soon as one returnee is vulnerable (daylight hand-over of vulnerable people)."""
    window = point.vulnerable_window if vulnerable_aboard else point.window
    local = point.local(scheduled_arrival)
    if window.admits(local):
        return
    which = (
        "its window for manifests carrying vulnerable people"
        if vulnerable_aboard
        else "its reception window"
    )
    raise OutsideReceptionWindow(
        f"The scheduled arrival ({local:%a %Y-%m-%d %H:%M} local time at {point.code}) is "
        f"outside {which}, {window.describe()} ({point.time_zone}): choose an arrival inside it.",
    )


def check_advance_notice(
    reference_data: ReferenceData,
    *,
    receiving_country: str,
    scheduled_arrival: datetime,
    now: datetime,
    late_notice_reason: str | None,
) -> bool:
    """Whether the submission is late (and allowed because a reason is given).

    Submitting exactly the lead time before arrival is on time. A late submission is allowed
    only with an override reason, and is then flagged (the event and the manifest say so).
    An arrival that is already past cannot be notified at all, reason or not.
    """
    if scheduled_arrival <= now:
        raise InvalidSchedule(
            "The scheduled arrival is already past: create a new manifest with a future arrival.",
            rule="arrival_in_past",
            field="scheduled_arrival",
        )
    lead_time = reference_data.advance_notice(receiving_country)
    notice = scheduled_arrival - now
    if notice >= lead_time:
        return False
    if late_notice_reason is None:
        raise AdvanceNoticeTooShort(
            f"{receiving_country} requires {_hours(lead_time)} h notice before the scheduled "
            f"arrival and only {_hours(notice)} h remain: give a late_notice_reason to submit "
            "anyway (the submission is flagged as late) or move the arrival.",
        )
    return True


def _hours(span: timedelta) -> str:
    return f"{span.total_seconds() / 3600:.1f}".removesuffix(".0")
