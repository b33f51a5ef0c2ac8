"""Errors of the consular domain.

No HTTP and no `puebla` in here, yet by shape every error is a `puebla.refusals.Refusal`: it
says which rule it enforces (`rule`), which input it is about (`field`, a dotted path such as
`person.nationality`, when there is one), what to do next (`message`) and its `kind`, which
`puebla.problems.problem_for` maps to the same answer in every service:

| kind          | meaning                                                    | HTTP |
|---------------|------------------------------------------------------------|------|
| `invalid`     | the input breaks a rule                                    | 422  |
| `conflict`    | not allowed in the current state / contradicts the record  | 409  |
| `forbidden`   | the actor may see the record but may not do this           | 403  |
| `not_found`   | the actor may not even know the record exists              | 404  |
"""

from __future__ import annotations

from typing import ClassVar, Literal

ErrorKind = Literal["invalid", "conflict", "forbidden", "not_found"]


class ConsularError(Exception):
    """Base of every error the consular domain raises."""

    kind: ClassVar[ErrorKind] = "invalid"
    default_rule: ClassVar[str] = "invalid"
    default_field: ClassVar[str | None] = None

    def __init__(self, message: str, *, rule: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.rule = rule or self.default_rule
        self.field = field if field is not None else self.default_field


# --- invalid (422) ------------------------------------------------------------------------


class InvalidInput(ConsularError):
    """Generic invalid input; `rule` and `field` say which."""


class OccurredInFuture(ConsularError):
    default_rule = "occurred_in_future"
    default_field = "occurred_at"


class NotReportable(ConsularError):
    """A host authority reports detention/death/minor_guardianship/accident only; the other
    kinds come from events of other services."""

    default_rule = "kind_not_reportable"
    default_field = "kind"


class PersonWishRequired(ConsularError):
    """Art. 36(1)(b): for a detention the record must say whether the person asked."""

    default_rule = "required_for_detention"
    default_field = "person_requests_notification"


class OnlyForDetention(ConsularError):
    default_rule = "only_for_detention"


class NoConsularPost(ConsularError):
    """The person's country has no post at all (no consulate, embassy or concurrent
    accreditation) in the host country. Never refused to the reporting side: the notification
    is kept `unroutable` (`Notification.open`) and routed again when the directory has a row."""

    default_rule = "no_consular_post"
    default_field = "person.nationality"


class ActionBeforeTrigger(ConsularError):
    """A consular action answers the notified event: it cannot have happened before it."""

    default_rule = "before_occurred_at"
    default_field = "at"


class ReasonRequired(ConsularError):
    default_rule = "reason_required"
    default_field = "reason"


# --- conflict (409) -----------------------------------------------------------------------


class VerificationAlreadyDecided(ConsularError):
    """A different decision than the one recorded; the same one again is a no-op."""

    kind = "conflict"
    default_rule = "verification_already_decided"
    default_field = "decision"


class NotificationNotSendable(ConsularError):
    """A suppressed notification is never delivered to the consulate."""

    kind = "conflict"
    default_rule = "notification_suppressed"


class PersonObjectsToConsularAction(ConsularError):
    """Art. 36(1)(c): the consul refrains from acting when the person expressly objects (shown
    to the consul as `do_not_act`)."""

    kind = "conflict"
    default_rule = "do_not_act"


class TooManyActions(ConsularError):
    """A notification keeps a bounded number of consular actions."""

    kind = "conflict"
    default_rule = "too_many_actions"


class DisclosureForbidden(ConsularError):
    """Protection exception: nothing about this person may reach their country."""

    kind = "conflict"
    default_rule = "protection_need"


class NotificationWithdrawn(ConsularError):
    """The notice was taken back (a cancelled Reserve Fund return, ...): nothing to act on."""

    kind = "conflict"
    default_rule = "notification_withdrawn"


class VerificationWithdrawn(ConsularError):
    """The request was taken back (the returnee removed, the manifest cancelled)."""

    kind = "conflict"
    default_rule = "verification_withdrawn"
    default_field = "decision"


class BlockNotLiftable(ConsularError):
    kind = "conflict"
    default_rule = "block_not_liftable"


# --- forbidden (403) ----------------------------------------------------------------------


class NotHostImmigrationOfficer(ConsularError):
    """Only an immigration officer of the host country reports to a consulate."""

    kind = "forbidden"
    default_rule = "host_immigration_officer_only"


class NotConsulOfNationality(ConsularError):
    """Only a consular officer of the person's (claimed) nationality acts on the record.
    The API answers 404 to a consul of another country, who must not even see it; this check
    stays here so that the rule holds whatever the caller does."""

    kind = "forbidden"
    default_rule = "consul_of_nationality_only"


# --- not found (404) ----------------------------------------------------------------------


class NotificationNotVisible(ConsularError):
    """The consulate acts on a notification it must never see (protection need, host national,
    not requested, blocked child case). Answered like an absent record so nothing leaks."""

    kind = "not_found"
    default_rule = "notification_not_visible"


class VerificationNotVisible(ConsularError):
    """A request withdrawn for a protection need, acted on by the person's own consulate: for
    that country it no longer exists."""

    kind = "not_found"
    default_rule = "verification_not_visible"
