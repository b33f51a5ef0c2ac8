"""Domain and service-layer refusals → RFC 9457 problems (the only place that knows both).

`kind` decides the status: invalid 422 (with `errors: [{field, rule}]`), conflict 409, forbidden
403, not_found 404. 409 and 403 also carry `rule` (and `field` when there is one), so a client
can tell which gate of the Guidelines is not met. A 404 says nothing beyond "not found".
"""

from __future__ import annotations

from collections.abc import Mapping

from child_protection.domain.errors import CaseError
from puebla.problems import Problem, refusal


def problem_for(error: CaseError, fields: Mapping[str, str] | None = None) -> Problem:
    """`fields` renames the domain's field names to where they sit in this request's body."""
    field = error.field
    if field is not None and fields:
        field = fields.get(field, field)
    return refusal(
        error.kind,
        rule=error.rule,
        message=error.detail,
        field=field,
        what="The case",
        conflict_slug=error.rule.replace("_", "-"),
    )
