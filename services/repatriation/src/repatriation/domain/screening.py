"""Who may be put on a manifest (DOMAIN.md §1).

Checked for every person before they are admitted — at creation and on each addition — so an
invalid person is never part of the aggregate, never stored and never in an event.

`field_prefix` lets the same check name the input path both for the create body
(``"returnees[2]."``) and for the add-a-returnee body (``""``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from repatriation.domain.errors import (
    ChildHasTraffickingIndicator,
    InvalidReturneeData,
    NationalityIsNotReceivingCountry,
    ReturneeHasProtectionNeed,
)
from repatriation.domain.returnee import Returnee


def screen_for_protection(returnee: Returnee, *, field_prefix: str = "") -> None:
    """A person with a protection need is never put on a manifest (and their consulate is not
    told). Run before anything else so that no other error ever describes such a person."""
    if returnee.protection_need:
        raise ReturneeHasProtectionNeed(field=f"{field_prefix}protection_need")


def screen_returnee(
    returnee: Returnee, *, receiving_country: str, departure_date: date, field_prefix: str = ""
) -> None:
    """Everything about one person that does not depend on the others on the manifest."""
    screen_for_protection(returnee, field_prefix=field_prefix)
    for name in ("given_names", "surnames", "place_of_origin"):
        if not getattr(returnee, name).strip():
            raise InvalidReturneeData(
                f"{name} must not be blank.", rule="blank_value", field=f"{field_prefix}{name}"
            )
    if returnee.date_of_birth > departure_date:
        # An impossible date would also make every age rule meaningless.
        raise InvalidReturneeData(
            "The date of birth is after the scheduled departure: correct it.",
            rule="date_of_birth_after_departure",
            field=f"{field_prefix}date_of_birth",
        )
    if returnee.is_child(departure_date) and returnee.vulnerabilities.trafficking_indicator:
        # A manifest is read by the receiving country's consuls and triggers nationality
        # verification: consular contact that POLICY.md forbids for such a child.
        raise ChildHasTraffickingIndicator(
            field=f"{field_prefix}vulnerabilities.trafficking_indicator"
        )
    if returnee.nationality != receiving_country:
        raise NationalityIsNotReceivingCountry(field=f"{field_prefix}nationality")


def unaccompanied_children(returnees: Sequence[Returnee], on: date) -> list[int]:
    """Positions of the children with no adult of their family group on the manifest.

    An adult is someone 18 or over on `on` whose age is not disputed (a person whose age is
    disputed is treated as a child, so cannot be the accompanying adult either).
    """
    groups_with_an_adult = {
        r.family_group for r in returnees if r.family_group is not None and not r.is_child(on)
    }
    return [
        position
        for position, r in enumerate(returnees)
        if r.is_child(on) and (r.family_group is None or r.family_group not in groups_with_an_adult)
    ]
