"""Building blocks for request and response schemas shared by every service's API."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

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


class RequestModel(BaseModel):
    """Request bodies: unknown fields are refused (422), never silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(ResponseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None
