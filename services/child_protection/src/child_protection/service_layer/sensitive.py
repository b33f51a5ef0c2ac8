"""The audited reads: the sensitive sections (with the step-up a second factor gives) and a
case's audit trail. Each read is itself an audit entry, committed before the answer, so these
queries run on a unit of work made for the caller, like a write.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, tuple_

from child_protection.adapters import codec
from child_protection.adapters.orm import audit
from child_protection.service_layer.access import actor_of
from child_protection.service_layer.errors import (
    PURPOSE_HEADER,
    AuditReadForbidden,
    PurposeInQuery,
    PurposeMissing,
    PurposeNotUtf8,
    PurposeRequired,
    SensitiveReadForbidden,
    StepUpRequired,
)
from child_protection.service_layer.queries import Svc, visible
from puebla.auth.principal import Principal
from puebla.db.audit import AuditRecord
from puebla.pagination import Cursor, Page, PageRequest

AGGREGATE = "child_case"
PURPOSE_MAX = 500


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
    svc: Svc,
    caller: Principal,
    case_id: uuid.UUID,
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
    purpose, actor = stated.text, actor_of(caller)
    async with svc.uow(actor=caller) as uow:
        loaded = await uow.cases.get_sealed(case_id)
        case = visible(None if loaded is None else loaded[0], actor)
        assert loaded is not None
        detail = {
            "purpose": purpose[:PURPOSE_MAX],
            "country": actor.country,
            "case_version": case.version,
        }
        if not case.may_read_sensitive(actor):
            uow.record(
                AuditRecord(
                    uow.actor_name,
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
            weak = step_up.refusal(signed, svc.clock())
            if weak is not None:
                uow.record(
                    AuditRecord(
                        uow.actor_name,
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
                uow.actor_name, "child_case.sensitive_read", AGGREGATE, str(case.id), detail
            )
        )
        await uow.commit()
        return SensitiveRead(case.id, case.reference, case.version, sections)


async def case_audit(
    svc: Svc, caller: Principal, case_id: uuid.UUID, page: PageRequest
) -> Page[AuditEntry]:
    """The case's audit trail, oldest first; the host supervisor's reading is itself recorded."""
    actor, limit, after = actor_of(caller), page.limit, page.cursor
    async with svc.uow(actor=caller) as uow:
        case = visible(await uow.cases.get_summary(case_id), actor)
        if not case.may_read_audit(actor):
            raise AuditReadForbidden("only a child-protection supervisor of the host country")
        query = select(audit).where(
            audit.c.entity_type == AGGREGATE, audit.c.entity_id == str(case.id)
        )
        if after is not None:
            query = query.where(
                tuple_(audit.c.at, audit.c.id) > tuple_(after.after, after.after_id)
            )
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
            AuditRecord(uow.actor_name, "child_case.audit_read", AGGREGATE, str(case.id), {})
        )
        await uow.commit()
        more = len(rows) > limit
        last = entries[-1] if more else None
        return Page(entries, None if last is None else Cursor(last.at, last.id).encode())
