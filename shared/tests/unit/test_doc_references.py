"""The references checker (`puebla_dev.devstack.references`) on a small tree of its own: what
resolves passes, each kind of reference that does not is reported with its file and line.

The references are assembled from pieces so that this file itself cites nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from puebla_dev.devstack import references
from puebla_dev.devstack.references import check

POLICY = "POLICY" + ".md"
DOMAIN = "DOMAIN" + ".md"
STYLE = "STYLE" + ".md"
BRIEF = "../" + "shared"


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    docs = tmp_path / "docs"
    (docs / "adr").mkdir(parents=True)
    (docs / "DOMAIN.md").write_text(
        "# Domain\n\n## §1 Land repatriation manifests\n\n```\n## §9 in a fence\n```\n"
    )
    (docs / "POLICY.md").write_text(
        "# Policy\n\n## Audit\n\n## Consular notifications and nationality verification\n"
    )
    (docs / "adr" / "0001-outbox.md").write_text("# Outbox\n\n[Policy](../POLICY.md#audit)\n")
    (tmp_path / "README.md").write_text("See [the docs](docs/DOMAIN.md) and [x](https://e.org).\n")
    return tmp_path


def write(root: Path, path: str, text: str) -> str:
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_text(text)
    return path


def test_references_that_resolve_pass(tree: Path) -> None:
    good = write(
        tree,
        "src/good.py",
        f'# {DOMAIN} §1, {POLICY} "Audit", {POLICY}\n'
        f'# and {POLICY}\n# "Consular notifications" across a line, docs/{DOMAIN} §1\n',
    )
    paths = [good, "README.md", "docs/DOMAIN.md", "docs/POLICY.md", "docs/adr/0001-outbox.md"]
    assert check(tree, paths) == []


@pytest.mark.parametrize(
    ("text", "line", "reference"),
    [
        (f"ok\n# {STYLE}\n", 2, STYLE),
        (f"# {DOMAIN} §2\n", 1, f"{DOMAIN} §2"),
        (f"# {DOMAIN} §9, fenced only\n", 1, f"{DOMAIN} §9"),
        (f"#\n#\n# {DOMAIN} §10\n", 3, f"{DOMAIN} §10"),
        (f'# {POLICY} "Statistics"\n', 1, f'{POLICY} "Statistics"'),
        (f'# {POLICY} "Aud"\n', 1, f'{POLICY} "Aud"'),
        (f'x = ["{DOMAIN}", "{STYLE}"]\n', 1, STYLE),
        (f'# {POLICY}\n#   "Statistics" wrapped\n', 1, f'{POLICY} "Statistics"'),
        (f"x\ny = '{BRIEF}/POLICY.md'\n", 2, BRIEF),
        ("x = '/work/" + "shared/POLICY.md'\n", 1, "/work/" + "shared"),
    ],
)
def test_each_kind_of_bad_reference_fails_with_its_line(
    tree: Path, text: str, line: int, reference: str
) -> None:
    bad = write(tree, "src/bad.py", text)
    problems = check(tree, [bad])
    assert [(p.path, p.line, p.reference) for p in problems] == [("src/bad.py", line, reference)]
    assert str(problems[0]).startswith(f"src/bad.py:{line}: {reference} — ")


def test_a_broken_link_in_the_docs_fails(tree: Path) -> None:
    adr = write(tree, "docs/adr/0002-audit.md", "# Audit\n\nSee [it](../NOPE.md).\n`[a](b.md)`\n")
    readme = write(tree, "README.md", "one\n[docs](docs/README.md)\n")
    elsewhere = write(tree, "src/notes.md", "[x](missing.md)\n")  # neither README nor docs/
    problems = check(tree, [adr, readme, elsewhere])
    assert [(p.path, p.line, p.reference) for p in problems] == [
        ("README.md", 2, "docs/README.md"),
        ("docs/adr/0002-audit.md", 3, "../NOPE.md"),
    ]


def test_main_exits_1_and_lists_the_problems(
    tree: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = write(tree, "src/bad.py", f"# {DOMAIN} §3\n")
    monkeypatch.setattr(references, "tracked_files", lambda root: [bad])
    assert references.main([str(tree)]) == 1
    assert f"src/bad.py:1: {DOMAIN} §3" in capsys.readouterr().out
    monkeypatch.setattr(references, "tracked_files", lambda root: ["README.md"])
    assert references.main([str(tree)]) == 0
