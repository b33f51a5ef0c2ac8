"""`make demo`: the three journeys against the running stack, printed as timelines."""

from __future__ import annotations

import asyncio
import sys

import httpx

from e2e.journeys import child_case, land_return, reserve_fund_return
from puebla_dev.devstack import keycloak, stack
from puebla_dev.testing.keycloak import KeycloakTokens

JOURNEYS = (land_return, child_case, reserve_fund_return)


def stack_is_running(services: dict[str, str]) -> bool:
    try:
        ready = all(
            httpx.get(f"{url}/readyz", timeout=2.0).status_code == 200 for url in services.values()
        )
    except httpx.HTTPError:
        return False
    return ready and keycloak.is_running(keycloak.DEFAULT_BASE_URL)


async def run(services: dict[str, str]) -> int:
    tokens = KeycloakTokens(keycloak.DEFAULT_BASE_URL)
    failed = 0
    try:
        async with httpx.AsyncClient(timeout=30.0) as http:
            for journey in JOURNEYS:
                try:
                    result = await journey(http, tokens, services)
                except Exception as exc:  # the demo reports it and goes on
                    failed += 1
                    for note in getattr(exc, "__notes__", []):
                        print(note)
                    print(f"{journey.__name__} FAILED: {exc!r}\n")
                    continue
                print(result.timeline.render())
    finally:
        tokens.close()
    return 1 if failed else 0


def main() -> int:
    services = {s.name: s.url for s in stack.load_services()}
    if not stack_is_running(services):
        print("The stack is not running: start it with `make up`, then run `make demo` again.")
        return 1
    return asyncio.run(run(services))


if __name__ == "__main__":
    sys.exit(main())
