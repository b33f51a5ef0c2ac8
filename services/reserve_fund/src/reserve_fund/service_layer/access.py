"""POLICY.md "Reserve Fund applications", decided from the verified `Principal` alone.

| action | who |
|---|---|
| create, submit, answer a question | consular or immigration officer of an RCM member state (the
  domain adds: of the beneficiary's current country or nationality; later steps: of the
  requesting country) |
| read | authorities (consular, immigration) of the requesting country; consular officers of the
  beneficiary's nationality; `fund_officer`, `fund_approver` |
| review, request information, disbursement, completed return, close | `fund_officer` |
| approve, reject | `fund_approver` (the domain adds: not the reviewer; two different approvers
  above the threshold) |
| cancel | `fund_officer`, or an authority of the requesting country (withdrawing its request) |
| set the yearly budget | `fund_approver` |
| budget figures and reports (aggregates only) | `secretariat`, `fund_officer`, `fund_approver` |
| statistics (aggregates, cells under 5 as `<5`) | the same, every country's; an
  `immigration_officer`, their own country's only (filed by it or about its nationals) |

An application the caller may not read is a 404 (`ensure_visible`); an action on one they may
read but not perform is a 403 (`ensure_allowed`). Checks always run in that order, and on the
plain row (`AccessFacts`), before any row lock — the API runs them again as route dependencies,
which FastAPI resolves before it validates the body, so that 404 and 403 come before a 422.

The protection exception: while the child case an application names is blocked for the
consulate (a protection need or an uncleared trafficking indicator), the child's own state sees
nothing of the application — not its consuls, not its authorities that filed it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from puebla.auth.principal import Principal
from puebla.refusals import ensure_allowed, ensure_visible
from puebla.statistics import statistics_country as shared_statistics_country
from reserve_fund.domain import RCM_MEMBERS, Authority, AuthorityRole
from reserve_fund.domain.errors import (
    NotRequestingAuthority,
    ReviewerCannotApprove,
    ReviewerCannotReject,
)
from reserve_fund.domain.model import same_person

FUND_OFFICER = "fund_officer"
FUND_APPROVER = "fund_approver"
FUND_STAFF = (FUND_OFFICER, FUND_APPROVER)
CONSULAR = "consular_officer"
IMMIGRATION = "immigration_officer"
AUTHORITIES = (CONSULAR, IMMIGRATION)
REPORT_READERS = ("secretariat", FUND_OFFICER, FUND_APPROVER)

APPLICATION = "The application"


@dataclass(frozen=True)
class ReadScope:
    """Which applications a caller may read, for list queries: everything, or those filed by
    `requesting_country`, or about nationals of `nationality` (either matching is enough)."""

    everything: bool = False
    requesting_country: str | None = None
    nationality: str | None = None

    @property
    def nothing(self) -> bool:
        return not (self.everything or self.requesting_country or self.nationality)


def read_scope(caller: Principal) -> ReadScope:
    if caller.has_role(*FUND_STAFF):
        return ReadScope(everything=True)
    if caller.country is None:
        return ReadScope()
    return ReadScope(
        requesting_country=caller.country if caller.has_role(*AUTHORITIES) else None,
        nationality=caller.country if caller.has_role(CONSULAR) else None,
    )


@dataclass(frozen=True)
class AccessFacts:
    """What decides who may see an application and act on it, read from the plain row."""

    requesting_country: str
    nationality: str
    hidden_from_nationality: bool  # its child case is blocked for the consulate
    reviewed_by: str | None
    reviewer_subject: str | None = None  # None before a review, or on one kept before subjects

    def reviewed_by_caller(self, caller: Principal) -> bool:
        """Compared by the immutable subject (`same_person`), never by the username alone."""
        return self.reviewed_by is not None and same_person(
            caller.subject, caller.username, self.reviewer_subject, self.reviewed_by
        )


def can_read(
    caller: Principal,
    *,
    requesting_country: str,
    nationality: str,
    hidden_from_nationality: bool = False,
) -> bool:
    scope = read_scope(caller)
    if scope.everything:
        return True
    if hidden_from_nationality and caller.country == nationality:
        return False
    return (
        scope.requesting_country is not None and scope.requesting_country == requesting_country
    ) or (scope.nationality is not None and scope.nationality == nationality)


def ensure_readable(caller: Principal, facts: AccessFacts | None) -> AccessFacts:
    """The facts, if the application exists and the caller may read it; 404 otherwise."""
    ensure_visible(
        facts is not None
        and can_read(
            caller,
            requesting_country=facts.requesting_country,
            nationality=facts.nationality,
            hidden_from_nationality=facts.hidden_from_nationality,
        ),
        APPLICATION,
    )
    assert facts is not None
    return facts


def _filing_role(caller: Principal) -> AuthorityRole | None:
    if caller.has_role(CONSULAR):
        return AuthorityRole.CONSULAR_OFFICER
    if caller.has_role(IMMIGRATION):
        return AuthorityRole.IMMIGRATION_OFFICER
    return None


def ensure_filing_authority(caller: Principal) -> None:
    """403 unless the caller is a consular or immigration officer of an RCM member state: who
    files, submits and answers questions (the domain adds which country's)."""
    ensure_allowed(
        _filing_role(caller) is not None,
        "Only consular or immigration officers of an RCM member state file Fund applications.",
    )
    ensure_allowed(
        caller.country is not None and caller.country in RCM_MEMBERS,
        "Only authorities of an RCM member state file Fund applications.",
    )


def applicant(caller: Principal) -> Authority:
    """The caller as a filing authority (`ensure_filing_authority` first: 403 otherwise)."""
    ensure_filing_authority(caller)
    role = _filing_role(caller)
    assert role is not None
    assert caller.country is not None
    return Authority(username=caller.username, country=caller.country, role=role)


def ensure_fund_officer(caller: Principal, doing: str) -> None:
    ensure_allowed(caller.has_role(FUND_OFFICER), f"Only an IOM fund officer can {doing}.")


def ensure_fund_approver(caller: Principal, doing: str) -> None:
    ensure_allowed(caller.has_role(FUND_APPROVER), f"Only an IOM fund approver can {doing}.")


def ensure_can_cancel(caller: Principal, facts: AccessFacts) -> None:
    requesting_authority = (
        caller.has_role(*AUTHORITIES) and caller.country == facts.requesting_country
    )
    ensure_allowed(
        caller.has_role(FUND_OFFICER) or requesting_authority,
        "Only an IOM fund officer or an authority of the requesting country can cancel.",
    )


# -- what each action on a visible application needs (403 otherwise) -------------------------

Permission = Callable[[Principal, AccessFacts], None]


def may_act_as_requester(caller: Principal, facts: AccessFacts) -> None:
    """Submit, answer a question: an authority of the country that filed it."""
    ensure_filing_authority(caller)
    if caller.country != facts.requesting_country:
        raise NotRequestingAuthority(
            f"only authorities of {facts.requesting_country}, which filed this application, "
            "can do this"
        )


def fund_officer_may(doing: str) -> Permission:
    """Review, ask, disburse, record the return, close: a fund officer."""

    def check(caller: Principal, facts: AccessFacts) -> None:
        ensure_fund_officer(caller, doing)

    return check


def may_approve(caller: Principal, facts: AccessFacts) -> None:
    """A fund approver who did not review it (the domain checks it again under the lock)."""
    ensure_fund_approver(caller, "approve an application")
    if facts.reviewed_by_caller(caller):
        raise ReviewerCannotApprove(
            f"{caller.username} reviewed this application and cannot also approve it"
        )


def may_reject(caller: Principal, facts: AccessFacts) -> None:
    ensure_fund_approver(caller, "reject an application")
    if facts.reviewed_by_caller(caller):
        raise ReviewerCannotReject(
            f"{caller.username} reviewed this application and cannot also reject it"
        )


def may_cancel(caller: Principal, facts: AccessFacts) -> None:
    ensure_can_cancel(caller, facts)


def ensure_report_reader(caller: Principal) -> None:
    ensure_allowed(
        caller.has_role(*REPORT_READERS),
        "Fund budgets and reports are for the RCM Technical Secretariat and IOM fund staff.",
    )


# -- statistics (POLICY.md "Statistics") -------------------------------------------------------

STATISTICS_COUNTRY_ROLES = (IMMIGRATION,)


def statistics_country(caller: Principal, requested: str | None) -> str | None:
    """Who reads the Fund's statistics: the `secretariat` and IOM fund staff, every country's
    (optionally one country's: the applications it filed or about its nationals); an
    `immigration_officer`, only their own country's, and never the region's budget. Consular
    officers (caseworkers: they see their own applications) get a 403. Counts only; cells under
    the threshold are `<5`."""
    return shared_statistics_country(
        caller,
        requested,
        country_roles=STATISTICS_COUNTRY_ROLES,
        what="Reserve Fund statistics",
        everything=REPORT_READERS,
    )
