"""Who the Fund is for (DOMAIN.md §3, "Eligibility" and "Who applies").

All checks take the filing day explicitly, so ages are computed for that day and not for
whenever the code happens to run.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from enum import StrEnum

from reserve_fund.domain.errors import (
    ApplicantNotAuthority,
    ConsentMissing,
    InvalidBeneficiary,
    NoCategory,
    NotAChild,
    NotIntraregional,
    NotOver70,
    ProtectionNeed,
)
from reserve_fund.domain.parties import Authority, Beneficiary, Consent, ConsentGiver

# Member states of the Regional Conference on Migration.
RCM_MEMBERS = frozenset({"BZ", "CA", "CR", "DO", "SV", "GT", "HN", "MX", "NI", "PA", "US"})

ADULT_AGE = 18
OVER_70_AGE = 70


class Category(StrEnum):
    UNACCOMPANIED_CHILD = "unaccompanied_child"
    DISABILITY = "disability"
    OVER_70 = "over_70"
    INJURY_OR_ILLNESS = "injury_or_illness"


def age_on(born: date, day: date) -> int:
    """Completed years on `day`. Someone born on 29 February has their birthday on 1 March in
    common years (the day before, they have not yet completed the year)."""
    had_birthday = (day.month, day.day) >= (born.month, born.day)
    return day.year - born.year - (0 if had_birthday else 1)


def check_beneficiary(beneficiary: Beneficiary, day: date) -> None:
    # First: whatever else is wrong, a person with a protection need is never funded to go
    # back to the country they fear (POLICY.md, the protection exception).
    if beneficiary.protection_need:
        raise ProtectionNeed(
            "the Fund pays returns; a person with a protection need (fear of return, asylum, "
            "refugee status) is never funded to return to the country they fear",
            field="beneficiary.protection_need",
        )
    if not beneficiary.given_names.strip() and not beneficiary.surnames.strip():
        raise InvalidBeneficiary(
            "the beneficiary needs a name", rule="beneficiary.name_missing", field="beneficiary"
        )
    if beneficiary.date_of_birth > day:
        raise InvalidBeneficiary(
            "the date of birth is after the filing date",
            rule="beneficiary.born_in_future",
            field="beneficiary.date_of_birth",
        )


def check_intraregional(nationality: str, current_country: str) -> None:
    """A national of one RCM member who is in another member state."""
    if nationality not in RCM_MEMBERS:
        raise NotIntraregional(
            f"{nationality} is not a member of the Regional Conference on Migration",
            rule="eligibility.nationality_not_member",
            field="beneficiary.nationality",
        )
    if current_country not in RCM_MEMBERS:
        raise NotIntraregional(
            f"{current_country} is not a member of the Regional Conference on Migration",
            rule="eligibility.current_country_not_member",
            field="current_country",
        )
    if current_country == nationality:
        raise NotIntraregional(
            "the beneficiary is in their own country; the Fund is for migrants in another "
            "member state",
            rule="eligibility.not_in_another_member_state",
            field="current_country",
        )


def effective_categories(claimed: Iterable[Category], born: date, day: date) -> frozenset[Category]:
    """The categories that hold on `day`.

    `over_70` is computed from the date of birth, not trusted: claiming it for someone under 70
    is refused, and for someone 70 or older it is added even when not claimed (so an older person
    with no other category is still eligible). "Over 70" counts from the 70th birthday.
    `unaccompanied_child` is refused for anyone 18 or older.
    """
    categories = frozenset(claimed)
    age = age_on(born, day)
    if Category.OVER_70 in categories and age < OVER_70_AGE:
        raise NotOver70(
            f"the beneficiary is {age} on {day.isoformat()}, not over 70", field="categories"
        )
    if Category.UNACCOMPANIED_CHILD in categories and age >= ADULT_AGE:
        raise NotAChild(
            f"the beneficiary is {age} on {day.isoformat()}, not a child", field="categories"
        )
    if age >= OVER_70_AGE:
        categories |= {Category.OVER_70}
    if not categories:
        raise NoCategory(
            "at least one category is needed: unaccompanied child, disability, over 70, "
            "injury or illness",
            field="categories",
        )
    return categories


def check_consent(consent: Consent | None, born: date, day: date, now: datetime) -> None:
    """A free and informed decision, recorded; a child's through a guardian or authority."""
    field = "voluntary_consent"
    if consent is None or not consent.given:
        raise ConsentMissing("the beneficiary's voluntary consent is not recorded", field=field)
    if consent.recorded_at.tzinfo is None:
        raise ConsentMissing(
            "the consent time needs a UTC offset", rule="consent.recorded_at_naive", field=field
        )
    if consent.recorded_at > now:
        raise ConsentMissing(
            "consent cannot be recorded in the future",
            rule="consent.recorded_in_future",
            field=field,
        )
    if age_on(born, day) < ADULT_AGE:
        if consent.given_by is ConsentGiver.BENEFICIARY:
            raise ConsentMissing(
                "a child's consent is given through their guardian or the authority caring "
                "for them",
                rule="consent.child_through_guardian",
                field=field,
            )
    elif consent.given_by is ConsentGiver.AUTHORITY:
        raise ConsentMissing(
            "an adult decides themselves or through their legal guardian",
            rule="consent.adult_decides",
            field=field,
        )


def check_applicant(requested_by: Authority, nationality: str, current_country: str) -> None:
    """The applicant is an authority of the country of departure (where the beneficiary is) or
    of return (their nationality) — no third country files for someone else's national."""
    if requested_by.country not in {current_country, nationality}:
        raise ApplicantNotAuthority(
            f"an authority of {requested_by.country} cannot apply for a national of "
            f"{nationality} who is in {current_country}; only {current_country} or "
            f"{nationality} can",
        )
