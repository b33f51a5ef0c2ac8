"""Separation of duties by the caller's immutable subject, through the handlers and the real
database (security review finding 15).

The same person shows under a second username when their token carries no
`preferred_username` (`Principal.username` falls back to `sub`) or after an admin renames them:
the reviewer may still not approve or reject, and one approver may still not give both
approvals. The subjects are stored with the review and each approval (migration
`0004_staff_subjects`) and read back here from the rows.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from puebla.auth.principal import Principal
from reserve_fund.domain import commands as c
from reserve_fund.domain.errors import (
    ReviewerCannotApprove,
    ReviewerCannotReject,
    SameApproverTwice,
)


def without_username(person: Principal) -> Principal:
    """The same person, from a token without `preferred_username`."""
    return Principal(subject=person.subject, username=person.subject, roles=person.roles)


def renamed(person: Principal, username: str) -> Principal:
    return Principal(subject=person.subject, username=username, roles=person.roles)


async def status_of(fund, app_id) -> str:
    return str(await fund.scalar("SELECT status FROM application WHERE id = :i", i=app_id))


class TestTheReviewerUnderAnotherName:
    async def test_cannot_approve(self, fund):
        await fund.set_budget("2100.00")
        app_id = await fund.reviewed(reviewer=fund.dual)
        assert (
            await fund.scalar("SELECT reviewer_subject FROM application WHERE id = :i", i=app_id)
            == fund.dual.subject
        )
        for alias in (without_username(fund.dual), renamed(fund.dual, "iom.dual.renamed")):
            with pytest.raises(ReviewerCannotApprove) as caught:
                await fund.handle(c.ApproveApplication(application_id=app_id), alias)
            assert caught.value.kind == "forbidden"
        assert await status_of(fund, app_id) == "under_review"
        assert (
            await fund.scalar(
                "SELECT count(*) FROM application_approval WHERE application_id = :i", i=app_id
            )
            == 0
        )

    async def test_cannot_reject(self, fund):
        app_id = await fund.reviewed(reviewer=fund.dual)
        alias = without_username(fund.dual)
        with pytest.raises(ReviewerCannotReject) as caught:
            await fund.handle(c.RejectApplication(application_id=app_id, reason="No"), alias)
        assert caught.value.kind == "forbidden"
        assert await status_of(fund, app_id) == "under_review"

    async def test_the_domain_refuses_it_under_the_lock_too(self, fund, monkeypatch):
        # The route's pre-lock check switched off: the domain's own check still refuses.
        from reserve_fund.service_layer import access

        await fund.set_budget("2100.00")
        app_id = await fund.reviewed(reviewer=fund.dual)
        monkeypatch.setattr(access.AccessFacts, "reviewed_by_caller", lambda self, caller: False)
        alias = without_username(fund.dual)
        with pytest.raises(ReviewerCannotApprove):
            await fund.handle(c.ApproveApplication(application_id=app_id), alias)
        assert await status_of(fund, app_id) == "under_review"


class TestOneApproverUnderTwoNames:
    async def test_is_refused_the_second_approval(self, fund):
        await fund.set_budget("2100.00")
        app_id = await fund.reviewed(fund.consul, "800.00")
        await fund.handle(c.ApproveApplication(application_id=app_id), fund.approver)
        alias = without_username(fund.approver)
        with pytest.raises(SameApproverTwice) as caught:
            await fund.handle(c.ApproveApplication(application_id=app_id), alias)
        assert caught.value.kind == "conflict"
        assert await status_of(fund, app_id) == "under_review"
        await fund.handle(
            c.ApproveApplication(application_id=app_id),
            fund.approver2,
        )
        assert await status_of(fund, app_id) == "approved"
        async with fund.runtime.sessions() as session:
            rows = (
                await session.execute(
                    text(
                        "SELECT approver, approver_subject FROM application_approval "
                        "WHERE application_id = :i ORDER BY id"
                    ),
                    {"i": app_id},
                )
            ).all()
        assert [tuple(r) for r in rows] == [
            ("iom.approver", "test-iom.approver"),
            ("iom.approver2", "test-iom.approver2"),
        ]

    async def test_the_table_refuses_two_approvals_of_one_subject(self, fund):
        # The backstop under the domain rule: a unique (application_id, approver_subject).
        app_id = await fund.reviewed(fund.consul, "800.00")
        async with fund.runtime.sessions() as session:
            insert = text(
                "INSERT INTO application_approval (application_id, approver, approver_subject, at)"
                " VALUES (:i, :name, 'the-same-subject', now())"
            )
            await session.execute(insert, {"i": app_id, "name": "iom.approver"})
            with pytest.raises(IntegrityError, match="uq_application_approval_approver_subject"):
                await session.execute(insert, {"i": app_id, "name": "the-same-subject"})
            await session.rollback()


class TestBeforeTheLock:
    async def test_the_plain_row_names_the_reviewer_by_subject(self, fund):
        # The route dependencies decide 403 from the plain row before any lock or body check
        # (POLICY order): they compare the subject read from the row too.
        from reserve_fund.service_layer import access, queries

        app_id = await fund.reviewed(reviewer=fund.dual)
        async with fund.runtime.sessions() as session:
            facts = await queries.access_facts(session, app_id)
        assert facts is not None
        assert facts.reviewer_subject == fund.dual.subject
        alias = without_username(fund.dual)
        with pytest.raises(ReviewerCannotApprove):
            access.may_approve(alias, facts)
        with pytest.raises(ReviewerCannotReject):
            access.may_reject(renamed(fund.dual, "iom.dual.renamed"), facts)
        access.may_approve(fund.approver, facts)  # someone else: allowed
