"""The immigration officer's pages in the console, in Chromium through Keycloak's real login
page: inm.mx builds a manifest (a refused first attempt, a CSV import with one bad row, one
person by hand, submit), imports an XLSX file, and narrows the list with its filters.

Every manifest carries this run's tag (plate, surnames): tests assert only about their own.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from openpyxl import Workbook
from playwright.async_api import Browser, Page, expect

from e2e.console import BLOCKING, SHOTS, axe_violations, look, signed_in, switch_language
from e2e.journeys.land_return import RECEPTION_POINT, arrival_slot, person
from puebla_dev.testing.keycloak import KeycloakTokens

IMMIGRATION = "inm.mx"
TAPACHULA = ZoneInfo("America/Mexico_City")
GUATEMALA = ZoneInfo("America/Guatemala")
HEADINGS = [
    "Nombres",
    "Apellidos",
    "Sexo",
    "Fecha de nacimiento",
    "Nacionalidad",
    "Lugar de origen",
    "Grupo familiar",
    "Tipo de documento",
    "Número de documento",
    "Embarazada",
    "Discapacidad",
    "Enfermedad o lesión",
    "Indicio de trata",
    "Edad en disputa",
    "Necesidad de protección",
]


def row(
    given: str, surnames: str, sex: str, born: str, family: str = "", **flags: str
) -> list[str]:
    answers = {"pregnant": "no", "disability": "no", "illness": "no", "trafficking": "no"}
    answers.update(flags)
    return [
        given,
        surnames,
        sex,
        born,
        "GT",
        "Quiché",
        family,
        "",
        "",
        answers["pregnant"],
        answers["disability"],
        answers["illness"],
        answers["trafficking"],
        "",
        "no",
    ]


def _auth(tokens: KeycloakTokens) -> dict[str, str]:
    return {
        "Authorization": f"Bearer {tokens.get(IMMIGRATION)}",
        "Idempotency-Key": uuid.uuid4().hex,
    }


async def _manifest(
    http: httpx.AsyncClient, tokens: KeycloakTokens, system: dict[str, str], manifest_id: str
) -> dict[str, Any]:
    answer = await http.get(
        f"{system['repatriation']}/v1/manifests/{manifest_id}", headers=_auth(tokens)
    )
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def _draft(
    http: httpx.AsyncClient,
    tokens: KeycloakTokens,
    system: dict[str, str],
    tag: str,
    *,
    days_later: int = 0,
    people: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    departure, arrival = arrival_slot()
    departure, arrival = (
        departure + timedelta(days=days_later),
        arrival + timedelta(days=days_later),
    )
    if arrival.weekday() == 6:  # no reception on Sundays
        departure, arrival = departure + timedelta(days=1), arrival + timedelta(days=1)
    created = await http.post(
        f"{system['repatriation']}/v1/manifests",
        headers=_auth(tokens),
        json={
            "receiving_country": "GT",
            "reception_point": RECEPTION_POINT,
            "scheduled_departure": departure.isoformat(),
            "scheduled_arrival": arrival.isoformat(),
            "vehicle": {"plate": f"X{tag[:5].upper()}{days_later}", "seats": 40},
            "returnees": people or [],
        },
    )
    assert created.status_code == 201, created.text
    return dict(created.json())


def _local(moment: Any, zone: ZoneInfo) -> str:
    return str(moment.astimezone(zone).strftime("%Y-%m-%dT%H:%M"))


async def look_posted(page: Page, name: str, again: Callable[[], Awaitable[None]]) -> None:
    """`look` for a page that answers a form post (the import's preview): the language switch
    would load its address again without the file, so the page is made again in English by
    `again`, then both are screenshot and checked with axe."""
    folder = SHOTS / "manifests"
    folder.mkdir(parents=True, exist_ok=True)
    for language in ("es", "en"):
        if language == "en":
            await switch_language(page, "en")
            await again()
        assert await page.get_attribute("html", "lang") == language
        await page.screenshot(path=str(folder / f"{name}-{language}.png"), full_page=True)
        blocking = [v for v in await axe_violations(page) if v.get("impact") in BLOCKING]
        assert not blocking, f"manifests/{name} ({language}): {blocking}"
    await switch_language(page, "es")


async def _people_shown(page: Page) -> list[str]:
    return [t.strip() for t in await page.locator("table.people .person .name").all_inner_texts()]


async def test_inm_builds_a_manifest_in_the_browser(
    chromium_browser: Browser,
    console_url: str,
    system: dict[str, str],
    tokens: KeycloakTokens,
    http: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    tag = uuid.uuid4().hex[:6]
    plate = f"P{tag.upper()}"
    departure, arrival = arrival_slot()
    sunday = arrival + timedelta(days=(6 - arrival.weekday()) % 7 or 7)
    async with signed_in(chromium_browser, console_url, IMMIGRATION) as page:
        await page.goto(f"{console_url}/manifests")
        await expect(page.get_by_role("heading", name="Manifiestos", exact=True)).to_be_visible()
        await look(page, "manifests", "list")

        # A new manifest: the first attempt arrives on a Sunday, outside the point's window.
        await page.get_by_role("link", name="Nuevo manifiesto").first.click()
        await expect(page.get_by_role("heading", name="Nuevo manifiesto")).to_be_visible()
        await expect(page.locator("#reception_point")).to_contain_text(
            "lun\N{EN DASH}sáb 08:00\N{EN DASH}17:00"
        )
        await look(page, "manifests", "new")
        await page.select_option("#receiving_country", "GT")
        await page.select_option("#reception_point", RECEPTION_POINT)
        await page.fill("#plate", plate)
        await page.fill("#seats", "40")
        await page.fill("#departure", _local(sunday - timedelta(hours=3), TAPACHULA))
        await page.fill("#arrival", _local(sunday, GUATEMALA))
        await page.get_by_role("button", name="Crear el manifiesto en borrador").click()
        refusal = page.locator("#arrival-error")
        await expect(refusal).to_contain_text("fuera del horario")
        # Every value is kept.
        await expect(page.locator("#plate")).to_have_value(plate)
        await expect(page.locator("#reception_point")).to_have_value(RECEPTION_POINT)

        await page.fill("#departure", _local(departure, TAPACHULA))
        await page.fill("#arrival", _local(arrival, GUATEMALA))
        await page.get_by_role("button", name="Crear el manifiesto en borrador").click()
        await expect(page.get_by_role("status")).to_contain_text("borrador")
        manifest_id = page.url.split("/manifests/")[1].split("?")[0]
        await expect(page.locator(".facts")).to_contain_text(plate)
        await expect(page.locator(".facts")).to_contain_text("10:00 (hora de Guatemala")

        # A CSV with one bad row: the preview shows its error in Spanish, nobody is added yet.
        family = f"F-{tag}"
        lines = [
            HEADINGS,
            row("Rosa", f"Tzoc {tag}", "F", "14/07/1991", family),
            row("Marta", f"Tzoc {tag}", "F", "02/03/2015", family),
            row("Edgar", f"Ramírez {tag}", "M", "31/02/1990"),
        ]
        csv_file = tmp_path / "personas.csv"
        csv_file.write_text("\r\n".join(";".join(cells) for cells in lines), encoding="utf-8-sig")

        async def upload() -> None:
            await page.set_input_files("#file", str(csv_file))
            await page.locator("form[action$='/import'] button").click()
            await expect(page.locator("table.preview tr.bad")).to_have_count(1)

        await upload()
        await expect(
            page.get_by_role("heading", name=re.compile("Revise el archivo"))
        ).to_be_visible()
        bad = page.locator("table.preview tr.bad")
        await expect(bad).to_have_count(1)
        await expect(bad).to_contain_text("Ramírez")
        await expect(bad).to_contain_text("No es una fecha")
        await expect(page.locator(".summary")).to_contain_text("2 de 3")
        assert (await _manifest(http, tokens, system, manifest_id))["returnees"] == []
        await look_posted(page, "import-preview", upload)
        await upload()

        await page.get_by_role("button", name=re.compile("Agregar a las 2 personas")).click()
        await expect(page.get_by_role("status")).to_contain_text("Se agregaron 2 personas")
        await page.get_by_role("link", name="Ver el manifiesto").click()
        await expect(page.locator("table.people .person .name")).to_have_count(2)

        # One person by hand; a first try without the protection question is refused there.
        form = page.locator("#add-person")
        await form.locator("#given_names").fill("Edgar")
        await form.locator("#surnames").fill(f"Ramírez {tag}")
        await form.locator("#sex").select_option("M")
        await form.locator("#date_of_birth").fill("1990-02-28")
        await form.locator("#place_of_origin").fill("Alta Verapaz")
        await page.get_by_role("button", name="Agregar a esta persona").click()
        await expect(page.locator("#add-person .field-error").first).to_be_visible()
        await expect(page.locator("#add-person")).to_contain_text("obligatorio")
        await expect(page.locator("#add-person #given_names")).to_have_value("Edgar")
        await page.locator("#add-person input[name=protection_need][value=no]").check()
        await page.get_by_role("button", name="Agregar a esta persona").click()
        await expect(page.get_by_role("status")).to_contain_text("Se agregó a la persona")
        shown = await _people_shown(page)
        assert len(shown) == 3
        # The family (a child: care) comes first, together.
        assert shown[:2] == [f"Tzoc {tag}, Rosa", f"Tzoc {tag}, Marta"] or shown[:2] == [
            f"Tzoc {tag}, Marta",
            f"Tzoc {tag}, Rosa",
        ]
        await expect(page.locator(".why-not").first).to_be_visible()
        await look(page, "manifests", "manifest-draft")

        # Submit: the arrival is more than 24 h away, so no late-notice reason is asked.
        await expect(page.locator("#submit-late")).to_have_count(0)
        await page.get_by_role("button", name="Enviar el manifiesto").click()
        await expect(page.get_by_role("status")).to_contain_text("se envió")
        await expect(page.locator(".status.big")).to_have_text("Enviado")
        await expect(page.locator("#dispatch-title + p")).to_contain_text("Todavía no")
        await expect(page.locator("table.people")).to_contain_text("En espera del consulado")
        await look(page, "manifests", "manifest-submitted")
        submitted = await _manifest(http, tokens, system, manifest_id)
        assert submitted["status"] == "submitted"
        assert sorted(r["given_names"] for r in submitted["returnees"]) == [
            "Edgar",
            "Marta",
            "Rosa",
        ]


async def test_an_xlsx_import_and_the_lists_filters(
    chromium_browser: Browser,
    console_url: str,
    system: dict[str, str],
    tokens: KeycloakTokens,
    http: httpx.AsyncClient,
    tmp_path: Path,
) -> None:
    tag = uuid.uuid4().hex[:6]
    soon = await _draft(http, tokens, system, tag)
    later = await _draft(
        http,
        tokens,
        system,
        tag,
        days_later=2,
        people=[person("Hilda", f"Sicán {tag}", "F", "1992-12-08", "Sololá")],
    )
    submitted = await http.post(
        f"{system['repatriation']}/v1/manifests/{later['id']}/submit",
        headers=_auth(tokens),
        json={},
    )
    assert submitted.status_code == 200, submitted.text

    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADINGS)
    sheet.append(row("Tomás", f"Batz {tag}", "M", "06/05/1952"))
    sheet.append(row("Lucía", f"Ajpop {tag}", "F", "12/11/1997", pregnant="sí"))
    out = io.BytesIO()
    workbook.save(out)
    xlsx = tmp_path / "personas.xlsx"
    xlsx.write_bytes(out.getvalue())

    async with signed_in(chromium_browser, console_url, IMMIGRATION) as page:
        await page.goto(f"{console_url}/manifests/{soon['id']}")
        await page.set_input_files("#file", str(xlsx))
        await page.get_by_role("button", name="Revisar el archivo").click()
        await expect(page.locator("table.preview tr.ok")).to_have_count(2)
        await page.get_by_role("button", name=re.compile("Agregar a las 2 personas")).click()
        await expect(page.get_by_role("status")).to_contain_text("Se agregaron 2 personas")
        await page.get_by_role("link", name="Ver el manifiesto").click()
        # The man of 74 and the pregnant woman are marked, in words.
        await expect(page.locator("table.people")).to_contain_text("60 años o más")
        await expect(page.locator("table.people")).to_contain_text("Embarazada")
        on_manifest = await _manifest(http, tokens, system, soon["id"])
        assert sorted(r["given_names"] for r in on_manifest["returnees"]) == ["Lucía", "Tomás"]

        # The filters: status and arrival day narrow the list, and the address holds them.
        soon_day = soon["scheduled_arrival"]
        day = datetime.fromisoformat(soon_day.replace("Z", "+00:00")).astimezone(GUATEMALA).date()
        await page.goto(f"{console_url}/manifests")
        await page.select_option("#status", "draft")
        await page.fill("#arrival_from", day.isoformat())
        await page.fill("#arrival_to", day.isoformat())
        await page.get_by_role("button", name="Mostrar", exact=True).click()
        await expect(page).to_have_url(re.compile(r"status=draft"))
        assert f"arrival_from={day.isoformat()}" in page.url
        assert f"arrival_to={day.isoformat()}" in page.url
        table = page.locator("table.manifests")
        await expect(table).to_contain_text(soon["reference"])
        await expect(table).not_to_contain_text(later["reference"])
        for status in await page.locator("table.manifests .status").all_inner_texts():
            assert status == "Borrador"
        await look(page, "manifests", "list-filtered")

        # The later bus: submitted, two days on — the day filter alone finds it, not the other.
        later_day = day + timedelta(days=2)
        if later_day.weekday() == 6:
            later_day += timedelta(days=1)
        await page.goto(
            f"{console_url}/manifests?arrival_from={later_day.isoformat()}"
            f"&arrival_to={later_day.isoformat()}"
        )
        await expect(page.locator("#arrival_from")).to_have_value(later_day.isoformat())
        await expect(table).to_contain_text(later["reference"])
        await expect(table).not_to_contain_text(soon["reference"])

        # A range ending before it starts: the API's refusal, next to the field, in Spanish.
        await page.goto(
            f"{console_url}/manifests?arrival_from={later_day.isoformat()}"
            f"&arrival_to={day.isoformat()}"
        )
        await expect(page.locator("#arrival_to-error")).to_contain_text("antes del primer día")
