"""Cases in PostgreSQL: explicit row ↔ aggregate mapping, encryption of the sensitive sections,
optimistic concurrency, and the reference data.

Writes decide visibility and permission on the plain row (`get_summary`), then load the case
`FOR UPDATE` (concurrent writers of one case queue up instead of racing) and
save it with `WHERE version = <loaded version>` (`puebla.db.repository.update_versioned`:
`ConcurrentChange` otherwise; a belt to those braces: a lost update is
impossible even for a caller that loaded without the lock). The sensitive sections are decrypted
only for writes and for the audited `/sensitive` read; summary reads rebuild the case with the
sections sealed, so nothing on the summary path can read them by mistake.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncSession

from child_protection.adapters import codec
from child_protection.adapters.crypto import KeyRing, Sealed, case_associated_data
from child_protection.adapters.orm import (
    child_case,
    child_case_sensitive,
    deadline_rule,
    reception_point,
    reference_sequence,
)
from child_protection.domain import (
    Accompaniment,
    BidDecision,
    Child,
    ChildCase,
    Closure,
    DeadlineRule,
    Determination,
    Place,
    ReceptionPoint,
    SensitiveSections,
    Sex,
    Stage,
    format_reference,
)
from puebla.db.repository import Seen, update_versioned


class SensitiveSectionsSealed(RuntimeError):
    """A summary-only case was asked for its sensitive sections: a programming error."""


class _SealedSections(SensitiveSections):
    """Stands in for the sections on summary reads: any access raises."""

    def __getattribute__(self, name: str) -> Any:
        if name.startswith("__"):
            return object.__getattribute__(self, name)
        raise SensitiveSectionsSealed(f"sensitive.{name} read on a summary-only case")

    def __repr__(self) -> str:
        return "<sealed sensitive sections>"


def sealed_sections() -> SensitiveSections:
    return object.__new__(_SealedSections)


def next_deadline_at(case: ChildCase) -> datetime | None:
    """The earliest due time that a deadline check may still find overdue."""
    if case.closure is not None:
        return None
    due = [
        d.due_at
        for d in case.deadlines(case.identified_at)
        if d.met_at is None and d.stage not in case.overdue_reported
    ]
    return min(due) if due else None


class SqlCaseRepository:
    def __init__(self, session: AsyncSession, keyring: KeyRing) -> None:
        self.session = session
        self.keyring = keyring
        self.seen: Seen[UUID, ChildCase] = Seen()
        self._loaded_sensitive: dict[UUID, str] = {}

    async def next_reference(self, host_country: str, year: int) -> str:
        number = (await self.session.execute(select(reference_sequence.next_value()))).scalar_one()
        return format_reference(host_country, year, int(number))

    async def add(self, case: ChildCase) -> None:
        self.seen.added(case.id, case)

    async def get(self, case_id: UUID) -> ChildCase | None:
        """The whole case, sensitive sections decrypted, row locked until commit/rollback.

        For writes, once the caller was found allowed on `get_summary`: taking the lock and
        decrypting for a caller who may not see the case would be a timing signal and a
        needless exposure of the child's sections (the handlers decide first)."""
        if case_id in self.seen:
            return self.seen.get(case_id)
        row = (
            (
                await self.session.execute(
                    select(child_case).where(child_case.c.id == case_id).with_for_update()
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        plaintext = await self._read_sensitive(case_id)
        case = case_from_row(row, codec.sensitive_from_dict(json.loads(plaintext)))
        self._loaded_sensitive[case_id] = plaintext
        return self.seen.loaded(case_id, case, case.version)

    async def get_sealed(self, case_id: UUID) -> tuple[ChildCase, Sealed] | None:
        """The case with its sections still sealed, and the sealed blob from the same row
        version (one query): the caller decides whether to open it (`open_sections`)."""
        row = (
            (
                await self.session.execute(
                    select(
                        child_case,
                        child_case_sensitive.c.key_id.label("sealed_key_id"),
                        child_case_sensitive.c.nonce.label("sealed_nonce"),
                        child_case_sensitive.c.ciphertext.label("sealed_ciphertext"),
                    )
                    .join(child_case_sensitive, child_case_sensitive.c.case_id == child_case.c.id)
                    .where(child_case.c.id == case_id)
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        sealed = Sealed(
            row["sealed_key_id"], bytes(row["sealed_nonce"]), bytes(row["sealed_ciphertext"])
        )
        return case_from_row(row, sealed_sections()), sealed

    def open_sections(self, case_id: UUID, sealed: Sealed) -> SensitiveSections:
        plaintext = self.keyring.open(sealed, case_associated_data(case_id))
        return codec.sensitive_from_dict(json.loads(plaintext))

    async def get_summary(self, case_id: UUID) -> ChildCase | None:
        """The case without its sensitive sections (sealed), unlocked and untracked."""
        row = (
            (await self.session.execute(select(child_case).where(child_case.c.id == case_id)))
            .mappings()
            .first()
        )
        return None if row is None else case_from_row(row, sealed_sections())

    async def due_for_deadline_check(self, now: datetime, limit: int) -> list[UUID]:
        """Open cases with a due time passed that no check has reported yet."""
        rows = await self.session.execute(
            select(child_case.c.id)
            .where(
                child_case.c.closed_at.is_(None),
                child_case.c.next_deadline_at.is_not(None),
                child_case.c.next_deadline_at < now,
            )
            .order_by(child_case.c.next_deadline_at, child_case.c.id)
            .limit(limit)
        )
        return list(rows.scalars())

    async def sealed_with_other_keys(self, limit: int) -> list[UUID]:
        """Cases whose sections are not sealed with the current key (rotation backlog)."""
        rows = await self.session.execute(
            select(child_case_sensitive.c.case_id)
            .where(child_case_sensitive.c.key_id != self.keyring.current_key_id)
            .order_by(child_case_sensitive.c.case_id)
            .limit(limit)
        )
        return list(rows.scalars())

    async def reseal(self, case_id: UUID) -> str | None:
        """Re-encrypts one case's sections with the current key (row locked); returns the key
        it was sealed with, or None if there was nothing to do. The content does not change."""
        row = (
            (
                await self.session.execute(
                    select(child_case_sensitive)
                    .where(child_case_sensitive.c.case_id == case_id)
                    .with_for_update()
                )
            )
            .mappings()
            .first()
        )
        if row is None or row["key_id"] == self.keyring.current_key_id:
            return None
        sealed = Sealed(row["key_id"], bytes(row["nonce"]), bytes(row["ciphertext"]))
        plaintext = self.keyring.open(sealed, case_associated_data(case_id))
        resealed = self.keyring.seal(plaintext, case_associated_data(case_id))
        await self.session.execute(
            update(child_case_sensitive)
            .where(child_case_sensitive.c.case_id == case_id)
            .values(key_id=resealed.key_id, nonce=resealed.nonce, ciphertext=resealed.ciphertext)
        )
        return str(row["key_id"])

    async def flush(self) -> None:
        for case in self.seen:
            loaded = self.seen.version_of(case.id)
            if loaded is None:
                await self._insert(case)
            elif case.version != loaded:
                await self._update(case, loaded)
            self.seen.written(case.id, case.version)

    # -- internals -------------------------------------------------------------------------------

    async def _read_sensitive(self, case_id: UUID) -> str:
        row = (
            (
                await self.session.execute(
                    select(child_case_sensitive).where(child_case_sensitive.c.case_id == case_id)
                )
            )
            .mappings()
            .one()
        )
        sealed = Sealed(row["key_id"], bytes(row["nonce"]), bytes(row["ciphertext"]))
        return self.keyring.open(sealed, case_associated_data(case_id)).decode()

    def _seal(self, case_id: UUID, plaintext: str) -> dict[str, Any]:
        sealed = self.keyring.seal(plaintext.encode(), case_associated_data(case_id))
        return {"key_id": sealed.key_id, "nonce": sealed.nonce, "ciphertext": sealed.ciphertext}

    async def _insert(self, case: ChildCase) -> None:
        await self.session.execute(insert(child_case).values(**case_to_row(case)))
        plaintext = _dump(codec.sensitive_to_dict(case.sensitive))
        await self.session.execute(
            insert(child_case_sensitive).values(
                case_id=case.id, **self._seal(case.id, plaintext), updated_at=func.now()
            )
        )
        self._loaded_sensitive[case.id] = plaintext

    async def _update(self, case: ChildCase, loaded_version: int) -> None:
        await update_versioned(
            self.session,
            child_case,
            {"id": case.id},
            loaded_version=loaded_version,
            values={**case_to_row(case), "updated_at": func.now()},
            what="The case",
        )
        plaintext = _dump(codec.sensitive_to_dict(case.sensitive))
        if plaintext != self._loaded_sensitive.get(case.id):
            await self.session.execute(
                update(child_case_sensitive)
                .where(child_case_sensitive.c.case_id == case.id)
                .values(**self._seal(case.id, plaintext), updated_at=func.now())
            )
            self._loaded_sensitive[case.id] = plaintext


def _dump(document: dict[str, Any]) -> str:
    return json.dumps(document, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


# --- row ↔ aggregate ---------------------------------------------------------------------------


def case_to_row(case: ChildCase) -> dict[str, Any]:
    child = case.child
    determination = case.determination
    closure = case.closure
    return {
        "id": case.id,
        "reference": case.reference,
        "host_country": case.host_country,
        "nationality": case.nationality,
        "given_names": child.given_names,
        "surnames": child.surnames,
        "sex": child.sex.value,
        "date_of_birth": child.date_of_birth,
        "estimated_age": child.estimated_age,
        "languages": list(child.languages),
        "age_disputed": case.age_disputed,
        "identified_at": case.identified_at,
        "place_country": case.place.country,
        "place_state": case.place.state,
        "place_city": case.place.city,
        "accompaniment": case.accompaniment.value,
        "opened_at": case.opened_at,
        "opened_by": case.opened_by,
        "deadline_rule": codec.deadline_rule_to_dict(case.deadline_rule),
        "stage": case.stage.value,
        "blocked_for_consulate": case.blocked_for_consulate,
        "reached": codec.reached_to_dict(case.reached),
        "notifications": codec.notifications_to_list(case.notifications),
        "bid_decision": None if determination is None else determination.decision.value,
        "bid_decided_by": None if determination is None else determination.decided_by,
        "bid_decided_at": None if determination is None else determination.decided_at,
        "return_plan": codec.return_plan_to_dict(case.return_plan),
        "reception": codec.reception_to_dict(case.reception),
        "closed_at": None if closure is None else closure.closed_at,
        "closed_by": None if closure is None else closure.closed_by,
        "overdue_reported": sorted(stage.value for stage in case.overdue_reported),
        "next_deadline_at": next_deadline_at(case),
        "overdue_after": case.overdue_after,
        "version": case.version,
    }


def case_from_row(row: RowMapping, sensitive: SensitiveSections) -> ChildCase:
    determination = None
    if row["bid_decision"] is not None:
        determination = Determination(
            BidDecision(row["bid_decision"]), row["bid_decided_by"], row["bid_decided_at"]
        )
    closure = None
    if row["closed_at"] is not None:
        closure = Closure(row["closed_at"], row["closed_by"])
    case = ChildCase(
        id=row["id"],
        reference=row["reference"],
        host_country=row["host_country"],
        nationality=row["nationality"],
        child=Child(
            given_names=row["given_names"],
            surnames=row["surnames"],
            sex=Sex(row["sex"]),
            date_of_birth=row["date_of_birth"],
            estimated_age=row["estimated_age"],
            languages=tuple(row["languages"]),
        ),
        age_disputed=row["age_disputed"],
        identified_at=row["identified_at"],
        place=Place(row["place_country"], row["place_state"], row["place_city"]),
        accompaniment=Accompaniment(row["accompaniment"]),
        opened_at=row["opened_at"],
        opened_by=row["opened_by"],
        deadline_rule=codec.deadline_rule_from_dict(row["deadline_rule"]),
        sensitive=sensitive,
        blocked_for_consulate=row["blocked_for_consulate"],
        reached=codec.reached_from_dict(row["reached"]),
        notifications=codec.notifications_from_list(row["notifications"]),
        determination=determination,
        return_plan=codec.return_plan_from_dict(row["return_plan"]),
        reception=codec.reception_from_dict(row["reception"]),
        closure=closure,
        overdue_reported={Stage(s) for s in row["overdue_reported"]},
        version=row["version"],
    )
    case.events = []
    return case


# --- reference data -----------------------------------------------------------------------------


def _valid_on(table: Any, day: date) -> Any:
    return and_(table.c.valid_from <= day, or_(table.c.valid_to.is_(None), table.c.valid_to > day))


class SqlReferenceData:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def deadline_rule(self, country: str, on: date) -> DeadlineRule | None:
        row = (
            (
                await self.session.execute(
                    select(deadline_rule)
                    .where(deadline_rule.c.country == country, _valid_on(deadline_rule, on))
                    .order_by(deadline_rule.c.valid_from.desc())
                    .limit(1)
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        return DeadlineRule(
            country=country,
            notification=timedelta(hours=row["notification_hours"]),
            interview=timedelta(hours=row["interview_hours"]),
            bia=timedelta(days=row["bia_days"]),
            bid=timedelta(days=row["bid_days"]),
        )

    async def reception_point(self, code: str, on: date) -> ReceptionPoint | None:
        row = (
            (
                await self.session.execute(
                    select(reception_point).where(
                        reception_point.c.code == code, _valid_on(reception_point, on)
                    )
                )
            )
            .mappings()
            .first()
        )
        if row is None:
            return None
        return ReceptionPoint(row["code"], row["country"], row["has_child_protection_authority"])
