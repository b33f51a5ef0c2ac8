"""Domain and service-layer refusals → RFC 9457 problems.

| refusal                               | answer                                          |
|---------------------------------------|-------------------------------------------------|
| `ManifestError`, kind `invalid`       | 422, `errors: [{field, rule, message}]`         |
| `ManifestError`, kind `conflict`      | 409 with `rule` (and `field`)                   |
| `ManifestError`, kind `not_found`     | 404 with `rule` and `field`                     |
| `UnknownManifest`                     | 404, the same answer as for an invisible one    |
| `StaleManifest`                       | 409 `concurrent_change`: read it again, retry   |
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from puebla.http.errors import problem_response
from puebla.problems import FieldError, Problem, conflict, invalid, not_found
from repatriation.adapters.repository import StaleManifest
from repatriation.domain.errors import ManifestError
from repatriation.service_layer.errors import UnknownManifest


def problem_for(error: Exception) -> Problem:
    if isinstance(error, UnknownManifest):
        return not_found("The manifest")
    if isinstance(error, StaleManifest):
        return conflict(
            "The manifest was changed at the same time: read it again and retry.",
            slug="concurrent-change",
            rule="concurrent_change",
        )
    if isinstance(error, ManifestError):
        extra: dict[str, Any] = {"rule": error.rule}
        if error.field:
            extra["field"] = error.field
        ids = getattr(error, "returnee_ids", None)
        if ids:
            extra["returnee_ids"] = [str(i) for i in ids]
        if error.kind == "invalid":
            return invalid([FieldError(error.field or "body", error.rule, error.message)])
        if error.kind == "not_found":
            return Problem(
                status=404, title="Not Found", detail=error.message, slug="not-found", extra=extra
            )
        return conflict(error.message, slug=error.rule.replace("_", "-"), **extra)
    raise TypeError(f"not a refusal: {error!r}")  # pragma: no cover


REFUSALS = (ManifestError, UnknownManifest, StaleManifest)


@contextmanager
def refusals_as_problems() -> Iterator[None]:
    """Inside a route: a refusal becomes the problem the idempotency layer stores and replays."""
    try:
        yield
    except REFUSALS as error:
        raise problem_for(error) from error


def install(app: FastAPI) -> None:
    """A safety net for routes that forget the context manager: never a 500 for a refusal."""

    async def on_refusal(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(problem_for(exc), request)

    for kind in REFUSALS:
        app.add_exception_handler(kind, on_refusal)
