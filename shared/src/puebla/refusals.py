"""Refusals: why a use case said no, in one shape for every service, without HTTP.

A refusal is an exception with four attributes — `kind`, `rule`, `field`, `message` — and,
when a client needs more to act on it, `details` (a mapping of JSON-able values, e.g. the year
and the amount still available of a budget that ran out). Domains may not import `puebla`, so
each domain's own error base has these attributes by shape (`Refusal` is a Protocol); what the
service layer and the adapters raise themselves subclass `Refused`.

`kind` says how the API answers, and nothing else does (`puebla.problems.problem_for`):

| kind        | meaning                                                         | HTTP |
|-------------|-----------------------------------------------------------------|------|
| `invalid`   | the request itself breaks a rule (`field` names where)          | 422  |
| `conflict`  | fine in itself, but not in the record's state or against it     | 409  |
| `forbidden` | the caller sees the record but may not do this to it            | 403  |
| `not_found` | the caller may not know the record exists, or it does not       | 404  |

`rule` is a stable snake_case slug clients and tests match on; `message` says what to do next
and never repeats a person's data (it reaches logs and callers who may not see that person).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Literal, Protocol, runtime_checkable

Kind = Literal["invalid", "conflict", "forbidden", "not_found"]
KINDS: frozenset[str] = frozenset({"invalid", "conflict", "forbidden", "not_found"})


@runtime_checkable
class Refusal(Protocol):
    """What every refusal has, by shape (each domain's error base conforms)."""

    @property
    def kind(self) -> Kind: ...

    @property
    def rule(self) -> str: ...

    @property
    def field(self) -> str | None: ...

    @property
    def message(self) -> str: ...


def is_refusal(error: BaseException) -> bool:
    return isinstance(error, Refusal) and getattr(error, "kind", None) in KINDS


def details_of(error: object) -> Mapping[str, Any]:
    """The refusal's extra members for its answer; none unless it says so."""
    details = getattr(error, "details", None)
    return details if isinstance(details, Mapping) else {}


class Refused(Exception):
    """Base of the refusals the service layers, the adapters and `puebla` itself raise."""

    kind: ClassVar[Kind] = "invalid"
    default_rule: ClassVar[str] = "invalid"

    def __init__(self, message: str, *, rule: str | None = None, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.rule = rule or self.default_rule
        self.field = field


class NotVisible(Refused):
    """The caller may not know the record exists (or it does not): the same answer either way.

    `what` names the kind of record ("The manifest"); the answer says nothing more."""

    kind = "not_found"
    default_rule = "not_found"

    def __init__(self, what: str = "The resource") -> None:
        super().__init__(f"{what} was not found.")


class NotAllowed(Refused):
    """The caller sees the record but may not take this action on it."""

    kind = "forbidden"
    default_rule = "forbidden"


class InvalidValue(Refused):
    """A value of the request breaks a rule `puebla` checks (a cursor it did not issue)."""

    kind = "invalid"


CONCURRENT_CHANGE = "concurrent_change"


class ConcurrentChange(Refused):
    """Someone else changed the record between our read and our write (its version moved):
    nothing was written; read it again and retry. One rule for every service."""

    kind = "conflict"
    default_rule = CONCURRENT_CHANGE

    def __init__(self, what: str = "The record") -> None:
        super().__init__(f"{what} was changed by someone else meanwhile: read it again and retry.")


def ensure_visible(condition: bool, what: str = "The resource") -> None:
    """POLICY's first answer: `NotVisible` unless `condition` ('may the caller know this
    record exists')."""
    if not condition:
        raise NotVisible(what)


def ensure_allowed(condition: bool, message: str, *, rule: str = "forbidden") -> None:
    """POLICY's second answer, only after `ensure_visible`: `NotAllowed` unless `condition`."""
    if not condition:
        raise NotAllowed(message, rule=rule)
