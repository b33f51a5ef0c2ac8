"""Refusals and their answers: one problem `type` per kind in every service, POLICY's 404
before 403, and a 404 that says nothing a record that does not exist would not say."""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

from puebla.problems import problem_for
from puebla.refusals import (
    ConcurrentChange,
    Kind,
    NotAllowed,
    NotVisible,
    Refused,
    ensure_allowed,
    ensure_visible,
    is_refusal,
)


class DomainError(Exception):
    """A domain's own error base: it cannot import puebla, it conforms by shape."""

    kind: ClassVar[Kind] = "conflict"

    def __init__(self, message: str, rule: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message, self.rule, self.field = message, rule, field


class BudgetGone(DomainError):
    @property
    def details(self) -> dict[str, Any]:
        return {"year": 2026, "available": "10.00"}


def test_a_domain_error_of_the_right_shape_is_a_refusal_and_others_are_not() -> None:
    assert is_refusal(DomainError("no", "wrong_stage"))
    assert not is_refusal(ValueError("a bug"))

    class Odd(DomainError):
        kind = "teapot"  # type: ignore[assignment]  # a kind no refusal has

    assert not is_refusal(Odd("no", "x"))


def test_invalid_names_the_field_and_rule() -> None:
    body = problem_for(Refused("Use a date.", rule="date_invalid", field="items[2].at")).body()
    assert body == {
        "type": "https://puebla.rcm/problems/validation",
        "title": "Unprocessable Content",
        "status": 422,
        "detail": "Use a date.",
        "errors": [{"field": "items[2].at", "rule": "date_invalid", "message": "Use a date."}],
    }


def test_invalid_without_a_field_is_about_the_body() -> None:
    body = problem_for(Refused("Nothing to do.", rule="empty")).body()
    assert body["errors"] == [{"field": "body", "rule": "empty", "message": "Nothing to do."}]


def test_every_conflict_has_the_same_type_and_says_its_rule_and_details() -> None:
    body = problem_for(BudgetGone("No money left this year.", "budget_exhausted")).body()
    assert body == {
        "type": "https://puebla.rcm/problems/conflict",
        "title": "Conflict",
        "status": 409,
        "detail": "No money left this year.",
        "rule": "budget_exhausted",
        "year": 2026,
        "available": "10.00",
    }
    other = problem_for(DomainError("Submit it first.", "not_submitted", field="status")).body()
    assert other["type"] == "https://puebla.rcm/problems/conflict"
    assert (other["rule"], other["field"]) == ("not_submitted", "status")


def test_a_concurrent_change_is_one_conflict_rule_for_every_service() -> None:
    body = problem_for(ConcurrentChange("The manifest")).body()
    assert body == {
        "type": "https://puebla.rcm/problems/conflict",
        "title": "Conflict",
        "status": 409,
        "detail": "The manifest was changed by someone else meanwhile: read it again and retry.",
        "rule": "concurrent_change",
    }


def test_forbidden_is_403_with_its_rule() -> None:
    body = problem_for(NotAllowed("Only the host supervisor decides the BID.")).body()
    assert body == {
        "type": "https://puebla.rcm/problems/forbidden",
        "title": "Forbidden",
        "status": 403,
        "detail": "Only the host supervisor decides the BID.",
        "rule": "forbidden",
    }


def test_a_record_not_visible_is_a_bare_404() -> None:
    body = problem_for(NotVisible("The case")).body()
    assert body == {
        "type": "https://puebla.rcm/problems/not-found",
        "title": "Not Found",
        "status": 404,
        "detail": "The case was not found.",
    }


def test_a_named_thing_not_on_a_visible_record_says_which_field() -> None:
    class NotOnManifest(DomainError):
        kind: ClassVar[Kind] = "not_found"

    body = problem_for(NotOnManifest("No such person here.", "not_on_manifest", "items[0]")).body()
    assert body["status"] == 404
    assert (body["detail"], body["rule"], body["field"]) == (
        "No such person here.",
        "not_on_manifest",
        "items[0]",
    )


def test_ensure_visible_then_ensure_allowed() -> None:
    ensure_visible(True)
    ensure_allowed(True, "unused")
    with pytest.raises(NotVisible) as hidden:
        ensure_visible(False, "The case")
    assert str(hidden.value) == "The case was not found."
    with pytest.raises(NotAllowed) as refused:
        ensure_allowed(False, "Only a consul confirms.", rule="consul_only")
    assert (refused.value.message, refused.value.rule) == ("Only a consul confirms.", "consul_only")
