"""The border officer's pages in the console, in Chromium through Keycloak's real login page:
the buses coming to Tecún Umán, the hand-over (one tap per person, "all received except …",
the keyboard alone, a conflict with another officer's record) and the hand-over record with
its digest and its PDF.

Each test sets up its own bus through the APIs (inm.mx creates and submits, Guatemala's consul
in Tapachula confirms every nationality, inm.mx dispatches) and asserts only about it.
"""

from __future__ import annotations

import io
import uuid
from typing import Any

import httpx
import pypdf
from playwright.async_api import Browser, Page, expect

from e2e.buses import Bus, auth_headers, dispatched_bus, record_of
from e2e.console import look, shot_path, sign_in, signed_in
from puebla_dev.testing.keycloak import KeycloakTokens

BORDER = "border.gt.tecun"


def outcomes(record: dict[str, Any]) -> dict[str, tuple[str | None, str | None, str | None]]:
    return {
        f"{e['given_names']} {e['surnames']}": (e["outcome"], e["reason"], e["officer"])
        for e in record["entries"]
    }


def row(page: Page, bus: Bus, name: str) -> Any:
    return page.locator(f"#person-{bus.people[name]}")


async def test_arrivals_handover_and_record(
    chromium_browser: Browser,
    console_url: str,
    system: dict[str, str],
    tokens: KeycloakTokens,
    http: httpx.AsyncClient,
) -> None:
    bus = await dispatched_bus(http, tokens, system)
    edgar, rosa, marta, tomas, hilda, lucia, pedro = (
        bus.name(n) for n in ("Edgar", "Rosa", "Marta", "Tomás", "Hilda", "Lucía", "Pedro")
    )
    async with signed_in(chromium_browser, console_url, BORDER) as page:
        await page.click("nav.main-nav a[href='/arrivals']")
        arriving = page.locator("table.arrivals tr", has_text=bus.plate)
        await expect(arriving).to_contain_text("México")
        await expect(arriving).to_contain_text("7")
        await look(page, "border", "arrivals")

        await arriving.get_by_role("link", name="Recibir este bus").click()
        await expect(page.locator("h1")).to_contain_text(bus.plate)
        # Vulnerable people first, the family together: the man of 74 and the pregnant woman
        # (and the family, whose girl is 11) before those travelling alone.
        order = await page.locator(".person h3").all_inner_texts()
        assert set(order[:2]) == {tomas, lucia}, order
        family_rows = page.locator(".unit.family .person h3")
        assert set(await family_rows.all_inner_texts()) == {rosa, marta, pedro}
        assert set(order[-2:]) == {edgar, hilda}, order
        await expect(row(page, bus, edgar)).to_contain_text("Pasaporte")
        await expect(row(page, bus, marta)).to_contain_text("Menor de edad")
        await look(page, "border", "handover-before")

        # One by one: a tap per person, the row answers in place (htmx).
        await row(page, bus, tomas).get_by_role("button", name="Recibida").click()
        await expect(row(page, bus, tomas).locator(".by")).to_contain_text("border.gt.tecun")
        await expect(page.locator("#name-" + bus.people[tomas])).to_be_focused()
        await row(page, bus, lucia).get_by_role("button", name="Recibida").click()
        await expect(row(page, bus, lucia)).to_contain_text("Registrado por")

        # A refusal without its reason is refused next to the person, in Spanish.
        refusing = row(page, bus, hilda)
        await refusing.locator("summary").click()
        await refusing.get_by_role("button", name="Registrar el rechazo").click()
        await expect(refusing.locator(".field-error")).to_contain_text("motivo del rechazo")
        await refusing.get_by_label("Motivo del rechazo").select_option("identity_mismatch")
        await refusing.get_by_role("button", name="Registrar el rechazo").click()
        await expect(refusing.locator(".outcome-now")).to_contain_text("La identidad no coincide")
        await look(page, "border", "handover-during")

        # All received except Edgar, who did not get off the bus.
        await page.get_by_role("link", name="Todos recibidos excepto…").click()
        await expect(page.locator("h1")).to_have_text("Todos recibidos excepto…")
        await look(page, "border", "except")
        await page.locator(
            f"input[name='outcome-{bus.people[edgar]}'][value='not_presented']"
        ).check()
        await page.get_by_role("button", name="Registrar: todos recibidos excepto").click()
        await expect(page.locator(".success")).to_be_visible()

        record = await record_of(http, tokens, system, bus)
        got = outcomes(record)
        assert got[tomas][0] == got[lucia][0] == "received"
        assert got[hilda][:2] == ("refused", "identity_mismatch")
        assert got[edgar][0] == "not_presented"
        assert {got[n][0] for n in (rosa, marta, pedro)} == {"received"}
        assert {o[2] for o in got.values()} == {BORDER}

        # The record: the same digest as the API's, and the PDF with it.
        await page.get_by_role("link", name="Acta de entrega").click()
        await expect(page.locator("#digest")).to_have_text(record["digest"])
        await expect(page.locator("table.record")).to_contain_text("No presentada")
        await look(page, "border", "record")
        await page.emulate_media(media="print")  # the print stylesheet: no buttons, no shell
        await expect(page.get_by_role("link", name="Descargar el PDF")).to_be_hidden()
        await expect(page.locator("header.shell")).to_be_hidden()
        await expect(page.locator("#digest")).to_be_visible()
        await page.screenshot(path=str(shot_path("border", "record-print", "es")), full_page=True)
        await page.emulate_media(media="screen")
        async with page.expect_download() as download_info:
            await page.get_by_role("link", name="Descargar el PDF").click()
        download = await download_info.value
        assert download.suggested_filename.endswith(".pdf")
        assert download.suggested_filename.startswith("acta-de-entrega-")
        path = await download.path()
        content = path.read_bytes()
        assert content.startswith(b"%PDF")
        text = "".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(content)).pages)
        assert record["digest"] in text.replace("\n", "").replace(" ", "")

    # The sending side opens the same record.
    async with signed_in(chromium_browser, console_url, "inm.mx") as page:
        await page.goto(f"{console_url}/manifests/{bus.id}/record")
        await expect(page.locator("#digest")).to_have_text(record["digest"])
        await expect(page.locator("table.record")).to_contain_text("La identidad no coincide")


async def test_handover_with_the_keyboard_alone(
    chromium_browser: Browser,
    console_url: str,
    system: dict[str, str],
    tokens: KeycloakTokens,
    http: httpx.AsyncClient,
) -> None:
    bus = await dispatched_bus(http, tokens, system)
    edgar, rosa, tomas, pedro = (bus.name(n) for n in ("Edgar", "Rosa", "Tomás", "Pedro"))
    async with signed_in(chromium_browser, console_url, BORDER) as page:
        await page.goto(f"{console_url}/manifests/{bus.id}/handover")
        await expect(page.locator("h1")).to_contain_text(bus.plate)

        async def tab_to(person_id: str, outcome: str, key: str = "Tab") -> None:
            for _ in range(200):
                await page.keyboard.press(key)
                focused = await page.evaluate(
                    "[document.activeElement.dataset.person,"
                    " document.activeElement.dataset.outcome]"
                )
                if focused == [person_id, outcome]:
                    return
            raise AssertionError(f"Tab never reached {outcome} of {person_id}")

        # Tomás, received: Tab to his button, Enter; focus stays on his row.
        await tab_to(bus.people[tomas], "received")
        await page.keyboard.press("Enter")
        await expect(row(page, bus, tomas)).to_contain_text("Registrado por")
        await expect(page.locator("#name-" + bus.people[tomas])).to_be_focused()
        # Rosa, not presented, with Space.
        await tab_to(bus.people[rosa], "not_presented")
        await page.keyboard.press("Space")
        await expect(row(page, bus, rosa).locator(".outcome-now")).to_contain_text("No presentada")
        # Edgar, refused (not a national): open "Rechazar…", choose the reason, record.
        await tab_to(bus.people[edgar], "refuse")
        await page.keyboard.press("Enter")
        await tab_to(bus.people[edgar], "reason")
        await page.keyboard.press("ArrowDown")  # the first reason: not a national
        await tab_to(bus.people[edgar], "refused")
        await page.keyboard.press("Enter")
        await expect(row(page, bus, edgar).locator(".outcome-now")).to_contain_text(
            "No es nacional"
        )
        # Back with Shift+Tab to the person before Edgar (the family's father, still pending).
        await tab_to(bus.people[pedro], "received", key="Shift+Tab")

    got = outcomes(await record_of(http, tokens, system, bus))
    assert got[tomas][:2] == ("received", None)
    assert got[rosa][:2] == ("not_presented", None)
    assert got[edgar][:2] == ("refused", "not_a_national")
    assert sum(1 for o in got.values() if o[0] is None) == 4


async def test_a_conflict_is_shown_person_by_person(
    chromium_browser: Browser,
    console_url: str,
    system: dict[str, str],
    tokens: KeycloakTokens,
    http: httpx.AsyncClient,
) -> None:
    bus = await dispatched_bus(http, tokens, system)
    edgar, hilda = bus.name("Edgar"), bus.name("Hilda")
    async with signed_in(chromium_browser, console_url, BORDER) as page:
        await page.goto(f"{console_url}/manifests/{bus.id}/handover")
        await expect(row(page, bus, edgar).get_by_role("button", name="Recibida")).to_be_visible()

        # Meanwhile, on another device, Edgar is recorded as not presented.
        other = await http.post(
            f"{system['repatriation']}/v1/manifests/{bus.id}/handovers",
            headers=auth_headers(tokens, BORDER, **{"Idempotency-Key": uuid.uuid4().hex}),
            json={"items": [{"returnee_id": bus.people[edgar], "outcome": "not_presented"}]},
        )
        assert other.status_code == 200, other.text

        await row(page, bus, edgar).get_by_role("button", name="Recibida").click()
        conflict = row(page, bus, edgar).locator(".conflict")
        await expect(conflict).to_contain_text("Alguien más registró a esta persona")
        await expect(conflict).to_contain_text("No presentada")  # on record now
        await expect(conflict).to_contain_text("Recibida")  # what this officer tried
        await expect(conflict).to_contain_text("border.gt.tecun")
        await look(page, "border", "handover-conflict")

        # "All received except" over a stale list: Hilda recorded meanwhile as refused.
        await page.goto(f"{console_url}/manifests/{bus.id}/handover/except")
        await expect(page.locator(f"#person-{bus.people[hilda]}")).to_be_visible()
        other = await http.post(
            f"{system['repatriation']}/v1/manifests/{bus.id}/handovers",
            headers=auth_headers(tokens, BORDER, **{"Idempotency-Key": uuid.uuid4().hex}),
            json={
                "items": [
                    {"returnee_id": bus.people[hilda], "outcome": "refused", "reason": "other"}
                ]
            },
        )
        assert other.status_code == 200, other.text
        await page.get_by_role("button", name="Registrar: todos recibidos excepto").click()
        stale = page.locator(f"#person-{bus.people[hilda]} .conflict")
        await expect(stale).to_contain_text("Otro motivo")
        await expect(stale).to_contain_text("Recibida")
        await look(page, "border", "except-conflict")

    got = outcomes(await record_of(http, tokens, system, bus))
    assert got[edgar][0] == "not_presented"
    assert got[hilda][:2] == ("refused", "other")
    assert sum(1 for o in got.values() if o[0] is None) == 5  # nothing else was recorded


async def test_without_javascript_the_plain_forms_record(
    chromium_browser: Browser,
    console_url: str,
    system: dict[str, str],
    tokens: KeycloakTokens,
    http: httpx.AsyncClient,
) -> None:
    """A shared PC with scripts off (or htmx not loaded on a poor link): every tap is a plain
    form post, answered with the page again at that person, or the refusal next to them."""
    bus = await dispatched_bus(http, tokens, system)
    edgar, hilda = bus.name("Edgar"), bus.name("Hilda")
    context = await chromium_browser.new_context(locale="es-MX", java_script_enabled=False)
    try:
        page = await context.new_page()
        await sign_in(page, console_url, BORDER)
        await page.goto(f"{console_url}/manifests/{bus.id}/handover")
        await row(page, bus, edgar).get_by_role("button", name="Recibida").click()
        await page.wait_for_url(f"**/manifests/{bus.id}/handover#person-{bus.people[edgar]}")
        await expect(row(page, bus, edgar).locator(".outcome-now")).to_contain_text("Recibida")

        refusing = row(page, bus, hilda)
        await refusing.locator("summary").click()
        await refusing.get_by_role("button", name="Registrar el rechazo").click()
        refusing = row(page, bus, hilda)
        await expect(refusing.locator(".field-error")).to_contain_text("motivo del rechazo")
        await expect(row(page, bus, edgar).locator(".outcome-now")).to_contain_text("Recibida")
        await refusing.get_by_label("Motivo del rechazo").select_option("medically_unfit")
        await refusing.get_by_role("button", name="Registrar el rechazo").click()
        await expect(row(page, bus, hilda).locator(".outcome-now")).to_contain_text(
            "No apta para viajar"
        )
    finally:
        await context.close()

    got = outcomes(await record_of(http, tokens, system, bus))
    assert got[edgar][:2] == ("received", None)
    assert got[hilda][:2] == ("refused", "medically_unfit")
    assert sum(1 for o in got.values() if o[0] is None) == 5
