"""A returnee: one person on a manifest, their declared data, nationality check and hand-over.

Ages are always computed from the date of birth on a given day, never stored: a person turns
18 or 60 while a manifest waits, and the rules must see the age on the day that matters.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, fields
from datetime import date, datetime
from enum import StrEnum

from repatriation.domain.errors import (
    HandoverAlreadyRecorded,
    NationalityAlreadyDecided,
    ProtectionScreenNotAnswered,
    VulnerabilityNotAnswered,
)

ADULT_AGE = 18  # DOMAIN.md §1: "A child (under 18)"
SENIOR_AGE = 60  # DOMAIN.md §1: "aged 60 or over is computed from the date of birth"


class Sex(StrEnum):
    F = "F"
    M = "M"
    X = "X"


class NationalityStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"


class HandoverOutcome(StrEnum):
    RECEIVED = "received"
    NOT_PRESENTED = "not_presented"
    REFUSED = "refused"
    # Not an outcome of a listed person: someone who arrived without being on the manifest
    # (`handover_record.UnlistedArrival`).
    ARRIVED_NOT_LISTED = "arrived_not_listed"


class RefusalReason(StrEnum):
    NOT_A_NATIONAL = "not_a_national"
    IDENTITY_MISMATCH = "identity_mismatch"
    NOT_ON_MANIFEST = "not_on_manifest"
    MEDICALLY_UNFIT = "medically_unfit"
    OUTSIDE_WINDOW = "outside_window"
    # A bus that turns back: its people are recorded `not_presented` with this reason (a
    # dispatched manifest cannot be cancelled, DOMAIN.md §1).
    RETURNED_TO_STATION = "returned_to_station"
    OTHER = "other"


def age_on(date_of_birth: date, on: date) -> int:
    """Completed years on `on`.

    Someone born on 29 February has their birthday on 1 March in common years: they stay a
    child one day longer, which errs on the protective side.
    """
    had_birthday = (on.month, on.day) >= (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - (0 if had_birthday else 1)


@dataclass(frozen=True, kw_only=True)
class IdentityDocument:
    type: str  # e.g. "passport", "national_id", "birth_certificate"
    number: str


@dataclass(frozen=True, kw_only=True)
class Vulnerabilities:
    """The four flags that must each be answered true or false (no defaults, on purpose:
    an unanswered flag must not silently read as "not vulnerable")."""

    pregnant: bool
    disability: bool
    illness_or_injury: bool
    trafficking_indicator: bool

    def __post_init__(self) -> None:
        # Type hints do not stop a None coming from an adapter; a None would read as False.
        for flag in fields(self):
            if not isinstance(getattr(self, flag.name), bool):
                raise VulnerabilityNotAnswered(field=f"vulnerabilities.{flag.name}")

    @property
    def any_flag(self) -> bool:
        return (
            self.pregnant or self.disability or self.illness_or_injury or self.trafficking_indicator
        )


def _check_answered(vulnerabilities: object, protection_need: object) -> None:
    if not isinstance(vulnerabilities, Vulnerabilities):
        raise VulnerabilityNotAnswered(field="vulnerabilities")
    if not isinstance(protection_need, bool):
        raise ProtectionScreenNotAnswered()


@dataclass(frozen=True, kw_only=True)
class ReturneeData:
    """What the sending officer declares about a person to be returned (commands carry this).

    `protection_need` and the vulnerability flags have no default: they must be asked.
    `age_disputed` defaults to False as in the API.
    """

    given_names: str
    surnames: str
    sex: Sex
    date_of_birth: date
    nationality: str  # claimed nationality, ISO 3166-1 alpha-2
    place_of_origin: str
    vulnerabilities: Vulnerabilities
    protection_need: bool
    age_disputed: bool = False
    document: IdentityDocument | None = None
    family_group: str | None = None  # chosen by the sending officer, unique within a manifest

    def __post_init__(self) -> None:
        _check_answered(self.vulnerabilities, self.protection_need)

    def __repr__(self) -> str:
        return "ReturneeData(…)"  # personal data stays out of logs and tracebacks


@dataclass(frozen=True, kw_only=True)
class Handover:
    """The receiving border officer's record of one person at the reception point."""

    outcome: HandoverOutcome
    reason: RefusalReason | None  # set only when refused
    officer: str
    post: str
    # The post's time: when the officer recorded the outcome at the reception point (the
    # device's clock, sent with the hand-over; hours before `stored_at` when the post was
    # offline). The record and the statistics show this one.
    recorded_at: datetime
    stored_at: datetime  # when Puebla stored it (the server's clock)

    def same_outcome(self, outcome: HandoverOutcome, reason: RefusalReason | None) -> bool:
        return self.outcome is outcome and self.reason is reason


@dataclass(eq=False, repr=False, kw_only=True)
class Returnee:
    """Entity: identity is `id`. Changed only through its `Manifest`."""

    id: uuid.UUID
    given_names: str
    surnames: str
    sex: Sex
    date_of_birth: date
    nationality: str
    place_of_origin: str
    vulnerabilities: Vulnerabilities
    protection_need: bool
    age_disputed: bool = False
    document: IdentityDocument | None = None
    family_group: str | None = None
    nationality_status: NationalityStatus = NationalityStatus.PENDING
    nationality_rejection_reason: str | None = None
    nationality_decided_at: datetime | None = None
    handover: Handover | None = None

    def __post_init__(self) -> None:
        _check_answered(self.vulnerabilities, self.protection_need)

    @classmethod
    def from_data(cls, returnee_id: uuid.UUID, data: ReturneeData) -> Returnee:
        """A new returnee from declared data; the handler chooses the id (UUIDv7)."""
        return cls(
            id=returnee_id,
            given_names=data.given_names,
            surnames=data.surnames,
            sex=data.sex,
            date_of_birth=data.date_of_birth,
            nationality=data.nationality,
            place_of_origin=data.place_of_origin,
            vulnerabilities=data.vulnerabilities,
            protection_need=data.protection_need,
            age_disputed=data.age_disputed,
            document=data.document,
            family_group=data.family_group,
        )

    # -- identity ----------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Returnee) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"Returnee(id={self.id})"  # no names: reprs end up in logs

    # -- computed ----------------------------------------------------------------------------

    def age_on(self, on: date) -> int:
        return age_on(self.date_of_birth, on)

    def aged_60_or_over(self, on: date) -> bool:
        return self.age_on(on) >= SENIOR_AGE

    def is_child(self, on: date) -> bool:
        """Under 18 on `on` — or age disputed: while disputed the person is treated as a child."""
        return self.age_disputed or self.age_on(on) < ADULT_AGE

    def vulnerable(self, on: date) -> bool:
        """Any vulnerability flag, or aged 60 or over on `on` (DOMAIN.md §1)."""
        return self.vulnerabilities.any_flag or self.aged_60_or_over(on)

    @property
    def handover_outcome(self) -> HandoverOutcome | None:
        return None if self.handover is None else self.handover.outcome

    # -- changes (the manifest checks its own state first) --------------------------------------

    def would_record(
        self, outcome: HandoverOutcome, reason: RefusalReason | None, *, field: str | None = None
    ) -> bool:
        """True if this outcome is new; False if the same one is already recorded (a no-op).

        Raises HandoverAlreadyRecorded if a different outcome (or refusal reason) is recorded.
        """
        if self.handover is None:
            return True
        if self.handover.same_outcome(outcome, reason):
            return False
        raise HandoverAlreadyRecorded(field=field)

    def record_handover(self, handover: Handover) -> bool:
        if not self.would_record(handover.outcome, handover.reason):
            return False
        self.handover = handover
        return True

    def would_decide_nationality(self, status: NationalityStatus) -> bool:
        """True if this consular decision is new; False if it is already the recorded one.

        Raises NationalityAlreadyDecided if the other decision is recorded.
        """
        if status is NationalityStatus.PENDING:
            raise ValueError("a consular decision is confirmed or rejected, never pending")
        if self.nationality_status is status:
            return False
        if self.nationality_status is not NationalityStatus.PENDING:
            raise NationalityAlreadyDecided()
        return True

    def decide_nationality(
        self, status: NationalityStatus, *, reason: str | None, at: datetime
    ) -> bool:
        if not self.would_decide_nationality(status):
            return False
        self.nationality_status = status
        self.nationality_rejection_reason = reason
        self.nationality_decided_at = at
        return True
