"""The country rule of POLICY.md: host and nationality only, never a third country."""

from __future__ import annotations

import pytest

from puebla.auth.policy import (
    ensure_allowed,
    ensure_visible,
    relation,
    sees_person,
    visible_to_nationality,
)
from puebla.auth.principal import Principal
from puebla.problems import Problem


def officer(country: str | None, role: str = "child_protection_officer") -> Principal:
    return Principal(
        subject=f"sub-{country}",
        username=f"user.{country}",
        roles=frozenset({role}),
        country=country,
        agency=None if country else "IOM",
    )


@pytest.mark.parametrize(
    ("country", "host", "nationality", "expected"),
    [
        ("MX", "MX", "GT", "host"),
        ("GT", "MX", "GT", "nationality"),
        ("HN", "MX", "GT", "none"),  # a third country
        (None, "MX", "GT", "none"),  # IOM / RCM-TS: no country side at all
        ("GT", "GT", "GT", "host"),  # a national in their own country: host wins
        ("MX", None, "GT", "none"),
        ("GT", None, "GT", "nationality"),
    ],
)
def test_relation(country: str | None, host: str | None, nationality: str, expected: str) -> None:
    assert relation(officer(country), host, nationality) == expected


@pytest.mark.parametrize(
    ("country", "blocked", "expected"),
    [
        ("MX", False, True),
        ("MX", True, True),  # the host country always sees its own case
        ("GT", False, True),
        ("GT", True, False),  # the protection exception: hidden from the nationality country
        ("HN", False, False),
        ("HN", True, False),
        (None, False, False),
    ],
)
def test_sees_person(country: str | None, blocked: bool, expected: bool) -> None:
    assert sees_person(officer(country), "MX", "GT", protection_blocked=blocked) is expected


def test_visible_to_nationality() -> None:
    assert visible_to_nationality(False) is True
    assert visible_to_nationality(True) is False


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
