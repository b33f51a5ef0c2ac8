"""The `Manifest` aggregate: one land repatriation under the Memorandum, from draft to a
hand-over record both countries agree on.

Every change goes through a method that checks the rules (DOMAIN.md §1), changes the state,
increments `version` (optimistic concurrency: the repository refuses to save over a newer
version) and appends the domain events the unit of work will drain. A method that raises has
changed nothing. A method that finds the change already made (same hand-over outcome, same
consular decision) changes nothing, emits nothing and returns False: replays are harmless.

Time is always handed in (`now`, timezone-aware): the domain never reads a clock. Ids are
handed in too (the handlers mint UUIDv7s), as is the readable reference (from a sequence).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypedDict
from zoneinfo import ZoneInfo

from repatriation.domain.errors import (
    CancellationReasonRequired,
    ChildWouldBeLeftUnaccompanied,
    ChildWouldStayWithoutAdult,
    DuplicateReturnee,
    EmptyManifest,
    FamilyChoiceRequired,
    FamilyWouldBeSeparated,
    InvalidHandover,
    InvalidSignature,
    InvalidTransition,
    InvalidVehicle,
    NationalityNotConfirmed,
    NationalityRejectionReasonRequired,
    NotEnoughSeats,
    RecordSigned,
    RejectedReturneeOnManifest,
    RemovalReasonRequired,
    ReturneeIsUnaccompaniedMinor,
    ReturneeNotFound,
)
from repatriation.domain.events import (
    Event,
    HandoverRecordSigned,
    ManifestAmended,
    ManifestArrived,
    ManifestCancelled,
    ManifestClosed,
    ManifestDispatched,
    ManifestDrafted,
    ManifestSubmitted,
    NationalityConfirmed,
    NationalityRejected,
    PersonArrivedNotListed,
    ReturneeAdded,
    ReturneeHandedOver,
    ReturneeProtectionNeedRecorded,
    ReturneeRemoved,
    ReturneeSummary,
)
from repatriation.domain.handover_record import (
    ArrivedPerson,
    HandoverSignature,
    Objection,
    Side,
    UnlistedArrival,
    checked_objections,
    decide_signature,
)
from repatriation.domain.planning import (
    check_advance_notice,
    check_agreements,
    check_countries,
    check_receiving_country,
    check_reception_window,
    check_schedule,
    require_aware,
    resolve_reception_point,
)
from repatriation.domain.protection import FamilyChoice, ProtectionNeedKind, ProtectionRemoval
from repatriation.domain.reference_data import ReferenceData
from repatriation.domain.returnee import (
    Handover,
    HandoverOutcome,
    NationalityStatus,
    RefusalReason,
    Returnee,
)
from repatriation.domain.screening import (
    screen_for_protection,
    screen_returnee,
    unaccompanied_children,
)
from repatriation.domain.status import (
    AMENDABLE,
    CANCELLABLE,
    HANDOVER_OPEN,
    NATIONALITY_OPEN,
    ManifestStatus,
)

# How far ahead of the server's clock a post's `recorded_at` may be: the device's clock drifts.
CLOCK_SKEW = timedelta(minutes=2)


def format_reference(sending_country: str, receiving_country: str, year: int, number: int) -> str:
    """The readable reference, e.g. ``MX-GT-2026-000123`` (the number comes from a sequence)."""
    if number < 1:
        raise ValueError("reference numbers start at 1")
    return f"{sending_country}-{receiving_country}-{year:04d}-{number:06d}"


@dataclass(frozen=True, kw_only=True)
class Vehicle:
    plate: str
    seats: int  # seats for returnees; compared with the number of returnees at dispatch

    def __post_init__(self) -> None:
        if not self.plate.strip():
            raise InvalidVehicle(
                "Give the vehicle's plate.", rule="plate_required", field="vehicle.plate"
            )
        if self.seats < 1:
            raise InvalidVehicle(
                "A vehicle needs at least one seat.",
                rule="seats_must_be_positive",
                field="vehicle.seats",
            )


@dataclass(frozen=True, kw_only=True)
class HandoverItem:
    """One line of a hand-over request: a returnee and their outcome (reason when refused),
    and when the officer recorded it at the post (None: now — an online hand-over). A person
    not on the manifest has no `returnee_id` but the `person` they said they are, with the
    outcome `arrived_not_listed`."""

    returnee_id: uuid.UUID | None
    outcome: HandoverOutcome
    reason: RefusalReason | None = None
    recorded_at: datetime | None = None
    person: ArrivedPerson | None = None

    @property
    def not_listed(self) -> bool:
        return self.outcome is HandoverOutcome.ARRIVED_NOT_LISTED


@dataclass(frozen=True, kw_only=True)
class OnRecord:
    """What the hand-over record holds for one item of a request: the person (a returnee, or
    an unlisted arrival by its id), whether they are on the manifest, and their outcome."""

    person_id: uuid.UUID
    listed: bool
    handover: Handover


@dataclass(frozen=True, kw_only=True)
class HandoverTotals:
    """The counts of the hand-over record: the same numbers for both countries."""

    received: int
    not_presented: int
    refused: int
    pending: int
    arrived_not_listed: int = 0

    @property
    def total(self) -> int:
        """Everyone the record names: the listed people and those who arrived unlisted."""
        return (
            self.received
            + self.not_presented
            + self.refused
            + self.pending
            + self.arrived_not_listed
        )


class _Header(TypedDict):
    manifest_id: uuid.UUID
    reference: str
    sending_country: str
    receiving_country: str
    reception_point: str
    scheduled_arrival: datetime
    version: int
    occurred_at: datetime


def _clean(text: str | None) -> str | None:
    """A blank reason is no reason."""
    if text is None or not text.strip():
        return None
    return text.strip()


class Manifest:
    """The aggregate root. Create new manifests with `Manifest.create`; `__init__` only
    reassembles a stored one (the repository, or a test putting a manifest in a given state).

    Attributes (all readable; change them only through the methods):
        id, reference, sending_country, receiving_country, reception_point (code),
        reception_time_zone (the point's IANA zone, kept so that local dates need no lookup),
        scheduled_departure, scheduled_arrival (aware), vehicle, returnees, status,
        late_notice (bool), late_notice_reason, cancellation_reason, version, created_at,
        submitted_at, dispatched_at, arrived_at, closed_at, cancelled_at,
        protection_removals (people taken off for a protection need: the sending state's
        record, never shown to the receiving country), unlisted_arrivals (people who arrived
        without being on it), signatures (of the hand-over record, a side each), events.

    A manifest loaded for a hand-over may hold only the returnees the request names, with
    the others' outcomes counted (`others`, the repository's `get_for_handover`): enough to
    record outcomes, total them and close, and nothing else. `returnees` (everyone) refuses
    on such an object, so no rule can be decided on part of the list; `returnees_held` is
    what the object holds either way (the repository writes from it).
    """

    _events: list[Event]

    def __init__(
        self,
        *,
        id: uuid.UUID,
        reference: str,
        sending_country: str,
        receiving_country: str,
        reception_point: str,
        reception_time_zone: str,
        scheduled_departure: datetime,
        scheduled_arrival: datetime,
        vehicle: Vehicle,
        returnees: Sequence[Returnee],
        created_at: datetime,
        status: ManifestStatus = ManifestStatus.DRAFT,
        late_notice: bool = False,
        late_notice_reason: str | None = None,
        cancellation_reason: str | None = None,
        version: int = 1,
        submitted_at: datetime | None = None,
        dispatched_at: datetime | None = None,
        arrived_at: datetime | None = None,
        closed_at: datetime | None = None,
        cancelled_at: datetime | None = None,
        protection_removals: Sequence[ProtectionRemoval] = (),
        unlisted_arrivals: Sequence[UnlistedArrival] = (),
        signatures: Sequence[HandoverSignature] = (),
        others: HandoverTotals | None = None,
    ) -> None:
        self.id = id
        self.reference = reference
        self.sending_country = sending_country
        self.receiving_country = receiving_country
        self.reception_point = reception_point
        self.reception_time_zone = reception_time_zone
        self.scheduled_departure = scheduled_departure
        self.scheduled_arrival = scheduled_arrival
        self.vehicle = vehicle
        self._returnees = list(returnees)
        # The outcomes of the returnees not held (None: every returnee is held).
        self.others = others
        self.created_at = created_at
        self.status = status
        self.late_notice = late_notice
        self.late_notice_reason = late_notice_reason
        self.cancellation_reason = cancellation_reason
        self.version = version
        self.submitted_at = submitted_at
        self.dispatched_at = dispatched_at
        self.arrived_at = arrived_at
        self.closed_at = closed_at
        self.cancelled_at = cancelled_at
        self.protection_removals = list(protection_removals)
        self.unlisted_arrivals = list(unlisted_arrivals)
        self.signatures = list(signatures)
        self._events = []

    # -- creation ------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        *,
        id: uuid.UUID,
        reference: str,
        sending_country: str,
        receiving_country: str,
        reception_point: str,
        scheduled_departure: datetime,
        scheduled_arrival: datetime,
        vehicle: Vehicle,
        returnees: Sequence[Returnee],
        reference_data: ReferenceData,
        now: datetime,
        late_notice_reason: str | None = None,
    ) -> Manifest:
        """A new draft (version 1), with every rule checked; emits `ManifestDrafted`.

        `returnees` may be empty (a draft can be filled with `add_returnee`). Errors on a
        returnee name the field as ``returnees[i].<field>``.
        """
        require_aware(now, "now")
        # The protection screen comes first, so that no other error ever describes such a
        # person; the whole create is refused and nothing about them is kept.
        for position, returnee in enumerate(returnees):
            screen_for_protection(returnee, field_prefix=f"returnees[{position}].")
        check_receiving_country(
            reference_data, sending_country=sending_country, receiving_country=receiving_country
        )
        check_schedule(scheduled_departure, scheduled_arrival, now=now)
        check_countries(sending_country, receiving_country)
        point = resolve_reception_point(
            reference_data,
            reception_point,
            receiving_country=receiving_country,
            scheduled_arrival=scheduled_arrival,
        )
        manifest = cls(
            id=id,
            reference=reference,
            sending_country=sending_country,
            receiving_country=receiving_country,
            reception_point=point.code,
            reception_time_zone=point.time_zone,
            scheduled_departure=scheduled_departure,
            scheduled_arrival=scheduled_arrival,
            vehicle=vehicle,
            returnees=[],
            created_at=now,
            late_notice_reason=_clean(late_notice_reason),
        )
        seen: set[uuid.UUID] = set()
        for position, returnee in enumerate(returnees):
            manifest._screen_new(returnee, field_prefix=f"returnees[{position}].")
            if returnee.id in seen:
                raise DuplicateReturnee()
            seen.add(returnee.id)
        alone = unaccompanied_children(returnees, manifest.departure_date)
        if alone:
            raise ReturneeIsUnaccompaniedMinor(field=f"returnees[{alone[0]}].family_group")
        manifest._check_plan(reference_data, returnees)
        manifest.returnees = list(returnees)
        manifest.events.append(
            ManifestDrafted(
                **manifest._header(now),
                scheduled_departure=scheduled_departure,
                returnee_count=len(returnees),
            )
        )
        return manifest

    # -- identity and reading ------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Manifest) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"Manifest(id={self.id}, reference={self.reference!r}, status={self.status})"

    @property
    def returnees(self) -> list[Returnee]:
        """Everyone on the manifest, in the order added."""
        if self.others is not None:
            raise RuntimeError(
                f"{self!r} was loaded for a hand-over with only the returnees it names;"
                " this needs every returnee"
            )
        return self._returnees

    @returnees.setter
    def returnees(self, returnees: list[Returnee]) -> None:
        self.returnees  # noqa: B018 - refuses on a manifest loaded in part
        self._returnees = returnees

    @property
    def returnees_held(self) -> list[Returnee]:
        """The returnees this object holds: everyone, or those a hand-over named."""
        return self._returnees

    @property
    def events(self) -> list[Event]:
        """New domain events since load; the unit of work drains (clears) this list."""
        return self._events

    @property
    def departure_date(self) -> date:
        """The local calendar date of departure, in the reception point's time zone.

        Children are judged on this date: someone under 18 when the journey starts travels as
        a child, even if they turn 18 before arriving.
        """
        return self.scheduled_departure.astimezone(ZoneInfo(self.reception_time_zone)).date()

    @property
    def arrival_date(self) -> date:
        """The local calendar date of arrival at the reception point.

        Vulnerability (aged 60 or over) is judged on this date — the hand-over is what the
        stricter window protects — as are the agreement and the point's validity.
        """
        return self.scheduled_arrival.astimezone(ZoneInfo(self.reception_time_zone)).date()

    def returnee(self, returnee_id: uuid.UUID, *, field: str | None = None) -> Returnee:
        # A manifest held in part holds everyone its hand-over named who is on it.
        for returnee in self._returnees:
            if returnee.id == returnee_id:
                return returnee
        raise ReturneeNotFound(returnee_id, field=field)

    def is_vulnerable(self, returnee: Returnee) -> bool:
        return returnee.vulnerable(self.arrival_date)

    def is_child(self, returnee: Returnee) -> bool:
        return returnee.is_child(self.departure_date)

    @property
    def vulnerable_aboard(self) -> bool:
        return any(self.is_vulnerable(r) for r in self.returnees)

    def listing(self) -> list[Returnee]:
        """Returnees in the order the manifest and the hand-over record list them: vulnerable
        people first (differentiated treatment), otherwise in the order they were added."""
        return sorted(self.returnees, key=lambda r: not self.is_vulnerable(r))

    def handover_totals(self) -> HandoverTotals:
        outcomes = [r.handover_outcome for r in self._returnees]
        others = self.others or HandoverTotals(received=0, not_presented=0, refused=0, pending=0)
        return HandoverTotals(
            received=outcomes.count(HandoverOutcome.RECEIVED) + others.received,
            not_presented=outcomes.count(HandoverOutcome.NOT_PRESENTED) + others.not_presented,
            refused=outcomes.count(HandoverOutcome.REFUSED) + others.refused,
            pending=outcomes.count(None) + others.pending,
            arrived_not_listed=len(self.unlisted_arrivals),
        )

    def record_people(self) -> set[uuid.UUID]:
        """The ids of everyone the hand-over record names (listed and not)."""
        return {r.id for r in self.returnees} | {a.id for a in self.unlisted_arrivals}

    # -- amendments: add and remove returnees (draft and submitted) -----------------------------

    def add_returnee(
        self,
        returnee: Returnee,
        *,
        reference_data: ReferenceData,
        now: datetime,
        late_notice_reason: str | None = None,
    ) -> None:
        """Adds one person. Emits `ReturneeAdded` in draft, `ManifestAmended` once submitted.

        Once submitted, the receiving side is notified again, so the advance-notice rule
        applies as at submission: inside the notice period only with a `late_notice_reason`
        (this amendment's own), and the amendment is flagged late.
        Errors name fields of the returnee body (``"family_group"``, ``"protection_need"``…).
        """
        require_aware(now, "now")
        self._require_status("add a returnee to", AMENDABLE)
        self._screen_new(returnee, field_prefix="")
        if any(r.id == returnee.id for r in self.returnees):
            raise DuplicateReturnee()
        candidate = [*self.returnees, returnee]
        if unaccompanied_children(candidate, self.departure_date):
            raise ReturneeIsUnaccompaniedMinor(field="family_group")
        # A vulnerable person may bring the stricter window into force, and the reference data
        # may have changed since the manifest was created.
        self._check_plan(reference_data, candidate)
        why = _clean(late_notice_reason)
        late = False
        if self.status is ManifestStatus.SUBMITTED:
            late = check_advance_notice(
                reference_data,
                receiving_country=self.receiving_country,
                scheduled_arrival=self.scheduled_arrival,
                now=now,
                late_notice_reason=why,
            )

        self.returnees.append(returnee)
        self.version += 1
        if self.status is ManifestStatus.SUBMITTED:
            self.events.append(
                ManifestAmended(
                    **self._header(now),
                    added=(ReturneeSummary.of(returnee),),
                    removed=(),
                    removal_reason=None,
                    returnee_count=len(self.returnees),
                    late_notice=late,
                    late_notice_reason=why if late else None,
                )
            )
        else:
            self.events.append(ReturneeAdded(**self._header(now), returnee_id=returnee.id))

    def remove_returnee(
        self, returnee_id: uuid.UUID, *, now: datetime, reason: str | None = None
    ) -> None:
        """Removes one person. Emits `ReturneeRemoved` in draft, `ManifestAmended` once submitted.

        Once submitted, a reason is required (the receiving side was told about this person),
        and separating a family is refused without one (`FamilyWouldBeSeparated`). The last
        adult of a family group that still has children cannot be removed before them.
        """
        require_aware(now, "now")
        self._require_status("remove a returnee from", AMENDABLE)
        leaving = self.returnee(returnee_id)
        why = _clean(reason)
        staying = [r for r in self.returnees if r.id != leaving.id]
        if unaccompanied_children(staying, self.departure_date):
            raise ChildWouldBeLeftUnaccompanied()
        if self.status is ManifestStatus.SUBMITTED and why is None:
            family_stays = leaving.family_group is not None and any(
                r.family_group == leaving.family_group for r in staying
            )
            if family_stays:
                raise FamilyWouldBeSeparated()
            raise RemovalReasonRequired()

        self.returnees = staying
        self.version += 1
        if self.status is ManifestStatus.SUBMITTED:
            self.events.append(
                ManifestAmended(
                    **self._header(now),
                    added=(),
                    removed=(leaving.id,),
                    removal_reason=why,
                    returnee_count=len(self.returnees),
                )
            )
        else:
            self.events.append(
                ReturneeRemoved(**self._header(now), returnee_id=leaving.id, reason=why)
            )

    def record_protection_need(
        self,
        returnee_id: uuid.UUID,
        *,
        kind: ProtectionNeedKind,
        note: str | None,
        family: FamilyChoice | None,
        officer: str,
        now: datetime,
    ) -> tuple[uuid.UUID, ...]:
        """A protection need found after the person was put on the manifest (draft or
        submitted): they come off it, with the members of their family group if `family` is
        `leave_with`. Returns the ids of everyone taken off.

        `family` is required when other members of the group are on the manifest; `stay` may
        not leave a child of the group without an adult of it. Emits
        `ReturneeProtectionNeedRecorded` only — never a `ManifestAmended`, which the receiving
        country reads.
        """
        require_aware(now, "now")
        self._require_status("record a protection need on", AMENDABLE)
        person = self.returnee(returnee_id)
        relatives = [
            r
            for r in self.returnees
            if person.family_group is not None
            and r.family_group == person.family_group
            and r.id != person.id
        ]
        if relatives and family is None:
            raise FamilyChoiceRequired()
        leaving = [person, *relatives] if family is FamilyChoice.LEAVE_WITH else [person]
        gone = {r.id for r in leaving}
        staying = [r for r in self.returnees if r.id not in gone]
        if unaccompanied_children(staying, self.departure_date):
            raise ChildWouldStayWithoutAdult()

        why = _clean(note)
        self.returnees = staying
        self.version += 1
        for r in leaving:
            self.protection_removals.append(
                ProtectionRemoval.of(
                    r,
                    kind=kind,
                    note=why,
                    family_of=None if r.id == person.id else person.id,
                    recorded_by=officer,
                    recorded_at=now,
                )
            )
        ids = tuple(r.id for r in leaving)
        self.events.append(
            ReturneeProtectionNeedRecorded(
                **self._header(now),
                returnee_id=person.id,
                returnee_ids=ids,
                kind=kind,
                note=why,
                family=family if relatives else None,
                returnee_count=len(staying),
            )
        )
        return ids

    # -- lifecycle -----------------------------------------------------------------------------

    def submit(
        self,
        *,
        reference_data: ReferenceData,
        now: datetime,
        late_notice_reason: str | None = None,
    ) -> None:
        """draft → submitted; emits `ManifestSubmitted` (the receiving side is notified and each
        returnee's nationality goes to the consulate for verification).

        Re-checks the plan against today's reference data, then the advance notice: late is
        allowed only with a reason (this one, or the one given at creation) and is flagged.
        """
        require_aware(now, "now")
        self._require_status("submit", {ManifestStatus.DRAFT})
        if not self.returnees:
            raise EmptyManifest("submit")
        self._check_plan(reference_data, self.returnees)
        why = _clean(late_notice_reason) or self.late_notice_reason
        late = check_advance_notice(
            reference_data,
            receiving_country=self.receiving_country,
            scheduled_arrival=self.scheduled_arrival,
            now=now,
            late_notice_reason=why,
        )

        self.status = ManifestStatus.SUBMITTED
        self.submitted_at = now
        self.late_notice = late
        self.late_notice_reason = why
        self.version += 1
        self.events.append(
            ManifestSubmitted(
                **self._header(now),
                scheduled_departure=self.scheduled_departure,
                late_notice=late,
                late_notice_reason=why,
                returnees=tuple(ReturneeSummary.of(r) for r in self.listing()),
            )
        )

    def dispatch(self, *, now: datetime) -> None:
        """submitted → dispatched (the bus leaves); emits `ManifestDispatched`.

        Only with every remaining returnee's nationality confirmed (rejected ones removed
        first) and a seat for each.
        """
        require_aware(now, "now")
        self._require_status("dispatch", {ManifestStatus.SUBMITTED})
        if not self.returnees:
            raise EmptyManifest("dispatch")
        rejected = [
            r.id for r in self.returnees if r.nationality_status is NationalityStatus.REJECTED
        ]
        if rejected:
            raise RejectedReturneeOnManifest(rejected)
        pending = [
            r.id for r in self.returnees if r.nationality_status is NationalityStatus.PENDING
        ]
        if pending:
            raise NationalityNotConfirmed(pending)
        if len(self.returnees) > self.vehicle.seats:
            raise NotEnoughSeats(self.vehicle.seats, len(self.returnees))

        self.status = ManifestStatus.DISPATCHED
        self.dispatched_at = now
        self.version += 1
        self.events.append(
            ManifestDispatched(
                **self._header(now),
                returnee_ids=tuple(r.id for r in self.listing()),
                returnee_count=len(self.returnees),
            )
        )

    def cancel(self, *, reason: str | None, now: datetime) -> None:
        """draft or submitted → cancelled, with a reason; emits `ManifestCancelled`.

        Not once dispatched: people are on the road, and each of them gets a hand-over outcome
        instead (a bus that turns back: `not_presented`, reason `returned_to_station`)."""
        require_aware(now, "now")
        self._require_status("cancel", CANCELLABLE)
        why = _clean(reason)
        if why is None:
            raise CancellationReasonRequired()

        previous = self.status
        self.status = ManifestStatus.CANCELLED
        self.cancelled_at = now
        self.cancellation_reason = why
        self.version += 1
        self.events.append(
            ManifestCancelled(**self._header(now), reason=why, previous_status=previous)
        )

    # -- consular decisions --------------------------------------------------------------------

    def confirm_nationality(self, returnee_id: uuid.UUID, *, now: datetime) -> bool:
        """The consulate confirmed the claimed nationality. False if already confirmed."""
        return self._decide_nationality(
            returnee_id, NationalityStatus.CONFIRMED, reason=None, now=now
        )

    def reject_nationality(self, returnee_id: uuid.UUID, *, reason: str, now: datetime) -> bool:
        """The consulate rejected the claimed nationality. False if already rejected.

        The returnee stays on the manifest until the sending officer removes them (with a
        reason); dispatch is refused meanwhile.
        """
        why = _clean(reason)
        if why is None:
            raise NationalityRejectionReasonRequired()
        return self._decide_nationality(
            returnee_id, NationalityStatus.REJECTED, reason=why, now=now
        )

    def _decide_nationality(
        self,
        returnee_id: uuid.UUID,
        status: NationalityStatus,
        *,
        reason: str | None,
        now: datetime,
    ) -> bool:
        require_aware(now, "now")
        returnee = self.returnee(returnee_id)
        # Idempotent first: a replayed decision is a no-op in any state.
        if not returnee.would_decide_nationality(status):
            return False
        self._require_status("record a nationality decision on", NATIONALITY_OPEN)

        returnee.decide_nationality(status, reason=reason, at=now)
        self.version += 1
        if status is NationalityStatus.CONFIRMED:
            self.events.append(NationalityConfirmed(**self._header(now), returnee_id=returnee.id))
        else:
            self.events.append(
                NationalityRejected(
                    **self._header(now), returnee_id=returnee.id, reason=reason or ""
                )
            )
        return True

    # -- hand-over at the reception point ------------------------------------------------------

    def record_handovers(
        self,
        items: Sequence[HandoverItem],
        *,
        officer: str,
        post: str,
        now: datetime,
        new_id: Callable[[], uuid.UUID] = uuid.uuid4,
    ) -> list[bool]:
        """Records each person's outcome; all or nothing. Returns, per item, whether it was new
        (False: the same outcome was already recorded — a no-op).

        The first hand-over moves dispatched → arrived (`ManifestArrived`); each new outcome
        emits `ReturneeHandedOver`; when every returnee has an outcome the manifest closes
        (`ManifestClosed` with the totals). Errors name fields as ``items[i].<field>``.

        An item `arrived_not_listed` records a person who is not on the manifest, by the
        `person` they say they are (`handover_record.UnlistedArrival`, its id from `new_id`):
        also once the manifest is closed, until a side has signed its record.

        Each item's `recorded_at` is the post's time (a post without a link sends its
        hand-overs hours later): at most `CLOCK_SKEW` after `now` and not before the dispatch;
        None means `now`. The handover keeps it and `stored_at` = `now`.
        """
        require_aware(now, "now")
        self._require_status("record hand-overs on", HANDOVER_OPEN)
        if not officer.strip():
            raise InvalidHandover(
                "The receiving officer must be named.", rule="officer_required", field="officer"
            )
        if post != self.reception_point:
            # Authorisation is the API's job; this keeps the record truthful regardless.
            raise InvalidHandover(
                f"Hand-overs for this manifest are recorded at {self.reception_point} only.",
                rule="handover_at_another_post",
                field="post",
            )

        # Check every item before changing anything.
        new: list[tuple[Returnee, HandoverItem]] = []
        arrivals: list[HandoverItem] = []
        results: list[bool] = []
        in_request: dict[uuid.UUID, HandoverItem] = {}
        known = {a.person.key() for a in self.unlisted_arrivals}
        for position, item in enumerate(items):
            prefix = f"items[{position}]."
            _check_item_shape(item, prefix=prefix)
            _check_reason(item, field=f"{prefix}reason")
            self._check_recorded_at(item, now=now, field=f"{prefix}recorded_at")
            if item.person is not None:
                # Someone not on the list: the same person again (an offline post's resend,
                # or twice in one request) is a no-op, as a repeated outcome is.
                person_key = item.person.key()
                is_new = person_key not in known
                if is_new and self.signatures:
                    raise RecordSigned(field=f"{prefix}person")
                known.add(person_key)
                results.append(is_new)
                if is_new:
                    arrivals.append(item)
                continue
            assert item.returnee_id is not None  # _check_item_shape
            returnee = self.returnee(item.returnee_id, field=f"{prefix}returnee_id")
            earlier = in_request.get(item.returnee_id)
            if earlier is not None:
                if (earlier.outcome, earlier.reason) != (item.outcome, item.reason):
                    raise InvalidHandover(
                        "The same returnee appears twice with different outcomes.",
                        rule="duplicate_item",
                        field=f"{prefix}returnee_id",
                    )
                results.append(False)
                continue
            in_request[item.returnee_id] = item
            is_new = returnee.would_record(item.outcome, item.reason, field=f"{prefix}outcome")
            results.append(is_new)
            if is_new:
                new.append((returnee, item))
        if not new and not arrivals:
            return results

        self.version += 1
        if self.status is ManifestStatus.DISPATCHED:
            self.status = ManifestStatus.ARRIVED
            # The bus was there when its first person was handed over: the earliest post time
            # among the items that move the manifest to arrived (not when the link came back).
            self.arrived_at = min(
                item.recorded_at or now for item in [*arrivals, *(i for _, i in new)]
            )
            self.events.append(ManifestArrived(**self._header(now)))
        for item in arrivals:
            assert item.person is not None
            arrival = UnlistedArrival(
                id=new_id(),
                person=item.person,
                officer=officer,
                post=post,
                recorded_at=item.recorded_at or now,
                stored_at=now,
            )
            self.unlisted_arrivals.append(arrival)
            self.events.append(
                PersonArrivedNotListed(
                    **self._header(now),
                    arrival_id=arrival.id,
                    nationality=arrival.person.nationality,
                    officer=officer,
                    post=post,
                    recorded_at=arrival.recorded_at,
                )
            )
        for returnee, item in new:
            recorded_at = item.recorded_at or now
            returnee.record_handover(
                Handover(
                    outcome=item.outcome,
                    reason=item.reason,
                    officer=officer,
                    post=post,
                    recorded_at=recorded_at,
                    stored_at=now,
                )
            )
            self.events.append(
                ReturneeHandedOver(
                    **self._header(now),
                    returnee_id=returnee.id,
                    outcome=item.outcome,
                    reason=item.reason,
                    officer=officer,
                    post=post,
                    recorded_at=recorded_at,
                )
            )
        totals = self.handover_totals()
        if totals.pending == 0 and self.status is not ManifestStatus.CLOSED:
            self.status = ManifestStatus.CLOSED
            # The server's now, not a post time: the record is complete when Puebla has every
            # outcome, which for an offline post is when its last hand-over arrives.
            self.closed_at = now
            self.events.append(
                ManifestClosed(
                    **self._header(now),
                    received=totals.received,
                    not_presented=totals.not_presented,
                    refused=totals.refused,
                )
            )
        return results

    def on_record(self, item: HandoverItem) -> OnRecord | None:
        """The record's entry for an item of a hand-over request (None: nobody by that id or
        person): what a request's answer repeats, from the aggregate it has just changed."""
        if item.person is not None:
            key = item.person.key()
            for arrival in self.unlisted_arrivals:
                if arrival.person.key() == key:
                    return OnRecord(
                        person_id=arrival.id,
                        listed=False,
                        handover=Handover(
                            outcome=HandoverOutcome.ARRIVED_NOT_LISTED,
                            reason=None,
                            officer=arrival.officer,
                            post=arrival.post,
                            recorded_at=arrival.recorded_at,
                            stored_at=arrival.stored_at,
                        ),
                    )
            return None
        for returnee in self._returnees:
            if returnee.id == item.returnee_id and returnee.handover is not None:
                return OnRecord(person_id=returnee.id, listed=True, handover=returnee.handover)
        return None

    def record_handover(
        self,
        returnee_id: uuid.UUID,
        outcome: HandoverOutcome,
        *,
        reason: RefusalReason | None = None,
        officer: str,
        post: str,
        now: datetime,
    ) -> bool:
        """One person's outcome; see `record_handovers`."""
        item = HandoverItem(returnee_id=returnee_id, outcome=outcome, reason=reason)
        return self.record_handovers([item], officer=officer, post=post, now=now)[0]

    # -- the signed hand-over record (handover_record.py) --------------------------------------

    def sign_handover_record(
        self,
        *,
        side: Side,
        country: str,
        officer: str,
        digest: str,
        objections: Sequence[Objection],
        current_digest: str,
        now: datetime,
    ) -> bool:
        """One side's signature of the closed manifest's record, over `digest`, which must be
        `current_digest` (the record as it stands, computed by the caller); objections name
        people of the record. False: this side already signed exactly this (a no-op).

        The version does not move: the record's digest covers it, and a signature is beside
        the record, not in it. `HandoverRecordSigned` goes to the audit trail."""
        require_aware(now, "now")
        self._require_status("sign the hand-over record of", (ManifestStatus.CLOSED,))
        if not officer.strip():
            raise InvalidSignature(
                "The signing officer must be named.", rule="officer_required", field="officer"
            )
        candidate = HandoverSignature(
            side=side,
            country=country,
            officer=officer,
            signed_at=now,
            digest=digest,
            objections=checked_objections(objections, self.record_people()),
        )
        if not decide_signature(self.signatures, candidate, current_digest=current_digest):
            return False
        self.signatures.append(candidate)
        self.events.append(
            HandoverRecordSigned(
                **self._header(now),
                side=side,
                country=country,
                officer=officer,
                digest=digest,
                objected=tuple(o.returnee_id for o in candidate.objections),
            )
        )
        return True

    # -- internals -----------------------------------------------------------------------------

    def _check_recorded_at(self, item: HandoverItem, *, now: datetime, field: str) -> None:
        at = item.recorded_at
        if at is None:
            return
        require_aware(at, field)  # the API refuses a naive time before it gets here
        if at > now + CLOCK_SKEW:
            raise InvalidHandover(
                "The hand-over cannot be recorded in the future (check the device's clock).",
                rule="recorded_at_in_future",
                field=field,
            )
        if self.dispatched_at is not None and at < self.dispatched_at:
            raise InvalidHandover(
                "The hand-over cannot be recorded before the manifest was dispatched.",
                rule="recorded_before_dispatch",
                field=field,
            )

    def _require_status(self, action: str, allowed: Collection[ManifestStatus]) -> None:
        if self.status not in allowed:
            raise InvalidTransition(action, self.status.value, [s.value for s in allowed])

    def _screen_new(self, returnee: Returnee, *, field_prefix: str) -> None:
        if returnee.nationality_status is not NationalityStatus.PENDING or returnee.handover:
            raise ValueError("a returnee joins a manifest pending, without a hand-over")
        screen_returnee(
            returnee,
            receiving_country=self.receiving_country,
            departure_date=self.departure_date,
            field_prefix=field_prefix,
        )

    def _check_plan(self, reference_data: ReferenceData, returnees: Sequence[Returnee]) -> None:
        """Reception point in service, agreements in force and the reception window, for these
        returnees — all on the arrival date at the point."""
        point = resolve_reception_point(
            reference_data,
            self.reception_point,
            receiving_country=self.receiving_country,
            scheduled_arrival=self.scheduled_arrival,
        )
        check_agreements(
            reference_data,
            sending_country=self.sending_country,
            receiving_country=self.receiving_country,
            arrival_date=self.arrival_date,
        )
        check_reception_window(
            point,
            self.scheduled_arrival,
            vulnerable_aboard=any(r.vulnerable(self.arrival_date) for r in returnees),
        )

    def _header(self, now: datetime) -> _Header:
        return _Header(
            manifest_id=self.id,
            reference=self.reference,
            sending_country=self.sending_country,
            receiving_country=self.receiving_country,
            reception_point=self.reception_point,
            scheduled_arrival=self.scheduled_arrival,
            version=self.version,
            occurred_at=now,
        )


def _check_item_shape(item: HandoverItem, *, prefix: str) -> None:
    """A listed person is named by `returnee_id`; a person not on the list by `person`."""
    if item.not_listed:
        if item.returnee_id is not None:
            raise InvalidHandover(
                "A person not on the manifest has no returnee id: give the `person` instead.",
                rule="returnee_id_not_when_not_listed",
                field=f"{prefix}returnee_id",
            )
        if item.person is None:
            raise InvalidHandover(
                "Give the identity the person gave at the post (`person`).",
                rule="person_required",
                field=f"{prefix}person",
            )
        item.person.check(field=f"{prefix}person")
        return
    if item.person is not None:
        raise InvalidHandover(
            "`person` is only for someone who arrived without being on the manifest "
            "(outcome `arrived_not_listed`).",
            rule="person_only_when_not_listed",
            field=f"{prefix}person",
        )
    if item.returnee_id is None:
        raise InvalidHandover(
            "Name the returnee (`returnee_id`).",
            rule="returnee_id_required",
            field=f"{prefix}returnee_id",
        )


def _check_reason(item: HandoverItem, *, field: str) -> None:
    """A refusal needs a reason code; `not_presented` takes only `returned_to_station` (a bus
    that turned back), or none; `received` takes none (the record stays clean)."""
    if item.outcome is HandoverOutcome.REFUSED:
        if item.reason is None:
            raise InvalidHandover(
                "A refusal needs a reason code: " + ", ".join(r.value for r in RefusalReason) + ".",
                rule="refusal_reason_required",
                field=field,
            )
        return
    if item.reason is None:
        return
    if item.outcome is HandoverOutcome.NOT_PRESENTED and (
        item.reason is RefusalReason.RETURNED_TO_STATION
    ):
        return
    raise InvalidHandover(
        "Only a refusal takes a reason code, and not_presented only returned_to_station.",
        rule="reason_only_for_refusal",
        field=field,
    )
