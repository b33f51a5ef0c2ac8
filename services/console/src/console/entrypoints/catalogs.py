"""The catalogs, kept complete: `python -m console.entrypoints.catalogs update|check`.

`update` extracts every message of the templates and the Python files (msgids in English) into
the `.po` of its area and language, adding what is new (English is filled with the msgid
itself; Spanish is left empty, for a person to translate) and dropping what is gone.
`check` (in `make lint`) fails on any message of the code missing from a catalog, any empty
translation — every plural form counted, which `pybabel --statistics` does not —, and any
entry marked fuzzy. A file belongs to the area named by its folder (`templates/<area>/`,
`pages/<area>.py`); every other file to `shell`.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract
from babel.messages.pofile import read_po, write_po

from console.entrypoints.i18n import AREAS, LOCALES, catalog_path

PACKAGE = Path(__file__).resolve().parents[1]
KEYWORDS = {
    "_": None,
    "N_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
}
Key = str | tuple[str, str]  # msgid, or (singular, plural)


def area_of(path: Path) -> str:
    parts = path.relative_to(PACKAGE).parts
    for area in AREAS:
        if area == "shell":
            continue
        if ("templates", area) == parts[1:3] or ("pages", f"{area}.py") == parts[1:3]:
            return area
        if ("pages", area) == parts[1:3]:
            return area
        if parts[1:2] == ("pages",) and parts[2].startswith(f"{area}_"):
            return area  # a second module of the area's pages (children_opening.py)
    return "shell"


def sources() -> Iterator[tuple[Path, str]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.name != "catalogs.py":
            yield path, "python"
    for path in sorted((PACKAGE / "entrypoints" / "templates").rglob("*.html")):
        yield path, "jinja2.ext:babel_extract"


def extracted() -> dict[str, dict[Key, list[str]]]:
    """msgid (or singular+plural) → where it is used, by area."""
    found: dict[str, dict[Key, list[str]]] = defaultdict(dict)
    for path, method in sources():
        options = {"extensions": "jinja2.ext.i18n", "newstyle_gettext": "true"}
        with path.open("rb") as source:
            for line, message, _comments, context in extract(
                method, source, keywords=KEYWORDS, options=options if "jinja" in method else {}
            ):
                if context:
                    raise SystemExit(f"{path}:{line}: message contexts are not used here")
                key: Key = message if isinstance(message, str) else (message[0], message[1])
                where = f"{path.relative_to(PACKAGE)}:{line}"
                found[area_of(path)].setdefault(key, []).append(where)
    return found


def read(locale: str, area: str) -> Catalog:
    path = catalog_path(locale, area)
    if not path.exists():
        return Catalog(locale=locale, domain=area)
    with path.open("rb") as po:
        return read_po(po, locale=locale, domain=area)


def update(only: str | None = None) -> None:
    for area, messages in sorted(extracted().items()):
        if only is not None and area != only:
            continue
        for locale in LOCALES:
            old = read(locale, area)
            new = Catalog(
                locale=locale,
                domain=area,
                project="Puebla console",
                fuzzy=False,
                header_comment=f"# Puebla console, {area} — {locale}.",
            )
            for key, places in messages.items():
                previous = old.get(key if isinstance(key, str) else key[0])
                string: str | tuple[str, ...] | list[str]
                if previous is not None and previous.string:
                    string = previous.string
                elif locale == "en":
                    string = key
                else:
                    string = "" if isinstance(key, str) else ("", "")
                new.add(
                    key,
                    string,
                    locations=[(p.rsplit(":", 1)[0], int(p.rsplit(":", 1)[1])) for p in places],
                )
            path = catalog_path(locale, area)
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as po:
                write_po(po, new, width=100, sort_output=True, include_lineno=False)


def problems() -> list[str]:
    found: list[str] = []
    # The areas' catalogs are merged into one per language: a message two areas both use must
    # read the same in both, or one of them silently shows the other's words.
    seen: dict[tuple[str, str], tuple[str, object]] = {}
    for area, messages in sorted(extracted().items()):
        for locale in LOCALES:
            catalog = read(locale, area)
            for key, places in sorted(messages.items(), key=lambda kv: str(kv[0])):
                msgid = key if isinstance(key, str) else key[0]
                entry = catalog.get(msgid)
                where = places[0]
                if entry is None:
                    found.append(f"{locale}/{area}.po: missing {msgid!r} ({where})")
                    continue
                raw = entry.string
                strings = tuple(raw) if isinstance(raw, tuple | list) else (raw or "",)
                if isinstance(key, tuple):
                    expected = catalog.num_plurals
                    if len(strings) < expected or not all(s.strip() for s in strings):
                        found.append(
                            f"{locale}/{area}.po: a plural form of {msgid!r} is empty ({where})"
                        )
                elif not all(s.strip() for s in strings):
                    found.append(f"{locale}/{area}.po: {msgid!r} is not translated ({where})")
                if entry.fuzzy:
                    found.append(f"{locale}/{area}.po: {msgid!r} is marked fuzzy ({where})")
                other = seen.setdefault((locale, msgid), (area, entry.string))
                if other[1] != entry.string:
                    found.append(
                        f"{locale}/{area}.po: {msgid!r} reads {entry.string!r} here and"
                        f" {other[1]!r} in {other[0]}.po: use one translation, or other words"
                    )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console.entrypoints.catalogs")
    parser.add_argument("command", choices=["update", "check"])
    parser.add_argument("--area", choices=AREAS, help="update this area's catalogs only")
    args = parser.parse_args(argv)
    if args.command == "update":
        update(args.area)
    missing = problems()
    for line in missing:
        print(line, file=sys.stderr)
    if missing:
        print(
            f"{len(missing)} catalog problem(s): a message without a translation,"
            " or translated two ways",
            file=sys.stderr,
        )
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
