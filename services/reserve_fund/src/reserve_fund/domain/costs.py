"""What the Fund pays for, and the per-case cap across all of it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from reserve_fund.domain.errors import InvalidItems, OverCaseCap
from reserve_fund.domain.money import Money
from reserve_fund.domain.rules import CapRule


class CostKind(StrEnum):
    TRANSPORT = "transport"
    ESCORT = "escort"
    LODGING = "lodging"
    MEALS = "meals"
    MEDICAL = "medical"
    DOCUMENTS = "documents"


@dataclass(frozen=True)
class CostItem:
    kind: CostKind
    amount: Money


def total_of(items: Sequence[CostItem]) -> Money:
    return Money.total(item.amount for item in items)


def check_items(items: Sequence[CostItem], cap: CapRule) -> Money:
    """Refuse an empty or zero-cost list and any total above the cap; return the total.

    The cap is inclusive: a total of exactly the cap is allowed.
    """
    if not items:
        raise InvalidItems("list at least one cost item", rule="items.empty", field="items")
    for index, item in enumerate(items):
        if item.amount.is_zero:
            raise InvalidItems(
                "a cost item must have an amount above zero",
                rule="items.amount_zero",
                field=f"items[{index}].amount",
            )
    total = total_of(items)
    if total > cap.amount:
        raise OverCaseCap(
            f"the items add up to USD {total}; the cap per case is USD {cap.amount}",
            field="items",
        )
    return total
