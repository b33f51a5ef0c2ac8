"""Value shapes that several contracts share."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Country = str  # ISO 3166-1 alpha-2; validated by pattern where it matters


class ContractPart(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PersonSummary(ContractPart):
    """The minimum a consulate needs to identify a person and verify nationality."""

    given_names: str
    surnames: str
    sex: Literal["F", "M", "X"]
    date_of_birth: date | None
    nationality: str = Field(pattern=r"^[A-Z]{2}$")


class Related(ContractPart):
    """What another service's record is about: e.g. a returnee on a manifest, a child case."""

    service: Literal["repatriation", "child_protection", "reserve_fund", "consular"]
    id: uuid.UUID
    subject_id: uuid.UUID | None = None  # the returnee on the manifest, when relevant
