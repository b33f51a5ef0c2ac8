import dataclasses

from reserve_fund.domain import Budget, Category, Money, Status
from reserve_fund.domain.reports import ReportRow, Tally, yearly_report


def usd(text):
    return Money.parse(text)


def row(nationality, requesting, categories, status, approved, disbursed="0.00"):
    return ReportRow(
        nationality=nationality,
        requesting_country=requesting,
        categories=frozenset(categories),
        status=status,
        approved=usd(approved),
        disbursed=usd(disbursed),
    )


ROWS = [
    row("GT", "GT", {Category.OVER_70}, Status.CLOSED, "300.00", "300.00"),
    row("GT", "MX", {Category.DISABILITY, Category.OVER_70}, Status.APPROVED, "800.00"),
    row("SV", "SV", {Category.UNACCOMPANIED_CHILD}, Status.DISBURSED, "450.50", "200.00"),
    row("HN", "HN", {Category.DISABILITY}, Status.CANCELLED, "999.00"),
]


class TestYearlyReport:
    budget = Budget(
        2026, allocated=usd("5000.00"), reserved=usd("1050.50"), disbursed=usd("500.00")
    )

    def test_totals_count_only_funded_applications(self):
        report = yearly_report(self.budget, ROWS)
        assert report.total == Tally(3, usd("1550.50"), usd("500.00"))

    def test_by_nationality(self):
        report = yearly_report(self.budget, ROWS)
        assert report.by_nationality == {
            "GT": Tally(2, usd("1100.00"), usd("300.00")),
            "SV": Tally(1, usd("450.50"), usd("200.00")),
        }

    def test_by_category_counts_an_application_under_each_of_its_categories(self):
        report = yearly_report(self.budget, ROWS)
        assert report.by_category == {
            "disability": Tally(1, usd("800.00"), usd("0.00")),
            "over_70": Tally(2, usd("1100.00"), usd("300.00")),
            "unaccompanied_child": Tally(1, usd("450.50"), usd("200.00")),
        }

    def test_by_requesting_country(self):
        report = yearly_report(self.budget, ROWS)
        assert report.by_requesting_country == {
            "GT": Tally(1, usd("300.00"), usd("300.00")),
            "MX": Tally(1, usd("800.00"), usd("0.00")),
            "SV": Tally(1, usd("450.50"), usd("200.00")),
        }

    def test_available_balance(self):
        report = yearly_report(self.budget, ROWS)
        assert str(report.available) == "3449.50"

    def test_flat_table_for_csv(self):
        report = yearly_report(self.budget, ROWS[:1])
        assert report.table() == [
            ("total", "all", "1", "300.00", "300.00"),
            ("nationality", "GT", "1", "300.00", "300.00"),
            ("category", "over_70", "1", "300.00", "300.00"),
            ("requesting_country", "GT", "1", "300.00", "300.00"),
        ]

    def test_no_personal_data_goes_in_or_comes_out(self):
        personal = {"given_names", "surnames", "date_of_birth", "beneficiary", "name"}
        assert not personal & {f.name for f in dataclasses.fields(ReportRow)}
        report = yearly_report(self.budget, ROWS)
        assert not personal & {f.name for f in dataclasses.fields(report)}
