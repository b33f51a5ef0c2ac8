"""One handler per command, `(cmd, uow)`: who acts is the unit of work's (`uow.principal`, given
once by `Fund.uow(actor=caller)`). Each opens the unit of work, decides from the plain, unlocked row
whether the caller may see the application (404) and take this action on it (403), only then
loads it row-locked, calls the domain (which re-checks its own rules: state 409, input 422),
and commits; a refusal leaves nothing behind. A caller who may not see an application never
takes a lock on it.

Lock order, everywhere: the application row first, then the budget row of the year involved,
then (shared) the child case it names. The consumers of child events lock only the child case.
"""

from __future__ import annotations

from uuid import UUID

from reserve_fund.domain import (
    Budget,
    FundApplication,
    approve,
    budget_year_of,
    cancel,
    complete_return,
    format_reference,
    record_disbursement,
)
from reserve_fund.domain import commands as c
from reserve_fund.domain.budget import check_year
from reserve_fund.service_layer import access, queries
from reserve_fund.service_layer.unit_of_work import FundUnitOfWork


async def _locked(
    uow: FundUnitOfWork, application_id: UUID, may: access.Permission
) -> FundApplication:
    """Visibility (404), then permission (403), both on the plain row; then the row lock."""
    caller = uow.principal
    facts = await queries.access_facts(uow.session, application_id)
    may(caller, access.ensure_readable(caller, facts))
    application = await uow.applications.get_for_update(application_id)
    assert application is not None  # applications are never deleted
    return application


async def _budget_of(uow: FundUnitOfWork, application: FundApplication) -> Budget:
    """The locked budget holding the application's reservation. An application never approved
    has none: it gets an empty stand-in, never stored, so that the domain refuses the step for
    the real reason (its state) rather than for a missing budget."""
    if application.budget_year is None:
        return Budget(year=budget_year_of(uow.clock()))
    return await uow.budgets.get_for_update(application.budget_year)


async def create_application(cmd: c.CreateApplication, uow: FundUnitOfWork) -> UUID:
    requester = access.applicant(uow.principal)  # 403 before anything is read
    async with uow:
        rules = await uow.rules.load()
        child_case = await uow.child_cases.get_for_share(cmd.child_case_id)
        number = await uow.applications.next_reference_number()
        now = uow.clock()
        application = FundApplication.create(
            id=cmd.application_id,
            reference=format_reference(now.year, number),
            requested_by=requester,
            beneficiary=cmd.beneficiary,
            current_country=cmd.current_country,
            categories=cmd.categories,
            voluntary_consent=cmd.voluntary_consent,
            items=cmd.items,
            justification=cmd.justification,
            rules=rules,
            now=now,
            child_case_id=cmd.child_case_id,
            child_case=child_case,
        )
        uow.applications.add(application)
        await uow.commit()
    return application.id


async def submit_application(cmd: c.SubmitApplication, uow: FundUnitOfWork) -> UUID:
    async with uow:
        application = await _locked(uow, cmd.application_id, access.may_act_as_requester)
        rules = await uow.rules.load()
        child_case = await uow.child_cases.get_for_share(application.child_case_id)
        application.submit(
            by=access.applicant(uow.principal), rules=rules, now=uow.clock(), child_case=child_case
        )
        await uow.commit()
    return application.id


async def request_information(cmd: c.RequestInformation, uow: FundUnitOfWork) -> UUID:
    async with uow:
        application = await _locked(
            uow, cmd.application_id, access.fund_officer_may("ask for more information")
        )
        application.request_information(question=cmd.question, by=uow.actor_name, now=uow.clock())
        await uow.commit()
    return application.id


async def provide_information(cmd: c.ProvideInformation, uow: FundUnitOfWork) -> UUID:
    async with uow:
        application = await _locked(uow, cmd.application_id, access.may_act_as_requester)
        rules = await uow.rules.load()
        application.provide_information(
            answer=cmd.answer,
            by=access.applicant(uow.principal),
            rules=rules,
            now=uow.clock(),
            items=cmd.items,
        )
        await uow.commit()
    return application.id


async def review_application(cmd: c.ReviewApplication, uow: FundUnitOfWork) -> UUID:
    async with uow:
        application = await _locked(
            uow, cmd.application_id, access.fund_officer_may("review an application")
        )
        # Separation of duties goes by the caller's immutable subject, not the username.
        application.review(
            recommendation=cmd.recommendation,
            note=cmd.note,
            by=uow.actor_name,
            now=uow.clock(),
            subject=uow.principal.subject,
        )
        await uow.commit()
    return application.id


async def approve_application(cmd: c.ApproveApplication, uow: FundUnitOfWork) -> UUID:
    """The race the Fund must win: the application row is locked (two approvers of the same
    application serialise), then the budget row of the year (approvals of different
    applications serialise on the money); the domain checks the available amount under both
    locks and the CHECK constraint backs it up."""
    async with uow:
        application = await _locked(uow, cmd.application_id, access.may_approve)
        now = uow.clock()
        budget = await uow.budgets.get_for_update(budget_year_of(now))
        child_case = await uow.child_cases.get_for_share(application.child_case_id)
        approve(
            application,
            budget,
            approver=uow.actor_name,
            approver_subject=uow.principal.subject,
            now=now,
            child_case=child_case,
            note=cmd.note,
        )
        await uow.commit()
    return application.id


async def reject_application(cmd: c.RejectApplication, uow: FundUnitOfWork) -> UUID:
    async with uow:
        application = await _locked(uow, cmd.application_id, access.may_reject)
        application.reject(
            reason=cmd.reason, by=uow.actor_name, now=uow.clock(), subject=uow.principal.subject
        )
        await uow.commit()
    return application.id


async def record_disbursement_(cmd: c.RecordDisbursement, uow: FundUnitOfWork) -> UUID:
    async with uow:
        application = await _locked(
            uow, cmd.application_id, access.fund_officer_may("record a disbursement")
        )
        budget = await _budget_of(uow, application)
        record_disbursement(
            application,
            budget,
            amount=cmd.amount,
            purpose=cmd.purpose,
            by=uow.actor_name,
            now=uow.clock(),
        )
        await uow.commit()
    return application.id


async def complete_return_(cmd: c.CompleteReturn, uow: FundUnitOfWork) -> UUID:
    async with uow:
        application = await _locked(
            uow, cmd.application_id, access.fund_officer_may("record a completed return")
        )
        budget = await _budget_of(uow, application)
        complete_return(application, budget, by=uow.actor_name, now=uow.clock())
        await uow.commit()
    return application.id


async def close_application(cmd: c.CloseApplication, uow: FundUnitOfWork) -> UUID:
    async with uow:
        application = await _locked(
            uow, cmd.application_id, access.fund_officer_may("close an application")
        )
        application.close(by=uow.actor_name, now=uow.clock())
        await uow.commit()
    return application.id


async def cancel_application(cmd: c.CancelApplication, uow: FundUnitOfWork) -> UUID:
    async with uow:
        application = await _locked(uow, cmd.application_id, access.may_cancel)
        budget = (
            await uow.budgets.get_for_update(application.budget_year)
            if application.holds_reservation and application.budget_year is not None
            else None
        )
        cancel(application, budget, reason=cmd.reason, by=uow.actor_name, now=uow.clock())
        await uow.commit()
    return application.id


async def set_budget(cmd: c.SetBudget, uow: FundUnitOfWork) -> int:
    access.ensure_fund_approver(uow.principal, "set the yearly budget")
    check_year(cmd.year)  # before a row is created for it
    async with uow:
        budget = await uow.budgets.get_for_update(cmd.year)
        budget.set_allocation(cmd.allocated, by=uow.actor_name, now=uow.clock())
        await uow.commit()
    return cmd.year


# -- child cases, from child protection's events (consumers: no caller, an inbox row) ---------


async def record_child_case(
    cmd: c.RecordChildCaseBlock | c.RecordChildCaseDetermination | c.RecordChildCaseClosed,
    uow: FundUnitOfWork,
) -> None:
    """Keeps what the Fund knows of a child case up to date; an event older than what is
    recorded for the same fact changes nothing, a replayed one is stopped by the inbox (the
    consumer gives the unit of work its `Tracking`)."""
    async with uow:
        case = await uow.child_cases.get_for_update(
            cmd.case_id, host_country=cmd.host_country, nationality=cmd.nationality
        )
        if isinstance(cmd, c.RecordChildCaseBlock):
            case.record_block(blocked=cmd.blocked, version=cmd.version)
        elif isinstance(cmd, c.RecordChildCaseDetermination):
            case.record_determination(decision=cmd.decision, version=cmd.version)
        else:
            case.record_closed(bid_decision=cmd.bid_decision, version=cmd.version)
        await uow.commit()
