"""The yearly figures for the RCM Technical Secretariat: aggregates only.

Input rows carry no personal data (no names, no date of birth) by construction, and the output
carries only counts and sums. The read side selects the rows of the applications charged to
the year's budget (`budget_year = year`); only those still funded count (approved, disbursed,
returned, closed) — a cancelled approval gave its money back and is left out.

An application with several categories counts once under each, so the per-category figures can
add up to more than the total.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from reserve_fund.domain.budget import Budget
from reserve_fund.domain.eligibility import Category
from reserve_fund.domain.lifecycle import FUNDED, Status
from reserve_fund.domain.money import ZERO, Money


@dataclass(frozen=True)
class ReportRow:
    nationality: str
    requesting_country: str
    categories: frozenset[Category]
    status: Status
    approved: Money
    disbursed: Money


@dataclass(frozen=True)
class Tally:
    count: int = 0
    approved: Money = ZERO
    disbursed: Money = ZERO

    def plus(self, row: ReportRow) -> Tally:
        return Tally(self.count + 1, self.approved + row.approved, self.disbursed + row.disbursed)


@dataclass(frozen=True)
class YearReport:
    year: int
    total: Tally
    by_nationality: Mapping[str, Tally]
    by_category: Mapping[str, Tally]
    by_requesting_country: Mapping[str, Tally]
    allocated: Money
    reserved: Money
    disbursed: Money
    available: Money

    def table(self) -> list[tuple[str, str, str, str, str]]:
        """Flat rows for CSV: (dimension, key, count, approved, disbursed), all strings."""
        rows = [("total", "all", *_cells(self.total))]
        for dimension, tallies in (
            ("nationality", self.by_nationality),
            ("category", self.by_category),
            ("requesting_country", self.by_requesting_country),
        ):
            rows.extend((dimension, key, *_cells(tally)) for key, tally in tallies.items())
        return rows


def _cells(tally: Tally) -> tuple[str, str, str]:
    return str(tally.count), str(tally.approved), str(tally.disbursed)


def _tally_by(keyed: Iterable[tuple[str, ReportRow]]) -> dict[str, Tally]:
    tallies: dict[str, Tally] = {}
    for key, row in keyed:
        tallies[key] = tallies.get(key, Tally()).plus(row)
    return dict(sorted(tallies.items()))


def yearly_report(budget: Budget, rows: Iterable[ReportRow]) -> YearReport:
    funded = [row for row in rows if row.status in FUNDED]
    total = Tally()
    for row in funded:
        total = total.plus(row)
    return YearReport(
        year=budget.year,
        total=total,
        by_nationality=_tally_by((row.nationality, row) for row in funded),
        by_category=_tally_by(
            (category.value, row) for row in funded for category in row.categories
        ),
        by_requesting_country=_tally_by((row.requesting_country, row) for row in funded),
        allocated=budget.allocated,
        reserved=budget.reserved,
        disbursed=budget.disbursed,
        available=budget.available,
    )
