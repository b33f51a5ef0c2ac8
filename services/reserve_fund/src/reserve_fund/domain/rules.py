"""Versioned reference data: the per-case cap and the second-approval threshold.

The protocol has been revised (2008, 2015) and the threshold is ours to tune, so neither is a
constant: each value carries the dates it is valid for, and the rule in force on the day of the
check applies. Validity is half-open, ``valid_from <= day < valid_to``; ``valid_to=None`` means
"until replaced". Adapters load the rows into a `FundRules` and pass it to the aggregate.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Protocol, TypeVar

from reserve_fund.domain.errors import NoRuleInForce
from reserve_fund.domain.money import Money

# Above the threshold the application needs this many different approvers (DOMAIN.md §3).
APPROVALS_ABOVE_THRESHOLD = 2


class _Dated(Protocol):
    @property
    def valid_from(self) -> date: ...
    @property
    def valid_to(self) -> date | None: ...


def _applies(rule: _Dated, day: date) -> bool:
    return rule.valid_from <= day and (rule.valid_to is None or day < rule.valid_to)


@dataclass(frozen=True)
class CapRule:
    """At most `amount` per case across all cost items."""

    amount: Money
    valid_from: date
    valid_to: date | None = None

    def applies_on(self, day: date) -> bool:
        return _applies(self, day)


@dataclass(frozen=True)
class ApprovalRule:
    """A requested total strictly above `threshold` needs two different approvers; a total
    exactly at the threshold needs one ("above" read literally)."""

    threshold: Money
    valid_from: date
    valid_to: date | None = None

    def applies_on(self, day: date) -> bool:
        return _applies(self, day)

    def approvals_needed(self, total: Money) -> int:
        return APPROVALS_ABOVE_THRESHOLD if total > self.threshold else 1


_R = TypeVar("_R", CapRule, ApprovalRule)


def _check_no_overlap(rules: Sequence[_Dated], what: str) -> None:
    ordered = sorted(rules, key=lambda rule: rule.valid_from)
    for rule in ordered:
        if rule.valid_to is not None and rule.valid_to <= rule.valid_from:
            raise ValueError(f"{what} valid_to must be after valid_from: {rule}")
    for earlier, later in pairwise(ordered):
        if earlier.valid_to is None or earlier.valid_to > later.valid_from:
            raise ValueError(f"{what} periods overlap: {earlier} and {later}")


def _in_force(rules: Sequence[_R], day: date, what: str) -> _R:
    for rule in rules:
        if rule.applies_on(day):
            return rule
    raise NoRuleInForce(f"no {what} is in force on {day.isoformat()}")


@dataclass(frozen=True)
class FundRules:
    """All versions of the reference rules; at most one of each kind in force on any day."""

    caps: tuple[CapRule, ...]
    approvals: tuple[ApprovalRule, ...]

    def __post_init__(self) -> None:
        _check_no_overlap(self.caps, "cap rule")
        _check_no_overlap(self.approvals, "approval rule")

    def cap_on(self, day: date) -> CapRule:
        return _in_force(self.caps, day, "cap rule")

    def approval_on(self, day: date) -> ApprovalRule:
        return _in_force(self.approvals, day, "approval rule")
