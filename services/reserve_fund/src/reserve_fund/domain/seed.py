"""The reference values the service starts with; migrations seed these rows.

USD 1,000 per case is the protocol's cap (revised protocol, 2015; the exact day it took effect
is not public, so the seed starts on 1 January of that year). USD 500 for a second approver is
our default (DOMAIN.md §3, cfg). Later values are added as new dated rows, never by editing.
"""

from __future__ import annotations

from datetime import date

from reserve_fund.domain.money import Money
from reserve_fund.domain.rules import ApprovalRule, CapRule, FundRules

SEED_CAP = CapRule(amount=Money.parse("1000.00"), valid_from=date(2015, 1, 1))
SEED_APPROVAL = ApprovalRule(threshold=Money.parse("500.00"), valid_from=date(2015, 1, 1))
SEED_RULES = FundRules(caps=(SEED_CAP,), approvals=(SEED_APPROVAL,))
