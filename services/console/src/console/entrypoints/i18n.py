"""Spanish first, English second: the catalogs, the officer's language, dates and times.

Every word a page shows comes from the gettext catalogs under `console/locales/<lang>/
LC_MESSAGES/<area>.po` (msgids in English). Each part of the console keeps its own catalog
(`AREAS`), so two people can translate two screens without touching one file; at start the
areas of a language are merged into one set of translations. The `.po` files are read as they
are (no compiled `.mo` to fall out of date). `python -m console.entrypoints.catalogs check`
(in `make lint`) fails on any message without a translation.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_datetime, get_timezone_location
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALES = ("es", "en")
DEFAULT_LOCALE = "es"
# One catalog per part of the console: templates/<area>/ and pages/<area>.py use it; every
# other file (the shell, sign-in, errors, words) uses `shell`.
AREAS = ("shell", "manifests", "border", "consular", "children", "fund", "statistics", "audit")
LOCALE_DIR = Path(__file__).resolve().parents[1] / "locales"
LANGUAGE_COOKIE = "__Host-puebla-lang"


def catalog_path(locale: str, area: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{area}.po"


@cache
def translations(locale: str) -> Translations:
    merged = Translations()
    for area in AREAS:
        path = catalog_path(locale, area)
        if not path.exists():
            continue
        with path.open("rb") as po:
            catalog = read_po(po, locale=locale)
        compiled = io.BytesIO()
        write_mo(compiled, catalog)
        compiled.seek(0)
        merged.merge(Translations(fp=compiled, domain="messages"))
    return merged


def choose_locale(cookie: str | None, accept_language: str | None) -> str:
    """The switch's choice if made, else the browser's first of `LOCALES`, else Spanish."""
    if cookie in LOCALES:
        return str(cookie)
    for tag in _preferred(accept_language or ""):
        primary = tag.split("-", 1)[0].lower()
        if primary in LOCALES:
            return primary
    return DEFAULT_LOCALE


def _preferred(header: str) -> Iterable[str]:
    ranked = []
    for index, part in enumerate(header.split(",")):
        tag, _, params = part.strip().partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag and quality > 0:
            ranked.append((-quality, index, tag))
    return [tag for _, _, tag in sorted(ranked)]


def zone(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def parse_instant(value: str | datetime | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def format_when(value: str | datetime | None, time_zone: str | None, locale: str) -> str:
    """`02/12/2026 14:30 (hora de Guatemala, UTC-06:00)`: the place's own time, its zone named."""
    instant = parse_instant(value)
    if instant is None:
        return "—"
    tz = zone(time_zone)
    local = instant.astimezone(tz)
    offset = local.strftime("%z")
    offset = f"UTC{offset[:3]}:{offset[3:]}" if offset else "UTC"
    text = format_datetime(local, "dd/MM/yyyy HH:mm", tzinfo=tz, locale=locale)
    return f"{text} ({get_timezone_location(tz, locale=locale)}, {offset})"


def format_time(value: str | datetime | None, time_zone: str | None, locale: str) -> str:
    instant = parse_instant(value)
    if instant is None:
        return "—"
    return format_datetime(instant, "HH:mm", tzinfo=zone(time_zone), locale=locale)


def format_day(value: str | date | None, locale: str) -> str:
    if value is None or value == "":
        return "—"
    day = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    return format_date(day, "dd/MM/yyyy", locale=locale)


def zone_name(time_zone: str | None, locale: str) -> str:
    return str(get_timezone_location(zone(time_zone), locale=locale))


def country_name(code: str | None, locale: str) -> str:
    """Countries by CLDR (Babel): `GT` is "Guatemala" in both, `MX` "México"/"Mexico"."""
    if not code:
        return "—"
    return str(Locale.parse(locale).territories.get(code.upper(), code))


# --- what officers type -------------------------------------------------------------------------
# Forms take days as dd/mm/aaaa (how the region writes them) or as a date input sends them
# (aaaa-mm-dd), and times on the place's clock; one reading for every page.


def typed_day(text: str) -> date | None:
    """A day typed as dd/mm/aaaa (or dd-mm-aaaa) or given by `<input type="date">`."""
    text = text.strip()
    for form in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y"):
        try:
            return datetime.strptime(text, form).date()  # noqa: DTZ007 (a day, no time)
        except ValueError:
            continue
    return None


def typed_instant(text: str, time_zone: str | None) -> datetime | None:
    """A time typed on the place's clock (`datetime-local`'s 2026-12-05T10:00, or
    05/12/2026 10:00) as an instant."""
    text = " ".join(text.strip().replace("T", " ").split())
    for form in ("%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S", "%d/%m/%Y %H:%M"):
        try:
            naive = datetime.strptime(text, form)  # noqa: DTZ007 (the zone is added below)
        except ValueError:
            continue
        return naive.replace(tzinfo=zone(time_zone))
    return None


class NotADateTime(ValueError):
    """What the officer typed is not a date and a time."""


def local_instant(day_text: str, clock_text: str, time_zone: str | None) -> datetime:
    """The instant of a day and a wall-clock time typed in two fields on the place's clock;
    both are needed (a day alone is not silently midnight)."""
    day = typed_day(day_text)
    try:
        clock = time.fromisoformat(clock_text.strip())
    except ValueError as error:
        raise NotADateTime(f"{day_text!r} {clock_text!r}") from error
    if day is None:
        raise NotADateTime(f"{day_text!r} {clock_text!r}")
    return datetime.combine(day, clock.replace(tzinfo=None), tzinfo=zone(time_zone))
