"""The read side: case summaries, the audited read of the sensitive sections, a case's audit trail.

Summaries are built from the plain columns only (the sections stay sealed). Who may see what is
the aggregate's decision (`is_visible_to`, `may_read_sensitive`, `may_read_audit`); the list's
SQL filter is the same rule written as a WHERE clause, and every row it returns is checked
against the aggregate again, so a drift between the two can hide a case but never show one.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, and_, false, func, literal, or_, select, tuple_, union_all

from child_protection.adapters import codec
from child_protection.adapters.orm import audit, child_case
from child_protection.adapters.repository import case_from_row, sealed_sections
from child_protection.domain import Acting, Actor, CaseSummary, ChildCase, Stage
from child_protection.service_layer.errors import (
    PURPOSE_HEADER,
    AuditReadForbidden,
    CaseNotFound,
    PurposeInQuery,
    PurposeMissing,
    PurposeNotUtf8,
    PurposeRequired,
    SensitiveReadForbidden,
    StepUpRequired,
)
from child_protection.service_layer.unit_of_work import CaseUnitOfWork
from puebla.db.audit import AuditRecord

AGGREGATE = "child_case"
PURPOSE_MAX = 500


@dataclass(frozen=True)
class Keyset:
    """Where a page starts: after this (instant, id) in the list's order."""

    at: datetime
    id: uuid.UUID


@dataclass(frozen=True)
class SummaryPage:
    items: list[CaseSummary]
    next: Keyset | None


@dataclass(frozen=True)
class SensitiveRead:
    case_id: uuid.UUID
    reference: str
    version: int
    sections: dict[str, Any]


@dataclass(frozen=True)
class AuditEntry:
    id: uuid.UUID
    seq: int
    at: datetime
    actor: str
    action: str
    detail: dict[str, Any]
    correlation_id: str | None


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditEntry]
    next: Keyset | None


def _visible(case: ChildCase | None, actor: Actor) -> ChildCase:
    if case is None or not case.is_visible_to(actor):
        raise CaseNotFound("case not found")
    return case


async def check_may_act(
    uow: CaseUnitOfWork, case_id: uuid.UUID, actor: Actor, acting: Acting | None = None
) -> None:
    """404 unless `actor` sees the case, then 403 unless they may write as `acting` (None: seeing
    is enough) — on the plain unlocked row, before the request's body is even looked at. The
    API runs it first on every route about one case, so that no answer (not even a 422 for a
    malformed body) differs between a case the caller may not see and no case at all."""
    async with uow:
        case = _visible(await uow.cases.get_summary(case_id), actor)
        if acting is not None:
            case.check_may_act(actor, acting)


async def case_summary(uow: CaseUnitOfWork, case_id: uuid.UUID, actor: Actor) -> CaseSummary:
    async with uow:
        case = _visible(await uow.cases.get_summary(case_id), actor)
        return case.summary(uow.clock())


def visibility_clauses(actor: Actor) -> list[Any]:
    """`ChildCase.is_visible_to` as SQL, one clause per way of seeing a case: host child
    protection sees its cases; the nationality's child protection and consuls see theirs
    unless blocked for the consulate. The clauses never overlap (a case's nationality is
    never its host country)."""
    country = actor.country
    if country is None:
        return []
    clauses = []
    if actor.works_in_child_protection_for(country):
        clauses.append(child_case.c.host_country == country)
    if actor.works_in_child_protection_for(country) or actor.is_consul_of(country):
        clauses.append(
            and_(
                child_case.c.nationality == country,
                child_case.c.blocked_for_consulate.is_(False),
            )
        )
    return clauses


def visible_newest_first(actor: Actor, conditions: list[Any], limit: int) -> Any:
    """The visible cases meeting `conditions`, newest first. One ordered branch per
    visibility clause, merged: with `host = X OR nationality = X` in one WHERE, PostgreSQL
    scans and sorts the whole table (33 ms at 100,000 cases); each branch alone walks its
    index in order and stops after `limit` rows."""
    clauses = visibility_clauses(actor)
    if not clauses:
        return select(child_case).where(false())
    branches = [
        select(child_case)
        .where(clause, *conditions)
        .order_by(child_case.c.opened_at.desc(), child_case.c.id.desc())
        .limit(limit)
        for clause in clauses
    ]
    if len(branches) == 1:
        return branches[0]
    merged = union_all(*[b.subquery().select() for b in branches]).subquery()
    return select(merged).order_by(merged.c.opened_at.desc(), merged.c.id.desc()).limit(limit)


async def list_cases(
    uow: CaseUnitOfWork,
    actor: Actor,
    *,
    limit: int,
    after: Keyset | None = None,
    stage: Stage | None = None,
    overdue: bool | None = None,
) -> SummaryPage:
    """Newest first, one statement per page. `overdue` filters, in SQL, on the deadlines at the
    unit of work's clock: a case is overdue once `overdue_after` (its earliest missing act's due
    time) has passed — for a closed case, if it had passed at the closing."""
    conditions: list[Any] = []
    if stage is not None:
        conditions.append(child_case.c.stage == stage.value)
    if after is not None:
        newest_first = tuple_(child_case.c.opened_at, child_case.c.id)
        conditions.append(newest_first < tuple_(after.at, after.id))
    async with uow:
        now = uow.clock()
        if overdue is not None:
            at = literal(now, DateTime(timezone=True))
            passed = child_case.c.overdue_after < func.least(
                at, func.coalesce(child_case.c.closed_at, at)
            )
            conditions.append(
                passed if overdue else or_(child_case.c.overdue_after.is_(None), ~passed)
            )
        page = visible_newest_first(actor, conditions, limit + 1)
        rows = (await uow.session.execute(page)).mappings().all()
        items: list[CaseSummary] = []
        for row in rows[:limit]:
            case = case_from_row(row, sealed_sections())
            summary = case.summary(now)
            # The aggregate has the last word: a drift between it and the SQL can hide a case
            # from a page, never show one.
            if case.is_visible_to(actor) and (
                overdue is None or any(d.overdue for d in summary.deadlines) == overdue
            ):
                items.append(summary)
        more = len(rows) > limit
        last = rows[limit - 1] if more else None
        return SummaryPage(items, None if last is None else Keyset(last["opened_at"], last["id"]))


@dataclass(frozen=True)
class SignIn:
    """How the caller signed in, as their token says: the level of authentication (`acr`,
    None when absent or not a number) and when they last authenticated (`auth_time`)."""

    level: int | None
    at: datetime | None


@dataclass(frozen=True)
class StepUpPolicy:
    """What the sensitive sections need (issue 15): a second factor — the realm's `acr` "2",
    password + OTP — given at most `max_age_s` seconds ago."""

    level: int = 2
    max_age_s: int = 900

    def refusal(self, sign_in: SignIn, now: datetime) -> StepUpRequired | None:
        if sign_in.level is None or sign_in.level < self.level:
            return StepUpRequired(
                f"the sensitive sections need a second factor (acr {self.level})",
                level=self.level,
                max_age_s=self.max_age_s,
            )
        if sign_in.at is None or (now - sign_in.at).total_seconds() > self.max_age_s:
            return StepUpRequired(
                f"the sensitive sections need a second factor given within the last "
                f"{self.max_age_s} s",
                level=self.level,
                max_age_s=self.max_age_s,
            )
        return None


@dataclass(frozen=True)
class StatedPurpose:
    """Why the sensitive sections are read, as the request stated it: the `Puebla-Purpose`
    header's raw bytes (None when absent) and whether `purpose` was (still) in the query."""

    header: bytes | None
    in_query: bool = False

    @property
    def text(self) -> str:
        """The header as UTF-8 (what is audited), "" when it is absent or not UTF-8."""
        try:
            return (self.header or b"").decode("utf-8").strip()
        except UnicodeDecodeError:
            return ""

    def refusal(self) -> PurposeRequired | PurposeInQuery | None:
        if self.in_query:
            return PurposeInQuery(
                f"the purpose goes in the {PURPOSE_HEADER} header, never in the URL "
                "(access logs keep URLs)"
            )
        if self.header is None:
            return PurposeMissing(f"state why the sections are read in the {PURPOSE_HEADER} header")
        try:
            self.header.decode("utf-8")
        except UnicodeDecodeError:
            return PurposeNotUtf8(f"the {PURPOSE_HEADER} header must be UTF-8")
        if not self.text:
            return PurposeRequired("state why the sensitive sections are read")
        if len(self.text) > PURPOSE_MAX:
            return PurposeRequired(f"at most {PURPOSE_MAX} characters")
        return None


async def read_sensitive(
    uow: CaseUnitOfWork,
    case_id: uuid.UUID,
    actor: Actor,
    stated: StatedPurpose | str,
    sign_in: SignIn | None = None,
    step_up: StepUpPolicy | None = None,
) -> SensitiveRead:
    """The sensitive sections, decrypted, for child-protection roles of the countries the case
    is shared with. The read is an audit entry (who, when, case, purpose) committed before the
    sections are returned; a refused attempt by a caller who sees the case is recorded too.
    Order: 404 (not visible), 403 (may not read them), 401 (`StepUpRequired`: no second factor,
    or not a recent one, under `step_up`), then 422 (the purpose: missing, blank, too long, not
    UTF-8, or in the query string). The step-up comes before the purpose: it is about who is
    reading, which is settled before why (the audit records the purpose of a reader the realm
    has vouched for), and a client sent to sign in again comes back with the same purpose,
    not with a purpose fixed only to be refused for its sign-in afterwards. 404 and 403 come
    first so that a challenge never tells a case the caller may not see or read from others.
    A `str` is a purpose stated in-process; `step_up` None (in-process reads: the repository's
    and key rotation's tests) checks no sign-in, the API always passes it."""
    if isinstance(stated, str):
        stated = StatedPurpose(stated.encode())
    purpose = stated.text
    async with uow:
        loaded = await uow.cases.get_sealed(case_id)
        case = _visible(None if loaded is None else loaded[0], actor)
        assert loaded is not None
        detail = {
            "purpose": purpose[:PURPOSE_MAX],
            "country": actor.country,
            "case_version": case.version,
        }
        if not case.may_read_sensitive(actor):
            uow.record(
                AuditRecord(
                    actor.username,
                    "child_case.sensitive_read_refused",
                    AGGREGATE,
                    str(case.id),
                    detail,
                )
            )
            await uow.commit()
            raise SensitiveReadForbidden(
                "only child-protection staff of the host or the child's country read this"
            )
        if step_up is not None:
            signed = sign_in or SignIn(None, None)
            weak = step_up.refusal(signed, uow.clock())
            if weak is not None:
                uow.record(
                    AuditRecord(
                        actor.username,
                        "child_case.sensitive_read_refused",
                        AGGREGATE,
                        str(case.id),
                        {**detail, "refused": weak.rule, "acr": signed.level},
                    )
                )
                await uow.commit()
                raise weak
        # The stated purpose is checked only once the caller may see and read the case.
        refused = stated.refusal()
        if refused is not None:
            raise refused
        # Decrypted only now, for a caller allowed to read it.
        sections = codec.sensitive_to_dict(uow.cases.open_sections(case.id, loaded[1]))
        uow.record(
            AuditRecord(
                actor.username, "child_case.sensitive_read", AGGREGATE, str(case.id), detail
            )
        )
        await uow.commit()
        return SensitiveRead(case.id, case.reference, case.version, sections)


async def case_audit(
    uow: CaseUnitOfWork,
    case_id: uuid.UUID,
    actor: Actor,
    *,
    limit: int,
    after: Keyset | None = None,
) -> AuditPage:
    """The case's audit trail, oldest first; the host supervisor's reading is itself recorded."""
    async with uow:
        case = _visible(await uow.cases.get_summary(case_id), actor)
        if not case.may_read_audit(actor):
            raise AuditReadForbidden("only a child-protection supervisor of the host country")
        query = select(audit).where(
            audit.c.entity_type == AGGREGATE, audit.c.entity_id == str(case.id)
        )
        if after is not None:
            query = query.where(tuple_(audit.c.at, audit.c.id) > tuple_(after.at, after.id))
        rows = (
            (await uow.session.execute(query.order_by(audit.c.at, audit.c.id).limit(limit + 1)))
            .mappings()
            .all()
        )
        entries = [
            AuditEntry(
                id=row["id"],
                seq=row["seq"],
                at=row["at"],
                actor=row["actor"],
                action=row["action"],
                detail=dict(row["detail"]),
                correlation_id=row["correlation_id"],
            )
            for row in rows[:limit]
        ]
        uow.record(
            AuditRecord(actor.username, "child_case.audit_read", AGGREGATE, str(case.id), {})
        )
        await uow.commit()
        more = len(rows) > limit
        return AuditPage(entries, Keyset(entries[-1].at, entries[-1].id) if more else None)
