"""Integration tests on their own database (`repatriation_it`), the real NATS and a frozen clock.

A database apart from the API tests' one, so that the outbox relay these tests run publishes
only what these tests wrote. The clock stands at Saturday 2026-11-28 12:00 UTC; the default
manifest (MX → GT through GT-TECUN-UMAN) arrives Tuesday 2026-12-01 10:00 local (16:00 UTC).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import pytest_asyncio

from puebla.auth.principal import Principal
from puebla.clock import FrozenClock
from puebla.db.unit_of_work import Actor
from puebla.runtime import Runtime
from puebla_dev.testing.infra import Infra
from puebla_dev.testing.service import service_runtime
from repatriation.bootstrap import Repatriation
from repatriation.config import definition
from repatriation.domain import ReturneeData, Sex, Vehicle, Vulnerabilities
from repatriation.domain import commands as c
from repatriation.service_layer import handlers
from repatriation.service_layer.unit_of_work import ManifestUnitOfWork

REPO = Path(__file__).resolve().parents[4]
CONTRACTS = REPO / "contracts"
GUATEMALA = ZoneInfo("America/Guatemala")
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=ZoneInfo("UTC"))

INM_MX = Principal(
    subject="inm-mx", username="inm.mx", roles=frozenset({"immigration_officer"}), country="MX"
)
BORDER_TECUN = Principal(
    subject="border-gt-tecun",
    username="border.gt.tecun",
    roles=frozenset({"border_officer"}),
    country="GT",
    border_post="GT-TECUN-UMAN",
)


@pytest_asyncio.fixture(loop_scope="session", scope="session")
async def runtime(infra: Infra) -> AsyncIterator[Runtime]:
    rt = await service_runtime(infra, definition(), database="repatriation_it")
    yield rt
    await rt.close()


@pytest.fixture(scope="session")
def svc(runtime: Runtime) -> Repatriation:
    """The service object as the worker builds it, on the frozen clock."""
    return Repatriation(runtime, clock=FrozenClock(NOW))


def person(**overrides: Any) -> ReturneeData:
    values: dict[str, Any] = {
        "given_names": "Ana María",
        "surnames": "López Pérez",
        "sex": Sex.F,
        "date_of_birth": date(1990, 5, 17),
        "nationality": "GT",
        "place_of_origin": "Quetzaltenango",
        "vulnerabilities": Vulnerabilities(
            pregnant=False, disability=False, illness_or_injury=False, trafficking_indicator=False
        ),
        "protection_need": False,
    }
    values.update(overrides)
    return ReturneeData(**values)


class Flow:
    """Drives manifests through the handlers, as the API would; reachable from the tests (which
    cannot import this module) with the builders and contract files they need."""

    inm = INM_MX
    border = BORDER_TECUN
    person = staticmethod(person)

    def __init__(self, runtime: Runtime, svc: Repatriation) -> None:
        self.runtime = runtime
        self.svc = svc

    @staticmethod
    def schema(event_type: str) -> dict[str, Any]:
        """The checked-in schema of an event type's data, or of the envelope ("envelope")."""
        context = event_type.split(".", 1)[0]
        path = CONTRACTS / "events" / context / f"{event_type}.schema.json"
        if event_type == "envelope":
            path = CONTRACTS / "events" / "envelope.schema.json"
        return dict(json.loads(path.read_text()))

    @staticmethod
    def example(event_type: str) -> dict[str, Any]:
        context = event_type.split(".", 1)[0]
        path = CONTRACTS / "events" / context / f"{event_type}.example.json"
        return dict(json.loads(path.read_text()))

    def uow(self, actor: Actor = "test") -> ManifestUnitOfWork:
        """A unit of work acting for `actor` (the default: a test that only reads)."""
        return self.svc.uow(actor=actor)

    async def draft(self, people: list[ReturneeData] | None = None, seats: int = 50) -> uuid.UUID:
        return await handlers.create_manifest(
            c.CreateManifest(
                receiving_country="GT",
                reception_point="GT-TECUN-UMAN",
                scheduled_departure=datetime(2026, 12, 1, 2, 0, tzinfo=GUATEMALA),
                scheduled_arrival=datetime(2026, 12, 1, 10, 0, tzinfo=GUATEMALA),
                vehicle=Vehicle(plate="CHS-4521", seats=seats),
                returnees=tuple(people if people is not None else [person()]),
            ),
            self.uow(INM_MX),
        )

    async def submitted(self, people: list[ReturneeData] | None = None) -> uuid.UUID:
        manifest_id = await self.draft(people)
        await handlers.submit_manifest(c.SubmitManifest(manifest_id=manifest_id), self.uow(INM_MX))
        return manifest_id

    async def returnee_ids(self, manifest_id: uuid.UUID) -> list[uuid.UUID]:
        async with self.uow() as uow:
            manifest = await uow.manifests.get_for_update(manifest_id)
            assert manifest is not None
            return [r.id for r in manifest.returnees]


@pytest.fixture
def flow(runtime: Runtime, svc: Repatriation) -> Flow:
    return Flow(runtime, svc)
