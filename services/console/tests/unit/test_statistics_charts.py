"""The dashboard's charts, drawn from a service's published figures (no browser, no API)."""

from __future__ import annotations

from typing import Any, cast

from console.entrypoints.pages.statistics import BY_SLUG, draw
from console.entrypoints.web import Page, word


class FakePage:
    locale = "es"

    def word(self, kind: str, code: str | None) -> str:
        return word(self.locale, kind, code)

    def gettext(self, message: str, **values: Any) -> str:
        return message % values if values else message


PAGE = cast(Page, FakePage())


def figures(table: str, rows: dict[str, int | str], threshold: int = 5) -> dict[str, Any]:
    return {
        "small_cell": threshold,
        "tables": [{"name": table, "rows": [{"key": k, "count": v} for k, v in rows.items()]}],
    }


def test_a_small_cell_is_a_hatched_bar_as_long_as_the_threshold_never_zero() -> None:
    drawn = draw(
        PAGE,
        BY_SLUG["returns-by-outcome"],
        figures("by_outcome", {"received": 10, "refused": "<5"}),
        2026,
    )

    received, refused = drawn.bars
    assert (received.value, received.small) == ("10", False)
    assert (refused.value, refused.small) == ("<5", True)
    assert refused.width == received.width / 2  # 5 of 10: the cell's upper bound, hatched
    assert drawn.rows == [("received", "Recibida", "10"), ("refused", "Rechazada", "<5")]


def test_a_threshold_of_ten_draws_its_small_cells_at_ten() -> None:
    drawn = draw(
        PAGE, BY_SLUG["returns-by-sex"], figures("by_sex", {"F": "<10", "M": 20}, 10), 2026
    )

    women, men = drawn.bars
    assert women.small
    assert women.width == men.width / 2


def test_the_monthly_series_has_every_month_of_the_year() -> None:
    drawn = draw(
        PAGE,
        BY_SLUG["returns-by-month"],
        figures("by_month", {"2026-03": 7, "2026-11": "<5"}),
        2026,
    )

    assert [code for code, _, _ in drawn.rows] == [f"2026-{m:02d}" for m in range(1, 13)]
    counts = {code: count for code, _, count in drawn.rows}
    assert counts["2026-03"] == "7"
    assert counts["2026-11"] == "<5"
    assert counts["2026-01"] == "0"
    assert [b.small for b in drawn.bars].count(True) == 1
    assert drawn.bars[0].height == 0  # January: nothing, an empty column


def test_a_corridor_is_written_with_the_countries_names() -> None:
    drawn = draw(PAGE, BY_SLUG["returns-by-corridor"], figures("by_corridor", {"MX-GT": 8}), 2026)

    assert drawn.rows == [("MX-GT", "México → Guatemala", "8")]


def test_nothing_published_draws_nothing() -> None:
    assert draw(PAGE, BY_SLUG["children-by-stage"], figures("by_stage", {}), 2026).empty


def test_a_long_label_gets_a_wider_column_and_the_bars_start_after_it() -> None:
    short = draw(PAGE, BY_SLUG["returns-by-sex"], figures("by_sex", {"F": 8, "M": 9}), 2026)
    long = draw(
        PAGE,
        BY_SLUG["returns-by-corridor"],
        figures("by_corridor", {"MX-GT": 8, "DO-SV": 9}),  # "República Dominicana → El Salvador"
        2026,
    )

    assert long.baseline > short.baseline
    label = "República Dominicana → El Salvador"
    assert [b.label for b in long.bars] == ["México → Guatemala", label]
    # The label, right-aligned before the bar, starts inside the drawing (9 units a character).
    assert long.bars[1].label_x - 9 * len(label) >= 0
    assert all(b.x == long.baseline for b in long.bars)
    assert all(b.text_x + 40 <= long.width for b in long.bars)  # the value is drawn whole


def test_a_label_longer_than_the_widest_column_is_shortened_in_the_drawing_only() -> None:
    name = "x" * 80
    drawn = draw(
        PAGE, BY_SLUG["returns-by-reception-point"], figures("by_reception_point", {name: 12}), 2026
    )

    (bar,) = drawn.bars
    assert bar.label.endswith("…")
    assert bar.label_x - 9 * len(bar.label) >= 0
    assert drawn.rows == [(name, name, "12")]  # the table keeps it whole


def test_a_code_in_capitals_fits_its_column_too() -> None:
    # Capitals are the widest letters: "GT-TECUN-UMAN" lost its first letters at 9 units each.
    drawn = draw(
        PAGE,
        BY_SLUG["returns-by-reception-point"],
        figures("by_reception_point", {"GT-TECUN-UMAN": 483, "HN-CORINTO": 30}),
        2026,
    )

    assert all(b.label_x - 10.5 * len(b.label) >= 0 for b in drawn.bars)
