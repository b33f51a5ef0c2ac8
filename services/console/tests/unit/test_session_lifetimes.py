"""When a console session ends and warns: the realm's idle (30 min) and absolute (10 h) ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from console.domain.officer import Officer
from console.domain.session import Lifetimes, Session, Tokens

T0 = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
LIFETIMES = Lifetimes(
    idle=timedelta(minutes=30), absolute=timedelta(hours=10), warning=timedelta(minutes=2)
)


def session(*, created: datetime = T0, seen: datetime = T0) -> Session:
    tokens = Tokens("a", "r", "i", access_expires_at=T0 + timedelta(minutes=15))
    return Session(b"h", "sid", "sub", Officer("u", "U"), tokens, "csrf", created, seen)


def test_a_session_unused_for_the_idle_time_ends_and_not_a_second_before() -> None:
    s = session(seen=T0 + timedelta(hours=1))
    assert not LIFETIMES.ended(s, T0 + timedelta(hours=1, minutes=29, seconds=59))
    assert LIFETIMES.ended(s, T0 + timedelta(hours=1, minutes=30))


def test_a_busy_session_still_ends_ten_hours_after_sign_in() -> None:
    s = session(seen=T0 + timedelta(hours=9, minutes=59))
    assert LIFETIMES.ends_at(s) == T0 + timedelta(hours=10)
    assert LIFETIMES.ended(s, T0 + timedelta(hours=10))


def test_the_warning_comes_two_minutes_before_whichever_end_is_first() -> None:
    assert LIFETIMES.warn_at(session(seen=T0)) == T0 + timedelta(minutes=28)
    late = session(seen=T0 + timedelta(hours=9, minutes=50))
    assert LIFETIMES.warn_at(late) == T0 + timedelta(hours=9, minutes=58)


def test_a_touch_is_written_at_most_every_thirty_seconds() -> None:
    s = session(seen=T0)
    assert not LIFETIMES.needs_touch(s, T0 + timedelta(seconds=29))
    assert LIFETIMES.needs_touch(s, T0 + timedelta(seconds=30))


def test_the_access_token_is_renewed_a_minute_before_it_expires() -> None:
    tokens = session().tokens
    assert not LIFETIMES.needs_renewal(tokens, T0 + timedelta(minutes=13, seconds=59))
    assert LIFETIMES.needs_renewal(tokens, T0 + timedelta(minutes=14))
