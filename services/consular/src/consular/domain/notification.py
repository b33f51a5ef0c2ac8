"""The `Notification` aggregate: one notice to one consulate about one nationality.

Life of a notification:

    open ──(rules say no)──▶ suppressed ──(child case block lifted)──▶ pending
      ├───(rules say yes)──▶ pending ──(consul of the nationality acknowledges)──▶ acknowledged
      └───(rules say yes, no post in the directory)──▶ unroutable ──(a post appears)──▶ pending

    pending | acknowledged | unroutable ──(taken back)──▶ withdrawn
    withdrawn (protection, a child's case blocked) ──(block lifted)──▶ pending

- A notification is never dropped: one with nowhere to go is kept `unroutable` (reporting side
  and auditor only) and routed again when the directory has a post (`reroute`).
- `withdraw` takes a notice back (a protection need found later, a cancelled Fund return): its
  clocks stop and its undelivered channels are cancelled. Withdrawn for a protection need, it no
  longer exists for the person's country; withdrawn otherwise, the consulate sees it withdrawn.

- `open` applies DOMAIN.md §4 (`rules.suppression_reason`), routes a sendable notification
  (`directory.route`) and starts its clocks. A suppressed one has no post, no clocks and no
  deliveries: nothing about it can be sent.
- Clocks run from the trigger (`occurred_at`): sent by `due_at`, acknowledged by `ack_due_at`.
  A deadline is met *at* its instant; the notification is overdue only strictly after it.
- `check_overdue(now)` records the overdue flag and emits `NotificationOverdue` exactly once per
  notification (the first deadline found missed), never once it is acknowledged.
- `delivery_attempted` records each channel's outcome; `sent_at` is the first success on any
  channel (the in-app inbox counts: the handler that commits a new notification delivers it
  there and records it).

Time is always passed in (`now`) as an aware datetime and kept in UTC; `time_zone` is the host
country's zone, for the calendar date of routing and to show due times (`local`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TypeVar
from uuid import UUID
from zoneinfo import ZoneInfo

from consular.domain.delivery import Delivery
from consular.domain.directory import ConsularPost, route
from consular.domain.errors import (
    ActionBeforeTrigger,
    BlockNotLiftable,
    InvalidInput,
    NoConsularPost,
    NotConsulOfNationality,
    NotificationNotSendable,
    NotificationNotVisible,
    NotificationWithdrawn,
    OccurredInFuture,
    PersonObjectsToConsularAction,
    TooManyActions,
)
from consular.domain.events import (
    ConsularActionRecorded,
    DeliveryFailed,
    Event,
    NotificationAcknowledged,
    NotificationCreated,
    NotificationOverdue,
    NotificationRecounted,
    NotificationReleased,
    NotificationRouted,
    NotificationSent,
    NotificationSuppressed,
    NotificationUnroutable,
)
from consular.domain.events import NotificationWithdrawn as NotificationWithdrawnEvent
from consular.domain.reference import NotificationClock, ReferenceData
from consular.domain.rules import NotificationKind, SuppressionReason, suppression_reason
from consular.domain.states import (
    Channel,
    ConsularActionKind,
    Deadline,
    DeliveryStatus,
    NotificationStatus,
    WithdrawalReason,
)
from consular.domain.values import (
    Actor,
    Person,
    Place,
    Related,
    as_utc,
    country_code,
)

# A report stamped by a client whose clock runs slightly ahead is not "in the future".
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class ManifestSummary:
    """What a repatriation notice tells the receiving consulate about the manifest (no names:
    each returnee's identity goes in that returnee's nationality verification request)."""

    reference: str
    version: int
    reception_point: str
    scheduled_arrival: datetime | None
    returnee_count: int
    # Which returnees this notice counted (internal, never shown): lets a protection need found
    # later take exactly those people out of the count. None when not known (a notice of an
    # amendment whose predecessor this service has not seen).
    returnee_ids: frozenset[str] | None = None

    def without(self, gone: frozenset[str], fallback_count: int | None) -> ManifestSummary:
        """The summary no longer counting `gone`; `fallback_count` is used when it is not
        known whom this notice counted."""
        if self.returnee_ids is None:
            if fallback_count is None:
                return self
            return replace(self, returnee_count=min(self.returnee_count, fallback_count))
        counted = self.returnee_ids & gone
        if not counted:
            return self
        return replace(
            self,
            returnee_count=max(self.returnee_count - len(counted), 0),
            returnee_ids=self.returnee_ids - counted,
        )


@dataclass(frozen=True)
class ConsularAction:
    """What the consulate did (`at`, when it happened) and when it was recorded here."""

    kind: ConsularActionKind
    by: str
    at: datetime
    recorded_at: datetime
    notes: str | None = None


# An action's notes are free text the consulate writes; a notification keeps at most this many
# actions (they live in its row: a detention followed for a long time with weekly visits stays
# far below it).
NOTES_MAX_LENGTH = 2000
MAX_ACTIONS = 200


@dataclass(eq=False, kw_only=True)
class Notification:
    id: UUID
    kind: NotificationKind
    nationality: str  # the one nationality this notice is about and addressed to
    host_country: str
    person: Person | None  # None for manifest notices, which are about a group
    place: Place  # for a manifest: the departure place in the sending (host) country
    occurred_at: datetime  # the trigger; the clocks start here
    related: Related | None
    # Identifies the trigger in another service, so that a replayed event finds the
    # notification it already produced (unique in the repository). None for API reports,
    # which the Idempotency-Key protects.
    source_key: str | None = None
    status: NotificationStatus
    suppression_reason: SuppressionReason | None = None  # shown to the reporting side only
    consular_post: str | None = None
    recipient_email: str | None = None  # the post's address when routed: the record keeps it
    time_zone: str = "UTC"
    person_requests_notification: bool | None = None
    person_objects_to_consular_action: bool = False
    mandatory: bool = False  # sent because the host's table lists the nationality
    manifest: ManifestSummary | None = None
    # The child's case when a notice of another kind is about a child with one (a Reserve Fund
    # return): a block set on that case hides this notice from the child's state too.
    child_case_id: str | None = None
    created_at: datetime
    due_at: datetime | None = None
    ack_due_at: datetime | None = None
    sent_at: datetime | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: str | None = None
    overdue: bool = False
    escalated_at: datetime | None = None
    withdrawn_reason: WithdrawalReason | None = None
    withdrawn_at: datetime | None = None
    deliveries: tuple[Delivery, ...] = ()
    actions: tuple[ConsularAction, ...] = ()
    version: int = 1

    # --- creation ---------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        *,
        id: UUID,
        kind: NotificationKind,
        nationality: str,
        person: Person | None,
        place: Place,
        occurred_at: datetime,
        related: Related | None,
        reference: ReferenceData,
        now: datetime,
        protection_need: bool,
        holds_host_nationality: bool = False,
        consular_contact_blocked: bool = False,
        person_requests_notification: bool | None = None,
        person_objects_to_consular_action: bool = False,
        manifest: ManifestSummary | None = None,
        source_key: str | None = None,
    ) -> Notification:
        """A new notification: pending (routed, clocks running), suppressed, or unroutable
        when a sendable notification has nowhere to go (kept, never refused)."""
        nationality = country_code(nationality, "person.nationality")
        host = country_code(place.country, "place.country")
        now = as_utc(now, "now")
        occurred_at = as_utc(occurred_at, "occurred_at")
        if occurred_at > now + CLOCK_SKEW:
            raise OccurredInFuture("the trigger cannot be later than now")
        zone = reference.zone_of(host)
        on = occurred_at.astimezone(zone).date()  # the host's calendar decides validity
        mandatory = kind is NotificationKind.DETENTION and reference.is_mandatory(
            host, nationality, on
        )
        reason = suppression_reason(
            kind=kind,
            nationality=nationality,
            host_country=host,
            holds_host_nationality=holds_host_nationality,
            protection_need=protection_need,
            consular_contact_blocked=consular_contact_blocked,
            person_requests_notification=person_requests_notification,
            mandatory=mandatory,
        )
        notification = cls(
            id=id,
            kind=kind,
            nationality=nationality,
            host_country=host,
            person=person,
            place=place,
            occurred_at=occurred_at,
            related=related,
            source_key=source_key,
            status=NotificationStatus.SUPPRESSED if reason else NotificationStatus.PENDING,
            suppression_reason=reason,
            time_zone=zone.key,
            person_requests_notification=person_requests_notification,
            person_objects_to_consular_action=person_objects_to_consular_action,
            mandatory=mandatory,
            manifest=manifest,
            created_at=now,
        )
        if reason is not None:
            notification.events.append(
                NotificationSuppressed(
                    notification_id=id,
                    kind=kind,
                    nationality=nationality,
                    host_country=host,
                    reason=reason,
                    related=related,
                    version=notification.version,
                )
            )
            return notification
        try:
            post = route(reference.directory, nationality, host, place.state, on)
        except NoConsularPost:
            notification._unroutable()
            return notification
        notification._start(post, reference.clock_for(host, on), occurred_at)
        notification.events.append(
            NotificationCreated(
                notification_id=id,
                kind=kind,
                nationality=nationality,
                host_country=host,
                consular_post=post.code,
                related=related,
                occurred_at=occurred_at,
                due_at=notification._due_at(),
                ack_due_at=notification._ack_due_at(),
                do_not_act=notification.do_not_act,
                version=notification.version,
            )
        )
        return notification

    def _unroutable(self) -> None:
        self.status = NotificationStatus.UNROUTABLE
        self.events.append(
            NotificationUnroutable(
                notification_id=self.id,
                kind=self.kind,
                nationality=self.nationality,
                host_country=self.host_country,
                related=self.related,
                version=self.version,
            )
        )

    def _start(self, post: ConsularPost, clock: NotificationClock, start: datetime) -> None:
        self.consular_post = post.code
        self.recipient_email = post.email
        self.due_at = start + clock.send_within
        self.ack_due_at = start + clock.acknowledge_within
        self.deliveries = tuple(Delivery(channel) for channel in Channel)

    # --- reading ----------------------------------------------------------------------

    @property
    def events(self) -> list[Event]:
        # Not a dataclass field: an aggregate rebuilt by a repository or an ORM (which may
        # skip __init__) still gets a fresh list to append to.
        events: list[Event] = self.__dict__.setdefault("_events", [])
        return events

    @property
    def do_not_act(self) -> bool:
        """Shown to the consul: the person expressly objects to consular action (art.
        36(1)(c)); the notice itself is still sent when the rules require it."""
        return self.person_objects_to_consular_action

    @property
    def escalated(self) -> bool:
        return self.escalated_at is not None

    def is_reporting_side(self, actor: Actor) -> bool:
        """Who answers for the notice on the host side: the host's child-protection authority
        for a child case (its case, not immigration's), IOM's Fund staff for a Reserve Fund
        return, the host's immigration officers for everything else (their reports and their
        manifests)."""
        if self.kind is NotificationKind.CHILD_CASE:
            return actor.is_child_protection_of(self.host_country)
        if self.kind is NotificationKind.RESERVE_FUND_RETURN:
            return actor.is_fund_staff()
        return actor.is_immigration_officer_of(self.host_country)

    def is_visible_to(self, actor: Actor) -> bool:
        """The reporting side sees every notification with its suppression or withdrawal
        reason; the auditor the unroutable ones (POLICY.md; what was withdrawn is in the audit
        trail); the consulate only what was sent to it — never a suppressed or unroutable one,
        nor one withdrawn for a protection need (for the person's country it no longer exists);
        nobody else."""
        if self.is_reporting_side(actor):
            return True
        if actor.is_auditor() and self.status is NotificationStatus.UNROUTABLE:
            return True
        return actor.is_consul_of(self.nationality) and self._shown_to_consulate()

    def _shown_to_consulate(self) -> bool:
        if self.status is NotificationStatus.WITHDRAWN:
            return self.withdrawn_reason is not WithdrawalReason.PROTECTION
        return self.status in (NotificationStatus.PENDING, NotificationStatus.ACKNOWLEDGED)

    def suppression_reason_for(self, actor: Actor) -> SuppressionReason | None:
        """The reason is for the reporting side only; anyone else gets `None`."""
        if self.is_reporting_side(actor):
            return self.suppression_reason
        return None

    def delivery(self, channel: Channel) -> Delivery | None:
        return next((d for d in self.deliveries if d.channel is channel), None)

    def channels_to_deliver(self) -> tuple[Channel, ...]:
        """What the worker still has to send (never anything for a suppressed notification)."""
        return tuple(
            d.channel
            for d in self.deliveries
            if d.status in (DeliveryStatus.PENDING, DeliveryStatus.FAILED)
        )

    def local(self, moment: datetime | None) -> datetime | None:
        """`moment` on the host country's wall clock, e.g. `local(n.due_at)` for display."""
        return None if moment is None else moment.astimezone(ZoneInfo(self.time_zone))

    def missed_deadline(self, now: datetime) -> Deadline | None:
        """The first deadline missed at `now`, if any, for a pending notification."""
        now = as_utc(now, "now")
        if self.status is not NotificationStatus.PENDING:
            return None
        due, ack_due = self._due_at(), self._ack_due_at()
        sent_in_time = self.sent_at is not None and self.sent_at <= due
        if now > due and not sent_in_time:
            return Deadline.SENDING
        if now > ack_due:
            return Deadline.ACKNOWLEDGMENT
        return None

    # --- changes ----------------------------------------------------------------------

    def acknowledge(self, actor: Actor, now: datetime) -> None:
        """The consulate has received the notice: stops the clocks. Twice is a no-op."""
        self._require_consul(actor)
        if self.status is NotificationStatus.ACKNOWLEDGED:
            return
        if self.status is NotificationStatus.WITHDRAWN:
            raise NotificationWithdrawn("the notice was withdrawn; there is nothing to acknowledge")
        now = as_utc(now, "now")
        self.status = NotificationStatus.ACKNOWLEDGED
        self.acknowledged_at = now
        self.acknowledged_by = actor.username
        self.version += 1
        self.events.append(
            NotificationAcknowledged(
                notification_id=self.id,
                kind=self.kind,
                nationality=self.nationality,
                host_country=self.host_country,
                consular_post=self._post(),
                related=self.related,
                acknowledged_by=actor.username,
                acknowledged_at=now,
                overdue=self.overdue,
                version=self.version,
            )
        )

    def check_overdue(self, now: datetime) -> None:
        """Mark overdue and escalate, once. The scheduler calls it as often as it likes."""
        missed = self.missed_deadline(now)
        if missed is None or self.escalated:
            return
        now = as_utc(now, "now")
        self.overdue = True
        self.escalated_at = now
        self.version += 1
        self.events.append(
            NotificationOverdue(
                notification_id=self.id,
                kind=self.kind,
                nationality=self.nationality,
                host_country=self.host_country,
                consular_post=self._post(),
                related=self.related,
                missed=missed,
                due_at=self._due_at() if missed is Deadline.SENDING else self._ack_due_at(),
                detected_at=now,
                version=self.version,
            )
        )

    def delivery_attempted(
        self, channel: Channel, ok: bool, error: str | None, now: datetime
    ) -> None:
        """The worker reports one attempt. A channel already sent ignores later reports (the
        worker delivers at least once); a failure keeps the channel due for a retry."""
        if self.status is NotificationStatus.SUPPRESSED:
            raise NotificationNotSendable("a suppressed notification is never delivered")
        now = as_utc(now, "now")
        current = self.delivery(channel)
        if current is not None and current.status is DeliveryStatus.CANCELLED:
            return  # withdrawn meanwhile: the attempt (at least once) changes nothing
        if current is None:  # only possible for data written by hand
            raise NotificationNotSendable(
                f"no {channel} delivery on this notification", rule="unknown_channel"
            )
        if current.status is DeliveryStatus.SENT:
            return
        if not ok and not error:
            raise InvalidInput("a failed attempt says why", rule="error_required", field="error")
        updated = current.attempted(ok, error, now)
        self.deliveries = tuple(updated if d is current else d for d in self.deliveries)
        self.version += 1
        if ok:
            self.sent_at = now if self.sent_at is None else min(self.sent_at, now)
            self.events.append(
                NotificationSent(
                    notification_id=self.id, channel=channel, sent_at=now, version=self.version
                )
            )
        else:
            self.events.append(
                DeliveryFailed(
                    notification_id=self.id,
                    channel=channel,
                    attempts=updated.attempts,
                    error=error or "",
                    failed_at=now,
                    version=self.version,
                )
            )

    def record_consular_action(
        self,
        actor: Actor,
        kind: ConsularActionKind,
        at: datetime,
        now: datetime,
        notes: str | None = None,
    ) -> ConsularAction:
        """Consular access, an interview or a visit (VCCR art. 36(1)(a), (c)), recorded by a
        consular officer of the nationality on a notice sent to the consulate, pending or
        acknowledged: the acknowledgment says the post received the notice, and an action taken
        before anyone pressed "acknowledge" still happened. Refused (409) when the person
        expressly objects to consular action (`do_not_act`), on a withdrawn notice (nothing to
        act on), and beyond `MAX_ACTIONS`. `at` lies between the trigger and now (plus the
        clock skew): an action before the event it answers, or ahead of time, is invalid."""
        self._require_consul(actor)
        if self.status is NotificationStatus.WITHDRAWN:
            raise NotificationWithdrawn("the notice was withdrawn; there is nothing to act on")
        if self.person_objects_to_consular_action:
            raise PersonObjectsToConsularAction("the person expressly objects to consular action")
        if len(self.actions) >= MAX_ACTIONS:
            raise TooManyActions(f"a notification keeps at most {MAX_ACTIONS} consular actions")
        at, now = as_utc(at, "at"), as_utc(now, "now")
        if at > now + CLOCK_SKEW:
            raise OccurredInFuture("an action cannot be recorded ahead of time", field="at")
        if at < self.occurred_at:
            raise ActionBeforeTrigger("an action cannot precede the event it answers")
        if notes is not None:
            notes = notes.strip() or None
        if notes is not None and len(notes) > NOTES_MAX_LENGTH:
            raise InvalidInput(
                f"notes are at most {NOTES_MAX_LENGTH} characters", rule="too_long", field="notes"
            )
        action = ConsularAction(kind, actor.username, at, now, notes)
        self.actions = (*self.actions, action)
        self.version += 1
        self.events.append(
            ConsularActionRecorded(
                notification_id=self.id,
                action=kind,
                by=actor.username,
                at=at,
                recorded_at=now,
                version=self.version,
            )
        )
        return action

    def release(
        self,
        reference: ReferenceData,
        now: datetime,
        *,
        person: Person | None = None,
        place: Place | None = None,
    ) -> None:
        """A host supervisor allowed consular contact for a blocked child case: the notice goes
        out now — also one withdrawn when the block was set after the consulate had been told
        (it is told again), the case's own or another about the same child (a Fund return) —
        and "without delay" counts from now: it could not run while contact was forbidden. A
        notification not held back is left as it is. `person` and `place` are who and where,
        for a notice held back without them (a blocked case's opening does not say)."""
        withdrawn_for_protection = (
            self.status is NotificationStatus.WITHDRAWN
            and self.withdrawn_reason is WithdrawalReason.PROTECTION
            and (self.kind is NotificationKind.CHILD_CASE or self.child_case_id is not None)
        )
        if self.status is not NotificationStatus.SUPPRESSED and not withdrawn_for_protection:
            return
        if (
            self.status is NotificationStatus.SUPPRESSED
            and self.suppression_reason is not SuppressionReason.CONSULAR_CONTACT_BLOCKED
        ):
            raise BlockNotLiftable(
                f"suppressed for {self.suppression_reason}, which no supervisor lifts"
            )
        now = as_utc(now, "now")
        on = now.astimezone(ZoneInfo(self.time_zone)).date()
        if place is not None and country_code(place.country, "place.country") != self.host_country:
            raise InvalidInput(
                "the place of a released notice is in its host country",
                rule="host_country",
                field="place.country",
            )
        if person is not None:
            self.person = person
        if place is not None:
            self.place = place
        self.suppression_reason = None
        self.withdrawn_reason = None
        self.withdrawn_at = None
        # Told again from scratch: the earlier acknowledgment and escalation were about a notice
        # that was taken back.
        self.sent_at = self.acknowledged_at = self.acknowledged_by = self.escalated_at = None
        self.overdue = False
        self.version += 1
        try:
            post = route(
                reference.directory, self.nationality, self.host_country, self.place.state, on
            )
        except NoConsularPost:
            self.consular_post = self.recipient_email = self.due_at = self.ack_due_at = None
            self.deliveries = ()
            self._unroutable()
            return
        self._start(post, reference.clock_for(self.host_country, on), now)
        self.status = NotificationStatus.PENDING
        self.events.append(
            NotificationReleased(
                notification_id=self.id,
                kind=self.kind,
                nationality=self.nationality,
                host_country=self.host_country,
                consular_post=post.code,
                related=self.related,
                released_at=now,
                due_at=self._due_at(),
                ack_due_at=self._ack_due_at(),
                version=self.version,
            )
        )

    def reroute(self, reference: ReferenceData, now: datetime) -> bool:
        """Try again to route an unroutable notification (the directory may have gained a
        post). Its clocks count from the trigger: the delay was the host side's, and shows as
        overdue. Returns whether it found a post."""
        if self.status is not NotificationStatus.UNROUTABLE:
            return False
        now = as_utc(now, "now")
        on = self.occurred_at.astimezone(ZoneInfo(self.time_zone)).date()
        today = now.astimezone(ZoneInfo(self.time_zone)).date()
        post = None
        for day in (on, today):  # a post opened since the trigger's day counts too
            try:
                post = route(
                    reference.directory, self.nationality, self.host_country, self.place.state, day
                )
                break
            except NoConsularPost:
                continue
        if post is None:
            return False
        self._start(post, reference.clock_for(self.host_country, on), self.occurred_at)
        self.status = NotificationStatus.PENDING
        self.version += 1
        self.events.append(
            NotificationRouted(
                notification_id=self.id,
                consular_post=post.code,
                routed_at=now,
                due_at=self._due_at(),
                ack_due_at=self._ack_due_at(),
                version=self.version,
            )
        )
        return True

    def withdraw(self, reason: WithdrawalReason, now: datetime) -> None:
        """Take the notice back: clocks stop (only pending notices are clocked), undelivered
        channels are cancelled (no further e-mail). A suppressed one was never sent and stays
        as it is. Withdrawn again: a protection need overrides any other reason (it hides the
        notice from the consulate), nothing else changes."""
        if self.status is NotificationStatus.SUPPRESSED:
            return
        if self.status is NotificationStatus.WITHDRAWN and (
            reason is not WithdrawalReason.PROTECTION or self.withdrawn_reason is reason
        ):
            return
        now = as_utc(now, "now")
        self.status = NotificationStatus.WITHDRAWN
        self.withdrawn_reason = reason
        self.withdrawn_at = self.withdrawn_at or now
        self.deliveries = tuple(
            d if d.status is DeliveryStatus.SENT else replace(d, status=DeliveryStatus.CANCELLED)
            for d in self.deliveries
        )
        self.version += 1
        self.events.append(
            NotificationWithdrawnEvent(
                notification_id=self.id,
                kind=self.kind,
                nationality=self.nationality,
                host_country=self.host_country,
                related=self.related,
                reason=reason,
                withdrawn_at=now,
                version=self.version,
            )
        )

    def forget_returnees(
        self, gone: frozenset[str], *, as_of_version: int, fallback_count: int | None = None
    ) -> None:
        """People taken off the manifest for a protection need at manifest version
        `as_of_version`: this notice no longer counts them. A notice of that version or later
        was made without them already."""
        if self.manifest is None or self.manifest.version >= as_of_version:
            return
        summary = self.manifest.without(gone, fallback_count)
        if summary == self.manifest:
            return
        self.manifest = summary
        self.version += 1
        self.events.append(
            NotificationRecounted(
                notification_id=self.id,
                returnee_count=summary.returnee_count,
                version=self.version,
            )
        )

    # --- internals --------------------------------------------------------------------

    def _require_consul(self, actor: Actor) -> None:
        if not actor.is_consul_of(self.nationality):
            raise NotConsulOfNationality(
                f"only a consular officer of {self.nationality} acts on this notification"
            )
        if not self._shown_to_consulate():
            raise NotificationNotVisible("The notification was not found.")

    # A pending or acknowledged notification is always routed and clocked; these accessors
    # state that invariant once instead of asserting it at every use.
    def _post(self) -> str:
        return _present(self.consular_post, "consular_post")

    def _due_at(self) -> datetime:
        return _present(self.due_at, "due_at")

    def _ack_due_at(self) -> datetime:
        return _present(self.ack_due_at, "ack_due_at")


_T = TypeVar("_T")


def _present(value: _T | None, name: str) -> _T:
    if value is None:
        raise RuntimeError(f"a sent notification always has {name}")
    return value
