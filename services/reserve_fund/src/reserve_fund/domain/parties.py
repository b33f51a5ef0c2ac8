"""Who the application is about, who files it, and the beneficiary's consent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"
    UNSPECIFIED = "X"


@dataclass(frozen=True)
class Beneficiary:
    """The migrant to be returned. Personal data: never copied into events or reports.

    `protection_need`: the person fears return, has asked for asylum or is a refugee. The Fund
    pays returns, so such a person is never funded (eligibility refuses it); an application on
    file therefore always holds `False`."""

    given_names: str
    surnames: str
    sex: Sex
    date_of_birth: date
    nationality: str  # ISO 3166-1 alpha-2; the country of return
    protection_need: bool


class AuthorityRole(StrEnum):
    """The roles that may file an application. There is no role for the migrant: the Fund is
    applied for by authorities only, so "never the migrant" holds by construction."""

    CONSULAR_OFFICER = "consular_officer"
    IMMIGRATION_OFFICER = "immigration_officer"


@dataclass(frozen=True)
class Authority:
    """An officer of a state, as the verified token describes them."""

    username: str
    country: str  # ISO 3166-1 alpha-2 of the state the officer works for
    role: AuthorityRole


class ConsentGiver(StrEnum):
    BENEFICIARY = "beneficiary"
    GUARDIAN = "guardian"  # parent or legal guardian, for a child or an adult under guardianship
    AUTHORITY = "authority"  # the child-protection authority acting as a child's guardian


@dataclass(frozen=True)
class Consent:
    """The recorded free and informed decision to return.

    `given=False` records that the question was asked and the answer was no (or not obtained);
    the application cannot go ahead. Children decide through a guardian or the authority that
    has them in its care; adults decide themselves or through their legal guardian.
    """

    given: bool
    given_by: ConsentGiver
    recorded_at: datetime  # timezone-aware
