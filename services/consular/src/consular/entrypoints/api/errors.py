"""Domain errors → RFC 9457 problems, by the error's `kind` (consular.domain.errors)."""

from __future__ import annotations

from consular.adapters.repository import ConcurrentUpdate
from consular.domain.errors import ConsularError
from puebla.problems import Problem, conflict, refusal


def problem_for(error: ConsularError, what: str = "The resource") -> Problem:
    # A conflict names no field: the consulate's conflicts are about the record's state.
    field = error.field if error.kind == "invalid" else None
    return refusal(error.kind, rule=error.rule, message=error.message, field=field, what=what)


def concurrent_update(_: ConcurrentUpdate) -> Problem:
    return conflict(
        "The record was changed by someone else meanwhile; read it again and retry.",
        slug="concurrent-update",
    )
