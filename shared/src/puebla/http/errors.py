"""Renders every error as RFC 9457 problem+json; validation errors name each field and rule."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import Scope

from puebla.db.availability import database_unavailable
from puebla.http.headers import API_CSP, SECURITY_HEADERS
from puebla.observability import get_logger
from puebla.problems import FieldError, Problem, invalid, not_found, problem_for
from puebla.refusals import Refused

log = get_logger(__name__)

PROBLEM_JSON = "application/problem+json"


def problem_response(problem: Problem, request: Request | None = None) -> JSONResponse:
    return JSONResponse(
        problem.body(instance=str(request.url.path) if request else None),
        status_code=problem.status,
        headers=problem.headers or None,
        media_type=PROBLEM_JSON,
    )


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """('body', 'returnees', 2, 'date_of_birth') -> 'returnees[2].date_of_birth'."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        where = parts.pop(0)
        if not parts:
            return str(where)
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith(("function-", "function_")):
            continue  # validator wrappers pydantic adds to the location
        else:
            out += ("." if out else "") + str(part)
    return out or "body"


def validation_problem(errors: list[dict[str, Any]]) -> Problem:
    field_errors = [
        # A body that is not JSON is the body's fault, not that of the position FastAPI
        # puts in its location ("[12]").
        FieldError(field="body", rule=JSON_INVALID, message=_not_json(e))
        if e.get("type") == JSON_INVALID
        else FieldError(
            field=field_path(e.get("loc", ())),
            rule=str(e.get("type", "invalid")),
            message=str(e.get("msg", "")),
        )
        for e in errors
    ]
    return invalid(field_errors)


JSON_INVALID = "json_invalid"
NOT_JSON = "the body is not JSON in UTF-8"
# What FastAPI answers (400, its own type) when reading the body fails other than by a JSON
# syntax error: bytes that are not UTF-8, nesting too deep for the parser.
_FASTAPI_BODY_ERROR = "There was an error parsing the body"


def _not_json(error: dict[str, Any]) -> str:
    reason = (error.get("ctx") or {}).get("error")
    position = (error.get("loc") or (None, None))[-1]
    if reason and isinstance(position, int):
        return f"{NOT_JSON}: {reason} at character {position}"
    return NOT_JSON


def body_not_json() -> Problem:
    return invalid([FieldError("body", JSON_INVALID, NOT_JSON)], "The body is not JSON.")


def method_not_allowed(allowed: Iterable[str]) -> Problem:
    methods = ", ".join(sorted(set(allowed)))
    return Problem(
        status=405,
        title="Method Not Allowed",
        detail=f"This path takes {methods}." if methods else "This path takes no method.",
        slug="method-not-allowed",
        headers={"Allow": methods},
    )


def allowed_methods(routes: Iterable[Any], scope: Scope) -> set[str]:
    """Every method some route serves on the request's path (Starlette's 405 names only the
    first route whose path matched, so a path with a GET and a POST route said one of them).
    Walks the routers FastAPI keeps included as entries of their own."""
    found: set[str] = set()
    for route in routes:
        included = getattr(route, "original_router", None)
        if included is not None:
            context = getattr(route, "include_context", None)
            prefix = str(getattr(context, "prefix", "") or "")
            path = str(scope.get("path", ""))
            if prefix and not path.startswith(prefix):
                continue
            inner = {**scope, "path": path[len(prefix) :]} if prefix else scope
            found |= allowed_methods(included.routes, inner)
            continue
        methods = getattr(route, "methods", None)
        matches = getattr(route, "matches", None)
        if not methods or matches is None:
            continue
        match, _ = matches({**scope, "type": "http"})
        if match in (Match.FULL, Match.PARTIAL):
            found |= {str(m).upper() for m in methods}
    return found


def refusals_of(app: Any) -> tuple[type[BaseException], ...]:
    """The exception classes the app answers as refusals (`install_problem_handlers`)."""
    found = getattr(app.state, "refusals", None)
    return found if isinstance(found, tuple) else (Refused,)


def install_problem_handlers(app: FastAPI, refusals: Iterable[type[BaseException]] = ()) -> None:
    """`refusals`: the service's own refusal bases (its domain's error base, by shape a
    `puebla.refusals.Refusal`); `puebla.refusals.Refused` is always one. Each is answered by
    `puebla.problems.problem_for`, in a route or anywhere under it."""
    app.state.refusals = (Refused, *refusals)

    async def on_refusal(request: Request, exc: Exception) -> JSONResponse:
        return problem_response(problem_for(exc), request)  # type: ignore[arg-type]

    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return problem_response(exc, request)

    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem_response(validation_problem(list(exc.errors())), request)

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        carried = getattr(exc, "problem", None)  # e.g. puebla.http.limits.BodyTooLarge
        if isinstance(carried, Problem):
            return problem_response(carried, request)
        if exc.status_code == 400 and exc.detail == _FASTAPI_BODY_ERROR:
            return problem_response(body_not_json(), request)
        if exc.status_code == 405:
            allowed = allowed_methods(request.app.router.routes, request.scope)
            if not allowed:  # not found through the routes: what Starlette said
                allowed = {m.strip() for m in (exc.headers or {}).get("Allow", "").split(",")}
            return problem_response(method_not_allowed(m for m in allowed if m), request)
        if exc.status_code == 404:
            problem = not_found()
            if exc.detail and exc.detail != "Not Found":
                problem.detail = str(exc.detail)
            return problem_response(problem, request)
        titles = {401: "Unauthorized"}
        problem = Problem(
            status=exc.status_code,
            title=titles.get(exc.status_code, "Error"),
            detail=str(exc.detail),
            headers=dict(exc.headers or {}),
        )
        return problem_response(problem, request)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Starlette answers these from its outermost middleware, outside the one that adds
        # the security headers to every other answer: they are added here.
        response = _unexpected(request, exc)
        response.headers.update({**SECURITY_HEADERS, "Content-Security-Policy": API_CSP})
        return response

    def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        if database_unavailable(exc):
            log.warning("http.backing_service_unavailable", path=request.url.path, error=repr(exc))
            return problem_response(unavailable(), request)
        # Never a traceback to the caller; the log has it, tied to the correlation id.
        log.exception("http.unhandled", path=request.url.path)
        problem = Problem(
            status=500,
            title="Internal Server Error",
            detail="An unexpected error occurred; it has been logged.",
        )
        return problem_response(problem, request)

    for refusal in app.state.refusals:
        app.add_exception_handler(refusal, on_refusal)
    app.add_exception_handler(Problem, on_problem)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)


RETRY_AFTER_SECONDS = 2


def unavailable() -> Problem:
    return Problem(
        status=503,
        title="Service Unavailable",
        detail="The database is unavailable for a moment; nothing was changed unless a retry"
        " with the same Idempotency-Key says so. Retry shortly.",
        slug="temporarily-unavailable",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "field": {"type": "string"},
                    "rule": {"type": "string"},
                    "message": {"type": "string"},
                },
                "required": ["field", "rule"],
            },
        },
    },
    "required": ["type", "title", "status"],
}


def problem_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting problem+json answers for the given codes."""
    descriptions = {
        401: "Missing or invalid bearer token",
        403: "Visible but not allowed",
        404: "Not found, or not visible to the caller",
        409: "Not allowed in the current state, or conflicting with what is recorded",
        422: "Invalid input: each field and the rule it broke",
    }
    return {
        code: {
            "description": descriptions.get(code, "Error"),
            "content": {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}},
        }
        for code in codes
    }
