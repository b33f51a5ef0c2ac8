"""Published statistics (POLICY.md "Statistics"): aggregates only, small cells suppressed.

Every service answers `GET /v1/statistics?year=&country=` with the same shape
(`StatisticsRead`): named one-dimensional tables of counts, each count either a number or, when
it is under the threshold (`PUEBLA_STATISTICS_SMALL_CELL`, default 5), the string `"<5"`. A
count of zero is never a row (the SQL groups only what exists). No table carries a name, a date
of birth, a reference or an id: the services' queries select only group keys and counts.

Who reads them (decided per service with `statistics_country`): the RCM Technical Secretariat
(`secretariat`) every country's figures, optionally narrowed to one `country`; the country
authorities each service names, only their own country's figures (asking for another
country's is a 403).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from puebla.auth.principal import Principal
from puebla.refusals import ensure_allowed

SECRETARIAT = "secretariat"

Count = int | str


class StatisticsSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PUEBLA_STATISTICS_", extra="ignore")

    # Counts under this are published as "<N>" (POLICY.md: cells under 5 shown as `<5`).
    small_cell: int = Field(default=5, ge=1)


def small_cell() -> int:
    return StatisticsSettings().small_cell


def cell(count: int, threshold: int) -> Count:
    """The published value of a count: itself, or `"<threshold>"` when 0 < count < threshold."""
    return f"<{threshold}" if 0 < count < threshold else count


class StatisticsRow(BaseModel):
    key: str = Field(description="the group: a month (YYYY-MM), a code, a band, a corridor")
    count: Count = Field(description='a count, or "<5" when it is under the small-cell threshold')


class StatisticsTable(BaseModel):
    name: str = Field(description="what the table counts by, e.g. `by_month`, `by_outcome`")
    rows: list[StatisticsRow]


class StatisticsRead(BaseModel):
    """Aggregates of one year, for the whole region or one country."""

    service: str
    year: int
    country: str | None = Field(description="the country the figures are narrowed to, if any")
    small_cell: int = Field(description="counts under this are published as a string `<N>`")
    total: Count
    tables: list[StatisticsTable]
    figures: dict[str, str] = Field(
        default_factory=dict, description="amounts and durations of the year (no counts)"
    )


def table(name: str, rows: Iterable[Sequence[Any]], threshold: int) -> StatisticsTable:
    """A table from SQL rows of (key, count), in the order the query gave them."""
    return StatisticsTable(
        name=name,
        rows=[
            StatisticsRow(key=str(key), count=cell(int(count), threshold))
            for key, count in rows
            if key is not None
        ],
    )


def this_year() -> int:
    return dt.datetime.now(dt.UTC).year


def statistics_country(
    caller: Principal,
    requested: str | None,
    *,
    country_roles: tuple[str, ...],
    what: str,
    everything: tuple[str, ...] = (SECRETARIAT,),
) -> str | None:
    """The country the figures are narrowed to (None: the whole region), or a 403.

    The secretariat (and whoever else `everything` names) reads every country's figures and may
    narrow them; a caller with one of `country_roles` and a country reads only their own
    country's (no `country`, or their own).
    """
    if caller.has_role(*everything):
        return requested
    ensure_allowed(
        caller.has_role(*country_roles) and caller.country is not None,
        f"{what} are for the RCM Technical Secretariat and each country's authorities.",
    )
    ensure_allowed(
        requested in (None, caller.country),
        "A country's authorities read only their own country's statistics.",
    )
    return caller.country
