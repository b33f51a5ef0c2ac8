"""Every reference to the design documents resolves: `python -m puebla_dev.devstack.references`
(run by `make lint`).

The code cites `docs/` by name, often with a section: `DOMAIN.md §2`, `POLICY.md "Audit"`,
`STYLE.md "Contracts"`. A reference nobody can follow is worse than none, so this fails
(exit 1, one `file:line: reference — why` per problem) when, in a tracked text file:

- a cited `NAME.md` is not in `docs/`;
- a cited `§N` has no heading beginning with `§N` in that document;
- a cited `"Section"` has no heading of that text (the heading may go on after it:
  `## Consular notifications and nationality verification` answers `"Consular notifications"`);
- a relative markdown link in `README.md` or `docs/**/*.md` points to no file;
- the text points outside the repository, to the brief the documents grew from (its two
  spellings are in `OUTSIDE`): whoever clones the repository has no such folder.

A section may follow the name on the next line (a comment wrapped after `DOMAIN.md`).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

DOCUMENTS = ("DOMAIN", "POLICY", "API", "ARCHITECTURE", "STYLE")
EXTENSIONS = frozenset({".py", ".md", ".html", ".js", ".toml", ".yaml", ".yml", ".sh", ".json"})
MAX_BYTES = 1024 * 1024  # a generated or vendored file past this cites nothing worth checking
# Written in two pieces so that this file does not trip its own check.
OUTSIDE = ("../" + "shared", "/work/" + "shared")

_NAME = "|".join(DOCUMENTS)
# `docs/DOMAIN.md` and `DOMAIN.md` alike; not `XDOMAIN.md` nor `DOMAIN.mdx`.
REFERENCE = re.compile(rf"(?<![\w.-])(?:docs/)?(?P<name>{_NAME})\.md(?![\w-])")
SECTION = re.compile(r'(?:§(?P<number>\d+)(?!\d)|"(?P<title>[^"\n]+)")')
# On the same line a section is set off by a space: `DOMAIN.md §2`, not `"DOMAIN.md", "x"`.
SAME_LINE = re.compile(r"[ \t]+")
# What a wrapped comment puts before the continued text on its next line.
CONTINUATION = re.compile(r"[ \t]*(?:#+|//+|\*+|--|;+)?[ \t]*")
HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(?P<text>.+?)[ \t#]*$")
FENCE = re.compile(r"^[ \t]{0,3}(```|~~~)")
INLINE_CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]\n]*\]\((?P<target><[^>\n]+>|[^)\s]+)(?:\s+\"[^\"\n]*\")?\)")
LINK_DEFINITION = re.compile(r"^[ \t]{0,3}\[[^\]\n]+\]:[ \t]*(?P<target>\S+)")
SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    reference: str
    why: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.reference} — {self.why}"


@dataclass(frozen=True)
class Reference:
    line: int
    name: str
    number: str | None = None
    title: str | None = None

    def __str__(self) -> str:
        cited = f"{self.name}.md"
        if self.number is not None:
            return f"{cited} §{self.number}"
        if self.title is not None:
            return f'{cited} "{self.title}"'
        return cited


def references_in(text: str) -> Iterator[Reference]:
    lines = text.splitlines()
    for index, line in enumerate(lines):
        for match in REFERENCE.finditer(line):
            rest = line[match.end() :]
            space = SAME_LINE.match(rest)
            section = SECTION.match(rest, space.end()) if space else None
            if section is None and not rest.strip() and index + 1 < len(lines):
                following = lines[index + 1]
                lead = CONTINUATION.match(following)
                start = lead.end() if lead else 0
                section = SECTION.match(following, start)
            yield Reference(
                line=index + 1,
                name=match["name"],
                number=section["number"] if section else None,
                title=section["title"] if section else None,
            )


def headings_of(text: str) -> list[str]:
    """The headings of a markdown document, outside fenced code."""
    headings: list[str] = []
    fenced = False
    for line in text.splitlines():
        if FENCE.match(line):
            fenced = not fenced
            continue
        heading = None if fenced else HEADING.match(line)
        if heading:
            headings.append(heading["text"].strip())
    return headings


def has_number(headings: Iterable[str], number: str) -> bool:
    return any(re.match(rf"§{number}(?!\d)", h) for h in headings)


def has_title(headings: Iterable[str], title: str) -> bool:
    # The heading may go on after the cited words: a space, a colon, a dash or a parenthesis.
    goes_on = re.compile(rf"{re.escape(title)}(?=[\s:(,\u2014\u2013-])")
    return any(h == title or goes_on.match(h) for h in headings)


def links_in(text: str) -> Iterator[tuple[int, str]]:
    """Relative link targets of a markdown text (outside code), without their #fragment."""
    fenced = False
    for index, line in enumerate(text.splitlines()):
        if FENCE.match(line):
            fenced = not fenced
            continue
        if fenced:
            continue
        prose = INLINE_CODE.sub("", line)
        targets = [m["target"] for m in LINK.finditer(prose)]
        definition = LINK_DEFINITION.match(prose)
        if definition:
            targets.append(definition["target"])
        for target in targets:
            target = target.strip("<>").split("#", 1)[0]
            if target and not SCHEME.match(target) and not target.startswith("/"):
                yield index + 1, target


def tracked_files(root: Path) -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=root, check=True, capture_output=True
    ).stdout.decode()
    return sorted(p for p in listed.split("\0") if p and Path(p).suffix in EXTENSIONS)


def is_doc(path: str) -> bool:
    return path == "README.md" or (path.startswith("docs/") and path.endswith(".md"))


def check(root: Path, paths: Iterable[str]) -> list[Problem]:
    docs = root / "docs"
    headings: dict[str, list[str] | None] = {}

    def headings_for(name: str) -> list[str] | None:
        if name not in headings:
            document = docs / f"{name}.md"
            headings[name] = (
                headings_of(document.read_text(encoding="utf-8")) if document.is_file() else None
            )
        return headings[name]

    problems: list[Problem] = []
    for path in paths:
        file = root / path
        if not file.is_file() or file.stat().st_size > MAX_BYTES:
            continue
        try:
            text = file.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for ref in references_in(text):
            found = headings_for(ref.name)
            if found is None:
                problems.append(Problem(path, ref.line, str(ref), f"no docs/{ref.name}.md"))
            elif ref.number is not None and not has_number(found, ref.number):
                why = f"docs/{ref.name}.md has no heading starting with §{ref.number}"
                problems.append(Problem(path, ref.line, str(ref), why))
            elif ref.title is not None and not has_title(found, ref.title):
                why = f'docs/{ref.name}.md has no heading "{ref.title}"'
                problems.append(Problem(path, ref.line, str(ref), why))
        for number, line in enumerate(text.splitlines(), start=1):
            for outside in OUTSIDE:
                if outside in line:
                    why = "points outside the repository"
                    problems.append(Problem(path, number, outside, why))
        if is_doc(path):
            for number, target in links_in(text):
                if not (file.parent / target).exists():
                    problems.append(Problem(path, number, target, "link to a missing file"))
    return sorted(problems)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    root = Path(args[0]) if args else Path.cwd()
    problems = check(root, tracked_files(root))
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} reference(s) to the documents do not resolve", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
