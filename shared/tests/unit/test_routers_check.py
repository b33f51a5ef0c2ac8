"""The routers check names every way a router could hold a database session, and the
repository's routers pass it."""

from __future__ import annotations

from puebla_dev.checks.routers import ROOT, main, offences, router_files


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
    assert main(ROOT) == 0
