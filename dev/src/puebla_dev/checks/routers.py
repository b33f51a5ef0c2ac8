"""`python -m puebla_dev.checks.routers`: two rules import-linter cannot say.

1. Routers never hold a database session (docs/STYLE.md, "Layers"). A router reaches the
   database through the service layer only: it never touches a session factory or a session
   (`.sessions`, `.session`, `AsyncSession`, `sessionmaker`) nor imports SQLAlchemy. The
   session factory arrives through `Runtime`, so import-linter sees no import to forbid; this
   reads the routers' syntax instead.
2. Every endpoint and dependency of every service's app and of the console is `async def`.
   FastAPI runs a plain `def` one on a worker thread: a thread hop on every request that uses
   it (issue 19 found five, on every request of every service). This builds the apps, as
   contracts/generate.py does, and walks each route's dependency tree.

Exits 1 naming each place."""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

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


APPS = {
    **{
        service: f"{service}.entrypoints.api.app"
        for service in ("repatriation", "child_protection", "reserve_fund", "consular")
    },
    "console": "console.entrypoints.app",
}


def on_the_event_loop(call: Callable[..., Any]) -> bool:
    """True when FastAPI awaits `call` rather than sending it to its thread pool."""
    if inspect.isclass(call):
        return False  # a class as a dependency is constructed synchronously
    method = getattr(call, "__call__", None)  # noqa: B004 - an instance with async __call__
    return any(
        inspect.iscoroutinefunction(f) or inspect.isasyncgenfunction(f) for f in (call, method)
    )


def _where(call: Callable[..., Any]) -> str:
    code = getattr(inspect.unwrap(call), "__code__", None)
    name = getattr(call, "__qualname__", repr(call))
    return f"{code.co_filename}:{code.co_firstlineno} {name}" if code else name


def threaded_calls(app: Any) -> set[str]:
    """Every endpoint or dependency of `app` FastAPI would run on a worker thread."""
    found: set[str] = set()
    for route in app.routes:
        stack = [getattr(route, "dependant", None)]
        while stack:
            dependant = stack.pop()
            if dependant is None:
                continue
            stack.extend(dependant.dependencies)
            if dependant.call is not None and not on_the_event_loop(dependant.call):
                found.add(_where(dependant.call))
    return found


def session_offences(root: Path = ROOT) -> list[str]:
    return [
        f"{path.relative_to(root)}:{line}: {why}"
        for path in router_files(root)
        for line, why in offences(path.read_text(encoding="utf-8"))
    ]


def threaded_offences() -> list[str]:
    # The apps are built to be read, never served: the console's settings accept their
    # DEV-ONLY defaults only under PUEBLA_ENV=dev.
    os.environ.setdefault("PUEBLA_ENV", "dev")
    return sorted(
        f"{name}: {where}: plain `def`, run on a worker thread: make it `async def`"
        for name, module in APPS.items()
        for where in threaded_calls(importlib.import_module(module).create_app())
    )


def main(root: Path = ROOT) -> int:
    found, threaded = session_offences(root), threaded_offences()
    for line in [*found, *threaded]:
        print(line)
    if found or threaded:
        print(
            f"{len(found)} place(s) where a router touches the database directly,"
            f" {len(threaded)} endpoint(s) or dependencies run on a thread"
        )
        return 1
    print(
        f"routers: {len(router_files(root))} files, none holds a database session;"
        f" every endpoint and dependency of {len(APPS)} apps is async"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
