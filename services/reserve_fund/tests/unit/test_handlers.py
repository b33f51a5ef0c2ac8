"""The Fund's handlers on an in-memory unit of work (`fakes.py`), without PostgreSQL or Keycloak:

- POLICY.md "The order of answers": not visible (404) before not allowed (403) before the
  record's state (409) and the request's input (422), both decided on the plain row, so that a
  refusal before the lock asks for no lock and commits nothing;
- who acts comes from the unit of work (`uow.principal`), never from the command;
- the budget is never overspent (DOMAIN.md §3 "The budget is never overspent");
- a use case that goes through commits once, with its events and their audit entries.

The conftest's `desk` builds the default application: filed by Guatemala's consul in Tapachula
(`consul.gt.tapachula`, requesting country GT) for a Guatemalan adult in Mexico, USD 300.00
(250.00 + 50.00: one approver; above USD 500.00 two are needed), reviewed by `iom.officer`;
"now" is 2026-05-04 15:00 UTC, so approvals are charged to the 2026 budget.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from puebla.db.unit_of_work import Actor
from puebla.refusals import NotAllowed, NotVisible
from reserve_fund.domain import (
    Authority,
    AuthorityRole,
    Budget,
    Category,
    ChildCase,
    Consent,
    ConsentGiver,
    FundApplication,
    Money,
    Recommendation,
    Status,
)
from reserve_fund.domain import commands as c
from reserve_fund.domain.errors import (
    BudgetExhausted,
    InvalidTransition,
    InvalidYear,
    NotRequestingAuthority,
    ReviewerCannotApprove,
    TextRequired,
)
from reserve_fund.domain.events import ApplicationApproved, ApplicationReviewed
from reserve_fund.service_layer import handlers, queries

from . import fakes
from .conftest import Desk
from .fakes import FakeFundUnitOfWork, FundStore, principal

NOW = datetime(2026, 5, 4, 15, 0, tzinfo=UTC)
NOT_FOUND = "The application was not found."

CONSUL_GT = principal("sub-consul-gt", "consul.gt.tapachula", "consular_officer", country="GT")
IGM_GT = principal("sub-igm-gt", "igm.gt", "immigration_officer", country="GT")
CONSUL_SV = principal("sub-consul-sv", "consul.sv.tapachula", "consular_officer", country="SV")
DGME_SV = principal("sub-dgme-sv", "dgme.sv", "immigration_officer", country="SV")
OFFICER = principal("sub-iom-officer", "iom.officer", "fund_officer")
APPROVER = principal("sub-iom-approver", "iom.approver", "fund_approver")
APPROVER_2 = principal("sub-iom-approver2", "iom.approver2", "fund_approver")
SECRETARIAT = principal("sub-ts-rcm", "ts.rcm", "secretariat")
INM_MX_FILER = Authority("inm.mx", "MX", AuthorityRole.IMMIGRATION_OFFICER)


@pytest.fixture(autouse=True)
def _plain_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    # The handlers read the row that decides access with SQL on `uow.session`; the fake's
    # session is the store's plain rows.
    monkeypatch.setattr(queries, "access_facts", fakes.access_facts)


def on(actor: Actor, store: FundStore) -> FakeFundUnitOfWork:
    return FakeFundUnitOfWork(actor, now=NOW, store=store)


def budget(allocated: str, *, reserved: str = "0.00", year: int = 2026) -> Budget:
    return Budget(year=year, allocated=Money.parse(allocated), reserved=Money.parse(reserved))


def audited(uow: FakeFundUnitOfWork) -> list[tuple[str, str]]:
    return [(entry.actor, entry.action) for entry in uow.audit]


def published(uow: FakeFundUnitOfWork) -> list[tuple[str, list[str]]]:
    return [(event.event_type, list(event.access)) for event in uow.published]


def review(
    application: FundApplication, note: str = "Eligible, costs checked."
) -> c.ReviewApplication:
    return c.ReviewApplication(
        application_id=application.id, recommendation=Recommendation.APPROVE, note=note
    )


def rejected(desk: Desk) -> FundApplication:
    application = desk.reviewed()
    application.reject(
        reason="Not eligible.", by="iom.approver", now=NOW, subject="sub-iom-approver"
    )
    return application


def linked_to_a_blocked_child_case(desk: Desk) -> tuple[FundApplication, ChildCase]:
    """Submitted while its child case allowed it; the case has been blocked since."""
    case = ChildCase(
        case_id=uuid.UUID(int=17),
        host_country="MX",
        nationality="GT",
        blocked_for_consulate=False,
        bid_decision="return",
    )
    application = desk.submitted(child_case_id=case.case_id, child_case=case)
    case.blocked_for_consulate = True
    return application, case


class TestPolicyOrder:
    async def test_a_third_countrys_consul_gets_404_before_403_and_never_a_lock(self, desk):
        # Not a fund officer either (403): a caller who may not see it hears only 404.
        application = desk.submitted()
        uow = on(CONSUL_SV, FundStore.of([application]))

        with pytest.raises(NotVisible) as refused:
            await handlers.review_application(review(application), uow.as_uow())

        assert (refused.value.kind, refused.value.message) == ("not_found", NOT_FOUND)
        assert (uow.rows.read, uow.locked, uow.committed) == ([application.id], [], 0)

    async def test_an_unknown_id_is_the_same_404_and_locks_nothing(self):
        uow = on(APPROVER, FundStore())

        with pytest.raises(NotVisible) as refused:
            await handlers.approve_application(
                c.ApproveApplication(application_id=uuid.UUID(int=404)), uow.as_uow()
            )

        assert (refused.value.kind, refused.value.message) == ("not_found", NOT_FOUND)
        assert (uow.locked, uow.committed) == ([], 0)

    async def test_the_secretariat_reads_no_application(self, desk):
        application = desk.submitted()
        uow = on(SECRETARIAT, FundStore.of([application]))

        with pytest.raises(NotVisible):
            await handlers.cancel_application(
                c.CancelApplication(application_id=application.id, reason="Withdrawn."),
                uow.as_uow(),
            )

        assert (uow.locked, uow.committed) == ([], 0)

    async def test_404_comes_before_the_state_and_the_input(self, desk):
        # Rejected: cancelling is refused by state (409), a blank reason by input (422).
        application = rejected(desk)
        uow = on(DGME_SV, FundStore.of([application]))

        with pytest.raises(NotVisible):
            await handlers.cancel_application(
                c.CancelApplication(application_id=application.id, reason="  "), uow.as_uow()
            )

        assert (uow.locked, uow.committed) == ([], 0)

    async def test_while_its_child_case_is_blocked_even_the_filing_state_gets_404(self, desk):
        application, case = linked_to_a_blocked_child_case(desk)
        uow = on(CONSUL_GT, FundStore.of([application], child_cases=[case]))

        with pytest.raises(NotVisible) as refused:
            await handlers.cancel_application(
                c.CancelApplication(application_id=application.id, reason="Withdrawn."),
                uow.as_uow(),
            )

        assert refused.value.message == NOT_FOUND
        assert (uow.locked, uow.committed) == ([], 0)

    async def test_while_its_child_case_is_blocked_the_fund_officer_still_reviews_it(self, desk):
        application, case = linked_to_a_blocked_child_case(desk)
        store = FundStore.of([application], child_cases=[case])
        uow = on(OFFICER, store)

        await handlers.review_application(review(application), uow.as_uow())

        assert store.applications[application.id].status is Status.UNDER_REVIEW
        assert uow.committed == 1

    async def test_the_requesting_side_reads_it_but_gets_403_and_no_lock(self, desk):
        application = desk.submitted()
        uow = on(IGM_GT, FundStore.of([application]))

        with pytest.raises(NotAllowed) as refused:
            await handlers.review_application(review(application), uow.as_uow())

        assert (refused.value.kind, refused.value.message) == (
            "forbidden",
            "Only an IOM fund officer can review an application.",
        )
        assert (uow.rows.read, uow.locked, uow.committed) == ([application.id], [], 0)

    async def test_403_comes_before_the_state(self, desk):
        # Already approved: a second approval is refused by state too (409).
        application = desk.approved(desk.budget("1000.00"))
        uow = on(OFFICER, FundStore.of([application], [budget("1000.00", reserved="300.00")]))

        with pytest.raises(NotAllowed) as refused:
            await handlers.approve_application(
                c.ApproveApplication(application_id=application.id), uow.as_uow()
            )

        assert refused.value.message == "Only an IOM fund approver can approve an application."
        assert (uow.locked, uow.committed) == ([], 0)

    async def test_403_comes_before_the_input(self, desk):
        application = desk.submitted()
        uow = on(APPROVER, FundStore.of([application]))

        with pytest.raises(NotAllowed):
            await handlers.review_application(review(application, note="   "), uow.as_uow())

        assert (uow.locked, uow.committed) == ([], 0)

    async def test_the_consul_of_the_nationality_reads_but_may_not_submit_for_another_country(
        self, desk
    ):
        # Filed by Mexico's INM: Guatemala's consul reads it (nationality), only MX submits.
        application = desk.draft(requested_by=INM_MX_FILER)
        uow = on(CONSUL_GT, FundStore.of([application]))

        with pytest.raises(NotRequestingAuthority) as refused:
            await handlers.submit_application(
                c.SubmitApplication(application_id=application.id), uow.as_uow()
            )

        assert (refused.value.kind, refused.value.rule) == (
            "forbidden",
            "applicant.not_requesting_country",
        )
        assert (uow.locked, uow.committed) == ([], 0)

    async def test_only_a_fund_approver_sets_a_budget_before_its_year_is_checked(self):
        store = FundStore()
        for caller, refusal in ((OFFICER, NotAllowed), (APPROVER, InvalidYear)):
            uow = on(caller, store)
            with pytest.raises(refusal):
                await handlers.set_budget(
                    c.SetBudget(year=2003, allocated=Money.parse("1000.00")), uow.as_uow()
                )
            assert (uow.locked, uow.committed, store.budgets) == ([], 0, {})

    async def test_once_allowed_the_state_decides_under_the_lock(self, desk):
        application = desk.approved(desk.budget("1000.00"))
        store = FundStore.of([application], [budget("1000.00", reserved="300.00")])
        uow = on(OFFICER, store)

        with pytest.raises(InvalidTransition) as refused:
            await handlers.review_application(review(application), uow.as_uow())

        assert (refused.value.kind, refused.value.rule) == (
            "conflict",
            "lifecycle.invalid_transition",
        )
        assert (uow.locked, uow.committed) == ([("application", application.id)], 0)
        assert store.applications[application.id].status is Status.APPROVED

    async def test_once_allowed_the_input_decides_under_the_lock(self, desk):
        application = desk.submitted()
        store = FundStore.of([application])
        uow = on(OFFICER, store)

        with pytest.raises(TextRequired) as refused:
            await handlers.review_application(review(application, note="   "), uow.as_uow())

        assert (refused.value.kind, refused.value.rule, refused.value.field) == (
            "invalid",
            "text.required",
            "note",
        )
        assert (uow.locked, uow.committed, uow.audit) == ([("application", application.id)], 0, [])
        assert store.applications[application.id].status is Status.SUBMITTED


class TestWhoActs:
    async def test_a_draft_is_filed_by_the_caller(self, desk):
        store = FundStore()
        uow = on(IGM_GT, store)
        cmd = c.CreateApplication(
            beneficiary=desk.beneficiary(),
            current_country="MX",
            categories=frozenset({Category.INJURY_OR_ILLNESS}),
            voluntary_consent=Consent(True, ConsentGiver.BENEFICIARY, NOW),
            items=desk.items("250.00", "50.00"),
            justification="Needs treatment at home.",
            application_id=uuid.UUID(int=1),
        )

        application_id = await handlers.create_application(cmd, uow.as_uow())

        created = store.applications[application_id]
        assert (created.requested_by, created.reference) == (
            Authority("igm.gt", "GT", AuthorityRole.IMMIGRATION_OFFICER),
            "RF-2026-000001",
        )
        assert audited(uow) == [("igm.gt", "fund_application.created")]
        assert uow.committed == 1

    async def test_only_an_authority_files_and_nothing_is_read_first(self, desk):
        store = FundStore()
        uow = on(OFFICER, store)
        cmd = c.CreateApplication(
            beneficiary=desk.beneficiary(),
            current_country="MX",
            categories=frozenset({Category.INJURY_OR_ILLNESS}),
            voluntary_consent=Consent(True, ConsentGiver.BENEFICIARY, NOW),
            items=desk.items("300.00"),
            justification="Needs treatment at home.",
        )

        with pytest.raises(NotAllowed):
            await handlers.create_application(cmd, uow.as_uow())

        assert (store.applications, store.last_reference_number, uow.committed) == ({}, 0, 0)

    async def test_the_submitter_is_the_caller_not_the_filer(self, desk):
        # Filed by consul.gt.tapachula; submitted by another authority of GT.
        application = desk.draft()
        store = FundStore.of([application])
        uow = on(IGM_GT, store)

        await handlers.submit_application(
            c.SubmitApplication(application_id=application.id), uow.as_uow()
        )

        assert audited(uow) == [("igm.gt", "fund_application.submitted")]
        assert uow.audit[0].detail["submitted_by"] == "igm.gt"
        assert store.applications[application.id].requested_by.username == "consul.gt.tapachula"

    @pytest.mark.parametrize(
        ("caller", "username", "subject"),
        [
            (OFFICER, "iom.officer", "sub-iom-officer"),
            (principal("sub-iom-2", "iom.officer2", "fund_officer"), "iom.officer2", "sub-iom-2"),
        ],
    )
    async def test_the_same_command_is_reviewed_by_whoever_the_unit_of_work_acts_for(
        self, desk, caller, username, subject
    ):
        application = desk.submitted()
        store = FundStore.of([application])
        uow = on(caller, store)

        await handlers.review_application(review(application), uow.as_uow())

        reviewed = store.applications[application.id]
        assert (reviewed.reviewed_by, reviewed.reviewer_subject) == (username, subject)
        (event,) = uow.events
        assert isinstance(event, ApplicationReviewed)
        assert event.reviewed_by == username
        assert audited(uow) == [(username, "fund_application.reviewed")]

    async def test_an_approval_names_the_approver_and_their_subject(self, desk):
        application = desk.reviewed()
        store = FundStore.of([application], [budget("1000.00")])
        uow = on(APPROVER, store)

        await handlers.approve_application(
            c.ApproveApplication(application_id=application.id), uow.as_uow()
        )

        approvals = store.applications[application.id].approvals
        assert [(a.by, a.subject) for a in approvals] == [("iom.approver", "sub-iom-approver")]
        (event,) = uow.events
        assert isinstance(event, ApplicationApproved)
        assert event.approvers == ("iom.approver",)
        assert audited(uow) == [("iom.approver", "fund_application.approved")]

    async def test_separation_of_duties_goes_by_the_subject_not_the_username(self, desk):
        application = desk.submitted()
        store = FundStore.of([application], [budget("1000.00")])
        both = principal("sub-iom-both", "iom.both", "fund_officer", "fund_approver")
        await handlers.review_application(review(application), on(both, store).as_uow())

        # Renamed since the review: the same person, refused on the plain row (no lock).
        renamed = on(principal("sub-iom-both", "iom.renamed", "fund_approver"), store)
        with pytest.raises(ReviewerCannotApprove) as refused:
            await handlers.approve_application(
                c.ApproveApplication(application_id=application.id), renamed.as_uow()
            )
        assert refused.value.rule == "approval.reviewer_cannot_approve"
        assert (renamed.locked, renamed.committed) == ([], 0)

        # Another person who now has that username approves.
        other = on(principal("sub-someone-else", "iom.both", "fund_approver"), store)
        await handlers.approve_application(
            c.ApproveApplication(application_id=application.id), other.as_uow()
        )
        assert store.applications[application.id].status is Status.APPROVED

    async def test_a_unit_of_work_without_a_signed_in_caller_cannot_act(self, desk):
        application = desk.reviewed()
        uow = on("reserve-fund-consumer", FundStore.of([application], [budget("1000.00")]))

        with pytest.raises(TypeError):
            await handlers.approve_application(
                c.ApproveApplication(application_id=application.id), uow.as_uow()
            )

        assert (uow.locked, uow.committed) == ([], 0)


class TestBudgetIsNeverOverspent:
    async def test_an_approval_above_what_the_year_has_left_is_refused_with_its_rule(self, desk):
        application = desk.reviewed()  # USD 300.00
        store = FundStore.of([application], [budget("1000.00", reserved="800.00")])
        uow = on(APPROVER, store)

        with pytest.raises(BudgetExhausted) as refused:
            await handlers.approve_application(
                c.ApproveApplication(application_id=application.id), uow.as_uow()
            )

        assert (refused.value.kind, refused.value.rule) == ("conflict", "budget.exhausted")
        assert refused.value.details == {"year": 2026, "available": "200.00", "requested": "300.00"}
        assert (uow.committed, uow.audit, uow.published) == (0, [], [])
        assert uow.locked == [("application", application.id), ("budget", 2026)]
        kept = store.applications[application.id]
        assert (kept.status, kept.approvals) == (Status.UNDER_REVIEW, [])
        assert str(store.budgets[2026].reserved) == "800.00"

    async def test_a_year_nobody_allocated_has_nothing_and_gets_no_row(self, desk):
        # 2025 has money; an approval on 2026-05-04 is charged to 2026, which has none.
        application = desk.reviewed()
        store = FundStore.of([application], [budget("5000.00", year=2025)])
        uow = on(APPROVER, store)

        with pytest.raises(BudgetExhausted) as refused:
            await handlers.approve_application(
                c.ApproveApplication(application_id=application.id), uow.as_uow()
            )

        assert refused.value.details == {"year": 2026, "available": "0.00", "requested": "300.00"}
        assert (uow.committed, sorted(store.budgets)) == (0, [2025])

    async def test_two_approvals_cannot_spend_the_same_money(self, desk):
        first = desk.reviewed(reference="RF-2026-000001")
        second = desk.reviewed(reference="RF-2026-000002")
        store = FundStore.of([first, second], [budget("500.00")])

        approving_first = on(APPROVER, store)
        await handlers.approve_application(
            c.ApproveApplication(application_id=first.id), approving_first.as_uow()
        )
        approving_second = on(APPROVER, store)
        with pytest.raises(BudgetExhausted) as refused:
            await handlers.approve_application(
                c.ApproveApplication(application_id=second.id), approving_second.as_uow()
            )

        assert refused.value.details == {"year": 2026, "available": "200.00", "requested": "300.00"}
        assert (approving_first.committed, approving_second.committed) == (1, 0)
        left = store.budgets[2026]
        assert (str(left.reserved), str(left.available)) == ("300.00", "200.00")
        assert store.applications[second.id].status is Status.UNDER_REVIEW

    async def test_above_the_threshold_the_last_approval_is_the_one_checked(self, desk):
        application = desk.reviewed(items=desk.items("600.00"))  # two approvers
        store = FundStore.of([application], [budget("500.00")])

        first = on(APPROVER, store)
        await handlers.approve_application(
            c.ApproveApplication(application_id=application.id), first.as_uow()
        )
        assert audited(first) == [("iom.approver", "fund_application.approval_recorded")]
        assert str(store.budgets[2026].reserved) == "0.00"

        second = on(APPROVER_2, store)
        with pytest.raises(BudgetExhausted) as refused:
            await handlers.approve_application(
                c.ApproveApplication(application_id=application.id), second.as_uow()
            )
        assert refused.value.details == {"year": 2026, "available": "500.00", "requested": "600.00"}
        assert second.committed == 0
        assert [a.by for a in store.applications[application.id].approvals] == ["iom.approver"]


class TestWhatASuccessCommits:
    async def test_a_submission_commits_once_and_is_published(self, desk):
        application = desk.draft()
        store = FundStore.of([application])
        uow = on(CONSUL_GT, store)

        await handlers.submit_application(
            c.SubmitApplication(application_id=application.id), uow.as_uow()
        )

        assert (uow.committed, uow.locked) == (1, [("application", application.id)])
        assert audited(uow) == [("consul.gt.tapachula", "fund_application.submitted")]
        assert published(uow) == [("fund.application.submitted.v1", ["IOM", "GT"])]
        submitted = store.applications[application.id]
        assert (submitted.status, submitted.submitted_at, submitted.version) == (
            Status.SUBMITTED,
            NOW,
            2,
        )

    async def test_a_review_commits_once_and_stays_inside_the_fund(self, desk):
        application = desk.submitted()
        store = FundStore.of([application])
        uow = on(OFFICER, store)

        await handlers.review_application(review(application), uow.as_uow())

        assert (uow.committed, uow.locked) == (1, [("application", application.id)])
        assert (audited(uow), uow.published) == ([("iom.officer", "fund_application.reviewed")], [])
        reviewed = store.applications[application.id]
        assert (reviewed.status, reviewed.recommendation) == (
            Status.UNDER_REVIEW,
            Recommendation.APPROVE,
        )

    async def test_an_approval_commits_once_and_reserves_on_the_years_budget(self, desk):
        application = desk.reviewed()
        store = FundStore.of([application], [budget("1000.00")])
        uow = on(APPROVER, store)

        await handlers.approve_application(
            c.ApproveApplication(application_id=application.id), uow.as_uow()
        )

        assert uow.committed == 1
        assert uow.locked == [("application", application.id), ("budget", 2026)]
        assert audited(uow) == [("iom.approver", "fund_application.approved")]
        assert published(uow) == [("fund.application.approved.v1", ["IOM", "GT"])]
        approved = store.applications[application.id]
        assert (approved.status, str(approved.approved_total), approved.budget_year) == (
            Status.APPROVED,
            "300.00",
            2026,
        )
        assert (str(store.budgets[2026].reserved), str(store.budgets[2026].available)) == (
            "300.00",
            "700.00",
        )

    async def test_submit_review_approve_each_commit_once_with_their_events(self, desk):
        application = desk.draft()
        store = FundStore.of([application], [budget("300.00")])
        submitting, reviewing, approving = (
            on(CONSUL_GT, store),
            on(OFFICER, store),
            on(APPROVER, store),
        )

        await handlers.submit_application(
            c.SubmitApplication(application_id=application.id), submitting.as_uow()
        )
        await handlers.review_application(review(application), reviewing.as_uow())
        await handlers.approve_application(
            c.ApproveApplication(application_id=application.id), approving.as_uow()
        )

        assert [(uow.committed, audited(uow)) for uow in (submitting, reviewing, approving)] == [
            (1, [("consul.gt.tapachula", "fund_application.submitted")]),
            (1, [("iom.officer", "fund_application.reviewed")]),
            (1, [("iom.approver", "fund_application.approved")]),
        ]
        done = store.applications[application.id]
        assert (done.status, done.version, str(store.budgets[2026].available)) == (
            Status.APPROVED,
            4,
            "0.00",
        )
