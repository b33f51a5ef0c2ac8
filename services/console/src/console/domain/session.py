"""A console session, and when it ends and its officer is warned.

The realm's SSO Session Idle and Max are the rules: a session unused for `idle` ends, and
none lives longer than `absolute` from sign-in, however busy. The warning comes `warning`
before the end, so an officer mid-form can stay.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from console.domain.officer import Officer


@dataclass(frozen=True)
class Tokens:
    access: str
    refresh: str
    id_token: str
    access_expires_at: datetime


@dataclass(frozen=True)
class Session:
    id_hash: bytes
    sid: str  # Keycloak's session: back-channel logout names it
    subject: str
    officer: Officer
    tokens: Tokens
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True)
class Lifetimes:
    idle: timedelta
    absolute: timedelta
    warning: timedelta
    # A touch within this of the last one is not written: one UPDATE per request would be
    # most of the console's writes, and half a minute's error in an idle end of 30 is nothing.
    touch_every: timedelta = timedelta(seconds=30)
    # The access token is renewed this long before it expires (a request takes time).
    renew_before: timedelta = timedelta(seconds=60)

    def ends_at(self, session: Session) -> datetime:
        return min(session.last_seen_at + self.idle, session.created_at + self.absolute)

    def ended(self, session: Session, now: datetime) -> bool:
        return now >= self.ends_at(session)

    def warn_at(self, session: Session) -> datetime:
        return self.ends_at(session) - self.warning

    def needs_touch(self, session: Session, now: datetime) -> bool:
        return now - session.last_seen_at >= self.touch_every

    def needs_renewal(self, tokens: Tokens, now: datetime) -> bool:
        return now >= tokens.access_expires_at - self.renew_before
