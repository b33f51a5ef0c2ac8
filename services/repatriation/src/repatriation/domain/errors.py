"""Why a manifest change is refused, in the words of the Memorandum.

Every refusal is a `ManifestError`, shaped as every refusal of Puebla is (`puebla.refusals.
Refusal`, by shape: the domain imports nothing of `puebla`), carrying:

- `rule`: a stable slug (API clients, tests and problem+json ``rule`` / ``errors[].rule`` match
  on it);
- `field`: the request path it concerns when there is one, e.g. ``"returnees[2].family_group"``
  (paths inside a single returnee are relative, e.g. ``"family_group"``; the caller prefixes);
- `message`: what to do next;
- `details`: extra members of the answer, when a client needs more to act on it (the ids of
  the returnees who hold a dispatch up); empty otherwise;
- `kind`: how the API answers (`puebla.problems.problem_for`), without this package knowing
  anything about HTTP:

  | kind          | meaning                                                        | HTTP |
  |---------------|----------------------------------------------------------------|------|
  | ``invalid``   | the request itself breaks a rule                               | 422  |
  | ``conflict``  | fine in itself, but not in the current state / contradicts the | 409  |
  |               | record                                                         |      |
  | ``not_found`` | names a returnee that is not on this manifest                  | 404  |

Messages say what to do next and never repeat a person's data (names, dates of birth): they
end up in logs and in answers to people who may not be entitled to see that person. In
particular nothing about a person with a protection need may leak (POLICY.md, protection
exception).

Programming errors (a naive `now`, a malformed reference-data row) are plain `ValueError`s on
purpose: they are bugs in the adapters, not answers for a client.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Literal

ErrorKind = Literal["invalid", "conflict", "not_found"]

CHILD_PROTECTION_POINTER = (
    "open a case in the child_protection service (unaccompanied-child procedure, "
    "RCM Regional Guidelines 2009) instead"
)


class ManifestError(Exception):
    """Base of every refusal of the repatriation domain."""

    kind: ClassVar[ErrorKind] = "invalid"
    default_rule: ClassVar[str] = "invalid"
    default_field: ClassVar[str | None] = None

    def __init__(self, message: str, *, rule: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.rule = rule or self.default_rule
        self.field = field if field is not None else self.default_field

    @property
    def details(self) -> Mapping[str, Any]:
        """Extra members of the answer (JSON-able); none unless a refusal says so."""
        return {}


# --- the three kinds; catch these to map a whole family at once -------------------------------


class ManifestInvalid(ManifestError):
    kind = "invalid"
    default_rule = "invalid"


class ManifestConflict(ManifestError):
    kind = "conflict"
    default_rule = "conflict"


class ManifestNotFound(ManifestError):
    kind = "not_found"
    default_rule = "not_found"


# --- invalid (422): who may be on a manifest ----------------------------------------------------


class ReturneeHasProtectionNeed(ManifestInvalid):
    """Fear of return, asylum or refugee application: never on a manifest, never disclosed."""

    default_rule = "protection_need"
    default_field = "protection_need"

    def __init__(self, *, field: str | None = None) -> None:
        # Deliberately generic: no name, no nationality, nothing that identifies the person.
        super().__init__(
            "A person with a protection need (fear of return, asylum or refugee application) "
            "cannot be put on a repatriation manifest and their consulate is not told about "
            "them: refer them to the asylum/refugee procedure. Nothing about this person has "
            "been recorded on the manifest.",
            field=field,
        )


class ReturneeIsUnaccompaniedMinor(ManifestInvalid):
    """A child (or a person whose age is disputed) without an adult of the same family group."""

    default_rule = "unaccompanied_minor"
    default_field = "family_group"

    def __init__(self, *, field: str | None = None) -> None:
        super().__init__(
            "A child (under 18, or whose age is disputed) may only travel with an adult of the "
            "same family group on the same manifest. For a child travelling without one, "
            f"{CHILD_PROTECTION_POINTER}.",
            field=field,
        )


class ChildHasTraffickingIndicator(ManifestInvalid):
    """A child with a trafficking indicator: consular contact is blocked until a host
    supervisor allows it and a risk assessment is required before any return plan (DOMAIN.md §2),
    so such a child is returned through the child-protection procedure, never on a manifest."""

    default_rule = "child_trafficking_indicator"
    default_field = "vulnerabilities.trafficking_indicator"

    def __init__(self, *, field: str | None = None) -> None:
        super().__init__(
            "A child with a trafficking indicator cannot be put on a repatriation manifest: "
            "open a case in the child_protection service (special-protection procedure for "
            "child victims of trafficking) instead.",
            field=field,
        )


class VulnerabilityNotAnswered(ManifestInvalid):
    default_rule = "vulnerability_flag_required"
    default_field = "vulnerabilities"

    def __init__(self, *, field: str | None = None) -> None:
        super().__init__(
            "Each vulnerability flag (pregnant, disability, illness_or_injury, "
            "trafficking_indicator) must be answered explicitly with true or false.",
            field=field,
        )


class ProtectionScreenNotAnswered(ManifestInvalid):
    default_rule = "protection_need_required"
    default_field = "protection_need"

    def __init__(self, *, field: str | None = None) -> None:
        super().__init__(
            "protection_need must be answered explicitly with true or false: ask the person "
            "whether they fear return or have applied for asylum or refugee status.",
            field=field,
        )


class NationalityIsNotReceivingCountry(ManifestInvalid):
    """The Memorandum returns nationals to their own country; anyone else on the manifest would
    be disclosed to a third country, which POLICY.md forbids."""

    default_rule = "nationality_not_receiving_country"
    default_field = "nationality"

    def __init__(self, *, field: str | None = None) -> None:
        super().__init__(
            "A returnee's claimed nationality must be the manifest's receiving country: put "
            "them on a manifest to their own country.",
            field=field,
        )


class InvalidReturneeData(ManifestInvalid):
    """Rules: date_of_birth_after_departure, blank_value."""

    default_rule = "invalid_returnee"


class DuplicateReturnee(ManifestConflict):
    default_rule = "duplicate_returnee"
    default_field = "id"

    def __init__(self) -> None:
        super().__init__("This returnee id is already on the manifest.")


# --- invalid (422): where, when and under which agreement ---------------------------------------


class InvalidSchedule(ManifestInvalid):
    """Rules: arrival_before_departure, arrival_in_past."""

    default_rule = "invalid_schedule"
    default_field = "scheduled_arrival"


class InvalidVehicle(ManifestInvalid):
    """Rules: seats_must_be_positive, plate_required."""

    default_rule = "invalid_vehicle"
    default_field = "vehicle"


class SameCountry(ManifestInvalid):
    default_rule = "same_country"
    default_field = "receiving_country"

    def __init__(self) -> None:
        super().__init__("The receiving country must differ from the sending country.")


class NotAReceivingCountry(ManifestInvalid):
    """No official reception point of the Memorandum is in that country: nobody can be
    received there (the reference data says where one can)."""

    default_rule = "not_a_receiving_country"
    default_field = "receiving_country"

    def __init__(self, country: str) -> None:
        super().__init__(
            f"{country} has no official reception point under the Memorandum: use a country "
            "listed by GET /v1/reception-points."
        )


class UnknownReceptionPoint(ManifestInvalid):
    """Rules: unknown_reception_point, reception_point_not_in_receiving_country,
    reception_point_not_in_service."""

    default_rule = "unknown_reception_point"
    default_field = "reception_point"


class AgreementNotInForce(ManifestInvalid):
    default_rule = "agreement_not_in_force"

    def __init__(self, country: str, on: str, *, field: str) -> None:
        super().__init__(
            f"{country}'s adherence to the Memorandum is not in force on the arrival date "
            f"({on}): choose an arrival date within the agreement's validity.",
            field=field,
        )


class OutsideReceptionWindow(ManifestInvalid):
    default_rule = "outside_reception_window"
    default_field = "scheduled_arrival"


class AdvanceNoticeTooShort(ManifestInvalid):
    default_rule = "advance_notice_too_short"
    default_field = "late_notice_reason"


# --- invalid (422): removing people, cancelling, hand-over input --------------------------------


class FamilyWouldBeSeparated(ManifestInvalid):
    default_rule = "family_separation_needs_reason"
    default_field = "reason"

    def __init__(self) -> None:
        super().__init__(
            "This returnee's family group stays on the manifest: removing one member without "
            "the others separates the family and needs a recorded reason (give `reason`).",
        )


class RemovalReasonRequired(ManifestInvalid):
    default_rule = "removal_reason_required"
    default_field = "reason"

    def __init__(self) -> None:
        super().__init__(
            "The receiving side has already been notified of this returnee: give a `reason` "
            "for removing them.",
        )


class FamilyChoiceRequired(ManifestInvalid):
    default_rule = "family_choice_required"
    default_field = "family"

    def __init__(self) -> None:
        super().__init__(
            "Other members of this person's family group are on the manifest: say whether they "
            "stay on it (`family: stay`) or leave it with the person (`family: leave_with`).",
        )


class ChildWouldStayWithoutAdult(ManifestInvalid):
    """`family: stay` would leave a child of the family group on the manifest without an adult
    of that group: refused, like any unaccompanied child on a manifest."""

    default_rule = "child_would_stay_without_adult"
    default_field = "family"

    def __init__(self) -> None:
        super().__init__(
            "With this person off the manifest, a child of their family group would travel "
            "without an adult of the group: choose `family: leave_with` (for a child who must "
            f"still travel alone, {CHILD_PROTECTION_POINTER}).",
        )


class CancellationReasonRequired(ManifestInvalid):
    default_rule = "cancellation_reason_required"
    default_field = "reason"

    def __init__(self) -> None:
        super().__init__("Give a `reason` for cancelling the manifest.")


class InvalidHandover(ManifestInvalid):
    """Rules: refusal_reason_required, reason_only_for_refusal, duplicate_item,
    handover_at_another_post, officer_required, recorded_at_in_future,
    recorded_before_dispatch; for people not on the manifest (`arrived_not_listed`):
    person_required, person_only_when_not_listed, returnee_id_required,
    returnee_id_not_when_not_listed, person_name_required."""

    default_rule = "invalid_handover"


class InvalidSignature(ManifestInvalid):
    """Rules: digest_format, objection_not_in_record, duplicate_objection,
    objection_reason_required."""

    default_rule = "invalid_signature"


class NationalityRejectionReasonRequired(ManifestInvalid):
    default_rule = "rejection_reason_required"
    default_field = "reason"

    def __init__(self) -> None:
        super().__init__("A consular rejection of nationality must carry a reason.")


# --- conflict (409) ---------------------------------------------------------------------------


class InvalidTransition(ManifestConflict):
    default_rule = "invalid_transition"

    def __init__(self, action: str, status: str, allowed: Iterable[str]) -> None:
        self.action = action
        self.status = status
        states = ", ".join(sorted(allowed))
        super().__init__(
            f"Cannot {action} a manifest that is {status}: only when it is {states}.",
        )


class EmptyManifest(ManifestConflict):
    default_rule = "empty_manifest"
    default_field = "returnees"

    def __init__(self, action: str) -> None:
        super().__init__(f"Cannot {action} a manifest without returnees: add them first.")


class ChildWouldBeLeftUnaccompanied(ManifestConflict):
    default_rule = "child_would_be_unaccompanied"
    default_field = "returnee_id"

    def __init__(self) -> None:
        super().__init__(
            "This is the last adult of a family group that still has children on the "
            "manifest: remove the children first (and for them "
            f"{CHILD_PROTECTION_POINTER}), or keep this adult on the manifest.",
        )


class NationalityNotConfirmed(ManifestConflict):
    default_rule = "nationality_not_confirmed"
    default_field = "returnees"

    def __init__(self, returnee_ids: Iterable[uuid.UUID]) -> None:
        self.returnee_ids = tuple(returnee_ids)
        super().__init__(
            f"{len(self.returnee_ids)} returnee(s) still await the consulate's confirmation "
            "of nationality: dispatch when every returnee is confirmed.",
        )

    @property
    def details(self) -> Mapping[str, Any]:
        return {"returnee_ids": [str(i) for i in self.returnee_ids]}


class RejectedReturneeOnManifest(ManifestConflict):
    default_rule = "nationality_rejected"
    default_field = "returnees"

    def __init__(self, returnee_ids: Iterable[uuid.UUID]) -> None:
        self.returnee_ids = tuple(returnee_ids)
        super().__init__(
            f"{len(self.returnee_ids)} returnee(s) had their nationality rejected by the "
            "consulate: remove them from the manifest (with a reason) before dispatch.",
        )

    @property
    def details(self) -> Mapping[str, Any]:
        return {"returnee_ids": [str(i) for i in self.returnee_ids]}


class NotEnoughSeats(ManifestConflict):
    default_rule = "not_enough_seats"
    default_field = "vehicle.seats"

    def __init__(self, seats: int, returnees: int) -> None:
        super().__init__(
            f"The vehicle has {seats} seat(s) for {returnees} returnees: remove returnees or "
            "use a larger vehicle.",
        )


class HandoverAlreadyRecorded(ManifestConflict):
    default_rule = "handover_already_recorded"

    def __init__(self, *, field: str | None = None) -> None:
        super().__init__(
            "A different hand-over outcome is already recorded for this returnee; an outcome "
            "is recorded once and is not changed.",
            field=field,
        )


class NationalityAlreadyDecided(ManifestConflict):
    default_rule = "nationality_already_decided"

    def __init__(self) -> None:
        super().__init__(
            "The consulate already recorded a different nationality decision for this "
            "returnee; a decision is recorded once.",
        )


# --- not found (404) --------------------------------------------------------------------------


class ReturneeNotFound(ManifestNotFound):
    default_rule = "returnee_not_found"
    default_field = "returnee_id"

    def __init__(self, returnee_id: uuid.UUID, *, field: str | None = None) -> None:
        self.returnee_id = returnee_id
        super().__init__(f"No returnee {returnee_id} on this manifest.", field=field)


class RecordAlreadySigned(ManifestConflict):
    """A side signs the hand-over record once: a different second signature is refused."""

    default_rule = "already_signed"
    default_field = "digest"

    def __init__(self, side: str) -> None:
        super().__init__(
            f"The {side} side has already signed this hand-over record, differently; a "
            "signature is given once and is not changed.",
        )


class StaleRecordDigest(ManifestConflict):
    default_rule = "digest_not_current"
    default_field = "digest"

    def __init__(self) -> None:
        super().__init__(
            "This is not the digest of the hand-over record as it stands: read the record "
            "again and sign what it says now.",
        )


class RecordSigned(ManifestConflict):
    """Once a side has signed, the record does not change under its signature."""

    default_rule = "record_signed"

    def __init__(self, *, field: str | None = None) -> None:
        super().__init__(
            "The hand-over record has been signed: nobody more can be added to it.", field=field
        )
