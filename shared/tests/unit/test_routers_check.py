"""The routers check names every way a router could hold a database session and every
endpoint or dependency FastAPI would run on a thread, and the repository's routers pass it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, FastAPI

from puebla_dev.checks.routers import ROOT, offences, router_files, session_offences, threaded_calls


def test_each_way_of_holding_a_session_is_named_with_its_line() -> None:
    source = "\n".join(
        [
            "from sqlalchemy import select",
            "async def route(runtime):",
            "    async with runtime.sessions() as s:",
            "        await s.session.execute(select(1))",
            "x: AsyncSession",
            "ok = service.uow(actor=caller)",
        ]
    )
    assert sorted(line for line, _ in offences(source)) == [1, 3, 4, 5]


def test_the_repository_routers_hold_no_session() -> None:
    assert len(router_files(ROOT)) > 5  # the glob finds the routers
    assert session_offences(ROOT) == []  # (`make lint` builds the apps for the other rule)


def settings() -> dict[str, str]:  # plain def: FastAPI sends it to a thread
    return {}


async def session(cfg: Annotated[dict[str, str], Depends(settings)]) -> AsyncIterator[int]:
    yield 1


class Checker:
    async def __call__(self) -> None:
        return None


def test_a_plain_def_endpoint_or_dependency_at_any_depth_is_named() -> None:
    app = FastAPI()

    @app.get("/a")
    async def a(s: Annotated[int, Depends(session)], _: Annotated[None, Depends(Checker())]) -> int:
        return s

    @app.get("/b")
    def b() -> int:
        return 2

    found = threaded_calls(app)
    assert {where.rsplit(" ", 1)[-1].rsplit(".", 1)[-1] for where in found} == {"settings", "b"}
