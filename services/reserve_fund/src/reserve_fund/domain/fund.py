"""Where an application and a year's budget change together (domain services).

Every step that moves money goes through one of these functions, never through the application
or the budget alone, so the two can never disagree:

- `approve`: the last approval needed reserves the requested total on the budget of the year of
  the approval (`budget_year_of(now)`);
- `record_disbursement`: pays out part of the reservation (reserved → disbursed);
- `complete_return`: the return happened; the part of the reservation not paid goes back;
- `cancel`: before any disbursement; an approved application gives its reservation back.

Each function checks everything first and changes nothing when it refuses.

What the adapters must do, in one transaction per call:

1. lock the budget row of the year involved (``SELECT … FROM budget WHERE year = :y FOR
   UPDATE``; create it with allocated 0 if missing) and the application row (``FOR UPDATE``, or
   an optimistic ``UPDATE … WHERE version = :loaded``) — the application lock makes two
   approvers racing on the same application serialise, the budget lock makes approvals of
   different applications serialise on the money;
2. call the function;
3. write back both aggregates, the new approval/disbursement rows and the events' outbox rows;
4. commit. Keep ``CHECK (allocated - reserved - disbursed >= 0)`` and a unique
   ``(application_id, approver)`` on the approvals table as a backstop.

A check-then-write without the row lock is not enough: two approvals could both see the same
available amount.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from reserve_fund.domain.budget import Budget
from reserve_fund.domain.child_cases import ChildCase
from reserve_fund.domain.clock import require_aware
from reserve_fund.domain.model import FundApplication
from reserve_fund.domain.money import ZERO, Money


def budget_year_of(now: datetime) -> int:
    """The year whose budget an approval at `now` is charged to."""
    return now.year


@dataclass(frozen=True)
class ApprovalOutcome:
    final: bool  # this approval was the last needed: the application is approved
    reserved: Money  # taken from the budget by this call (zero for a first of two approvals)
    approvals_given: int
    approvals_needed: int


def approve(
    application: FundApplication,
    budget: Budget,
    *,
    approver: str,
    now: datetime,
    child_case: ChildCase | None = None,
    note: str | None = None,
    approver_subject: str | None = None,
) -> ApprovalOutcome:
    """Give one approval; if it is the last one needed, reserve the money.

    `budget` is the budget of `budget_year_of(now)`; `child_case` what the Fund knows now of
    the case the application names; `approver` is the approver's username, `approver_subject`
    who they are (the token's `sub`; the username stands in when omitted). Refusals, in order:
    InvalidTransition (not under review), ReviewRequired, ReviewerCannotApprove,
    SameApproverTwice, BudgetExhausted (only on the last approval), ChildCaseNotForReturn (the
    case was blocked or decided otherwise since filing) — the application and budget are then
    untouched.
    """
    require_aware(now)
    _require_year(budget, budget_year_of(now))
    final = application._check_approval(approver, approver_subject)
    if final:
        budget.check_available(application.requested_total)
    application.check_child_case(child_case)
    reserved = ZERO
    if final:
        reserved = application.requested_total
        budget.reserve(reserved)
    application._add_approval(
        approver=approver,
        note=note,
        budget_year=budget.year,
        now=now,
        subject=approver_subject,
    )
    return ApprovalOutcome(
        final=final,
        reserved=reserved,
        approvals_given=len(application.approvals),
        approvals_needed=application.approvals_needed,
    )


def record_disbursement(
    application: FundApplication,
    budget: Budget,
    *,
    amount: Money,
    purpose: str,
    by: str,
    now: datetime,
) -> None:
    """Pay out `amount` of the approved total; several instalments are allowed up to it.
    `budget` is the one holding the reservation (`application.budget_year`)."""
    require_aware(now)
    application._check_disbursement(amount, purpose)
    _require_year(budget, application.budget_year)
    budget.disburse(amount)
    application._add_disbursement(amount=amount, purpose=purpose, by=by, now=now)


def complete_return(
    application: FundApplication, budget: Budget, *, by: str, now: datetime
) -> Money:
    """The return happened. Whatever was approved but not disbursed is released; returns it."""
    require_aware(now)
    released = application._check_return()
    _require_year(budget, application.budget_year)
    if not released.is_zero:
        budget.release(released)
    application._complete_return(by=by, now=now)
    return released


def cancel(
    application: FundApplication,
    budget: Budget | None,
    *,
    reason: str,
    by: str,
    now: datetime,
) -> Money:
    """Cancel before any disbursement; returns the reservation given back (zero unless it was
    approved). `budget` is needed only when `application.holds_reservation`."""
    require_aware(now)
    _, released = application._check_cancel(reason)
    if not released.is_zero:
        if budget is None:
            raise ValueError("cancelling an approved application needs its year's budget")
        _require_year(budget, application.budget_year)
        budget.release(released)
    application._cancel(reason=reason, by=by, now=now)
    return released


def _require_year(budget: Budget, year: int | None) -> None:
    # Handing in another year's budget is an adapter bug, not a client error.
    if budget.year != year:
        raise ValueError(f"this step concerns the {year} budget, not {budget.year}")
