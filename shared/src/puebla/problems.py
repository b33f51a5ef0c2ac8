"""RFC 9457 problem details as exceptions.

Raised by the HTTP layer (and by `puebla.auth`) and rendered by the handlers that
`puebla.http.errors.install_problem_handlers` installs. Domain code and service layers never
import this module: they raise refusals (`puebla.refusals`), which `problem_for` maps, the same
way for every service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from puebla.refusals import Refusal, details_of

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


def problem_for(error: Refusal) -> Problem:
    """The one mapping from a refusal (`puebla.refusals`) to its answer, for every service.

    The problem `type` depends on the kind alone, so a client matches one URI per kind in
    every service; `rule` (and `field`) say which rule stopped it:

    - invalid → 422 `validation`, `errors: [{field, rule, message}]`;
    - conflict → 409 `conflict` and forbidden → 403 `forbidden`, each with `rule` and `field`;
    - not_found → 404 `not-found` whose detail is the refusal's message ("The case was not
      found."), exactly what a record that does not exist gets; `rule` and `field` only when
      the refusal names a field (a person the request names who is not on a visible manifest),
      never for a record that is not visible.

    A refusal's `details` (`puebla.refusals.details_of`) are added as members of the answer."""
    details = dict(details_of(error))
    if error.kind == "invalid":
        problem = invalid([FieldError(error.field or "body", error.rule, error.message)])
        problem.detail = error.message
    elif error.kind == "not_found":
        problem = not_found()
        problem.detail = error.message or problem.detail
        if error.field:
            problem.extra.update(rule=error.rule, field=error.field)
    elif error.kind == "forbidden":
        problem = forbidden(error.message)
        problem.extra.update(_rule_and_field(error))
    else:
        problem = conflict(error.message, **_rule_and_field(error))
    problem.extra.update(details)
    return problem


def _rule_and_field(error: Refusal) -> dict[str, Any]:
    return {"rule": error.rule, **({"field": error.field} if error.field else {})}
