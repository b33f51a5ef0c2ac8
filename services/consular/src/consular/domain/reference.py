"""Reference data the rules read: the mandatory-notification table and the clocks per host
country, bundled with the directory of posts. All rows are versioned on `[valid_from, valid_to)`
like the posts. The adapters load them from the database; the tests and the migration use
`consular.domain.seed`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from consular.domain.directory import Directory

DEFAULT_SEND_WITHIN = timedelta(hours=24)
DEFAULT_ACKNOWLEDGE_WITHIN = timedelta(hours=72)


def _valid(valid_from: date, valid_to: date | None, on: date) -> bool:
    return valid_from <= on and (valid_to is None or on < valid_to)


@dataclass(frozen=True)
class MandatoryNotification:
    """The host state notifies detentions of `nationality` whatever the person wishes (a
    bilateral arrangement or the host's own law), DOMAIN.md §4 "Detention"."""

    host_country: str
    nationality: str
    valid_from: date
    valid_to: date | None = None

    def valid_on(self, on: date) -> bool:
        return _valid(self.valid_from, self.valid_to, on)


@dataclass(frozen=True)
class NotificationClock:
    """ "Without delay" made a number, per host country (DOMAIN.md §4 "Timers", cfg).

    Both periods are elapsed time counted from the trigger, not wall-clock time: across a
    daylight-saving change the local due time moves by an hour. `time_zone` (IANA) is the host
    country's legal zone, used for the calendar date of routing and to show due times.
    """

    host_country: str
    time_zone: str
    valid_from: date
    valid_to: date | None = None
    send_within: timedelta = DEFAULT_SEND_WITHIN
    acknowledge_within: timedelta = DEFAULT_ACKNOWLEDGE_WITHIN

    def __post_init__(self) -> None:
        ZoneInfo(self.time_zone)  # fail at load time, not when the first notification arrives
        if self.send_within <= timedelta(0) or self.acknowledge_within < self.send_within:
            raise ValueError("send_within must be positive and not longer than acknowledge_within")

    def valid_on(self, on: date) -> bool:
        return _valid(self.valid_from, self.valid_to, on)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


def default_clock(host_country: str) -> NotificationClock:
    """Used when a host country has no clock configured: the documented defaults, shown in
    UTC because no zone is known for it."""
    return NotificationClock(host_country=host_country, time_zone="UTC", valid_from=date.min)


@dataclass(frozen=True)
class ReferenceData:
    directory: Directory
    mandatory: tuple[MandatoryNotification, ...] = ()
    clocks: tuple[NotificationClock, ...] = ()

    def is_mandatory(self, host_country: str, nationality: str, on: date) -> bool:
        return any(
            m.host_country == host_country and m.nationality == nationality and m.valid_on(on)
            for m in self.mandatory
        )

    def clock_for(self, host_country: str, on: date) -> NotificationClock:
        for clock in self.clocks:
            if clock.host_country == host_country and clock.valid_on(on):
                return clock
        return default_clock(host_country)

    def zone_of(self, host_country: str) -> ZoneInfo:
        """The host's zone to turn an instant into the host's calendar date. Zones do not change
        with the clock's versions in practice, so the current (or any) row is good enough."""
        for clock in self.clocks:
            if clock.host_country == host_country:
                return clock.zone
        return ZoneInfo("UTC")
