"""RFC 9457 problem details as exceptions.

Raised by the HTTP layer (and by `puebla.auth`) and rendered by the handlers that
`puebla.http.app.install_problem_handlers` installs. Domain code never imports this module:
services map their own domain errors onto these in `entrypoints/api/errors.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PROBLEM_BASE = "https://puebla.rcm/problems/"


@dataclass(frozen=True)
class FieldError:
    """One invalid field: `field` is a dotted path such as `returnees[2].date_of_birth`."""

    field: str
    rule: str
    message: str = ""

    def as_dict(self) -> dict[str, str]:
        out = {"field": self.field, "rule": self.rule}
        if self.message:
            out["message"] = self.message
        return out


@dataclass
class Problem(Exception):
    status: int
    title: str
    detail: str = ""
    slug: str = "about:blank"
    errors: list[FieldError] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.detail or self.title)

    @property
    def type(self) -> str:
        return self.slug if self.slug == "about:blank" else PROBLEM_BASE + self.slug

    def body(self, instance: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "type": self.type,
            "title": self.title,
            "status": self.status,
            "detail": self.detail or self.title,
        }
        if instance:
            body["instance"] = instance
        if self.errors:
            body["errors"] = [e.as_dict() for e in self.errors]
        body.update(self.extra)
        return body


def unauthorized(detail: str = "A valid bearer token is required.") -> Problem:
    return Problem(
        status=401,
        title="Unauthorized",
        detail=detail,
        slug="unauthorized",
        headers={"WWW-Authenticate": 'Bearer realm="rcm"'},
    )


def forbidden(detail: str) -> Problem:
    return Problem(status=403, title="Forbidden", detail=detail, slug="forbidden")


def not_found(what: str = "The resource") -> Problem:
    # Identical for "absent" and "not yours to see": the existence of a record never leaks.
    return Problem(status=404, title="Not Found", detail=f"{what} was not found.", slug="not-found")


def conflict(detail: str, slug: str = "conflict", **extra: Any) -> Problem:
    return Problem(status=409, title="Conflict", detail=detail, slug=slug, extra=extra)


def invalid(errors: list[FieldError], detail: str = "The request is invalid.") -> Problem:
    return Problem(
        status=422, title="Unprocessable Content", detail=detail, slug="validation", errors=errors
    )


def refusal(
    kind: str,
    *,
    rule: str,
    message: str,
    field: str | None = None,
    what: str = "The resource",
    conflict_slug: str = "conflict",
) -> Problem:
    """The one mapping from a domain refusal's `kind` to its answer, for every service.

    invalid → 422 naming the field and rule; conflict → 409 and forbidden → 403, both carrying
    `rule` (and `field`) so a client can tell which rule stopped it; not_found / not_visible →
    404 that says nothing more, exactly like a record that does not exist.
    """
    if kind in ("not_found", "not_visible"):
        return not_found(what)
    if kind == "invalid":
        return invalid([FieldError(field or "body", rule, message)], message)
    extra: dict[str, Any] = {"rule": rule, **({"field": field} if field else {})}
    if kind == "forbidden":
        problem = forbidden(message)
        problem.extra.update(extra)
        return problem
    return conflict(message, slug=conflict_slug, **extra)
