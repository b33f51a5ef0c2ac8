"""Use cases: one handler per command. Each opens the unit of work and decides, in POLICY.md's
order, on the plain unlocked row with the sections still sealed: visibility (404), permission
(403), a closed case (409). Only then is the row locked and the sections decrypted, the input
rules checked (422) and the aggregate asked — it re-checks everything on the locked row — and
state, encrypted sections, outbox events and audit entries are committed in one transaction.
A caller who may not see a case thus never takes its lock nor has its sections decrypted.

Who acts is the unit of work's (`uow.case_actor`: the verified caller it was made for), never
the command's: the same person the audit trail names.

Times: commands carry the instants of their acts. Acts performed now (a BIA written, a BID
decided) are stamped by the caller from the same clock the unit of work uses; acts that happened
earlier (an interview, a reception) come from the request and may not lie in the future.
"""

from __future__ import annotations

from uuid import UUID

from child_protection.domain import Acting, ChildCase, DeadlineRule
from child_protection.domain import commands as c
from child_protection.domain.events import StageOverdue
from child_protection.domain.values import not_in_future
from child_protection.service_layer.errors import (
    CaseNotFound,
    UnknownReceptionPoint,
)
from child_protection.service_layer.unit_of_work import CaseUnitOfWork
from puebla.db.audit import AuditRecord


async def _load(uow: CaseUnitOfWork, case_id: UUID, acting: Acting) -> ChildCase:
    """The case for a write by the unit of work's caller: decided on the plain row first, then
    locked and opened."""
    actor = uow.case_actor
    plain = await uow.cases.get_summary(case_id)  # unlocked, sections sealed
    if plain is None or not plain.is_visible_to(actor):
        raise CaseNotFound()
    plain.check_may_act(actor, acting)
    plain.check_open()
    case = await uow.cases.get(case_id)  # FOR UPDATE, sections decrypted
    if case is None:
        raise CaseNotFound()
    return case


async def open_case(cmd: c.OpenCase, uow: CaseUnitOfWork) -> UUID:
    async with uow:
        opened_on = cmd.opened_at.date()
        # The host country's rule in force today; DOMAIN.md's defaults if it has none on file.
        rule = await uow.reference.deadline_rule(cmd.host_country, opened_on) or DeadlineRule(
            cmd.host_country
        )
        reference = await uow.cases.next_reference(cmd.host_country, cmd.opened_at.year)
        case = ChildCase.open(
            case_id=cmd.case_id,
            reference=reference,
            actor=uow.case_actor,
            host_country=cmd.host_country,
            nationality=cmd.nationality,
            child=cmd.child,
            identified_at=cmd.identified_at,
            place=cmd.place,
            accompaniment=cmd.accompaniment,
            age_disputed=cmd.age_disputed,
            protection_need=cmd.protection_need,
            trafficking_indicator=cmd.trafficking_indicator,
            indicator_details=cmd.indicator_details,
            opened_at=cmd.opened_at,
            deadline_rule=rule,
        )
        await uow.cases.add(case)
        await uow.commit()
        return case.id


async def record_protection_measure(cmd: c.RecordProtectionMeasure, uow: CaseUnitOfWork) -> None:
    async with uow:
        case = await _load(uow, cmd.case_id, Acting.HOST_OFFICER)
        not_in_future(cmd.taken_at, uow.clock(), "taken_at")
        case.record_protection_measure(
            uow.case_actor, kind=cmd.kind, description=cmd.description, taken_at=cmd.taken_at
        )
        await uow.commit()


async def record_notification(cmd: c.RecordNotification, uow: CaseUnitOfWork) -> None:
    async with uow:
        case = await _load(uow, cmd.case_id, Acting.HOST_OFFICER)
        not_in_future(cmd.notified_at, uow.clock(), "notified_at")
        case.record_notification(
            uow.case_actor, authority=cmd.authority, notified_at=cmd.notified_at
        )
        await uow.commit()


async def record_interview(cmd: c.RecordInterview, uow: CaseUnitOfWork) -> None:
    async with uow:
        case = await _load(uow, cmd.case_id, Acting.HOST_OFFICER)
        not_in_future(cmd.conducted_at, uow.clock(), "conducted_at")
        case.record_interview(
            uow.case_actor,
            conducted_at=cmd.conducted_at,
            language=cmd.language,
            notes=cmd.notes,
            interpreter=cmd.interpreter,
        )
        await uow.commit()


async def record_screening(cmd: c.RecordScreening, uow: CaseUnitOfWork) -> None:
    async with uow:
        case = await _load(uow, cmd.case_id, Acting.HOST_OFFICER)
        not_in_future(cmd.screened_at, uow.clock(), "screened_at")
        case.record_screening(
            uow.case_actor,
            screened_at=cmd.screened_at,
            protection_need=cmd.protection_need,
            trafficking_indicator=cmd.trafficking_indicator,
            notes=cmd.notes,
        )
        await uow.commit()


async def record_family_tracing(cmd: c.RecordFamilyTracing, uow: CaseUnitOfWork) -> None:
    async with uow:
        case = await _load(uow, cmd.case_id, Acting.HOST_OFFICER)
        not_in_future(cmd.traced_at, uow.clock(), "traced_at")
        case.record_family_tracing(
            uow.case_actor, traced_at=cmd.traced_at, actions=cmd.actions, contacts=cmd.contacts
        )
        await uow.commit()


async def write_bia(cmd: c.WriteBia, uow: CaseUnitOfWork) -> None:
    async with uow:
        case = await _load(uow, cmd.case_id, Acting.HOST_OFFICER)
        case.write_bia(
            uow.case_actor,
            safety=cmd.safety,
            family=cmd.family,
            health=cmd.health,
            education=cmd.education,
            child_views=cmd.child_views,
            child_views_absent_reason=cmd.child_views_absent_reason,
            recommendation=cmd.recommendation,
            complete=cmd.complete,
            written_at=cmd.written_at,
        )
        await uow.commit()


async def write_origin_assessment(cmd: c.WriteOriginAssessment, uow: CaseUnitOfWork) -> None:
    async with uow:
        case = await _load(uow, cmd.case_id, Acting.NATIONALITY_OFFICER)
        case.write_origin_assessment(
            uow.case_actor,
            family_situation=cmd.family_situation,
            home_situation=cmd.home_situation,
            risks_on_return=cmd.risks_on_return,
            caregiver=cmd.caregiver,
            caregiver_agrees_and_able=cmd.caregiver_agrees_and_able,
            complete=cmd.complete,
            written_at=cmd.written_at,
        )
        await uow.commit()


async def record_risk_assessment(cmd: c.RecordRiskAssessment, uow: CaseUnitOfWork) -> None:
    async with uow:
        case = await _load(uow, cmd.case_id, Acting.HOST_OFFICER)
        not_in_future(cmd.assessed_at, uow.clock(), "assessed_at")
        case.record_risk_assessment(
            uow.case_actor,
            findings=cmd.findings,
            mitigation=cmd.mitigation,
            assessed_at=cmd.assessed_at,
        )
        await uow.commit()


async def decide_bid(cmd: c.DecideBid, uow: CaseUnitOfWork) -> None:
    async with uow:
        case = await _load(uow, cmd.case_id, Acting.HOST_SUPERVISOR)
        case.decide_bid(
            uow.case_actor,
            decision=cmd.decision,
            reasons=cmd.reasons,
            panel=cmd.panel,
            child_views_considered=cmd.child_views_considered,
            decided_at=cmd.decided_at,
        )
        await uow.commit()


async def review_bid(cmd: c.ReviewBid, uow: CaseUnitOfWork) -> None:
    async with uow:
        case = await _load(uow, cmd.case_id, Acting.HOST_SUPERVISOR)
        case.review_bid(uow.case_actor, reasons=cmd.reasons, reviewed_at=cmd.reviewed_at)
        await uow.commit()


async def plan_return(cmd: c.PlanReturn, uow: CaseUnitOfWork) -> None:
    async with uow:
        case = await _load(uow, cmd.case_id, Acting.HOST_OFFICER)
        point = await uow.reference.reception_point(cmd.reception_point, cmd.planned_at.date())
        if point is None:
            raise UnknownReceptionPoint(f"no reception point {cmd.reception_point!r} in force")
        case.plan_return(
            uow.case_actor,
            reception_point=point,
            scheduled_at=cmd.scheduled_at,
            escort=cmd.escort,
            planned_at=cmd.planned_at,
        )
        await uow.commit()


async def confirm_reception(cmd: c.ConfirmReception, uow: CaseUnitOfWork) -> None:
    async with uow:
        case = await _load(uow, cmd.case_id, Acting.NATIONALITY_OFFICER)
        not_in_future(cmd.received_at, uow.clock(), "received_at")
        case.confirm_reception(
            uow.case_actor,
            received_at=cmd.received_at,
            received_by_institution=cmd.received_by_institution,
        )
        await uow.commit()


async def record_follow_up(cmd: c.RecordFollowUp, uow: CaseUnitOfWork) -> None:
    async with uow:
        case = await _load(uow, cmd.case_id, Acting.NATIONALITY_OFFICER)
        not_in_future(cmd.visited_at, uow.clock(), "visited_at")
        case.record_follow_up(uow.case_actor, visited_at=cmd.visited_at, notes=cmd.notes)
        await uow.commit()


async def decide_protection(cmd: c.DecideProtection, uow: CaseUnitOfWork) -> None:
    async with uow:
        case = await _load(uow, cmd.case_id, Acting.HOST_SUPERVISOR)
        case.decide_protection(
            uow.case_actor,
            clear_block=cmd.clear_block,
            reasons=cmd.reasons,
            decided_at=cmd.decided_at,
        )
        await uow.commit()


async def close_case(cmd: c.CloseCase, uow: CaseUnitOfWork) -> None:
    async with uow:
        case = await _load(uow, cmd.case_id, Acting.CLOSING_AUTHORITY)
        case.close(uow.case_actor, reason=cmd.reason, closed_at=cmd.closed_at)
        await uow.commit()


async def check_deadlines(cmd: c.CheckDeadlines, uow: CaseUnitOfWork) -> int:
    """One case's deadline check; returns how many stages it newly found overdue."""
    async with uow:
        case = await uow.cases.get(cmd.case_id)
        if case is None:
            return 0
        case.check_deadlines(cmd.now)
        found = sum(1 for e in case.events if isinstance(e, StageOverdue))
        await uow.commit()
        return found


async def check_all_deadlines(uow: CaseUnitOfWork, *, batch: int = 500) -> int:
    """The scheduler's tick: up to `batch` open cases whose next due time has passed, one
    transaction each; the next tick takes the rest. Returns how many overdue events it emitted.
    Two workers ticking at once emit nothing twice: each case is checked under its row lock and
    the stages already reported are part of the case."""
    now = uow.clock()
    async with uow:
        due = await uow.cases.due_for_deadline_check(now, batch)
    emitted = 0
    for case_id in due:
        emitted += await check_deadlines(c.CheckDeadlines(case_id=case_id, now=now), uow)
    return emitted


async def reseal_sensitive_sections(uow: CaseUnitOfWork, *, batch: int = 200) -> int:
    """Key rotation, second half: re-encrypt every case still sealed with an older key, one
    transaction per case, each an audit entry (key ids only). Once it returns, the older keys
    can leave CHILD_PROTECTION_ENCRYPTION_KEYS. Returns how many cases it resealed."""
    resealed = 0
    while True:
        async with uow:
            pending = await uow.cases.sealed_with_other_keys(batch)
        done = 0
        for case_id in pending:
            async with uow:
                previous = await uow.cases.reseal(case_id)
                if previous is not None:
                    uow.record(
                        AuditRecord(
                            uow.actor_name,
                            "child_case.sensitive_resealed",
                            "child_case",
                            str(case_id),
                            {"from_key": previous, "to_key": uow.keyring.current_key_id},
                        )
                    )
                    await uow.commit()
                    done += 1
        resealed += done
        if len(pending) < batch or done == 0:
            return resealed
