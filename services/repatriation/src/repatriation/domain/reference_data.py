"""Reference data the rules are checked against: reception points, agreements, notice rules.

These values differ by country and change over time (the Memorandum has been renewed per party,
posts open and close), so they live in versioned tables seeded by migrations and editable
without a deploy. The adapters load the rows into these value objects and hand a
`ReferenceData` bundle to the manifest's methods; the domain never reads a table itself.

Versioning: reception points and agreements carry validity dates and the domain picks the row
in force on the manifest's *arrival date* (that is when the hand-over happens). Notice rules are
about the moment of submission, so the adapters pass the rules in force now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

# ISO weekday numbers, as `date.isoweekday()` returns them: 1 = Monday … 7 = Sunday.
MONDAY_TO_SATURDAY = frozenset({1, 2, 3, 4, 5, 6})

# DOMAIN.md §1: "A manifest must be submitted at least N hours before its scheduled arrival
# (default 24 h, per receiving country)". Used when a receiving country has no rule of its own.
DEFAULT_ADVANCE_NOTICE = timedelta(hours=24)

_WEEKDAY_NAMES = {1: "Mon", 2: "Tue", 3: "Wed", 4: "Thu", 5: "Fri", 6: "Sat", 7: "Sun"}


@dataclass(frozen=True, kw_only=True)
class ReceptionWindow:
    """When a reception point takes people over, in its own local time.

    `opens` and `closes` are local wall-clock times, both inclusive (an arrival at exactly
    17:00 is inside 08:00-17:00). Windows spanning midnight are not supported: no post works
    at night, and daylight hand-over is the point of the rule.
    """

    opens: time
    closes: time
    weekdays: frozenset[int]

    def __post_init__(self) -> None:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("window times are local wall-clock times: no tzinfo")
        if not self.opens < self.closes:
            raise ValueError("a reception window must open before it closes")
        if not self.weekdays or not self.weekdays <= frozenset(range(1, 8)):
            raise ValueError("weekdays are ISO numbers 1 (Monday) to 7 (Sunday)")

    def admits(self, local: datetime) -> bool:
        """Whether a moment, already converted to the post's time zone, is inside the window."""
        wall_clock = local.time()  # naive on purpose: compared with the local opening hours
        return local.isoweekday() in self.weekdays and self.opens <= wall_clock <= self.closes

    def describe(self) -> str:
        days = ",".join(_WEEKDAY_NAMES[d] for d in sorted(self.weekdays))
        return f"{self.opens:%H:%M}-{self.closes:%H:%M} {days}"


@dataclass(frozen=True, kw_only=True)
class ReceptionPoint:
    """An official reception point: where the receiving country's authority takes people over.

    `window` applies to every manifest; `vulnerable_window` (stricter) applies as soon as one
    returnee is vulnerable. `valid_to` is inclusive; None means open-ended.
    """

    code: str
    country: str
    name: str
    institution: str
    time_zone: str  # IANA name, e.g. "America/Guatemala"
    window: ReceptionWindow
    vulnerable_window: ReceptionWindow
    valid_from: date
    valid_to: date | None = None

    def __post_init__(self) -> None:
        ZoneInfo(self.time_zone)  # fail at load time on a typo, not at the first manifest
        if self.valid_to is not None and self.valid_to < self.valid_from:
            raise ValueError(f"{self.code}: valid_to before valid_from")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)  # ZoneInfo caches instances per key

    def local(self, moment: datetime) -> datetime:
        return moment.astimezone(self.zone)

    def in_service_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True, kw_only=True)
class Agreement:
    """One period of one party's adherence to the Memorandum (a party may have several)."""

    country: str
    valid_from: date
    valid_to: date | None = None  # inclusive; None: in force until further notice

    def in_force_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@dataclass(frozen=True, kw_only=True)
class NoticeRule:
    """How long before the scheduled arrival a manifest to this country must be submitted."""

    receiving_country: str
    lead_time: timedelta

    def __post_init__(self) -> None:
        if self.lead_time < timedelta(0):
            raise ValueError("a notice lead time cannot be negative")


@dataclass(frozen=True, kw_only=True)
class ReferenceData:
    """The bundle the handlers pass into the manifest's methods."""

    reception_points: tuple[ReceptionPoint, ...]
    agreements: tuple[Agreement, ...]
    notice_rules: tuple[NoticeRule, ...] = ()
    default_notice: timedelta = DEFAULT_ADVANCE_NOTICE

    def reception_point_versions(self, code: str) -> tuple[ReceptionPoint, ...]:
        return tuple(p for p in self.reception_points if p.code == code)

    def reception_point(self, code: str, arriving_at: datetime) -> ReceptionPoint | None:
        """The version of the point in service on the (local) date of `arriving_at`."""
        for point in self.reception_point_versions(code):
            if point.in_service_on(point.local(arriving_at).date()):
                return point
        return None

    def agreement_in_force(self, country: str, on: date) -> bool:
        return any(a.country == country and a.in_force_on(on) for a in self.agreements)

    def advance_notice(self, receiving_country: str) -> timedelta:
        for rule in self.notice_rules:
            if rule.receiving_country == receiving_country:
                return rule.lead_time
        return self.default_notice
