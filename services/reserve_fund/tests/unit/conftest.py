"""Builders for the unit tests: a valid application and ways to walk it along its lifecycle.

Defaults: a Guatemalan adult in Mexico with an illness, filed by Guatemala's consul in Tapachula,
asking USD 300.00 (one approver under the seed rules) on 4 May 2026.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

import pytest

from reserve_fund.domain import (
    Authority,
    AuthorityRole,
    Beneficiary,
    Budget,
    Category,
    Consent,
    ConsentGiver,
    CostItem,
    CostKind,
    FundApplication,
    Money,
    Recommendation,
    Sex,
    approve,
)
from reserve_fund.domain.seed import SEED_RULES

NOW = datetime(2026, 5, 4, 15, 0, tzinfo=UTC)
GT_CONSUL = Authority("consul.gt.tapachula", "GT", AuthorityRole.CONSULAR_OFFICER)
REVIEWER = "iom.officer"
APPROVER = "iom.approver"


class Desk:
    """Walks an application through the Fund, one helper per stage (tests get it as `desk`)."""

    now = NOW
    rules = SEED_RULES
    consul = GT_CONSUL

    @staticmethod
    def items(*amounts: str) -> tuple[CostItem, ...]:
        return tuple(CostItem(CostKind.TRANSPORT, Money.parse(amount)) for amount in amounts)

    @staticmethod
    def beneficiary(
        *, born: date = date(1990, 3, 1), nationality: str = "GT", protection_need: bool = False
    ) -> Beneficiary:
        return Beneficiary("Ana", "López Pérez", Sex.FEMALE, born, nationality, protection_need)

    @staticmethod
    def budget(allocated: str, year: int = 2026) -> Budget:
        return Budget(year=year, allocated=Money.parse(allocated))

    def draft(self, **overrides: Any) -> FundApplication:
        fields: dict[str, Any] = {
            "id": uuid4(),
            "reference": "RF-2026-000001",
            "requested_by": GT_CONSUL,
            "beneficiary": self.beneficiary(),
            "current_country": "MX",
            "categories": {Category.INJURY_OR_ILLNESS},
            "voluntary_consent": Consent(True, ConsentGiver.BENEFICIARY, NOW),
            "items": self.items("250.00", "50.00"),
            "justification": "Needs treatment at home; family in Quetzaltenango.",
            "rules": SEED_RULES,
            "now": NOW,
        }
        fields.update(overrides)
        return FundApplication.create(**fields)

    def submitted(self, **overrides: Any) -> FundApplication:
        application = self.draft(**overrides)
        application.submit(
            by=application.requested_by,
            rules=SEED_RULES,
            now=NOW,
            child_case=overrides.get("child_case"),
        )
        return application

    def reviewed(self, *, reviewer: str = REVIEWER, **overrides: Any) -> FundApplication:
        application = self.submitted(**overrides)
        application.review(
            recommendation=Recommendation.APPROVE,
            note="Eligible, costs checked.",
            by=reviewer,
            now=NOW,
        )
        return application

    def approved(
        self, budget: Budget, *, approvers: Sequence[str] = (APPROVER,), **overrides: Any
    ) -> FundApplication:
        application = self.reviewed(**overrides)
        for approver in approvers:
            approve(application, budget, approver=approver, now=NOW)
        return application


@pytest.fixture
def desk() -> Desk:
    return Desk()
