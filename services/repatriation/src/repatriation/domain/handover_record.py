"""The hand-over record both countries sign, and the people who arrived without being listed.

**People not on the list.** A person who steps off the bus at the reception point but is not
on the manifest is recorded there as `arrived_not_listed`, with the identity they give
(`ArrivedPerson`): an `UnlistedArrival` of the manifest, in its record and its totals. They do
not hold the closing up (the manifest closes when every *listed* person has an outcome), and
may still be recorded once it is closed — until the first side signs: a signed record does
not change under anyone's signature.

**Signatures.** Once the manifest is closed, each side signs the record: the delivering
`immigration_officer` of the sending country (`Side.SENDING`) and the receiving
`border_officer` of the reception point (`Side.RECEIVING`). A signature covers the record's
digest (the SHA-256 of its canonical form, which the adapters compute and which leaves the
signatures themselves out), so a side signs exactly what it read: a digest other than the
current one is refused. A side that disagrees with an outcome signs with an objection per
person and a reason — the disagreement stands in the one record both read, instead of in two
different ledgers. A side signs once; the same signature again is a no-op.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from repatriation.domain.errors import (
    InvalidHandover,
    InvalidSignature,
    RecordAlreadySigned,
    StaleRecordDigest,
)
from repatriation.domain.returnee import Sex

DIGEST = re.compile(r"[0-9a-f]{64}")


class Side(StrEnum):
    SENDING = "sending"  # the delivering officer of the sending country
    RECEIVING = "receiving"  # the receiving border officer of the reception point


@dataclass(frozen=True, kw_only=True)
class ArrivedPerson:
    """The identity a person not on the manifest gives at the post."""

    given_names: str
    surnames: str
    sex: Sex
    date_of_birth: date
    nationality: str

    def check(self, *, field: str) -> None:
        for name in ("given_names", "surnames"):
            if not getattr(self, name).strip():
                raise InvalidHandover(
                    "Give the name the person gave at the post.",
                    rule="person_name_required",
                    field=f"{field}.{name}",
                )

    def key(self) -> tuple[str, str, str, date, str]:
        """Who this is, for "the same person recorded twice" (an offline post that sends
        its hand-overs again): names compared without case or surrounding spaces."""
        return (
            self.given_names.strip().casefold(),
            self.surnames.strip().casefold(),
            self.sex.value,
            self.date_of_birth,
            self.nationality,
        )


@dataclass(frozen=True, kw_only=True)
class UnlistedArrival:
    id: uuid.UUID
    person: ArrivedPerson
    officer: str
    post: str
    recorded_at: datetime  # the post's time
    stored_at: datetime  # when Puebla stored it


@dataclass(frozen=True, kw_only=True)
class Objection:
    """A side's disagreement with one person's outcome (listed or not), and why."""

    returnee_id: uuid.UUID
    reason: str


@dataclass(frozen=True, kw_only=True)
class HandoverSignature:
    side: Side
    country: str
    officer: str
    signed_at: datetime
    digest: str  # the record's digest the officer signed
    objections: tuple[Objection, ...] = ()

    def same_as(self, digest: str, objections: Sequence[Objection]) -> bool:
        return self.digest == digest and sorted(
            self.objections, key=lambda o: str(o.returnee_id)
        ) == sorted(objections, key=lambda o: str(o.returnee_id))


def checked_objections(
    objections: Sequence[Objection], people: set[uuid.UUID]
) -> tuple[Objection, ...]:
    """Each objection names a person of the record, once, with a reason (422 otherwise)."""
    seen: set[uuid.UUID] = set()
    out: list[Objection] = []
    for position, objection in enumerate(objections):
        field = f"objections[{position}]"
        if objection.returnee_id not in people:
            raise InvalidSignature(
                "An objection names a person of this hand-over record.",
                rule="objection_not_in_record",
                field=f"{field}.returnee_id",
            )
        if objection.returnee_id in seen:
            raise InvalidSignature(
                "One objection per person: give every reason in one.",
                rule="duplicate_objection",
                field=f"{field}.returnee_id",
            )
        reason = objection.reason.strip()
        if not reason:
            raise InvalidSignature(
                "Say why you disagree with this outcome.",
                rule="objection_reason_required",
                field=f"{field}.reason",
            )
        seen.add(objection.returnee_id)
        out.append(Objection(returnee_id=objection.returnee_id, reason=reason))
    return tuple(out)


def decide_signature(
    signatures: Sequence[HandoverSignature],
    candidate: HandoverSignature,
    *,
    current_digest: str,
) -> bool:
    """True if `candidate` is a new signature; False if its side already signed exactly this
    (a repeat). Refuses a digest that is not the current record's (the signer read another
    version: 409) and a second, different signature by a side that has signed."""
    if not DIGEST.fullmatch(candidate.digest):
        raise InvalidSignature(
            "The digest is the record's SHA-256 in lowercase hex (64 characters).",
            rule="digest_format",
            field="digest",
        )
    for signature in signatures:
        if signature.side is candidate.side:
            if signature.same_as(candidate.digest, candidate.objections):
                return False
            raise RecordAlreadySigned(candidate.side.value)
    if candidate.digest != current_digest:
        raise StaleRecordDigest()
    return True
