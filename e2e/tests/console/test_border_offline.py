"""A border post whose link drops, in Chromium with Playwright's offline mode (issue 16).

Tomás Cux at Tecún Umán opens the arrivals online and chooses a PIN; the link goes; he opens the
bus's hand-over from the browser's copy, records the whole bus, closes the page and opens it
again (the PIN again); the link comes back and every outcome reaches the hand-over record once,
with the time it was recorded at the post. Then the same with his session ended while the link
was down (he signs in again; nothing is lost), and a person someone else recorded differently
meanwhile: shown person by person, resolved by him, never overwritten. And a computer restarted
with a hand-over unsent (the browser's profile on disk, closed and started again): signed out
with the browser, the outbox still there, sent once he signs in.

Each test sets up its own bus through the APIs and asserts only about it.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
from playwright.async_api import Browser, BrowserContext, Dialog, Page, async_playwright, expect

from e2e.buses import auth_headers, dispatched_bus, record_of
from e2e.console import (
    SHOTS,
    answer_login,
    end_keycloak_sessions,
    look_in_spanish,
    sign_in,
    signed_in,
)
from puebla_dev.devstack.browser import ensure_chromium, launch_args
from puebla_dev.testing.keycloak import KeycloakTokens

BORDER = "border.gt.tecun"
PIN = "482915"


async def keep_a_copy(page: Page, console_url: str) -> None:
    """The arrivals, online: the officer chooses a PIN; the copy and the offline shell are kept."""
    await page.goto(f"{console_url}/arrivals")
    panel = page.locator("#offline-panel")
    await panel.get_by_label("Elija un PIN (de 6 a 12 dígitos)").fill("12")
    await panel.get_by_label("Repita el PIN").fill("12")
    await panel.get_by_role("button", name="Guardar las llegadas en este equipo").click()
    await expect(panel.locator("#pin-error")).to_have_text("⚠ El PIN tiene de 6 a 12 dígitos.")
    await panel.get_by_label("Elija un PIN (de 6 a 12 dígitos)").fill(PIN)
    await panel.get_by_label("Repita el PIN").fill(PIN)
    await panel.get_by_role("button", name="Guardar las llegadas en este equipo").click()
    await expect(panel.locator("#offline-copy")).to_have_attribute("data-kept", re.compile(".+"))
    await expect(panel.locator("#offline-copy")).to_contain_text("Guardado en este equipo")


async def open_offline(context: BrowserContext, console_url: str, path: str) -> Page:
    """A new page on `path` with the link down: the service worker's shell, opened by the PIN."""
    page = await context.new_page()
    await page.goto(f"{console_url}{path}")
    await expect(page.locator("#offline-status")).to_contain_text("No hay conexión")
    await page.get_by_label("Su PIN").fill("000000")
    await page.get_by_role("button", name="Abrir").click()
    await expect(page.locator("#pin-error")).to_have_text("⚠ Ese no es el PIN de esta copia.")
    await page.get_by_label("Su PIN").fill(PIN)
    await page.get_by_role("button", name="Abrir").click()
    await expect(page.locator("#lock-now")).to_be_visible()
    return page


async def test_a_whole_bus_recorded_without_a_link_reaches_the_record_once_at_the_posts_times(
    chromium_browser: Browser,
    console_url: str,
    http: httpx.AsyncClient,
    tokens: KeycloakTokens,
    system: dict[str, str],
) -> None:
    bus = await dispatched_bus(http, tokens, system)
    async with signed_in(chromium_browser, console_url, BORDER, fresh=True) as online:
        context = online.context
        await keep_a_copy(online, console_url)
        await online.close()

        await context.set_offline(True)
        before_offline = datetime.now(UTC)
        page = await open_offline(context, console_url, f"/manifests/{bus.id}/handover")
        await expect(page.locator("h1")).to_have_text(f"Entrega del bus {bus.plate}")
        edgar = page.locator(f"#person-{bus.people[bus.name('Edgar')]}")
        await edgar.get_by_role("button", name="Registrar el rechazo").click()
        await expect(edgar.locator(".field-error")).to_have_text("⚠ Elija el motivo del rechazo.")
        await edgar.locator("select").select_option("not_a_national")
        await edgar.get_by_role("button", name="Registrar el rechazo").click()
        tomas = page.locator(f"#person-{bus.people[bus.name('Tomás')]}")
        await tomas.get_by_role("button", name="No presentada").click()
        await page.get_by_role("button", name="Todas las demás personas recibidas").click()
        await expect(page.locator("#outbox-count")).to_have_text(
            "7 entregas esperando ser enviadas"
        )
        await expect(page.locator(f"#person-{bus.people[bus.name('Edgar')]}")).to_contain_text(
            "Rechazada"
        )
        await look_in_spanish(page, "border", "offline-handover")
        # English, from the language kept on the device (the page reopens locked).
        await page.evaluate("localStorage.setItem('puebla-lang', 'en')")
        await page.reload()
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        await page.get_by_label("Your PIN").fill(PIN)
        await page.get_by_role("button", name="Open").click()
        await expect(page.locator("#lock-now")).to_have_text("Lock now")
        await expect(page.locator("#outbox-count")).to_have_text("7 hand-overs waiting to be sent")
        await page.screenshot(
            path=str(SHOTS / "border" / "offline-handover-en.png"), full_page=True
        )
        await page.evaluate("localStorage.setItem('puebla-lang', 'es')")
        recorded_by = datetime.now(UTC)

        # Closed and opened again, still without a link: the PIN, and the outbox is there.
        await page.close()
        page = await open_offline(context, console_url, "/arrivals")
        await expect(page.locator("#outbox-count")).to_have_text(
            "7 entregas esperando ser enviadas"
        )
        await expect(page.locator("main")).to_contain_text("7 de 7 registradas")
        await look_in_spanish(page, "border", "offline-arrivals")
        # Locked (as after five idle minutes): the names leave the page until the PIN again.
        await page.get_by_role("button", name="Bloquear ahora").click()
        await expect(page.get_by_label("Su PIN")).to_be_visible()
        assert bus.name("Edgar") not in await page.inner_text("body")
        await page.get_by_label("Su PIN").fill(PIN)
        await page.get_by_role("button", name="Abrir").click()
        await expect(page.locator("main")).to_contain_text("7 de 7 registradas")

        # The link comes back: the outbox empties itself, in order, once.
        await context.set_offline(False)
        await expect(page.locator("#outbox")).to_be_hidden(timeout=30_000)
        record = await record_of(http, tokens, system, bus)
        entries = {e["returnee_id"]: e for e in record["entries"]}
        assert len(entries) == 7
        assert record["totals"] == {
            "received": 5,
            "not_presented": 1,
            "refused": 1,
            "pending": 0,
            "arrived_not_listed": 0,
            "total": 7,
        }
        assert entries[bus.people[bus.name("Edgar")]]["reason"] == "not_a_national"
        assert entries[bus.people[bus.name("Tomás")]]["outcome"] == "not_presented"
        for entry in entries.values():
            at_post = datetime.fromisoformat(entry["recorded_at"])
            stored = datetime.fromisoformat(entry["stored_at"])
            assert before_offline <= at_post <= recorded_by, entry  # the post's time
            assert stored > recorded_by, entry  # and when it reached Puebla
        assert entries[bus.people[bus.name("Edgar")]]["officer"] == BORDER
        await page.close()


async def test_an_ended_session_and_a_conflict_lose_nothing_and_overwrite_nothing(
    chromium_browser: Browser,
    console_url: str,
    keycloak_url: str,
    http: httpx.AsyncClient,
    tokens: KeycloakTokens,
    system: dict[str, str],
) -> None:
    bus = await dispatched_bus(http, tokens, system)
    edgar, rosa = bus.people[bus.name("Edgar")], bus.people[bus.name("Rosa")]
    async with signed_in(chromium_browser, console_url, BORDER, fresh=True) as online:
        context = online.context
        await keep_a_copy(online, console_url)
        await online.close()
        await context.set_offline(True)
        page = await open_offline(context, console_url, f"/manifests/{bus.id}/handover")
        await page.locator(f"#person-{edgar}").get_by_role("button", name="Recibida").click()
        await page.locator(f"#person-{rosa}").get_by_role("button", name="Recibida").click()
        await expect(page.locator("#outbox-count")).to_have_text(
            "2 entregas esperando ser enviadas"
        )

        # Meanwhile: another device records Edgar as refused, and Keycloak ends the officer's
        # sessions (an administrator, or the realm's limits): the console's ends with them.
        refused = await http.post(
            f"{system['repatriation']}/v1/manifests/{bus.id}/handovers",
            headers=auth_headers(tokens, BORDER, **{"Idempotency-Key": f"other-{bus.id}"}),
            json={
                "items": [
                    {"returnee_id": edgar, "outcome": "refused", "reason": "identity_mismatch"}
                ]
            },
        )
        assert refused.status_code == 200, refused.text
        end_keycloak_sessions(keycloak_url, BORDER)

        # The link is back: the outbox asks to sign in again and keeps both.
        await context.set_offline(False)
        outbox = page.locator("#outbox")
        await expect(outbox).to_contain_text("Su sesión terminó", timeout=30_000)
        await expect(page.locator("#outbox-count")).to_have_text(
            "2 entregas esperando ser enviadas"
        )
        await look_in_spanish(page, "border", "offline-signed-out")
        await outbox.get_by_role("link", name="Iniciar sesión").click()
        await answer_login(page, BORDER)
        await page.wait_for_url(f"{console_url}/manifests/{bus.id}/handover")

        # Signing out now would delete what is unsent: the console asks first, and "no" keeps it.
        asked: asyncio.Future[str] = asyncio.get_running_loop().create_future()

        async def decline(dialog: Dialog) -> None:
            asked.set_result(dialog.message)
            await dialog.dismiss()

        page.once("dialog", decline)
        await page.get_by_role("button", name="Cerrar sesión").click()
        assert await asyncio.wait_for(asked, timeout=15) == (
            "2 entregas registradas en este equipo aún no se enviaron. Al cerrar la sesión se "
            "borran. ¿Cerrar la sesión de todos modos?"
        )
        await expect(page.locator("#outbox-count")).to_have_text(
            "2 entregas esperando ser enviadas"
        )
        assert page.url == f"{console_url}/manifests/{bus.id}/handover"

        # Back on the online page: the PIN opens the outbox, Rosa goes, Edgar's is a conflict.
        outbox = page.locator("#outbox")
        await outbox.get_by_label("Escriba su PIN para enviarlas.").fill(PIN)
        await outbox.get_by_role("button", name="Abrir").click()
        await expect(page.locator("#outbox-count")).to_have_text(
            "Lo registrado sin conexión necesita su decisión", timeout=30_000
        )
        # The page shows what the record holds now: Rosa received (Edgar as the other device).
        rosa_row = page.locator(f"#person-{rosa}")
        await expect(rosa_row).to_contain_text("Recibida")
        await expect(rosa_row.get_by_role("button")).to_have_count(0)
        conflict = outbox.locator(".outbox-conflict")
        await expect(conflict).to_contain_text("Otra persona registró un resultado distinto")
        await expect(conflict).to_contain_text("Usted registró: Recibida")
        await expect(conflict).to_contain_text("El acta de entrega dice: Rechazada")
        await expect(conflict).to_contain_text(BORDER)
        await look_in_spanish(page, "border", "offline-conflict")
        await conflict.get_by_role(
            "button", name="Dejar lo que dice el acta y apartar lo mío"
        ).click()
        await expect(outbox).to_be_hidden()

    record = await record_of(http, tokens, system, bus)
    entries = {e["returnee_id"]: e for e in record["entries"]}
    assert entries[rosa]["outcome"] == "received"
    assert entries[edgar]["outcome"] == "refused"  # not overwritten
    assert entries[edgar]["reason"] == "identity_mismatch"


async def test_a_restarted_computer_keeps_the_outbox_and_sends_it_after_signing_in(
    console_url: str,
    http: httpx.AsyncClient,
    tokens: KeycloakTokens,
    system: dict[str, str],
    tmp_path: Path,
) -> None:
    """The browser's own profile on disk, closed and started again (the computer restarted):
    the session cookie is gone with the browser, the copy and the outbox are not."""
    bus = await dispatched_bus(http, tokens, system)
    hilda = bus.people[bus.name("Hilda")]
    profile = tmp_path / "profile"
    async with async_playwright() as playwright:

        async def start() -> BrowserContext:
            return await playwright.chromium.launch_persistent_context(
                str(profile),
                executable_path=str(ensure_chromium()),
                headless=True,
                args=launch_args(),
                locale="es-MX",
                viewport={"width": 1280, "height": 900},
            )

        context = await start()
        page = await context.new_page()
        await sign_in(page, console_url, BORDER)
        await keep_a_copy(page, console_url)
        await page.close()
        await context.set_offline(True)
        page = await open_offline(context, console_url, f"/manifests/{bus.id}/handover")
        await page.locator(f"#person-{hilda}").get_by_role("button", name="Recibida").click()
        await expect(page.locator("#outbox-count")).to_have_text("1 entrega esperando ser enviada")
        await context.close()

        context = await start()  # the link is back, the browser starts again
        page = (context.pages or [await context.new_page()])[0]
        await page.goto(f"{console_url}/manifests/{bus.id}/handover")
        await expect(page.locator("#username")).to_be_visible()  # signed out with the browser
        await answer_login(page, BORDER)
        await page.wait_for_url(f"{console_url}/manifests/{bus.id}/handover")
        outbox = page.locator("#outbox")
        await expect(page.locator("#outbox-count")).to_have_text("1 entrega esperando ser enviada")
        await outbox.get_by_label("Escriba su PIN para enviarlas.").fill(PIN)
        await outbox.get_by_role("button", name="Abrir").click()
        await expect(outbox).to_be_hidden(timeout=30_000)
        await context.close()

    record = await record_of(http, tokens, system, bus)
    (entry,) = [e for e in record["entries"] if e["returnee_id"] == hilda]
    assert entry["outcome"] == "received"
    assert entry["stored_at"] > entry["recorded_at"]
