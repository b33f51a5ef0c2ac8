"""Reading a refusal in tests: the (field, rule) pairs of a 422 problem+json."""

from __future__ import annotations

import httpx

__all__ = ["refused"]


def refused(answer: httpx.Response) -> set[tuple[str, str]]:
    """Asserts `answer` is the project's 422 validation problem; returns its (field, rule)s."""
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert problem["type"] == "https://puebla.rcm/problems/validation"
    return {(e["field"], e["rule"]) for e in problem["errors"]}
