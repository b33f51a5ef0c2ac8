"""Domain errors → RFC 9457 problems, by the error's `kind` (consular.domain.errors)."""

from __future__ import annotations

from consular.adapters.repository import ConcurrentUpdate
from consular.domain.errors import ConsularError
from puebla.problems import FieldError, Problem, conflict, forbidden, invalid, not_found


def problem_for(error: ConsularError, what: str = "The resource") -> Problem:
    if error.kind == "not_visible":
        return not_found(what)
    if error.kind == "forbidden":
        problem = forbidden(error.message)
        problem.extra["rule"] = error.rule
        return problem
    if error.kind == "conflict":
        return conflict(error.message, rule=error.rule)
    return invalid([FieldError(error.field or "body", error.rule, error.message)], error.message)


def concurrent_update(_: ConcurrentUpdate) -> Problem:
    return conflict(
        "The record was changed by someone else meanwhile; read it again and retry.",
        slug="concurrent-update",
    )
