"""A decision turned into POLICY.md's answers: 404 for what may not be seen, 403 for what may
not be done."""

from __future__ import annotations

import pytest

from puebla.auth.policy import ensure_allowed, ensure_visible
from puebla.problems import Problem


def test_ensure_visible_raises_404_that_does_not_leak() -> None:
    ensure_visible(True)
    with pytest.raises(Problem) as info:
        ensure_visible(False, "The case")
    assert info.value.status == 404
    assert info.value.detail == "The case was not found."


def test_ensure_allowed_raises_403_with_the_reason() -> None:
    ensure_allowed(True, "unused")
    with pytest.raises(Problem) as info:
        ensure_allowed(False, "Only the host supervisor decides the BID.")
    assert info.value.status == 403
    assert info.value.detail == "Only the host supervisor decides the BID."
