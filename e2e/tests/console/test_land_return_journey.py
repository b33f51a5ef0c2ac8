"""The land return from the station to the border, in the browser only, across the three roles.

inm.mx builds a manifest (the CSV template downloaded from the console, filled and imported)
and submits it; Guatemala's consul in Tapachula rejects one nationality and confirms the rest
at once; inm.mx takes the rejected man off and dispatches the bus; Tecún Umán's border officer
receives everyone but one man who is not presented; both sides download the hand-over record's
PDF and find the same digest in it; El Salvador's consul finds nothing of it anywhere.

Nothing is set up through the APIs: they are read only to check what the pages did.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pypdf
from playwright.async_api import Browser, Page, expect

from e2e.console import signed_in
from e2e.journeys.land_return import GUATEMALA, RECEPTION_POINT, arrival_slot
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.waiting import wait_until

TAPACHULA = ZoneInfo("America/Mexico_City")
EVENTS_S = 60.0  # the consulate's requests and decisions travel by the bus


class Reader:
    """The APIs as one demo user reads them: only to check what the pages did."""

    def __init__(self, http: httpx.AsyncClient, tokens: KeycloakTokens, system: dict[str, str]):
        self.http, self.tokens, self.system = http, tokens, system

    async def get(self, user: str, service: str, path: str, **params: Any) -> Any:
        answer = await self.http.get(
            f"{self.system[service]}{path}",
            params=params,
            headers={"Authorization": f"Bearer {self.tokens.get(user)}"},
        )
        assert answer.status_code == 200, answer.text
        return answer.json()


def filled_template(template: bytes, people: list[dict[str, str]]) -> bytes:
    """The console's own CSV template, its example row replaced by `people` (by heading)."""
    text = template.decode("utf-8-sig")
    headings, _example = list(csv.reader(io.StringIO(text), delimiter=";"))
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(headings)
    for person in people:
        writer.writerow([person.get(h, "no" if h in YES_NO else "") for h in headings])
    return out.getvalue().encode("utf-8-sig")


YES_NO = {
    "Embarazada",
    "Discapacidad",
    "Enfermedad o lesión",
    "Indicio de trata",
    "Necesidad de protección",
    "Edad en disputa",
}


def people(tag: str) -> list[dict[str, str]]:
    def one(
        given: str, surnames: str, sex: str, born: str, origin: str, **more: str
    ) -> dict[str, str]:
        return {
            "Nombres": given,
            "Apellidos": f"{surnames} {tag}",
            "Sexo": sex,
            "Fecha de nacimiento": born,
            "Nacionalidad": "GT",
            "Lugar de origen": origin,
            **more,
        }

    family = f"F-{tag}"
    return [
        one("Rosa", "Tzoc Ajú", "F", "14/07/1991", "Quiché", **{"Grupo familiar": family}),
        one("Marta", "Tzoc Ajú", "F", "02/03/2015", "Quiché", **{"Grupo familiar": family}),
        one("Tomás", "Batz Quiché", "M", "06/05/1950", "Totonicapán"),
        one("Lucía", "Ajpop", "F", "12/11/1997", "Chimaltenango", Embarazada="sí"),
        one("Wilfredo", "Hernández Rivas", "M", "21/08/1989", "Jutiapa"),
        one("Ervin", "Coyoy Tax", "M", "17/02/1993", "Quetzaltenango"),
    ]


async def pdf_digest_text(page: Page, link: str) -> str:
    async with page.expect_download() as download_info:
        await page.get_by_role("link", name=link).click()
    download = await download_info.value
    content = (await download.path()).read_bytes()
    assert content.startswith(b"%PDF")
    text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages)
    return text.replace("\n", "").replace(" ", "")


async def test_a_land_return_from_the_station_to_the_border_in_the_browser(
    chromium_browser: Browser,
    console_url: str,
    system: dict[str, str],
    tokens: KeycloakTokens,
    http: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    reader = Reader(http, tokens, system)
    tag = uuid.uuid4().hex[:6]
    plate = f"J{tag[:5].upper()}"
    departure, arrival = arrival_slot()

    # 1. inm.mx builds the manifest: the form, then the people from the console's CSV template.
    async with signed_in(chromium_browser, console_url, "inm.mx") as page:
        await page.get_by_role("link", name="Nuevo manifiesto").first.click()
        await page.select_option("#receiving_country", "GT")
        await page.select_option("#reception_point", RECEPTION_POINT)
        await page.fill("#plate", plate)
        await page.fill("#seats", "40")
        await page.fill(
            "#departure",
            departure.astimezone(TAPACHULA).strftime("%Y-%m-%dT%H:%M"),
        )
        await page.fill("#arrival", arrival.astimezone(GUATEMALA).strftime("%Y-%m-%dT%H:%M"))
        await page.get_by_role("button", name="Crear el manifiesto en borrador").click()
        await expect(page.get_by_role("status")).to_contain_text("borrador")
        manifest_id = page.url.rstrip("/").rsplit("/", 1)[-1].split("?")[0]

        template = await page.request.get(f"{console_url}/manifests/import-template.csv")
        assert template.ok
        csv_file = tmp_path / "personas.csv"
        csv_file.write_bytes(filled_template(await template.body(), people(tag)))
        await page.set_input_files("#file", str(csv_file))
        await page.get_by_role("button", name="Revisar el archivo").click()
        await expect(page.locator("table.preview tr.ok")).to_have_count(6)
        await expect(page.locator("table.preview tr.bad")).to_have_count(0)
        await page.get_by_role("button", name=re.compile("Agregar a las 6 personas")).click()
        await expect(page.get_by_role("status")).to_contain_text("Se agregaron 6 personas")
        await page.get_by_role("link", name="Ver el manifiesto").click()
        await page.get_by_role("button", name="Enviar el manifiesto").click()
        await expect(page.locator(".status.big")).to_have_text("Enviado")

    manifest = await reader.get("inm.mx", "repatriation", f"/v1/manifests/{manifest_id}")
    reference = manifest["reference"]
    ids = {r["given_names"]: r["id"] for r in manifest["returnees"]}
    assert set(ids) == {"Rosa", "Marta", "Tomás", "Lucía", "Wilfredo", "Ervin"}

    # 2. Guatemala's consul: one nationality rejected, the five others confirmed at once. The
    #    six requests reach the consulate by the bus, one by one: the queue is opened once all
    #    six are there.
    async def six_requests() -> bool:
        listed = await reader.get(
            "consul.gt.tapachula", "consular", "/v1/verifications", related_id=manifest_id
        )
        return len(listed["items"]) == 6

    await wait_until(six_requests, timeout=EVENTS_S, what="the six verification requests")
    async with signed_in(chromium_browser, console_url, "consul.gt.tapachula") as page:
        await page.get_by_role("link", name="Verificaciones").first.click()
        group = page.locator("table.groups tr", has_text=reference)
        await group.get_by_role("link", name=reference).click()
        await expect(page.locator("table.people tbody tr")).to_have_count(6)
        verifications = {
            v["person"]["given_names"]: v["id"]
            for v in (
                await reader.get(
                    "consul.gt.tapachula", "consular", "/v1/verifications", related_id=manifest_id
                )
            )["items"]
        }
        wilfredo = page.locator(f"#person-{verifications['Wilfredo']}")
        await wilfredo.locator("summary").click()
        await wilfredo.get_by_label(re.compile("Motivo del rechazo")).fill("Es salvadoreño")
        await wilfredo.get_by_role("button", name="Rechazar").click()
        await expect(page.get_by_role("status")).to_contain_text("Nacionalidad rechazada")
        for given in ("Rosa", "Marta", "Tomás", "Lucía", "Ervin"):
            await page.locator(f"#select-{verifications[given]}").check()
        await page.get_by_role("button", name="Confirmar a las personas seleccionadas").click()
        await expect(page.locator(".outcomes")).to_contain_text("Se registraron 5 confirmaciones")

    # 3. inm.mx sees the decisions, takes Wilfredo off and dispatches the bus. The six
    #    decisions reach repatriation by the bus, one by one: the page is opened once they all
    #    have (a page with one still pending rightly keeps "dispatch" disabled).
    async def all_decided() -> bool:
        read = await reader.get("inm.mx", "repatriation", f"/v1/manifests/{manifest_id}")
        return all(r["nationality_status"] != "pending" for r in read["returnees"])

    await wait_until(all_decided, timeout=EVENTS_S, what="the six decisions in repatriation")
    async with signed_in(chromium_browser, console_url, "inm.mx") as page:
        await page.goto(f"{console_url}/manifests/{manifest_id}")
        await expect(page.locator("table.people")).to_contain_text("Nacionalidad rechazada")
        await expect(page.locator("table.people")).not_to_contain_text("En espera del consulado")
        await expect(page.locator("table.people")).to_contain_text("Es salvadoreño")
        remove = page.locator(f"form[action$='/people/{ids['Wilfredo']}/remove']")
        await page.locator(
            f"details:has(form[action$='/people/{ids['Wilfredo']}/remove']) > summary"
        ).click()
        await remove.locator("textarea[name=reason]").fill(
            "Nacionalidad rechazada por el consulado"
        )
        await remove.get_by_role("button", name="Bajar a esta persona").click()
        await expect(page.get_by_role("status")).to_be_visible()
        await page.get_by_role("button", name="El autobús sale ahora").click()
        await expect(page.locator(".status.big")).to_have_text("Despachado")

    # 4. Tecún Umán: the bus among today's and next days' arrivals; all received but Ervin.
    async with signed_in(chromium_browser, console_url, "border.gt.tecun") as page:
        await page.get_by_role("link", name="Llegadas").first.click()
        bus = page.locator("article, li, tr", has_text=plate).first
        await expect(bus).to_be_visible()
        await bus.get_by_role("link", name="Recibir este bus").click()
        await expect(page.locator(f"#person-{ids['Wilfredo']}")).to_have_count(0)
        await page.get_by_role("link", name="Todos recibidos excepto…").click()
        await page.locator(f"input[name='outcome-{ids['Ervin']}'][value='not_presented']").check()
        await page.get_by_role("button", name="Registrar: todos recibidos excepto").click()
        await expect(page.locator(".success")).to_be_visible()
        await page.goto(f"{console_url}/manifests/{manifest_id}/record")
        receiving_digest = (await page.locator("#digest").inner_text()).strip()
        receiving_pdf = await pdf_digest_text(page, "Descargar el PDF")

    record = await reader.get(
        "inm.mx", "repatriation", f"/v1/manifests/{manifest_id}/handover-record"
    )
    outcomes = {e["given_names"]: e["outcome"] for e in record["entries"]}
    assert outcomes == {
        "Rosa": "received",
        "Marta": "received",
        "Tomás": "received",
        "Lucía": "received",
        "Ervin": "not_presented",
    }
    assert receiving_digest == record["digest"]
    assert record["digest"] in receiving_pdf

    # 5. The sending side downloads the same record: the same digest.
    async with signed_in(chromium_browser, console_url, "inm.mx") as page:
        await page.goto(f"{console_url}/manifests/{manifest_id}")
        await page.locator(f"a[href='/manifests/{manifest_id}/record']").first.click()
        assert (await page.locator("#digest").inner_text()).strip() == receiving_digest
        assert receiving_digest in await pdf_digest_text(page, "Descargar el PDF")

    # 6. El Salvador's consul finds nothing of it: not in the inbox, not in the queue, and every
    #    address of it is "not found", exactly like an address that does not exist.
    notices = (
        await reader.get(
            "consul.gt.tapachula", "consular", "/v1/notifications", related_id=manifest_id
        )
    )["items"]
    assert notices, "Guatemala's consulate was notified"
    async with signed_in(chromium_browser, console_url, "consul.sv.tapachula") as page:
        for url in (
            f"{console_url}/notifications?status=all",
            f"{console_url}/verifications",
            f"{console_url}/",
        ):
            await page.goto(url)
            body = await page.inner_text("main")
            for trace in (reference, plate, tag):
                assert trace not in body, url
        for url in (
            f"{console_url}/manifests/{manifest_id}",
            f"{console_url}/manifests/{manifest_id}/record",
            f"{console_url}/manifests/{manifest_id}/handover",
            f"{console_url}/verifications/manifest/{manifest_id}",
            *(f"{console_url}/notifications/{n['id']}" for n in notices),
        ):
            answer = await page.goto(url)
            assert answer is not None
            assert answer.status == 404, url
            await expect(page.locator("h1")).to_have_text("No encontrado")
        pdf = await page.request.get(f"{console_url}/manifests/{manifest_id}/record.pdf")
        assert pdf.status == 404
