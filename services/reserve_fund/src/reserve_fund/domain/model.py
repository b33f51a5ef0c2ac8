"""The `FundApplication` aggregate: one request to the Fund for one beneficiary's return.

Methods check every rule before changing anything, so a refused call leaves the application as
it was. Each accepted change bumps `version` by one and appends one event to `events` (the unit
of work collects them into the outbox and clears the list).

Steps that move money — approving, disbursing, completing the return, cancelling — are done
with the year's `Budget` in `reserve_fund.domain.fund`; the underscored methods here are the
application's half of those steps and are not to be called on their own.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import TypedDict
from uuid import UUID

from reserve_fund.domain.child_cases import ChildCase, check_child_case
from reserve_fund.domain.clock import require_aware
from reserve_fund.domain.costs import CostItem, check_items, total_of
from reserve_fund.domain.eligibility import (
    Category,
    check_applicant,
    check_beneficiary,
    check_consent,
    check_intraregional,
    effective_categories,
)
from reserve_fund.domain.errors import (
    DisbursementExceedsApproved,
    InvalidDisbursement,
    InvalidTransition,
    NotRequestingAuthority,
    ReviewClosed,
    ReviewerCannotApprove,
    ReviewerCannotReject,
    ReviewRequired,
    SameApproverTwice,
    TextRequired,
)
from reserve_fund.domain.events import (
    ApplicationApproved,
    ApplicationCancelled,
    ApplicationClosed,
    ApplicationCreated,
    ApplicationRejected,
    ApplicationReviewed,
    ApplicationSubmitted,
    ApprovalRecorded,
    DisbursementRecorded,
    Event,
    InformationProvided,
    InformationRequested,
    ReturnCompleted,
)
from reserve_fund.domain.lifecycle import Status, can_move
from reserve_fund.domain.money import ZERO, Money
from reserve_fund.domain.parties import Authority, Beneficiary, Consent
from reserve_fund.domain.rules import FundRules

REFERENCE_PREFIX = "RF"


def format_reference(year: int, sequence: int) -> str:
    """The human reference of an application, e.g. ``RF-2026-000042``.

    Adapters assign it: `sequence` comes from a database sequence (per year or global), so two
    applications never share one; this only fixes the spelling.
    """
    if sequence < 1:
        raise ValueError("reference sequence numbers start at 1")
    return f"{REFERENCE_PREFIX}-{year:04d}-{sequence:06d}"


class Recommendation(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"


@dataclass(frozen=True)
class Approval:
    by: str  # the approver's username, for display
    at: datetime
    note: str | None = None
    # Who approved: the immutable subject of their token. None only on approvals recorded
    # before the subject was kept (then the username stands in, see `same_person`).
    subject: str | None = None


def same_person(
    subject: str | None, username: str, other_subject: str | None, other_username: str | None
) -> bool:
    """Separation of duties compares people by their immutable subject (the token's `sub`),
    never by the username: one person shows as two usernames (a token from a client without
    the `profile` scope falls back to the subject; an admin renames them). A record written
    before subjects were kept has none, and only then the usernames are compared."""
    if subject is not None and other_subject is not None:
        return subject == other_subject
    return username == other_username


@dataclass(frozen=True)
class Disbursement:
    amount: Money
    purpose: str
    by: str
    at: datetime


@dataclass(frozen=True)
class InformationRequest:
    question: str
    asked_by: str
    asked_at: datetime
    answer: str | None = None
    answered_by: str | None = None
    answered_at: datetime | None = None


class _Common(TypedDict):
    occurred_at: datetime
    application_id: UUID
    reference: str
    version: int
    beneficiary_nationality: str
    current_country: str
    requesting_country: str


def _text(value: str, field: str) -> str:
    stripped = value.strip()
    if not stripped:
        raise TextRequired(f"{field} cannot be blank", field=field)
    return stripped


def _check_case(
    *,
    beneficiary: Beneficiary,
    current_country: str,
    categories: Iterable[Category],
    voluntary_consent: Consent | None,
    items: Sequence[CostItem],
    justification: str,
    rules: FundRules,
    now: datetime,
) -> frozenset[Category]:
    """Every eligibility rule and the cap, as of `now`'s date (the filing day)."""
    day = now.date()
    check_intraregional(beneficiary.nationality, current_country)
    check_beneficiary(beneficiary, day)
    effective = effective_categories(categories, beneficiary.date_of_birth, day)
    check_consent(voluntary_consent, beneficiary.date_of_birth, day, now)
    check_items(items, rules.cap_on(day))
    _text(justification, "justification")
    return effective


@dataclass(eq=False)
class FundApplication:
    """Build new ones with `FundApplication.create`; the constructor is for adapters that load
    a stored application (and must then give it an empty `events` list)."""

    id: UUID
    reference: str
    requested_by: Authority
    beneficiary: Beneficiary
    current_country: str
    categories: frozenset[Category]
    voluntary_consent: Consent
    items: tuple[CostItem, ...]
    justification: str
    created_at: datetime
    child_case_id: UUID | None = None
    status: Status = Status.DRAFT
    submitted_at: datetime | None = None
    reviewed_by: str | None = None  # the reviewer's username, for display
    reviewer_subject: str | None = None  # and who they are (None on reviews kept before it)
    recommendation: Recommendation | None = None
    review_note: str | None = None
    reviewed_at: datetime | None = None
    approvals: list[Approval] = field(default_factory=list)
    approvals_needed: int = 1
    approved_total: Money = ZERO
    budget_year: int | None = None  # the year whose budget holds the reservation
    disbursements: list[Disbursement] = field(default_factory=list)
    released_total: Money = ZERO  # reservation given back (cancelled, or unspent on return)
    information_requests: list[InformationRequest] = field(default_factory=list)
    rejection_reason: str | None = None
    cancellation_reason: str | None = None
    version: int = 0
    events: list[Event] = field(default_factory=list)

    # --- reading ------------------------------------------------------------------------------

    @property
    def requesting_country(self) -> str:
        return self.requested_by.country

    @property
    def requested_total(self) -> Money:
        return total_of(self.items)

    @property
    def disbursed_total(self) -> Money:
        return Money.total(d.amount for d in self.disbursements)

    @property
    def reserved(self) -> Money:
        """What this application still holds on its year's budget."""
        return self.approved_total - self.disbursed_total - self.released_total

    @property
    def holds_reservation(self) -> bool:
        return not self.reserved.is_zero

    @property
    def approvers(self) -> tuple[str, ...]:
        return tuple(approval.by for approval in self.approvals)

    def reviewed_by_person(self, subject: str | None, username: str) -> bool:
        return self.reviewed_by is not None and same_person(
            subject, username, self.reviewer_subject, self.reviewed_by
        )

    # --- filing -------------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        *,
        id: UUID,
        reference: str,
        requested_by: Authority,
        beneficiary: Beneficiary,
        current_country: str,
        categories: Iterable[Category],
        voluntary_consent: Consent | None,
        items: Sequence[CostItem],
        justification: str,
        rules: FundRules,
        now: datetime,
        child_case_id: UUID | None = None,
        child_case: ChildCase | None = None,
    ) -> FundApplication:
        """A draft, already checked against every rule as of `now`'s date. `child_case` is
        what the Fund knows of the case `child_case_id` names (None if nothing)."""
        require_aware(now)
        check_applicant(requested_by, beneficiary.nationality, current_country)
        effective = _check_case(
            beneficiary=beneficiary,
            current_country=current_country,
            categories=categories,
            voluntary_consent=voluntary_consent,
            items=items,
            justification=justification,
            rules=rules,
            now=now,
        )
        check_child_case(
            child_case_id,
            child_case,
            nationality=beneficiary.nationality,
            current_country=current_country,
        )
        assert voluntary_consent is not None  # checked by _check_case
        application = cls(
            id=id,
            reference=reference,
            requested_by=requested_by,
            beneficiary=beneficiary,
            current_country=current_country,
            categories=effective,
            voluntary_consent=voluntary_consent,
            items=tuple(items),
            justification=justification.strip(),
            created_at=now,
            child_case_id=child_case_id,
        )
        # What the draft will need as of today (submission fixes it for good): the applicant
        # should not read "1 approval" on a draft above the threshold.
        application.approvals_needed = rules.approval_on(now.date()).approvals_needed(
            application.requested_total
        )
        application.events.append(
            ApplicationCreated(
                **application._new_version(now),
                created_by=requested_by.username,
                requested_total=str(application.requested_total),
            )
        )
        return application

    def submit(
        self,
        *,
        by: Authority,
        rules: FundRules,
        now: datetime,
        child_case: ChildCase | None = None,
    ) -> None:
        """File the draft with IOM. The submission date is the filing day: eligibility and the
        cap are checked again as of that day, and the approval rule of that day fixes how many
        approvers are needed. The child case is checked again too: it may have been blocked or
        decided otherwise since the draft (`child_case` None: the Fund knows no such case, so
        an application that names one is refused)."""
        require_aware(now)
        self._require_requesting_authority(by)
        self._transition("submit", {Status.DRAFT}, Status.SUBMITTED)
        self.categories = _check_case(
            beneficiary=self.beneficiary,
            current_country=self.current_country,
            categories=self.categories,
            voluntary_consent=self.voluntary_consent,
            items=self.items,
            justification=self.justification,
            rules=rules,
            now=now,
        )
        self.check_child_case(child_case)
        self.approvals_needed = rules.approval_on(now.date()).approvals_needed(self.requested_total)
        self.status = Status.SUBMITTED
        self.submitted_at = now
        self.events.append(
            ApplicationSubmitted(
                **self._new_version(now),
                submitted_by=by.username,
                categories=tuple(sorted(c.value for c in self.categories)),
                requested_total=str(self.requested_total),
                approvals_needed=self.approvals_needed,
                child_case_id=self.child_case_id,
            )
        )

    def check_child_case(self, child_case: ChildCase | None) -> None:
        """The linked child case (if any) still allows funding a return."""
        check_child_case(
            self.child_case_id,
            child_case,
            nationality=self.beneficiary.nationality,
            current_country=self.current_country,
        )

    # --- review -------------------------------------------------------------------------------

    def request_information(self, *, question: str, by: str, now: datetime) -> None:
        """The fund officer asks the requesting authority for more.

        Any review and approvals given so far are withdrawn: the answer may change the case
        (even its items), so it is reviewed and approved afresh. Nothing is reserved before the
        final approval, so nothing needs releasing.
        """
        require_aware(now)
        question = _text(question, "question")
        self._transition(
            "request information on", {Status.SUBMITTED, Status.UNDER_REVIEW}, Status.INFO_REQUESTED
        )
        self._withdraw_review()
        self.status = Status.INFO_REQUESTED
        self.information_requests.append(
            InformationRequest(question=question, asked_by=by, asked_at=now)
        )
        self.events.append(
            InformationRequested(**self._new_version(now), question=question, asked_by=by)
        )

    def provide_information(
        self,
        *,
        answer: str,
        by: Authority,
        rules: FundRules,
        now: datetime,
        items: Sequence[CostItem] | None = None,
    ) -> None:
        """The requesting authority answers; it may replace the cost items at the same time
        (checked against the cap in force today, approvers needed recomputed)."""
        require_aware(now)
        self._require_requesting_authority(by)
        answer = _text(answer, "answer")
        self._transition("answer", {Status.INFO_REQUESTED}, Status.UNDER_REVIEW)
        if items is not None:
            check_items(items, rules.cap_on(now.date()))
            self.items = tuple(items)
            self.approvals_needed = rules.approval_on(now.date()).approvals_needed(
                self.requested_total
            )
        self.status = Status.UNDER_REVIEW
        self.information_requests[-1] = replace(
            self.information_requests[-1], answer=answer, answered_by=by.username, answered_at=now
        )
        self.events.append(
            InformationProvided(
                **self._new_version(now),
                answer=answer,
                answered_by=by.username,
                items_changed=items is not None,
                requested_total=str(self.requested_total),
                approvals_needed=self.approvals_needed,
            )
        )

    def review(
        self,
        *,
        recommendation: Recommendation,
        note: str,
        by: str,
        now: datetime,
        subject: str | None = None,
    ) -> None:
        """The fund officer recommends approval or rejection. A later review replaces an earlier
        one, but only until the first approval: approvers must see a settled recommendation.
        `by` is the officer's username, `subject` who they are (the token's `sub`; `by` stands
        in when a caller has only one name for them)."""
        require_aware(now)
        note = _text(note, "note")
        if self.status is Status.UNDER_REVIEW and self.approvals:
            raise ReviewClosed("approvals have started; request information to reopen the review")
        self._transition("review", {Status.SUBMITTED, Status.UNDER_REVIEW}, Status.UNDER_REVIEW)
        self.status = Status.UNDER_REVIEW
        self.reviewed_by = by
        self.reviewer_subject = subject if subject is not None else by
        self.recommendation = recommendation
        self.review_note = note
        self.reviewed_at = now
        self.events.append(
            ApplicationReviewed(
                **self._new_version(now),
                reviewed_by=by,
                recommendation=recommendation.value,
                note=note,
            )
        )

    # --- decision -----------------------------------------------------------------------------

    def reject(self, *, reason: str, by: str, now: datetime, subject: str | None = None) -> None:
        """A fund approver who did not review it turns the application down. Any approver may
        reject, including one who gave a first approval of two; nothing was reserved yet."""
        require_aware(now)
        reason = _text(reason, "reason")
        self._require_reviewed("reject")
        if self.reviewed_by_person(subject if subject is not None else by, by):
            raise ReviewerCannotReject(f"{by} reviewed this application and cannot also reject it")
        self._transition("reject", {Status.UNDER_REVIEW}, Status.REJECTED)
        self.status = Status.REJECTED
        self.rejection_reason = reason
        self.events.append(
            ApplicationRejected(**self._new_version(now), rejected_by=by, reason=reason)
        )

    def _check_approval(self, approver: str, subject: str | None = None) -> bool:
        """Refuse an approval that breaks a rule; say whether it would be the last one needed.
        Part of `fund.approve`."""
        self._require_reviewed("approve")
        subject = subject if subject is not None else approver
        if self.reviewed_by_person(subject, approver):
            raise ReviewerCannotApprove(
                f"{approver} reviewed this application and cannot also approve it"
            )
        if any(same_person(subject, approver, a.subject, a.by) for a in self.approvals):
            raise SameApproverTwice(
                f"{approver} has already approved this application; the second approval "
                "must come from a different approver"
            )
        return len(self.approvals) + 1 >= self.approvals_needed

    def _add_approval(
        self,
        *,
        approver: str,
        note: str | None,
        budget_year: int,
        now: datetime,
        subject: str | None = None,
    ) -> bool:
        """Record the approval; on the last one needed, the application is approved and its
        requested total becomes the approved total reserved on `budget_year`. Part of
        `fund.approve`, which has reserved the money by then."""
        final = self._check_approval(approver, subject)
        subject = subject if subject is not None else approver
        self.approvals.append(Approval(by=approver, at=now, note=note, subject=subject))
        if not final:
            self.events.append(
                ApprovalRecorded(
                    **self._new_version(now),
                    approver=approver,
                    approvals_given=len(self.approvals),
                    approvals_needed=self.approvals_needed,
                )
            )
            return False
        self.status = Status.APPROVED
        self.approved_total = self.requested_total
        self.budget_year = budget_year
        self.events.append(
            ApplicationApproved(
                **self._new_version(now),
                approvers=self.approvers,
                approved_total=str(self.approved_total),
                budget_year=budget_year,
                categories=tuple(sorted(c.value for c in self.categories)),
                note=note,
            )
        )
        return True

    # --- money out and the return ---------------------------------------------------------------

    def _check_disbursement(self, amount: Money, purpose: str) -> str:
        """Part of `fund.record_disbursement`; returns the cleaned purpose."""
        purpose = _text(purpose, "purpose")
        if amount.is_zero:
            raise InvalidDisbursement("a disbursement must be above zero", field="amount")
        self._transition("disburse", {Status.APPROVED, Status.DISBURSED}, Status.DISBURSED)
        left = self.reserved
        if amount > left:
            raise DisbursementExceedsApproved(
                f"USD {amount} is more than the USD {left} left of the USD "
                f"{self.approved_total} approved",
                field="amount",
            )
        return purpose

    def _add_disbursement(self, *, amount: Money, purpose: str, by: str, now: datetime) -> None:
        purpose = self._check_disbursement(amount, purpose)
        assert self.budget_year is not None  # approved applications have one
        self.disbursements.append(Disbursement(amount=amount, purpose=purpose, by=by, at=now))
        self.status = Status.DISBURSED
        self.events.append(
            DisbursementRecorded(
                **self._new_version(now),
                amount=str(amount),
                purpose=purpose,
                disbursed_total=str(self.disbursed_total),
                approved_total=str(self.approved_total),
                budget_year=self.budget_year,
                recorded_by=by,
            )
        )

    def _check_return(self) -> Money:
        """Part of `fund.complete_return`; returns what goes back to the budget."""
        self._transition("complete the return of", {Status.DISBURSED}, Status.RETURNED)
        return self.reserved

    def _complete_return(self, *, by: str, now: datetime) -> Money:
        released = self._check_return()
        assert self.budget_year is not None
        self.released_total += released
        self.status = Status.RETURNED
        self.events.append(
            ReturnCompleted(
                **self._new_version(now),
                completed_by=by,
                disbursed_total=str(self.disbursed_total),
                released=str(released),
                budget_year=self.budget_year,
            )
        )
        return released

    def _check_cancel(self, reason: str) -> tuple[str, Money]:
        """Part of `fund.cancel`; returns the cleaned reason and what goes back to the budget."""
        reason = _text(reason, "reason")
        self._transition(
            "cancel",
            {
                Status.DRAFT,
                Status.SUBMITTED,
                Status.UNDER_REVIEW,
                Status.INFO_REQUESTED,
                Status.APPROVED,
            },
            Status.CANCELLED,
        )
        return reason, self.reserved

    def _cancel(self, *, reason: str, by: str, now: datetime) -> Money:
        reason, released = self._check_cancel(reason)
        self.released_total += released
        self.status = Status.CANCELLED
        self.cancellation_reason = reason
        self.events.append(
            ApplicationCancelled(
                **self._new_version(now),
                cancelled_by=by,
                reason=reason,
                released=str(released),
                budget_year=self.budget_year,
            )
        )
        return released

    def close(self, *, by: str, now: datetime) -> None:
        """File away a completed return."""
        require_aware(now)
        self._transition("close", {Status.RETURNED}, Status.CLOSED)
        self.status = Status.CLOSED
        self.events.append(ApplicationClosed(**self._new_version(now), closed_by=by))

    # --- internals ----------------------------------------------------------------------------

    def _transition(self, action: str, sources: set[Status], target: Status) -> None:
        if self.status not in sources or not can_move(self.status, target):
            raise InvalidTransition(f"cannot {action} an application that is {self.status}")

    def _require_reviewed(self, action: str) -> None:
        if self.status is Status.SUBMITTED or (
            self.status is Status.UNDER_REVIEW and self.reviewed_by is None
        ):
            raise ReviewRequired(f"a fund officer must review the application before you {action}")
        self._transition(action, {Status.UNDER_REVIEW}, Status.UNDER_REVIEW)

    def _require_requesting_authority(self, by: Authority) -> None:
        if by.country != self.requesting_country:
            raise NotRequestingAuthority(
                f"only authorities of {self.requesting_country}, which filed this application, "
                "can do this"
            )

    def _withdraw_review(self) -> None:
        self.reviewed_by = None
        self.reviewer_subject = None
        self.recommendation = None
        self.review_note = None
        self.reviewed_at = None
        self.approvals.clear()

    def _new_version(self, now: datetime) -> _Common:
        """Count one change and return the fields every event about it carries. Called exactly
        once per accepted change, while building its event."""
        self.version += 1
        return _Common(
            occurred_at=now,
            application_id=self.id,
            reference=self.reference,
            version=self.version,
            beneficiary_nationality=self.beneficiary.nationality,
            current_country=self.current_country,
            requesting_country=self.requesting_country,
        )
