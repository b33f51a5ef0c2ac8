"""The request bodies every e2e run builds: a bus's schedule and a person on a manifest.

One place for what the faults run, the access matrix, the benchmarks and the e2e tests send,
so a change to the manifest contract is made once. Defaults are an adult woman from
Quetzaltenango on a bus to Tecún Umán; callers say what they need to differ."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

GUATEMALA = "America/Guatemala"


def arrival_slot(days: int = 3, time_zone: str = GUATEMALA) -> tuple[str, str]:
    """(departure, arrival) as ISO strings for a bus reaching the reception point at 10:00 local
    `days` from now, never on a Sunday: inside the Monday-to-Saturday 08:00-17:00 window and
    more than the 24 h advance notice away; eight hours on the road."""
    zone = ZoneInfo(time_zone)
    day = (datetime.now(UTC) + timedelta(days=days)).astimezone(zone).date()
    if day.weekday() == 6:
        day += timedelta(days=1)
    arrival = datetime(day.year, day.month, day.day, 10, 0, tzinfo=zone)
    return (arrival - timedelta(hours=8)).isoformat(), arrival.isoformat()


def returnee(
    given_names: str = "Rosa",
    surnames: str = "Tzoc Ajú",
    *,
    nationality: str = "GT",
    origin: str = "Quetzaltenango",
    born: str = "1991-07-14",
    family: str | None = None,
) -> dict[str, Any]:
    """A person on a manifest: no vulnerability, no protection need."""
    body: dict[str, Any] = {
        "given_names": given_names,
        "surnames": surnames,
        "sex": "F",
        "date_of_birth": born,
        "nationality": nationality,
        "place_of_origin": origin,
        "vulnerabilities": {
            "pregnant": False,
            "disability": False,
            "illness_or_injury": False,
            "trafficking_indicator": False,
        },
        "protection_need": False,
    }
    if family is not None:
        body["family_group"] = family
    return body


def manifest(
    returnees: list[dict[str, Any]], *, plate: str = "CHS-4521", days: int = 3
) -> dict[str, Any]:
    """A bus from Mexico to Tecún Umán, Guatemala, `days` from now, carrying `returnees`."""
    departure, arrival = arrival_slot(days=days)
    return {
        "receiving_country": "GT",
        "reception_point": "GT-TECUN-UMAN",
        "scheduled_departure": departure,
        "scheduled_arrival": arrival,
        "vehicle": {"plate": plate, "seats": 40},
        "returnees": returnees,
    }
