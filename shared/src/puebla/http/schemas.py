"""Building blocks for request and response schemas shared by every service's API."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Generic, TypeVar, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
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


def _is_temporal(annotation: Any) -> bool:
    if annotation in (date, datetime):
        return True
    return any(_is_temporal(arg) for arg in get_args(annotation))


class RequestModel(BaseModel):
    """Request bodies: unknown fields are refused (422), never silently dropped; text that
    cannot be stored and numbers posing as dates are refused too."""

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


class ResponseModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Page(ResponseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None
