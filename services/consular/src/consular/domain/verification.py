"""The `NationalityVerification` aggregate: a consulate confirms or rejects that a person is its
national (DOMAIN.md §1 "Nationality confirmed by the consulate", §4 "Nationality verification").

    pending ──(consul of the claimed nationality decides)──▶ confirmed | rejected
    pending ──(returnee removed, manifest cancelled)──▶ withdrawn (the consul sees it withdrawn)
    any ──(protection need found later)──▶ withdrawn (protection): gone for the consulate

A decision is recorded once: the same decision again is a no-op (a double click, a replayed
command), a different one is a conflict. Rejecting needs a reason, because the sending side must
act on it (remove the returnee before dispatch); confirming may carry one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from consular.domain.errors import (
    DisclosureForbidden,
    InvalidInput,
    NotConsulOfNationality,
    ReasonRequired,
    VerificationAlreadyDecided,
    VerificationNotVisible,
    VerificationWithdrawn,
)
from consular.domain.events import (
    Event,
    NationalityConfirmed,
    NationalityRejected,
    VerificationRequested,
)
from consular.domain.events import VerificationWithdrawn as VerificationWithdrawnEvent
from consular.domain.states import Decision, VerificationStatus, WithdrawalReason
from consular.domain.values import Actor, Person, Related, as_utc, country_code


@dataclass(eq=False, kw_only=True)
class NationalityVerification:
    id: UUID
    person: Person
    claimed_nationality: str
    host_country: str  # where the person is; its immigration side may follow the request
    related: Related  # repatriation: manifest id + returnee_id; child_protection: case id
    status: VerificationStatus = VerificationStatus.PENDING
    requested_at: datetime
    decided_by: str | None = None
    decided_at: datetime | None = None
    reason: str | None = None
    withdrawn_reason: WithdrawalReason | None = None
    withdrawn_at: datetime | None = None
    version: int = 1

    @classmethod
    def request(
        cls,
        *,
        id: UUID,
        person: Person,
        claimed_nationality: str,
        host_country: str,
        related: Related,
        requested_at: datetime,
        protection_need: bool = False,
    ) -> NationalityVerification:
        """A pending request to the consulates of `claimed_nationality`.

        Refused for a person with a protection need (their country may not learn of them) and
        for a claimed host nationality (no consulate verifies the host's own nationals).
        """
        claimed = country_code(claimed_nationality, "claimed_nationality")
        host = country_code(host_country, "host_country")
        if protection_need:
            raise DisclosureForbidden("a person with a protection need is not shown to a consulate")
        if claimed == host:
            raise InvalidInput(
                "the host state verifies its own nationals itself",
                rule="host_national",
                field="claimed_nationality",
            )
        requested_at = as_utc(requested_at, "requested_at")
        verification = cls(
            id=id,
            person=person,
            claimed_nationality=claimed,
            host_country=host,
            related=related,
            requested_at=requested_at,
        )
        verification.events.append(
            VerificationRequested(
                verification_id=id,
                claimed_nationality=claimed,
                host_country=host,
                related=related,
                requested_at=requested_at,
                version=verification.version,
            )
        )
        return verification

    @staticmethod
    def key_for(related: Related) -> str:
        """One request per person per trigger: a replayed or amended manifest finds the request
        it already made (`source_key`, unique in the repository)."""
        return f"{related.service}:{related.id}:{related.returnee_id or '-'}"

    @property
    def source_key(self) -> str:
        return self.key_for(self.related)

    @property
    def events(self) -> list[Event]:
        # Not a dataclass field, for the same reason as `Notification.events`.
        events: list[Event] = self.__dict__.setdefault("_events", [])
        return events

    @property
    def hidden_from_consulate(self) -> bool:
        """Withdrawn for a protection need: for the claimed nationality it no longer exists."""
        return (
            self.status is VerificationStatus.WITHDRAWN
            and self.withdrawn_reason is WithdrawalReason.PROTECTION
        )

    def is_visible_to(self, actor: Actor) -> bool:
        """The host's immigration officers see every request about people in their country;
        the consuls of the claimed nationality all but the ones withdrawn for a protection need
        (for that country they no longer exist)."""
        if actor.is_immigration_officer_of(self.host_country):
            return True
        return actor.is_consul_of(self.claimed_nationality) and not self.hidden_from_consulate

    def may_decide(self, actor: Actor) -> bool:
        return actor.is_consul_of(self.claimed_nationality)

    def decide(self, actor: Actor, decision: Decision, reason: str | None, now: datetime) -> None:
        if not self.may_decide(actor):
            raise NotConsulOfNationality(
                f"only a consular officer of {self.claimed_nationality} decides this nationality"
            )
        if self.hidden_from_consulate:
            raise VerificationNotVisible("The verification request was not found.")
        if self.status is VerificationStatus.WITHDRAWN:
            raise VerificationWithdrawn(
                f"withdrawn ({self.withdrawn_reason}); there is nothing to decide"
            )
        reason = reason.strip() if reason and reason.strip() else None
        if decision is Decision.REJECTED and reason is None:
            raise ReasonRequired("a rejection states its reason")
        outcome = VerificationStatus(decision.value)
        if self.status is outcome:
            return
        if self.status is not VerificationStatus.PENDING:
            raise VerificationAlreadyDecided(
                f"already {self.status} by {self.decided_by}; a decision is recorded once"
            )
        now = as_utc(now, "now")
        self.status = outcome
        self.decided_by = actor.username
        self.decided_at = now
        self.reason = reason
        self.version += 1
        if decision is Decision.CONFIRMED:
            self.events.append(
                NationalityConfirmed(
                    verification_id=self.id,
                    related=self.related,
                    claimed_nationality=self.claimed_nationality,
                    decided_by=actor.username,
                    decided_at=now,
                    reason=reason,
                    version=self.version,
                )
            )
        else:
            self.events.append(
                NationalityRejected(
                    verification_id=self.id,
                    related=self.related,
                    claimed_nationality=self.claimed_nationality,
                    decided_by=actor.username,
                    decided_at=now,
                    reason=reason or "",
                    version=self.version,
                )
            )

    def withdraw(self, reason: WithdrawalReason, now: datetime) -> None:
        """Take the request back. An ordinary removal or a cancellation withdraws a pending
        request only (a decision already recorded stays on the record). A protection need
        withdraws it whatever its state and overrides any other reason: the consulate must no
        longer see it at all."""
        if reason is WithdrawalReason.PROTECTION:
            if self.hidden_from_consulate:
                return
        elif self.status is not VerificationStatus.PENDING:
            return
        now = as_utc(now, "now")
        self.status = VerificationStatus.WITHDRAWN
        self.withdrawn_reason = reason
        self.withdrawn_at = self.withdrawn_at or now
        self.version += 1
        self.events.append(
            VerificationWithdrawnEvent(
                verification_id=self.id,
                claimed_nationality=self.claimed_nationality,
                host_country=self.host_country,
                related=self.related,
                reason=reason,
                withdrawn_at=now,
                version=self.version,
            )
        )
