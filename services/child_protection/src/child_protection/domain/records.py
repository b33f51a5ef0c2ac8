"""Plain (non-sensitive) records of a case: who did what and when, and the outcomes.

These may be stored unencrypted and shown with the summary. Anything narrative about the child
lives in `sensitive.py` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from child_protection.domain.values import BidDecision, ReceptionPoint


@dataclass(frozen=True)
class AuthorityNotification:
    """The host child-protection authority (e.g. Mexico's Procuraduría) was notified."""

    authority: str
    notified_at: datetime
    recorded_by: str


@dataclass(frozen=True)
class Determination:
    """The BID outcome in force: the decision only. Reasons, panel and the child's views are in
    `SensitiveSections.bids`."""

    decision: BidDecision
    decided_by: str
    decided_at: datetime


@dataclass(frozen=True)
class ReturnPlan:
    reception_point: ReceptionPoint  # a snapshot of the reference data the gate was checked on
    scheduled_at: datetime
    escort: str  # the child-protection staff member who travels with the child
    planned_by: str
    planned_at: datetime


@dataclass(frozen=True)
class Reception:
    """The origin child-protection authority received the child (never immigration alone)."""

    received_at: datetime
    received_by_institution: str
    confirmed_by: str


@dataclass(frozen=True)
class Closure:
    closed_at: datetime
    closed_by: str  # the reason is narrative: `SensitiveSections.closure_reason`
