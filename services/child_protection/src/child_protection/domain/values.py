"""Value objects and vocabularies of a child case (no behaviour beyond self-validation)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from child_protection.domain.errors import (
    ActInTheFuture,
    AgeUnknown,
    CountryCodeInvalid,
    EstimatedAgeInvalid,
)

ADULT_AGE = 18

_COUNTRY_CODE = re.compile(r"[A-Z]{2}")


class Sex(StrEnum):
    FEMALE = "female"
    MALE = "male"
    OTHER = "other"


class Accompaniment(StrEnum):
    UNACCOMPANIED = "unaccompanied"  # no parent or caregiver at all
    SEPARATED = "separated"  # without parents or usual caregiver, but with another relative


class MeasureKind(StrEnum):
    PLACEMENT = "placement"
    SHELTER = "shelter"
    URGENT_CARE = "urgent_care"


class ChildViewsAbsentReason(StrEnum):
    """The only acceptable reasons for a BIA without the child's views: age or maturity."""

    TOO_YOUNG = "too_young"
    MATURITY = "maturity"


class BidDecision(StrEnum):
    RETURN = "return"  # return to family in the country of origin
    STAY = "stay"  # stay in the host country with protection
    ASYLUM = "asylum"  # refer to the asylum procedure
    THIRD_COUNTRY = "third_country"  # family reunification in a third country


def as_utc(moment: datetime, field: str) -> datetime:
    """Every instant in the domain is aware and stored in UTC. A naive time is a bug in the
    caller, never an answer: the API's schemas take only times with an offset (a naive one is
    a 422 `timezone_aware` before any of this runs), and the handlers hand in aware times."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{field} must carry a UTC offset")
    return moment.astimezone(UTC)


def check_country(code: str, field: str) -> str:
    if not _COUNTRY_CODE.fullmatch(code):
        raise CountryCodeInvalid(f"{field} must be an ISO 3166-1 alpha-2 code", field=field)
    return code


# Clocks of two machines disagree a little; an act dated this far ahead still counts as "now".
CLOCK_SKEW = timedelta(minutes=5)


def not_in_future(moment: datetime, now: datetime, field: str) -> None:
    """An act that already happened, dated by the request: never later than `now` (the
    handler's clock — the domain reads none)."""
    if moment > now + CLOCK_SKEW:
        raise ActInTheFuture(f"{field} lies in the future", field=field)


def is_blank(text: str | None) -> bool:
    return text is None or not text.strip()


@dataclass(frozen=True)
class Child:
    """Who the child is, as far as known. Summary data: visible wherever the case is."""

    given_names: str
    surnames: str
    sex: Sex
    date_of_birth: date | None = None
    estimated_age: int | None = None  # in years, when no reliable date of birth exists
    languages: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.date_of_birth is None and self.estimated_age is None:
            raise AgeUnknown("a date of birth or an estimated age is required")
        if self.estimated_age is not None and self.estimated_age < 0:
            raise EstimatedAgeInvalid("the estimated age cannot be negative")

    def age_on(self, day: date) -> int:
        """Age in whole years on `day`; the date of birth wins over an estimate."""
        if self.date_of_birth is None:
            assert self.estimated_age is not None  # guaranteed by __post_init__
            return self.estimated_age
        born = self.date_of_birth
        had_birthday = (day.month, day.day) >= (born.month, born.day)
        return day.year - born.year - (0 if had_birthday else 1)

    def is_treated_as_child(self, on: date, *, age_disputed: bool) -> bool:
        # Guidelines: while age is disputed the person is treated as a child, whatever the
        # papers or the estimate say.
        return age_disputed or self.age_on(on) < ADULT_AGE


@dataclass(frozen=True)
class Place:
    """Where the child was identified: `country` is the host country, `state` a first-level
    subdivision (ISO 3166-2 code or name), `city` the municipality. Summary data: the consulate
    is told where its national is."""

    country: str
    state: str | None = None
    city: str | None = None

    def __post_init__(self) -> None:
        check_country(self.country, "place.country")

    def __str__(self) -> str:
        return ", ".join(part for part in (self.city, self.state, self.country) if part)


@dataclass(frozen=True)
class Caregiver:
    """The person or agency in the country of origin who would receive the child."""

    name: str
    relationship: str  # "mother", "aunt", … or "agency" for a childcare institution


@dataclass(frozen=True)
class FamilyContact:
    name: str
    relationship: str
    contact_details: str = ""  # phone, address; sensitive like the rest of family tracing
    location: str = ""


@dataclass(frozen=True)
class ReceptionPoint:
    """Reference data: an official reception point and whether the child-protection authority
    of its country is present there (a return may only be received where it is)."""

    code: str
    country: str
    has_child_protection_authority: bool
