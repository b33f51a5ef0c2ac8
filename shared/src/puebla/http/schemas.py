"""Building blocks for request and response schemas shared by every service's API."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any, Generic, TypeVar, get_args

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    FutureDate,
    FutureDatetime,
    NaiveDatetime,
    PastDate,
    PastDatetime,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

T = TypeVar("T")

CountryCode = Annotated[
    str, StringConstraints(pattern=r"^[A-Z]{2}$"), Field(description="ISO 3166-1 alpha-2")
]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
LongText = Annotated[str, StringConstraints(max_length=10_000)]
Code = Annotated[str, StringConstraints(pattern=r"^[A-Z0-9][A-Z0-9-]{1,39}$")]


def _plausible_birth_date(value: date) -> date:
    if value.year < 1900:
        raise ValueError("date of birth before 1900")
    if value > date.today():  # noqa: DTZ011 - a calendar date, compared as a date
        raise ValueError("date of birth in the future")
    return value


BirthDate = Annotated[date, AfterValidator(_plausible_birth_date)]


# Every date and time a request carries lies in these years. Outside them nothing the system
# records is meaningful (a detention in year 1, a return in 9999), and Python cannot move a
# time near its own limits (years 1 and 9999) into another zone or add a deadline to it: such
# times are a 422 naming the field (rules `datetime_out_of_range`, `date_out_of_range`).
EARLIEST = date(1900, 1, 1)
LATEST = date(2999, 12, 31)
_EARLIEST_TIME = datetime(EARLIEST.year, 1, 1, tzinfo=UTC)
_AFTER_LATEST_TIME = datetime(LATEST.year + 1, 1, 1, tzinfo=UTC)
RANGE_TEXT = f"between {EARLIEST.isoformat()} and {LATEST.isoformat()}"


def time_in_range(value: datetime) -> bool:
    """Whether an aware time lies in EARLIEST..LATEST (compared as an instant, unconverted)."""
    return _EARLIEST_TIME <= value < _AFTER_LATEST_TIME


def refuse_out_of_range(value: Any) -> Any:
    """A time or date outside EARLIEST..LATEST (compared without converting it: an aware time
    is compared as an instant, so `0001-01-01T00:00:00+14:00` never reaches `astimezone`)."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None and value.utcoffset() is not None else None
        low, high = _EARLIEST_TIME, _AFTER_LATEST_TIME
        if aware is None:
            low, high = low.replace(tzinfo=None), high.replace(tzinfo=None)
        if not low <= value < high:
            raise PydanticCustomError(
                "datetime_out_of_range", f"a time must lie {RANGE_TEXT} (UTC)"
            )
    elif isinstance(value, date):
        if not EARLIEST <= value <= LATEST:
            raise PydanticCustomError("date_out_of_range", f"a date must lie {RANGE_TEXT}")
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            refuse_out_of_range(item)
    return value


_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


def _iso_date_text(value: Any) -> Any:
    # Pydantic reads `0` or `1700000000` as a Unix time: a date is written as YYYY-MM-DD.
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise PydanticCustomError("date_format", "write the date as YYYY-MM-DD")
    return value


CalendarDate = Annotated[
    date,
    BeforeValidator(_iso_date_text),
    AfterValidator(refuse_out_of_range),
]
"""A date in a query or path parameter (or a body): only as YYYY-MM-DD, within the range."""


def _refuse_unstorable_text(value: Any) -> Any:
    """PostgreSQL text holds neither NUL nor lone surrogates, both of which JSON escapes can
    carry: refused here as a 422 naming the field, instead of a 500 from the database."""
    if isinstance(value, str):
        if "\x00" in value:
            raise PydanticCustomError("text_nul", "text cannot contain the NUL character")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise PydanticCustomError(
                "text_surrogate", "text cannot contain a lone surrogate"
            ) from None
    elif isinstance(value, list):
        for item in value:
            _refuse_unstorable_text(item)
    return value


# pydantic's date and time markers are classes of their own, not subclasses of date.
_TEMPORAL = (
    date,
    datetime,
    AwareDatetime,
    NaiveDatetime,
    PastDate,
    FutureDate,
    PastDatetime,
    FutureDatetime,
)


def _is_temporal(annotation: Any) -> bool:
    if annotation in _TEMPORAL:
        return True
    return any(_is_temporal(arg) for arg in get_args(annotation))


class RequestModel(BaseModel):
    """Request bodies: unknown fields are refused (422), never silently dropped; text that
    cannot be stored, numbers posing as dates and dates or times outside EARLIEST..LATEST are
    refused too."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _stored_as_given(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        # Pydantic reads 1700000000 as a Unix time: a date must be written as a date.
        if (
            field is not None
            and isinstance(value, int | float)
            and not isinstance(value, bool)
            and _is_temporal(field.annotation)
        ):
            raise PydanticCustomError("date_as_number", "write dates as YYYY-MM-DD / RFC 3339")
        return _refuse_unstorable_text(value)

    @field_validator("*", mode="after")
    @classmethod
    def _within_range(cls, value: Any) -> Any:
        return refuse_out_of_range(value)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(ResponseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None
