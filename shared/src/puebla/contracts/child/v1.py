"""child.*.v1 — unaccompanied-child cases under the RCM Regional Guidelines.

Summary data only: never a sensitive section (BIA narrative, health, trafficking indicators,
family contacts, origin assessment, interview notes, BID reasons). A consumer that needs more
asks nobody: it does not get it.

`access` on every envelope: the host country and the child's nationality — or the host country
alone while the case is blocked for the consulate (a protection need or an uncleared trafficking
indicator: the protection exception of POLICY.md). The label is fixed when the event is
emitted, so an event from before a block was cleared stays host-only.

No event of the case's life carries the child's identity: the CHILD stream is read by every
context that follows child cases (the Fund keeps only whether a case exists, is blocked, was
determined or closed). Who the child is, and where and when they were found, travel in one event
alone, `child.case.consular_notice.v1`, emitted only when the child's consulate is entitled to
be notified — at the opening of a case that is not blocked, or when a host supervisor clears the
block — and consumed by the consular service alone. While a case is blocked, the identity never
leaves child protection: `child.case.opened.v1` with `notify_consulate = false` says only that a
case exists that the consulate must not be told of.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, ClassVar, Literal

from pydantic import AwareDatetime, ConfigDict, Field, StringConstraints

from puebla.contracts.base import EventData, register
from puebla.contracts.common import ContractPart

CountryCode = Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]

Stage = Literal[
    "identified",
    "in_protective_custody",
    "notified",
    "interviewed",
    "screened",
    "family_tracing",
    "assessed",
    "determined",
    "return_planned",
    "handed_over",
    "follow_up",
    "local_protection",
    "asylum_referral",
    "closed",
]
DeadlineStage = Literal["notified", "interviewed", "assessed", "determined"]
BidDecision = Literal["return", "stay", "asylum", "third_country"]


class ChildIdentity(ContractPart):
    """Who the child is, as far as known: a date of birth or an estimated age (or both)."""

    given_names: str
    surnames: str
    sex: Literal["F", "M", "X"]
    date_of_birth: date | None
    estimated_age: Annotated[int, Field(ge=0)] | None
    age_disputed: bool  # while disputed, the person is treated as a child
    languages: list[str]  # for an interpreter


class Place(ContractPart):
    """Where the child was identified: `country` is the host country; `state` a first-level
    subdivision (ISO 3166-2 code or name)."""

    country: CountryCode
    state: str | None
    city: str | None


_CASE: dict[str, Any] = {
    "version": 1,
    "case_id": "0190f3c2-0000-7000-8000-0000000000e1",
    "reference": "CP-MX-2026-000042",
    "host_country": "MX",
    "nationality": "HN",
}
_CHILD: dict[str, Any] = {
    "given_names": "Kevin Josué",
    "surnames": "Martínez Reyes",
    "sex": "M",
    "date_of_birth": "2012-04-09",
    "estimated_age": None,
    "age_disputed": False,
    "languages": ["es"],
}
_PLACE: dict[str, Any] = {"country": "MX", "state": "Chiapas", "city": "Tapachula"}


def _examples(**extra: Any) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [{**_CASE, **extra}]})


class CaseEventV1(EventData):
    case_id: uuid.UUID
    reference: str
    host_country: CountryCode
    nationality: CountryCode
    stage: Stage  # the case's stage after the change


@register
class CaseOpenedV1(CaseEventV1):
    """A child case was opened in the host country: that a case exists and whether the
    consulate may be told of it — never who the child is (that goes, when the consulate is
    entitled to it, in `child.case.consular_notice.v1`). `notify_consulate` is false and
    `blocked_for_consulate` true (and `access` is the host alone) while a protection need or a
    trafficking indicator blocks consular contact; the host child-protection authority is
    informed either way."""

    event_type: ClassVar[str] = "child.case.opened.v1"
    model_config = _examples(
        stage="identified",
        notify_consulate=True,
        blocked_for_consulate=False,
        opened_at="2026-12-01T15:00:00Z",
        opened_by="dif.mx",
    )

    notify_consulate: bool
    blocked_for_consulate: bool
    opened_at: AwareDatetime
    opened_by: str


@register
class ConsularBlockClearedV1(CaseEventV1):
    """A host supervisor allowed consular contact: from now on the case's events are labelled
    for the child's nationality too. `notify_consulate` is always true here; what the consulate
    is told comes in the `child.case.consular_notice.v1` emitted with it."""

    event_type: ClassVar[str] = "child.case.consular_block_cleared.v1"
    model_config = _examples(
        version=4,
        stage="interviewed",
        notify_consulate=True,
        cleared_at="2026-12-03T10:00:00Z",
        cleared_by="dif.mx.supervisor",
    )

    notify_consulate: bool
    cleared_at: AwareDatetime
    cleared_by: str


@register
class ConsularNoticeV1(CaseEventV1):
    """Notify the child's consulate now: who the child is, where and when they were found.
    Emitted only when the consulate is entitled to it — with the opening of a case that is not
    blocked (`occasion = "case_opened"`), or with the clearing of its block (`"block_cleared"`)
    — so `access` is always the host and the child's nationality; a blocked case never emits
    one. `allowed_at` is the opening or the clearing: the notice's clocks start there. Consumed
    by the consular service alone (durable `consular-child-consular-notice`)."""

    event_type: ClassVar[str] = "child.case.consular_notice.v1"
    model_config = _examples(
        stage="identified",
        occasion="case_opened",
        allowed_at="2026-12-01T15:00:00Z",
        child=_CHILD,
        identified_at="2026-12-01T13:30:00Z",
        place=_PLACE,
        accompaniment="unaccompanied",
    )

    occasion: Literal["case_opened", "block_cleared"]
    allowed_at: AwareDatetime
    child: ChildIdentity
    identified_at: AwareDatetime
    place: Place
    accompaniment: Literal["unaccompanied", "separated"]


@register
class ConsularBlockSetV1(CaseEventV1):
    """A protection need or a trafficking indicator was found on a case the consulate may
    already know of: withdraw everything the child's consulate was told (notices, verification
    requests) — for that nationality they cease to exist. `access` is the host alone; why the
    case was blocked never leaves the host (a protection need is permanent, a trafficking
    indicator can later be cleared by `child.case.consular_block_cleared.v1`)."""

    event_type: ClassVar[str] = "child.case.consular_block_set.v1"
    model_config = _examples(version=3, stage="screened", blocked_at="2026-12-02T09:00:00Z")

    blocked_at: AwareDatetime


@register
class CaseDeterminedV1(CaseEventV1):
    """The best-interests determination: the decision only (reasons and panel stay sensitive)."""

    event_type: ClassVar[str] = "child.case.determined.v1"
    model_config = _examples(
        version=9,
        stage="determined",
        decision="return",
        decided_at="2026-12-20T16:00:00Z",
        decided_by="dif.mx.supervisor",
    )

    decision: BidDecision
    decided_at: AwareDatetime
    decided_by: str


@register
class CaseReturnedV1(CaseEventV1):
    """The child was handed over to the origin child-protection authority."""

    event_type: ClassVar[str] = "child.case.returned.v1"
    model_config = _examples(
        version=11,
        stage="handed_over",
        reception_point="HN-CORINTO",
        received_at="2026-12-28T15:00:00Z",
        received_by_institution="DINAF",
        confirmed_by="dinaf.hn",
    )

    reception_point: str
    received_at: AwareDatetime
    received_by_institution: str
    confirmed_by: str


@register
class CaseClosedV1(CaseEventV1):
    event_type: ClassVar[str] = "child.case.closed.v1"
    model_config = _examples(
        version=13,
        stage="closed",
        closed_at="2027-02-01T12:00:00Z",
        closed_by="dinaf.hn",
        bid_decision="return",
    )

    closed_at: AwareDatetime
    closed_by: str
    bid_decision: BidDecision | None  # the determination in force when the case closed


@register
class StageOverdueV1(CaseEventV1):
    """A stage's deadline passed without its act being recorded. Emitted once per stage."""

    event_type: ClassVar[str] = "child.stage.overdue.v1"
    model_config = _examples(
        version=2,
        stage="identified",
        overdue_stage="notified",
        due_at="2026-12-02T15:00:00Z",
        detected_at="2026-12-02T15:01:00Z",
    )

    overdue_stage: DeadlineStage
    due_at: AwareDatetime
    detected_at: AwareDatetime
