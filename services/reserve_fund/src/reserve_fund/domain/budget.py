"""A year's money: allocated, reserved by approvals, disbursed to returns.

    available = allocated - reserved - disbursed, never below zero.

This object checks the rule for one process. Two approvals running at once each see their own
copy, so the adapters must also make it hold in PostgreSQL: lock the year's row
(``SELECT … FOR UPDATE``) before loading it for any operation that calls `reserve`, `release`,
`disburse` or `set_allocation`, write it back in the same transaction as the application, and
keep ``CHECK (reserved >= 0 AND disbursed >= 0 AND allocated - reserved - disbursed >= 0)`` on
the table as the last line of defence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from reserve_fund.domain.clock import require_aware
from reserve_fund.domain.errors import AllocationBelowCommitted, BudgetExhausted, InvalidYear
from reserve_fund.domain.events import BudgetSet, Event
from reserve_fund.domain.money import ZERO, Money

FIRST_YEAR = 2004  # the Fund was created in 2004
LAST_YEAR = 9999


def check_year(year: int) -> None:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InvalidYear(f"budget years run from {FIRST_YEAR} to {LAST_YEAR}", field="year")


@dataclass(eq=False)
class Budget:
    """The Fund's budget for one calendar year. A year with no row is a `Budget(year)` with
    nothing allocated, so approvals against it are refused as exhausted."""

    year: int
    allocated: Money = ZERO
    reserved: Money = ZERO
    disbursed: Money = ZERO
    version: int = 0
    events: list[Event] = field(default_factory=list)

    def __post_init__(self) -> None:
        check_year(self.year)
        if self.reserved + self.disbursed > self.allocated:
            raise ValueError(f"budget {self.year} is overspent: {self}")

    @property
    def available(self) -> Money:
        return self.allocated - self.reserved - self.disbursed

    @property
    def committed(self) -> Money:
        return self.reserved + self.disbursed

    def check_available(self, amount: Money) -> None:
        """Refuse (changing nothing) when not `amount` is available."""
        _require_positive(amount)
        if amount > self.available:
            raise BudgetExhausted(year=self.year, available=self.available, requested=amount)

    def reserve(self, amount: Money) -> None:
        """Hold `amount` for an approved application; refused when not that much is available."""
        self.check_available(amount)
        self.reserved += amount
        self.version += 1

    def release(self, amount: Money) -> None:
        """Give back a reservation (cancellation, or the unspent rest after a return)."""
        _require_positive(amount)
        if amount > self.reserved:
            raise ValueError(f"cannot release USD {amount}; only USD {self.reserved} is reserved")
        self.reserved -= amount
        self.version += 1

    def disburse(self, amount: Money) -> None:
        """Pay out part of a reservation: reserved → disbursed; available does not change."""
        _require_positive(amount)
        if amount > self.reserved:
            raise ValueError(f"cannot disburse USD {amount}; only USD {self.reserved} is reserved")
        self.reserved -= amount
        self.disbursed += amount
        self.version += 1

    def set_allocation(self, amount: Money, *, by: str, now: datetime) -> None:
        """Set the year's allocation; it cannot go below what is already reserved or paid."""
        require_aware(now)
        if amount < self.committed:
            raise AllocationBelowCommitted(
                f"USD {self.committed} of the {self.year} budget is already reserved or "
                f"disbursed; the allocation cannot be USD {amount}",
                field="allocated",
            )
        self.allocated = amount
        self.version += 1
        self.events.append(
            BudgetSet(
                occurred_at=now,
                year=self.year,
                allocated=str(self.allocated),
                reserved=str(self.reserved),
                disbursed=str(self.disbursed),
                available=str(self.available),
                version=self.version,
                set_by=by,
            )
        )


def _require_positive(amount: Money) -> None:
    # Callers pass amounts the aggregate has already validated; zero here is a bug.
    if amount.is_zero:
        raise ValueError("budget movements must be above zero")
