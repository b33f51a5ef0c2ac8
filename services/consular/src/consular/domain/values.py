"""Value objects shared by the consular aggregates: who acts, about whom, where, and checks on
the raw values (country codes, aware times) that every factory applies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum

from consular.domain.errors import InvalidInput

IMMIGRATION_OFFICER = "immigration_officer"
CONSULAR_OFFICER = "consular_officer"
AUDITOR = "auditor"
CHILD_PROTECTION_ROLES = frozenset({"child_protection_officer", "child_protection_supervisor"})
FUND_ROLES = frozenset({"fund_officer", "fund_approver"})


@dataclass(frozen=True)
class Actor:
    """The verified caller, as the token says: username, realm roles, the state they work for
    (`None` for IOM and the Secretariat)."""

    username: str
    roles: frozenset[str]
    country: str | None

    def is_immigration_officer_of(self, country: str) -> bool:
        return IMMIGRATION_OFFICER in self.roles and self.country == country

    def is_consul_of(self, country: str) -> bool:
        return CONSULAR_OFFICER in self.roles and self.country == country

    def is_child_protection_of(self, country: str) -> bool:
        return not CHILD_PROTECTION_ROLES.isdisjoint(self.roles) and self.country == country

    def is_auditor(self) -> bool:
        return AUDITOR in self.roles

    def is_fund_staff(self) -> bool:
        """IOM's Reserve Fund officers and approvers (no country: they work for the Fund)."""
        return not FUND_ROLES.isdisjoint(self.roles)


class Sex(StrEnum):
    F = "F"
    M = "M"
    X = "X"


@dataclass(frozen=True)
class Person:
    """The minimum a consulate needs to identify its national. Deliberately no nationality list:
    a notification carries only the nationality it is addressed to, so that a dual national's
    other citizenship never reaches a third country."""

    given_names: str
    surnames: str
    sex: Sex
    date_of_birth: date | None = None  # children may only have an estimated age
    estimated_age: int | None = None


@dataclass(frozen=True)
class Place:
    """Where the trigger happened. `country` is the host country (the state whose authority
    reports); `state` is a first-level subdivision, by ISO 3166-2 code or by name."""

    country: str
    state: str | None = None
    city: str | None = None


@dataclass(frozen=True)
class Related:
    """The record in another service that caused this one, e.g. `("repatriation", <manifest
    id>, <returnee id>)` or `("child_protection", <case id>, None)`."""

    service: str
    id: str
    returnee_id: str | None = None


def country_code(value: str, field: str) -> str:
    """ISO 3166-1 alpha-2, upper case: the only country spelling the domain compares."""
    if len(value) != 2 or not value.isascii() or not value.isalpha() or not value.isupper():
        raise InvalidInput(
            f"{value!r} is not an ISO 3166-1 alpha-2 code", rule="country_code", field=field
        )
    return value


def as_utc(moment: datetime, field: str) -> datetime:
    """Every instant the domain keeps is aware and in UTC; a naive time is a bug (the API's
    schemas refuse one with 422 `timezone_aware`, events carry aware times), never guessed:
    the host's and the consulate's zones differ."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{field} must carry a UTC offset")
    return moment.astimezone(UTC)
