"""Rows of repatriation's `manifest` and `returnee` tables (adapters/orm.py), generated for COPY.

The values respect every CHECK of the migration (a hand-over outcome comes with its officer,
post and time; a refusal with its reason; nationality statuses and manifest statuses from the
lists), so the service reads them back as it reads its own.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from puebla.ids import new_id

MANIFEST_COLUMNS = [
    "id",
    "reference",
    "sending_country",
    "receiving_country",
    "reception_point",
    "reception_time_zone",
    "scheduled_departure",
    "scheduled_arrival",
    "vehicle_plate",
    "vehicle_seats",
    "status",
    "late_notice",
    "late_notice_reason",
    "cancellation_reason",
    "version",
    "created_by",
    "created_at",
    "submitted_at",
    "dispatched_at",
    "arrived_at",
    "closed_at",
    "cancelled_at",
]

RETURNEE_COLUMNS = [
    "id",
    "manifest_id",
    "position",
    "given_names",
    "surnames",
    "sex",
    "date_of_birth",
    "nationality",
    "place_of_origin",
    "document_type",
    "document_number",
    "family_group",
    "pregnant",
    "disability",
    "illness_or_injury",
    "trafficking_indicator",
    "age_disputed",
    "nationality_status",
    "nationality_rejection_reason",
    "nationality_decided_at",
    "handover_outcome",
    "handover_reason",
    "handover_officer",
    "handover_post",
    "handed_over_at",
    "handover_stored_at",
]

POINTS = {  # reception point → (country, IANA zone), as seeded by the migration
    "GT-TECUN-UMAN": ("GT", "America/Guatemala"),
    "GT-EL-CARMEN": ("GT", "America/Guatemala"),
    "GT-LA-MESILLA": ("GT", "America/Guatemala"),
    "SV-LAS-CHINAMAS": ("SV", "America/El_Salvador"),
    "SV-LA-HACHADURA": ("SV", "America/El_Salvador"),
    "HN-CORINTO": ("HN", "America/Tegucigalpa"),
    "HN-AGUA-CALIENTE": ("HN", "America/Tegucigalpa"),
    "NI-EL-GUASAULE": ("NI", "America/Managua"),
}

GIVEN = ["María José", "Rosa", "Marta", "Juan Carlos", "Pedro", "Ana Lucía", "Luis", "Sofía"]
SURNAMES = ["López Pérez", "Ixcot", "García", "Hernández", "Martínez", "Cux", "Ajú", "Reyes"]
PLACES = ["Quetzaltenango", "Huehuetenango", "San Marcos", "Choluteca", "San Miguel", "León"]


@dataclass(frozen=True)
class Manifest:
    id: uuid.UUID
    reception_point: str
    status: str
    created_at: datetime
    returnee_ids: list[uuid.UUID]


def manifest_record(
    m: Manifest, *, reference: str, rng: random.Random, seats: int | None = None
) -> tuple[Any, ...]:
    country, zone = POINTS[m.reception_point]
    created = m.created_at
    departure = created + timedelta(days=3)
    arrival = departure + timedelta(hours=8)
    stages = ["draft", "submitted", "dispatched", "arrived", "closed"]
    reached = stages.index(m.status) if m.status in stages else 1
    submitted = created + timedelta(hours=1) if reached >= 1 else None
    dispatched = departure if reached >= 2 else None
    arrived = arrival if reached >= 3 else None
    closed = arrival + timedelta(hours=2) if reached >= 4 else None
    cancelled = created + timedelta(days=1) if m.status == "cancelled" else None
    return (
        m.id,
        reference,
        "MX",
        country,
        m.reception_point,
        zone,
        departure,
        arrival,
        f"CHS-{rng.randint(1000, 9999)}",
        seats or max(len(m.returnee_ids), 1),
        m.status,
        False,
        None,
        "Bus out of service" if cancelled else None,
        1 + reached + (1 if cancelled else 0),
        "inm.mx",
        created,
        submitted,
        dispatched,
        arrived,
        closed,
        cancelled,
    )


def returnee_records(
    m: Manifest, *, rng: random.Random, handed_over: bool
) -> Iterator[tuple[Any, ...]]:
    country, _ = POINTS[m.reception_point]
    confirmed = m.status in ("dispatched", "arrived", "closed")
    decided = m.created_at + timedelta(hours=5) if confirmed else None
    at = m.created_at + timedelta(days=3, hours=8, minutes=30)
    for position, rid in enumerate(m.returnee_ids):
        born = date(1960 + rng.randrange(45), 1 + rng.randrange(12), 1 + rng.randrange(28))
        yield (
            rid,
            m.id,
            position,
            rng.choice(GIVEN),
            rng.choice(SURNAMES),
            rng.choice("FM"),
            born,
            country,
            rng.choice(PLACES),
            "passport" if position % 3 == 0 else None,
            f"P{rng.randrange(10**7):07d}" if position % 3 == 0 else None,
            None,
            position % 41 == 0,
            position % 53 == 0,
            False,
            False,
            False,
            "confirmed" if confirmed else "pending",
            None,
            decided,
            "received" if handed_over else None,
            None,
            "border.officer" if handed_over else None,
            m.reception_point if handed_over else None,
            at if handed_over else None,
            at if handed_over else None,  # stored when it happened: recorded online
        )


def dispatched_manifests(
    count: int, size: int, *, point: str, created_at: datetime
) -> list[Manifest]:
    """Manifests on their way to `point`: every returnee confirmed, none handed over yet."""
    return [
        Manifest(
            new_id(),
            point,
            "dispatched",
            created_at + timedelta(seconds=i),
            [new_id() for _ in range(size)],
        )
        for i in range(count)
    ]
