"""Request-scoped log context and the `X-Correlation-Id` header.

structlog's contextvars are copied into asyncio tasks when the task is created; whatever
binds per request or per message must undo it afterwards (the middleware below does, and
the NATS consumer does for each message).
"""

from __future__ import annotations

import contextvars
import re
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import structlog
from opentelemetry import trace
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CORRELATION_HEADER = "X-Correlation-Id"
CORRELATION_KEY = "correlation_id"

# An incoming id is echoed into logs and headers: accept only short, plain tokens.
_VALID_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}")


def bind_request_context(**values: Any) -> Mapping[str, contextvars.Token[Any]]:
    """Binds fields into every log line of this context; returns tokens for `reset`."""
    return structlog.contextvars.bind_contextvars(**values)


def reset_request_context(tokens: Mapping[str, contextvars.Token[Any]]) -> None:
    """Restores what `bind_request_context` changed (other keys are left alone)."""
    structlog.contextvars.reset_contextvars(**tokens)


@contextmanager
def bound_context(**values: Any) -> Iterator[None]:
    """`with bound_context(event_id=...):` binds for the block, then restores."""
    with structlog.contextvars.bound_contextvars(**values):
        yield


def clear_context() -> None:
    """Unbinds everything bound in this context."""
    structlog.contextvars.clear_contextvars()


def _incoming_id(scope: Scope, header: bytes) -> str | None:
    for name, value in scope.get("headers", ()):
        if name.lower() == header:
            candidate = value.decode("latin-1").strip()
            return candidate if _VALID_ID.fullmatch(candidate) else None
    return None


class CorrelationIdMiddleware:
    """Pure ASGI middleware: one correlation id per request.

    Takes `X-Correlation-Id` from the request when it is a plain token of at most 128
    characters (otherwise makes a new uuid4), binds it as `correlation_id` in the log
    context, stores it in `request.state.correlation_id`, tags the current server span,
    echoes it in the response header, and unbinds it when the request ends.
    """

    def __init__(self, app: ASGIApp, *, header: str = CORRELATION_HEADER) -> None:
        self.app = app
        self.header = header
        self._header_key = header.lower().encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        correlation_id = _incoming_id(scope, self._header_key) or str(uuid.uuid4())
        scope.setdefault("state", {})[CORRELATION_KEY] = correlation_id
        span = trace.get_current_span()
        if span.is_recording():
            span.set_attribute("puebla.correlation_id", correlation_id)

        async def send_with_header(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[self.header] = correlation_id
            await send(message)

        tokens = structlog.contextvars.bind_contextvars(**{CORRELATION_KEY: correlation_id})
        try:
            await self.app(scope, receive, send_with_header)
        finally:
            structlog.contextvars.reset_contextvars(**tokens)
