"""Handlers on the real database: separation of duties as the domain states it, reference data
from the migration, references from the sequence, a full journey read back from the rows, and
no row lock taken for a caller who is refused."""

from __future__ import annotations

import asyncio
import re

import pytest
from sqlalchemy import text

from puebla.auth.principal import Principal
from puebla.refusals import NotAllowed, NotVisible
from reserve_fund.domain import CostItem, CostKind, Money, Recommendation, Status
from reserve_fund.domain import commands as c
from reserve_fund.domain.errors import ReviewerCannotApprove, ReviewerCannotReject
from reserve_fund.domain.seed import SEED_RULES


class TestReviewerWhoIsAlsoAnApprover:
    """No demo user holds both IOM roles, so over HTTP the reviewer is refused by role. Here a
    principal holding both shows the rule itself: who reviewed may not approve or reject."""

    async def test_cannot_approve_what_they_reviewed(self, fund):
        await fund.set_budget("2100.00")
        app_id = await fund.reviewed(reviewer=fund.dual)
        with pytest.raises(ReviewerCannotApprove) as caught:
            await fund.handle(c.ApproveApplication(application_id=app_id), fund.dual)
        assert caught.value.kind == "forbidden"
        assert caught.value.rule == "approval.reviewer_cannot_approve"
        assert (
            await fund.scalar("SELECT status FROM application WHERE id = :i", i=app_id)
            == "under_review"
        )
        assert (
            await fund.scalar("SELECT reserved::text FROM budget WHERE year = :y", y=fund.year)
            == "0.00"
        )

    async def test_cannot_reject_what_they_reviewed(self, fund):
        app_id = await fund.reviewed(reviewer=fund.dual)
        with pytest.raises(ReviewerCannotReject) as caught:
            await fund.handle(c.RejectApplication(application_id=app_id, reason="No"), fund.dual)
        assert caught.value.kind == "forbidden"
        assert caught.value.rule == "rejection.reviewer_cannot_reject"

    async def test_may_approve_what_someone_else_reviewed(self, fund):
        await fund.set_budget("2100.00")
        app_id = await fund.reviewed(reviewer=fund.officer)
        await fund.handle(c.ApproveApplication(application_id=app_id), fund.dual)
        assert (
            await fund.scalar("SELECT status FROM application WHERE id = :i", i=app_id)
            == "approved"
        )


class TestReferenceData:
    async def test_rules_come_from_the_migration_as_seeded(self, fund):
        # The rows migration 0002 wrote out literally, read from the database, against seed.py
        # as it is today: an edit of either alone fails here.
        async with fund.uow() as uow:
            assert await uow.rules.load() == SEED_RULES

    async def test_references_are_readable_and_distinct(self, fund):
        first = await fund.create()
        second = await fund.create()
        one = await fund.scalar("SELECT reference FROM application WHERE id = :i", i=first)
        two = await fund.scalar("SELECT reference FROM application WHERE id = :i", i=second)
        assert re.fullmatch(rf"RF-{fund.year}-\d{{6}}", one)
        assert re.fullmatch(rf"RF-{fund.year}-\d{{6}}", two)
        assert int(two[-6:]) > int(one[-6:])


class TestRoundTrip:
    async def test_a_full_journey_reads_back_from_the_rows(self, fund):
        await fund.set_budget("2100.00")
        app_id = await fund.create(fund.consul, "0.10", "0.10", "0.10")
        await fund.handle(
            c.SubmitApplication(application_id=app_id),
            fund.consul,
        )
        await fund.handle(
            c.RequestInformation(application_id=app_id, question="Escort?"),
            fund.officer,
        )
        await fund.handle(
            c.ProvideInformation(
                application_id=app_id,
                answer="Yes, and lodging.",
                items=(
                    CostItem(CostKind.ESCORT, Money.parse("400.00")),
                    CostItem(CostKind.LODGING, Money.parse("200.50")),
                ),
            ),
            fund.consul,
        )
        await fund.handle(
            c.ReviewApplication(
                application_id=app_id,
                recommendation=Recommendation.APPROVE,
                note="Checked.",
            ),
            fund.officer,
        )
        for approver in (fund.approver, fund.approver2):
            await fund.handle(
                c.ApproveApplication(application_id=app_id, note="ok"),
                approver,
            )
        await fund.handle(
            c.RecordDisbursement(
                application_id=app_id,
                amount=Money.parse("0.50"),
                purpose="Deposit",
            ),
            fund.officer,
        )

        async with fund.uow() as uow:
            loaded = await uow.applications.get_for_update(app_id)
        assert loaded is not None
        assert loaded.status is Status.DISBURSED
        assert loaded.version == 8
        assert loaded.reference.startswith(f"RF-{fund.year}-")
        assert [(i.kind.value, str(i.amount)) for i in loaded.items] == [
            ("escort", "400.00"),
            ("lodging", "200.50"),
        ]
        assert str(loaded.requested_total) == "600.50"
        assert loaded.approvals_needed == 2
        assert [(a.by, a.note) for a in loaded.approvals] == [
            ("iom.approver", "ok"),
            ("iom.approver2", "ok"),
        ]
        assert str(loaded.approved_total) == "600.50"
        assert loaded.budget_year == fund.year
        assert [(str(d.amount), d.purpose, d.by) for d in loaded.disbursements] == [
            ("0.50", "Deposit", "iom.officer")
        ]
        assert str(loaded.reserved) == "600.00"
        (question,) = loaded.information_requests
        assert (question.question, question.answer, question.answered_by) == (
            "Escort?",
            "Yes, and lodging.",
            "consul.gt.tapachula",
        )
        assert loaded.reviewed_by == "iom.officer"
        assert loaded.recommendation is Recommendation.APPROVE
        assert loaded.beneficiary.given_names == "Ana María"
        assert loaded.voluntary_consent.given is True
        assert loaded.events == []
        assert (
            await fund.scalar(
                "SELECT reserved::text || '/' || disbursed::text FROM budget WHERE year = :y",
                y=fund.year,
            )
            == "600.00/0.50"
        )


class TestNoLockBeforeVisibility:
    """The handler decides visibility and permission on the plain row: while another
    transaction holds the application's row lock, a caller who may not see it (404) or may not
    act on it (403) is answered at once instead of queueing for — and then taking — the lock."""

    async def test_refusals_do_not_wait_for_the_row_lock(self, fund):
        app_id = await fund.create()
        hn_consul = Principal(
            subject="test-consul.hn.tapachula",
            username="consul.hn.tapachula",
            roles=frozenset({"consular_officer"}),
            country="HN",
        )
        review = c.ReviewApplication(
            application_id=app_id, recommendation=Recommendation.APPROVE, note="x"
        )
        async with fund.runtime.engine.connect() as holder:
            await holder.execute(
                text("SELECT id FROM application WHERE id = :i FOR UPDATE"), {"i": app_id}
            )
            with pytest.raises(NotVisible) as invisible:
                await asyncio.wait_for(fund.handle(review, hn_consul), timeout=5)
            assert invisible.value.kind == "not_found"
            with pytest.raises(NotAllowed) as forbidden:
                await asyncio.wait_for(fund.handle(review, fund.consul), timeout=5)
            assert forbidden.value.kind == "forbidden"
            await holder.rollback()
