"""The bearer token is verified before anything reads the request's body (review finding 5).

FastAPI reads and parses the body of a route with a body parameter before it resolves the
route's dependencies, the bearer check among them: without this middleware an anonymous
caller's malformed body got a 422 and a large one was buffered and parsed before its 401.
Here every path but the public ones (health, and the docs when they are on) is authenticated
first with the app's own `Authenticator`, on a request that cannot read the body; the
principal is kept in the request state, where `puebla.http.deps.authenticated` takes it.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from puebla.auth.fastapi import Authenticator, bearer_scheme
from puebla.http.errors import problem_response
from puebla.problems import Problem


class AuthenticateFirstMiddleware:
    """Pure ASGI middleware: 401 problem+json for a missing or invalid token, before the
    route runs; the body is never received here."""

    def __init__(
        self, app: ASGIApp, *, authenticator: Authenticator, public_paths: Iterable[str]
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        self.public_paths = frozenset(public_paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in self.public_paths:
            await self.app(scope, receive, send)
            return
        request = Request(scope)  # no `receive`: nothing here can read the body
        try:
            credentials = await bearer_scheme(request)
            # Sets request.state.principal, which the route's dependencies reuse.
            await self.authenticator(request, credentials)
        except Problem as problem:
            await problem_response(problem, request)(scope, receive, send)
            return
        await self.app(scope, receive, send)
