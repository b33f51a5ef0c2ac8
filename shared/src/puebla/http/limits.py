"""Request bodies are bounded per route and counted while they are read (review finding 5).

`BodyLimitMiddleware` answers 413 problem+json before anything reads the body when the
declared `Content-Length` is over the route's limit, and otherwise counts the bytes as the
route reads them (a chunked body has no `Content-Length`; a lying one is not believed): the
read that passes the limit fails, so no more is read and nothing is parsed. It runs before
authentication; an unauthenticated request whose size is not declared is answered 401 by
`AuthenticateFirstMiddleware` without a byte of its body read (`puebla.http.authentication`).

Every route takes `DEFAULT_BODY_LIMIT` (or the app's default); a route that needs more says
so on its endpoint, in a router given to `create_service_app`:

    @router.post("")
    @body_limit(4 * MiB)
    async def create_manifest(...): ...
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from puebla.http.errors import problem_response
from puebla.problems import Problem

MiB = 1024 * 1024
DEFAULT_BODY_LIMIT = 1 * MiB

_LIMIT_ATTRIBUTE = "__puebla_body_limit__"

Endpoint = TypeVar("Endpoint", bound=Callable[..., Any])


def body_limit(max_bytes: int) -> Callable[[Endpoint], Endpoint]:
    """Marks an endpoint as taking bodies of up to `max_bytes` (instead of the default).

    Put it under the route decorator: the mark is on the endpoint function, which stays the
    same object when a router is included in the app (the route objects are copied)."""
    if max_bytes <= 0:
        raise ValueError("a body limit is a positive number of bytes")

    def mark(endpoint: Endpoint) -> Endpoint:
        setattr(endpoint, _LIMIT_ATTRIBUTE, max_bytes)
        return endpoint

    return mark


def too_large(limit: int) -> Problem:
    return Problem(
        status=413,
        title="Content Too Large",
        detail=f"The request body is larger than this route takes ({limit} bytes).",
        slug="body-too-large",
        extra={"limit_bytes": limit},
    )


class BodyTooLarge(StarletteHTTPException):
    """Raised by `receive` at the read that passes the limit.

    An HTTPException on purpose: FastAPI turns any other exception raised while it reads a
    body into a 400 "error parsing the body", but re-raises HTTPExceptions as they are, so
    this one reaches the problem handlers (and, failing that, the middleware) as the 413."""

    def __init__(self, limit: int) -> None:
        self.problem = too_large(limit)
        super().__init__(status_code=413, detail=self.problem.detail)


def _declared_length(scope: Scope) -> int | None:
    declared: int | None = None
    for name, value in scope.get("headers", ()):
        if name.lower() == b"content-length":
            try:
                length = int(value)
            except ValueError:
                continue  # malformed framing is the HTTP server's to refuse
            declared = length if declared is None else max(declared, length)
    return declared


def marked_routes(routes: Iterable[BaseRoute]) -> list[tuple[BaseRoute, int]]:
    """The routes whose endpoint is marked with `body_limit`, with their limit.

    Taken from the routers before they are included in the app: an app keeps included
    routers as opaque entries in its own route list (FastAPI 0.165), and a router's routes
    carry their full paths (prefix included), so they match a request's scope as they are."""
    found = []
    for route in routes:
        limit = getattr(getattr(route, "endpoint", None), _LIMIT_ATTRIBUTE, None)
        if isinstance(limit, int):
            found.append((route, limit))
    return found


class BodyLimitMiddleware:
    """Pure ASGI middleware: the route's body limit, checked on `Content-Length` and counted
    on every chunk actually received. `routes` are the routes with a limit of their own
    (`marked_routes`); every other request takes `default`."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        default: int = DEFAULT_BODY_LIMIT,
        routes: Sequence[tuple[BaseRoute, int]] = (),
    ) -> None:
        self.app = app
        self.default = default
        self.routes = list(routes)

    def limit_for(self, scope: Scope) -> int:
        for route, limit in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return limit
        return self.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = _declared_length(scope)
        if declared is not None and declared > limit:
            await problem_response(too_large(limit), Request(scope))(scope, receive, send)
            return

        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge as exc:
            # Read outside a route's problem handlers (a middleware, a background read).
            if started:
                raise
            await problem_response(exc.problem, Request(scope))(scope, receive, send)
