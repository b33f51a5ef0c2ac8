"""Query, path and header parameters are guarded as bodies are (issue 13).

A body's text is refused when it holds NUL (`puebla.http.schemas.RequestModel`): PostgreSQL
text cannot store it, and a parameter carrying one reached the database and answered 500
(`?purpose=a%00b`). Here every query parameter (name and value) and path parameter of every
route, and every header value, is refused with a 422 naming it when it holds a control
character: NUL (rule `text_nul`, as in bodies) or another C0 character or DEL (rule
`control_character`; a header value may hold a tab, RFC 9110 5.5).

The check is a dependency appended to each route's own `dependencies`, so it runs after the
route's 404 and 403 checks (which every service declares there) and with the parameters'
other validation: the order 404 → 403 → 422 of POLICY.md holds for it too.
"""

from __future__ import annotations

from collections.abc import Iterable

from fastapi import APIRouter, Depends, Request
from fastapi.routing import APIRoute

from puebla.problems import FieldError, invalid

_CONTROL = frozenset(chr(c) for c in (*range(0x20), 0x7F))
_HEADER_CONTROL = _CONTROL - {"\t"}


def _refusal(field: str, value: str, controls: frozenset[str]) -> FieldError | None:
    if "\x00" in value:
        return FieldError(field, "text_nul", "text cannot contain the NUL character")
    if not controls.isdisjoint(value):
        return FieldError(field, "control_character", "text cannot contain control characters")
    return None


def parameter_refusals(request: Request) -> list[FieldError]:
    found: list[FieldError] = []

    def check(field: str, value: str, controls: frozenset[str] = _CONTROL) -> None:
        refused = _refusal(field, value, controls)
        if refused is not None:
            found.append(refused)

    for name, value in request.query_params.multi_items():
        check(name, name)
        check(name, value)
    for name, value in request.path_params.items():
        if isinstance(value, str):
            check(name, value)
    for raw_name, raw_value in request.headers.raw:
        name = raw_name.decode("latin-1").lower()
        check(name, raw_value.decode("latin-1"), _HEADER_CONTROL)
    return found


async def guard_parameters(request: Request) -> None:
    """422 naming every query, path or header parameter that holds a control character."""
    refused = parameter_refusals(request)
    if refused:
        raise invalid(refused)


GUARD = Depends(guard_parameters)


def guard_routes(routers: Iterable[APIRouter]) -> None:
    """Appends the guard to every route of `routers`, last of its own dependencies (once:
    routers are module-level objects that several apps may include)."""
    for router in routers:
        for route in router.routes:
            if isinstance(route, APIRoute) and not any(
                d.dependency is guard_parameters for d in route.dependencies
            ):
                route.dependencies.append(GUARD)
