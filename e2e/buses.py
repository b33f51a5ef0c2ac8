"""A bus for the border tests, set up through the APIs: inm.mx creates and submits it,
Guatemala's consul in Tapachula confirms every nationality, inm.mx dispatches it to Tecún Umán.
Names carry a tag of their own, so that each test asserts only about its own bus."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

from e2e.journeys.land_return import RECEPTION_POINT, arrival_slot, person
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.waiting import wait_until

WAIT_S = 60.0


class Bus:
    def __init__(self, manifest: dict[str, Any]) -> None:
        self.manifest = manifest
        self.id: str = manifest["id"]
        self.plate: str = manifest["vehicle"]["plate"]
        self.people = {
            f"{r['given_names']} {r['surnames']}": str(r["id"]) for r in manifest["returnees"]
        }

    def name(self, given: str) -> str:
        (found,) = (n for n in self.people if n.startswith(given + " "))
        return found


def auth_headers(tokens: KeycloakTokens, username: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.get(username)}", **headers}


def guatemalan_bus(tag: str) -> list[dict[str, Any]]:
    """Seven Guatemalans: a family of three (a child), a man of 74, a pregnant woman, two
    people travelling alone."""
    family = f"Ajú-{tag}"
    people = [
        person("Edgar", f"Ramírez {tag}", "M", "1990-04-02", "Alta Verapaz"),
        person("Rosa", f"Tzoc Ajú {tag}", "F", "1991-07-14", "Quiché", family=family),
        person("Marta", f"Tzoc Ajú {tag}", "F", "2015-03-02", "Quiché", family=family),
        person("Tomás", f"Batz {tag}", "M", "1952-05-06", "Totonicapán"),
        person("Hilda", f"Sicán {tag}", "F", "1992-12-08", "Sololá"),
        person("Lucía", f"Ajpop {tag}", "F", "1997-11-12", "Chimaltenango", pregnant=True),
        person("Pedro", f"Tzoc Ajú {tag}", "M", "1989-10-09", "Quiché", family=family),
    ]
    people[0]["document"] = {"type": "passport", "number": f"G{tag.upper()}"}
    return people


async def dispatched_bus(
    http: httpx.AsyncClient,
    tokens: KeycloakTokens,
    system: dict[str, str],
    *,
    people: Callable[[str], list[dict[str, Any]]] = guatemalan_bus,
    receiving_country: str = "GT",
    reception_point: str = RECEPTION_POINT,
    consul: str = "consul.gt.tapachula",
) -> Bus:
    """A bus from Mexico, dispatched (every nationality confirmed by `consul`), of the people
    `people(tag)` makes: by default seven Guatemalans to Tecún Umán. Names carry a tag of
    this run's own."""
    repatriation, consular = system["repatriation"], system["consular"]
    tag = uuid.uuid4().hex[:6]
    departure, arrival = arrival_slot()
    passengers = people(tag)
    created = await http.post(
        f"{repatriation}/v1/manifests",
        headers=auth_headers(tokens, "inm.mx", **{"Idempotency-Key": uuid.uuid4().hex}),
        json={
            "receiving_country": receiving_country,
            "reception_point": reception_point,
            "scheduled_departure": departure.isoformat(),
            "scheduled_arrival": arrival.isoformat(),
            "vehicle": {"plate": f"C{tag[:5].upper()}", "seats": 40},
            "returnees": passengers,
        },
    )
    assert created.status_code == 201, created.text
    manifest_id = created.json()["id"]
    submitted = await http.post(
        f"{repatriation}/v1/manifests/{manifest_id}/submit",
        headers=auth_headers(tokens, "inm.mx", **{"Idempotency-Key": uuid.uuid4().hex}),
        json={},
    )
    assert submitted.status_code == 200, submitted.text

    async def pending() -> list[dict[str, Any]]:
        listed = await http.get(
            f"{consular}/v1/verifications",
            params={"status": "pending", "related_id": manifest_id},
            headers=auth_headers(tokens, consul),
        )
        items: list[dict[str, Any]] = listed.json()["items"]
        return items if len(items) >= len(passengers) else []

    for request in await wait_until(pending, timeout=WAIT_S, what="the verification requests"):
        decided = await http.post(
            f"{consular}/v1/verifications/{request['id']}/decision",
            headers=auth_headers(tokens, consul, **{"Idempotency-Key": uuid.uuid4().hex}),
            json={"decision": "confirmed"},
        )
        assert decided.status_code == 200, decided.text

    async def confirmed() -> bool:
        read = await http.get(
            f"{repatriation}/v1/manifests/{manifest_id}", headers=auth_headers(tokens, "inm.mx")
        )
        return all(r["nationality_status"] == "confirmed" for r in read.json()["returnees"])

    await wait_until(confirmed, timeout=WAIT_S, what="the confirmations in repatriation")
    dispatched = await http.post(
        f"{repatriation}/v1/manifests/{manifest_id}/dispatch",
        headers=auth_headers(tokens, "inm.mx", **{"Idempotency-Key": uuid.uuid4().hex}),
        json={},
    )
    assert dispatched.status_code == 200, dispatched.text
    return Bus(dispatched.json())


async def record_of(
    http: httpx.AsyncClient, tokens: KeycloakTokens, system: dict[str, str], bus: Bus
) -> dict[str, Any]:
    answer = await http.get(
        f"{system['repatriation']}/v1/manifests/{bus.id}/handover-record",
        headers=auth_headers(tokens, "inm.mx"),
    )
    assert answer.status_code == 200, answer.text
    record: dict[str, Any] = answer.json()
    return record
