"""`python -m puebla_dev.checks.routers`: the rule import-linter cannot say — routers never
hold a database session (docs/STYLE.md, "Layers").

A router reaches the database through the service layer only: it never touches a session
factory or a session (`.sessions`, `.session`, `AsyncSession`, `sessionmaker`) nor imports
SQLAlchemy. The session factory arrives through `Runtime`, so import-linter sees no import to
forbid; this reads the routers' syntax instead. Exits 1 naming each place."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
FORBIDDEN_ATTRIBUTES = frozenset({"sessions", "session"})
FORBIDDEN_NAMES = frozenset({"AsyncSession", "async_sessionmaker", "sessionmaker"})


def router_files(root: Path = ROOT) -> list[Path]:
    """Every service's HTTP API (the console has none: its pages call the services' APIs)."""
    return sorted(root.glob("services/*/src/*/entrypoints/api/**/*.py"))


def offences(source: str) -> Iterator[tuple[int, str]]:
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in FORBIDDEN_ATTRIBUTES:
            yield node.lineno, f"`.{node.attr}`: a router reads through the service layer"
        elif isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES:
            yield node.lineno, f"`{node.id}`: a router holds no database session"
        elif isinstance(node, ast.Import | ast.ImportFrom):
            module = node.module if isinstance(node, ast.ImportFrom) else node.names[0].name
            if (module or "").split(".")[0] == "sqlalchemy":
                yield node.lineno, "imports SQLAlchemy: a router holds no database session"


def main(root: Path = ROOT) -> int:
    found = [
        f"{path.relative_to(root)}:{line}: {why}"
        for path in router_files(root)
        for line, why in offences(path.read_text(encoding="utf-8"))
    ]
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} place(s) where a router touches the database directly")
        return 1
    print(f"routers: {len(router_files(root))} files, none holds a database session")
    return 0


if __name__ == "__main__":
    sys.exit(main())
