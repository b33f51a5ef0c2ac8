"""A protection need found after a person was put on a manifest (DOMAIN.md §1, "Protection
screen ... at every moment, not only at entry").

The sending officer records it; the person leaves the manifest, and so do the members of their
family group the officer says leave with them. What is kept of them is the sending state's
alone: the receiving country sees nothing of them again (not in the manifest, the hand-over
record, a list or an event), and the kind of need and its note never leave the sending state.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from repatriation.domain.returnee import Returnee, Sex


class ProtectionNeedKind(StrEnum):
    ASYLUM = "asylum"
    FEAR_OF_RETURN = "fear_of_return"
    REFUGEE = "refugee"
    TRAFFICKING = "trafficking"


class FamilyChoice(StrEnum):
    """What happens to the other members of the person's family group on the manifest."""

    STAY = "stay"  # they travel on without the person
    LEAVE_WITH = "leave_with"  # they come off the manifest with the person


@dataclass(frozen=True, kw_only=True)
class ProtectionRemoval:
    """One person taken off a manifest because of a protection need: the person whose need it
    is (`family_of` None) or a member of their family group who left with them (`family_of`
    = that person's id). Keeps who they were on the manifest, so the sending officer knows
    whom the record means."""

    returnee_id: uuid.UUID
    given_names: str
    surnames: str
    sex: Sex
    date_of_birth: date
    nationality: str
    family_group: str | None
    kind: ProtectionNeedKind
    note: str | None
    family_of: uuid.UUID | None
    recorded_by: str
    recorded_at: datetime

    @classmethod
    def of(
        cls,
        returnee: Returnee,
        *,
        kind: ProtectionNeedKind,
        note: str | None,
        family_of: uuid.UUID | None,
        recorded_by: str,
        recorded_at: datetime,
    ) -> ProtectionRemoval:
        return cls(
            returnee_id=returnee.id,
            given_names=returnee.given_names,
            surnames=returnee.surnames,
            sex=returnee.sex,
            date_of_birth=returnee.date_of_birth,
            nationality=returnee.nationality,
            family_group=returnee.family_group,
            kind=kind,
            note=note,
            family_of=family_of,
            recorded_by=recorded_by,
            recorded_at=recorded_at,
        )

    def __repr__(self) -> str:
        return f"ProtectionRemoval(returnee_id={self.returnee_id})"  # nothing else in logs
