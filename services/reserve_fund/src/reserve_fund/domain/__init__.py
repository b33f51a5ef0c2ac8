"""The Reserve Fund's rules, in plain Python (DOMAIN.md §3). Standard library only.

Modules, smallest first:

- `money`        `Money`: exact USD, two places, never negative, never a float
- `errors`       `FundError` and its kinds (invalid / conflict / forbidden) with rule slugs
- `rules`        versioned reference data: `CapRule`, `ApprovalRule`, `FundRules`; `seed` values
- `parties`      `Beneficiary`, `Authority`, `Consent`
- `costs`        `CostItem`, the per-case cap
- `eligibility`  intraregional, categories (over 70 computed), consent, who may apply
- `child_cases`  what the Fund knows of child cases (from their events); a return BID
- `lifecycle`    `Status` and the allowed moves
- `model`        the `FundApplication` aggregate
- `budget`       the yearly `Budget`
- `fund`         steps that change an application and a budget together (`approve`, …)
- `commands`, `events`, `reports`
"""

from reserve_fund.domain.budget import Budget
from reserve_fund.domain.child_cases import ChildCase
from reserve_fund.domain.costs import CostItem, CostKind
from reserve_fund.domain.eligibility import RCM_MEMBERS, Category, age_on
from reserve_fund.domain.errors import FundError
from reserve_fund.domain.fund import (
    ApprovalOutcome,
    approve,
    budget_year_of,
    cancel,
    complete_return,
    record_disbursement,
)
from reserve_fund.domain.lifecycle import Status
from reserve_fund.domain.model import FundApplication, Recommendation, format_reference
from reserve_fund.domain.money import ZERO, Money
from reserve_fund.domain.parties import (
    Authority,
    AuthorityRole,
    Beneficiary,
    Consent,
    ConsentGiver,
    Sex,
)
from reserve_fund.domain.rules import ApprovalRule, CapRule, FundRules

__all__ = [
    "RCM_MEMBERS",
    "ZERO",
    "ApprovalOutcome",
    "ApprovalRule",
    "Authority",
    "AuthorityRole",
    "Beneficiary",
    "Budget",
    "CapRule",
    "Category",
    "ChildCase",
    "Consent",
    "ConsentGiver",
    "CostItem",
    "CostKind",
    "FundApplication",
    "FundError",
    "FundRules",
    "Money",
    "Recommendation",
    "Sex",
    "Status",
    "age_on",
    "approve",
    "budget_year_of",
    "cancel",
    "complete_return",
    "format_reference",
    "record_disbursement",
]
