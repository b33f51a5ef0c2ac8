"""The consular officer's pages in the browser: Guatemala's consul in Tapachula signs in through
Keycloak's page, finds the advance notice of a return in the inbox, acknowledges it and records
a visit; decides the nationalities of the manifest person by person and several at once; is
refused, in Spanish, an action on a detention whose person objected to consular contact. El
Salvador's consul in the same city sees none of it.

Data is set up through the APIs (inm.mx submits a manifest of six Guatemalans, each surname
unique to this run, and reports a detention); every assertion is about those records only.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest_asyncio
from playwright.async_api import Browser, expect

from e2e.console import look, signed_in
from e2e.journeys.land_return import RECEPTION_POINT, arrival_slot, person
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.waiting import wait_until

CONSUL = "consul.gt.tapachula"
OTHER_CONSUL = "consul.sv.tapachula"
WAIT_S = 60.0
REJECTION = "Salvadoreño: mostró su DUI en la entrevista"
DO_NOT_ACT_ES = (
    "La persona se opuso al contacto consular: el consulado no puede actuar sobre esta"
    " notificación."
)


@dataclass
class Setup:
    tag: str
    manifest_id: str
    reference: str
    notice: dict[str, Any]
    verifications: dict[str, dict[str, Any]]  # by given name
    detention: dict[str, Any]


class Api:
    def __init__(self, http: httpx.AsyncClient, tokens: KeycloakTokens, system: dict[str, str]):
        self.http, self.tokens, self.system = http, tokens, system

    async def call(
        self, who: str, method: str, service: str, path: str, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens.get(who)}"}
        if method != "GET":
            headers["Idempotency-Key"] = uuid.uuid4().hex
        return await self.http.request(
            method, f"{self.system[service]}{path}", headers=headers, **kwargs
        )

    async def get(self, who: str, service: str, path: str, **params: Any) -> Any:
        answer = await self.call(who, "GET", service, path, params=params)
        assert answer.status_code == 200, answer.text
        return answer.json()


GIVEN = ("Abelino", "Berta", "Cipriano", "Dominga", "Eusebio", "Filomena")


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def api(tokens: KeycloakTokens, system: dict[str, str]) -> AsyncIterator[Api]:
    # No kept-alive connections: the browser steps between two calls outlast the APIs'
    # keep-alive, and a request sent on a connection the server is closing is lost.
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=30.0, limits=limits) as http:
        yield Api(http, tokens, system)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def setup(api: Api) -> Setup:
    tag = uuid.uuid4().hex[:6]
    departure, arrival = arrival_slot()
    people = [
        person(
            given,
            f"Consul{tag} Pérez",
            "M" if i % 2 == 0 else "F",
            f"19{80 + i}-0{i + 1}-1{i}",
            "Quetzaltenango",
        )
        for i, given in enumerate(GIVEN)
    ]
    created = await api.call(
        "inm.mx",
        "POST",
        "repatriation",
        "/v1/manifests",
        json={
            "receiving_country": "GT",
            "reception_point": RECEPTION_POINT,
            "scheduled_departure": departure.isoformat(),
            "scheduled_arrival": arrival.isoformat(),
            "vehicle": {"plate": f"CON-{tag[:4].upper()}", "seats": 20},
            "returnees": people,
        },
    )
    assert created.status_code == 201, created.text
    manifest = created.json()
    submitted = await api.call(
        "inm.mx", "POST", "repatriation", f"/v1/manifests/{manifest['id']}/submit"
    )
    assert submitted.status_code == 200, submitted.text

    async def notice() -> list[Any]:
        listed = await api.get(CONSUL, "consular", "/v1/notifications", related_id=manifest["id"])
        return [n for n in listed["items"] if n["kind"] == "repatriation_notice"]

    (found, *_) = await wait_until(notice, timeout=WAIT_S, what="the advance notice")

    async def requests() -> list[Any]:
        listed = await api.get(
            CONSUL, "consular", "/v1/verifications", related_id=manifest["id"], status="pending"
        )
        items: list[Any] = listed["items"]
        return items if len(items) == len(GIVEN) else []

    pending = await wait_until(requests, timeout=WAIT_S, what="six verification requests")
    detained = await api.call(
        "inm.mx",
        "POST",
        "consular",
        "/v1/notifications",
        json={
            "kind": "detention",
            "person": {
                "given_names": "Rigoberto",
                "surnames": f"Objetor{tag}",
                "sex": "M",
                "date_of_birth": "1985-06-01",
                "nationality": "GT",
            },
            "place": {"country": "MX", "state": "Chiapas", "city": "Tapachula"},
            "occurred_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
            "protection_need": False,
            "person_requests_notification": True,
            "person_objects_to_consular_action": True,
        },
    )
    assert detained.status_code == 201, detained.text
    return Setup(
        tag=tag,
        manifest_id=manifest["id"],
        reference=manifest["reference"],
        notice=found,
        verifications={v["person"]["given_names"]: v for v in pending},
        detention=detained.json(),
    )


def next_minute(value: str, zone: ZoneInfo) -> datetime:
    local = datetime.fromisoformat(value).astimezone(zone)
    return local.replace(second=0, microsecond=0) + timedelta(minutes=1)


async def test_the_consul_acknowledges_the_notice_and_records_a_visit(
    chromium_browser: Browser, console_url: str, setup: Setup, api: Api
) -> None:
    notice = setup.notice
    async with signed_in(chromium_browser, console_url, CONSUL) as page:
        await page.click("nav.main-nav >> text=Notificaciones")
        await expect(page.locator("h1")).to_have_text("Notificaciones consulares")
        # By the notice's own reference: another test's event may name a manifest reference
        # this run's manifest also has (references are per database, tests share them).
        row = page.locator("table.inbox tr", has_text=notice["reference"])
        await expect(row).to_contain_text("Aviso previo de un retorno")
        await expect(row).to_contain_text("Pendiente")
        await look(page, "consular", "inbox")

        await row.get_by_role("link", name="Aviso previo de un retorno").click()
        await expect(page.locator("h1")).to_contain_text(notice["reference"])
        await expect(page.get_by_role("link", name=setup.reference)).to_have_attribute(
            "href", f"/manifests/{setup.manifest_id}"
        )
        await look(page, "consular", "notification")

        await page.get_by_role("button", name="Acusar recibo").click()
        await expect(page.get_by_role("status")).to_have_text("Se acusó recibo de la notificación.")
        read = await api.get(CONSUL, "consular", f"/v1/notifications/{notice['id']}")
        assert read["status"] == "acknowledged"
        assert read["acknowledged_by"] == CONSUL

        zone = ZoneInfo(read["time_zone"])
        at = next_minute(read["occurred_at"], zone)
        # No kind chosen: the API's refusal next to the choice, the notes kept.
        await page.fill("#notes", f"Visita en la estación {setup.tag}")
        await page.get_by_role("button", name="Registrar la actuación").click()
        await expect(page.locator("#kind-error")).to_have_text("Elija una de las opciones.")
        await expect(page.locator("#notes")).to_have_value(f"Visita en la estación {setup.tag}")
        # Not a date: refused at the field before anything is sent.
        await page.get_by_label("Visita").check()
        await page.fill("#at_date", "31/02/2026")
        await page.get_by_role("button", name="Registrar la actuación").click()
        await expect(page.locator("#at-error")).to_have_text("No es una fecha y hora válidas.")
        await expect(page.get_by_label("Visita")).to_be_checked()
        await page.fill("#at_date", at.strftime("%d/%m/%Y"))
        await page.fill("#at_time", at.strftime("%H:%M"))
        await page.fill("#notes", f"Visita en la estación {setup.tag}")
        await page.get_by_role("button", name="Registrar la actuación").click()
        await expect(page.get_by_role("status")).to_have_text("Se registró la actuación consular.")
        actions = page.locator("table.actions-list tbody tr")
        await expect(actions).to_have_count(1)
        await expect(actions.first).to_contain_text("Visita")
        await expect(actions.first).to_contain_text(f"Visita en la estación {setup.tag}")
        await expect(actions.first).to_contain_text(CONSUL)

    read = await api.get(CONSUL, "consular", f"/v1/notifications/{notice['id']}")
    (action,) = read["actions"]
    assert action["kind"] == "visit"
    assert datetime.fromisoformat(action["at"]) == at  # the local time typed, converted
    assert action["by"] == CONSUL


async def test_an_action_on_a_notice_whose_person_objected_is_refused_in_spanish(
    chromium_browser: Browser, console_url: str, setup: Setup, api: Api
) -> None:
    detention = setup.detention
    async with signed_in(chromium_browser, console_url, CONSUL) as page:
        await page.goto(f"{console_url}/notifications?status=pending")
        row = page.locator("table.inbox tr", has_text=f"Objetor{setup.tag}")
        await expect(row).to_contain_text("Se opuso al contacto consular")
        await row.get_by_role("link", name="Detención").click()
        await expect(page.locator(".do-not-act h2")).to_have_text(
            "La persona se opuso al contacto consular"
        )
        zone = ZoneInfo(detention["time_zone"])
        at = next_minute(detention["occurred_at"], zone)
        await page.get_by_label("Entrevista").check()
        await page.fill("#at_date", at.strftime("%d/%m/%Y"))
        await page.fill("#at_time", at.strftime("%H:%M"))
        await page.fill("#notes", "Intento de entrevista")
        await page.get_by_role("button", name="Registrar la actuación").click()
        await expect(page.locator(".record-action .errors")).to_contain_text(DO_NOT_ACT_ES)
        # The officer's values are kept.
        await expect(page.locator("#notes")).to_have_value("Intento de entrevista")
        await expect(page.get_by_label("Entrevista")).to_be_checked()
        await look(page, "consular", "notification-refused")
    read = await api.get(CONSUL, "consular", f"/v1/notifications/{detention['id']}")
    assert read["actions"] == []


async def test_the_consul_decides_person_by_person_and_several_at_once(
    chromium_browser: Browser, console_url: str, setup: Setup, api: Api
) -> None:
    v = setup.verifications
    async with signed_in(chromium_browser, console_url, CONSUL) as page:
        await page.click("nav.main-nav >> text=Verificaciones")
        group = page.locator("table.groups tr", has_text=setup.reference)
        await expect(group).to_contain_text(str(len(GIVEN)))
        await look(page, "consular", "queue")

        await group.get_by_role("link", name=setup.reference).click()
        await expect(page.locator("h1")).to_contain_text(setup.reference)
        await expect(page.locator("table.people tbody tr")).to_have_count(len(GIVEN))
        first = page.locator(f"#person-{v['Abelino']['id']}")
        await expect(first).to_contain_text("Quetzaltenango")
        await look(page, "consular", "manifest")

        # A rejection needs its reason: refused at the person, nothing recorded.
        await first.locator("summary").click()
        await first.get_by_role("button", name="Rechazar").click()
        first = page.locator(f"#person-{v['Abelino']['id']}")
        await expect(first.locator(".field-error")).to_have_text("Escriba el motivo del rechazo.")
        # One rejected, with its reason (the reason's box is open again, at that person).
        await first.get_by_label(re.compile("Motivo del rechazo")).fill(REJECTION)
        await first.get_by_role("button", name="Rechazar").click()
        await expect(page.get_by_role("status")).to_contain_text("Nacionalidad rechazada")
        await expect(page.locator(f"#person-{v['Abelino']['id']}")).to_contain_text(REJECTION)

        # Three confirmed at once.
        for given in ("Berta", "Cipriano", "Dominga"):
            await page.locator(f"#select-{v[given]['id']}").check()
        await page.get_by_role("button", name="Confirmar a las personas seleccionadas").click()
        outcome = page.locator(".outcomes")
        await expect(outcome).to_contain_text("Se registraron 3 confirmaciones")
        for given in ("Berta", "Cipriano", "Dominga"):
            await expect(page.locator(f"#person-{v[given]['id']}")).to_contain_text("Confirmada")
        await look(page, "consular", "manifest-decided")

    decided = {
        item["person"]["given_names"]: item
        for item in (
            await api.get(CONSUL, "consular", "/v1/verifications", related_id=setup.manifest_id)
        )["items"]
    }
    assert {g: decided[g]["status"] for g in GIVEN} == {
        "Abelino": "rejected",
        "Berta": "confirmed",
        "Cipriano": "confirmed",
        "Dominga": "confirmed",
        "Eusebio": "pending",
        "Filomena": "pending",
    }
    assert decided["Abelino"]["reason"] == REJECTION


async def test_a_partial_failure_shows_what_was_recorded_and_what_was_not(
    chromium_browser: Browser, console_url: str, setup: Setup, api: Api
) -> None:
    v = setup.verifications
    async with signed_in(chromium_browser, console_url, CONSUL) as page:
        await page.goto(f"{console_url}/verifications/manifest/{setup.manifest_id}")
        # The two still to decide, ticked with the page's one button.
        await page.get_by_role("button", name="Marcar a todas las personas por decidir").click()
        for given in ("Eusebio", "Filomena"):
            await expect(page.locator(f"#select-{v[given]['id']}")).to_be_checked()
        # Meanwhile someone else rejects Filomena.
        rejected = await api.call(
            CONSUL,
            "POST",
            "consular",
            f"/v1/verifications/{v['Filomena']['id']}/decision",
            json={"decision": "rejected", "reason": "Hondureña"},
        )
        assert rejected.status_code == 200, rejected.text
        await page.get_by_role("button", name="Confirmar a las personas seleccionadas").click()
        outcome = page.locator(".outcomes")
        await expect(outcome).to_contain_text("Se registró 1 confirmación")
        await expect(outcome.locator("li", has_text="Eusebio")).to_be_visible()
        await expect(outcome.locator("li", has_text="Filomena")).to_contain_text(
            "Ya se registró otra decisión para esta persona."
        )
    statuses = {
        item["person"]["given_names"]: item["status"]
        for item in (
            await api.get(CONSUL, "consular", "/v1/verifications", related_id=setup.manifest_id)
        )["items"]
    }
    assert statuses["Eusebio"] == "confirmed"
    assert statuses["Filomena"] == "rejected"


async def test_el_salvadors_consul_sees_none_of_it(
    chromium_browser: Browser, console_url: str, setup: Setup
) -> None:
    async with signed_in(chromium_browser, console_url, OTHER_CONSUL) as page:
        await page.goto(f"{console_url}/notifications?status=all")
        await expect(page.locator("h1")).to_have_text("Notificaciones consulares")
        await expect(page.locator("main")).not_to_contain_text(setup.reference)
        await expect(page.locator("main")).not_to_contain_text(f"Objetor{setup.tag}")
        await page.goto(f"{console_url}/verifications")
        await expect(page.locator("h1")).to_have_text("Nacionalidades por verificar")
        await expect(page.locator("main")).not_to_contain_text(setup.reference)
        for path in (
            f"/notifications/{setup.notice['id']}",
            f"/notifications/{setup.detention['id']}",
            f"/verifications/manifest/{setup.manifest_id}",
        ):
            answer = await page.goto(f"{console_url}{path}")
            assert answer is not None
            assert answer.status == 404
            await expect(page.locator("h1")).to_have_text("No encontrado")
