"""The words for the states the consular records go through (kept apart from the aggregates so
that events and commands can name them without importing the aggregates)."""

from __future__ import annotations

from enum import StrEnum


class NotificationStatus(StrEnum):
    """`overdue` is not a status but a recorded flag on a pending notification."""

    PENDING = "pending"  # sent or being sent; waiting for the consulate's acknowledgment
    ACKNOWLEDGED = "acknowledged"
    SUPPRESSED = "suppressed"  # recorded for the reporting side, never sent nor shown
    # No post of the nationality in the host country (the directory lacks a row): kept for the
    # reporting side and the auditor, routed again by the worker until the directory has one.
    UNROUTABLE = "unroutable"
    WITHDRAWN = "withdrawn"  # taken back: no clock, no delivery (`withdrawn_reason` says why)


class WithdrawalReason(StrEnum):
    """Why a notice or a verification request was taken back."""

    # A protection need or trafficking indicator found later: for the person's own country the
    # record ceases to exist (404, absent from lists); only the host side and the auditor see it.
    PROTECTION = "protection"
    REMOVED = "removed"  # the returnee was taken off the manifest (an ordinary removal)
    CANCELLED = "cancelled"  # the manifest or the Reserve Fund application was cancelled


class Deadline(StrEnum):
    """Which deadline was missed; the values are those of `consular.notification.overdue.v1`."""

    SENDING = "sending"  # the post must have been informed (any channel) by `due_at`
    ACKNOWLEDGMENT = "acknowledgment"  # the post must have acknowledged by `ack_due_at`


class Channel(StrEnum):
    IN_APP = "in_app"  # the consulate's inbox in the API
    EMAIL = "email"  # the post's address, over SMTP


class DeliveryStatus(StrEnum):
    PENDING = "pending"  # not tried yet
    SENT = "sent"
    FAILED = "failed"  # the last attempt failed; the worker keeps retrying, nothing is dropped
    CANCELLED = "cancelled"  # the notice was withdrawn before this channel delivered it


class ConsularActionKind(StrEnum):
    """What the consulate did about a notification (DOMAIN.md §4 "Record")."""

    ACCESS = "access"  # communication with the national (art. 36(1)(a))
    INTERVIEW = "interview"
    VISIT = "visit"  # art. 36(1)(c)


class VerificationStatus(StrEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"  # no longer to be decided (`withdrawn_reason` says why)


class Decision(StrEnum):
    CONFIRMED = "confirmed"
    REJECTED = "rejected"
