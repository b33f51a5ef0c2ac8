"""Stage deadlines: per-country reference values and the pure computation of due and overdue.

Rules taken here (DOMAIN.md §2 leaves them open):

- Every due time counts from the child's identification (`identified_at`: when the child came to
  the authorities' attention — DOMAIN.md §2), not from when the case was typed in, so opening a
  case late cannot hide a missed legal deadline (Mexico's 24 h run from the child being placed
  at INM's disposal); nor from the previous stage, so a slow early stage cannot push the later
  deadlines out.
- A stage's deadline is met only by its own act being recorded (the notification, the first
  interview, the completed BIA, the first BID). Moving past a stage without that act does not
  meet it: a missing notification is a legal duty missed, and stays visible.
- Overdue means *strictly after* the due instant with the act still missing: "within 24 h" includes
  the 24th hour, so at exactly `due_at` the stage is not yet overdue.
- An act recorded after its due time meets the deadline late (`late` is true, `overdue` false).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from child_protection.domain.stages import Stage


@dataclass(frozen=True)
class DeadlineRule:
    """Reference data for one host country: how long after identification each stage is due.

    The defaults are DOMAIN.md's; a country's row in the reference table overrides them. The rule
    in force when a case opens is kept on the case, so later edits of the table do not move the
    deadlines of cases already running.
    """

    country: str
    notification: timedelta = timedelta(hours=24)
    interview: timedelta = timedelta(hours=72)
    bia: timedelta = timedelta(days=15)
    bid: timedelta = timedelta(days=30)

    def __post_init__(self) -> None:
        for stage, allowance in self.allowances():
            if allowance <= timedelta(0):
                raise ValueError(f"the allowance for {stage} must be positive")

    def allowances(self) -> tuple[tuple[Stage, timedelta], ...]:
        """Each stage that has a deadline, with its allowance from identification, in order."""
        return (
            (Stage.NOTIFIED, self.notification),
            (Stage.INTERVIEWED, self.interview),
            (Stage.ASSESSED, self.bia),
            (Stage.DETERMINED, self.bid),
        )


@dataclass(frozen=True)
class Deadline:
    stage: Stage
    due_at: datetime
    met_at: datetime | None
    overdue: bool

    @property
    def late(self) -> bool:
        """Met, but after the due time."""
        return self.met_at is not None and self.met_at > self.due_at


def is_overdue(due_at: datetime, met_at: datetime | None, now: datetime) -> bool:
    return met_at is None and now > due_at


def compute_deadlines(
    rule: DeadlineRule,
    identified_at: datetime,
    reached: Mapping[Stage, datetime],
    now: datetime,
) -> tuple[Deadline, ...]:
    """Each stage's due time and whether it is overdue at `now`.

    `reached` maps each milestone to the instant its act was (first) recorded.
    """
    deadlines = []
    for stage, allowance in rule.allowances():
        due_at = identified_at + allowance
        met_at = reached.get(stage)
        deadlines.append(Deadline(stage, due_at, met_at, is_overdue(due_at, met_at, now)))
    return tuple(deadlines)
