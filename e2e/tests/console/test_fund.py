"""The Reserve Fund's pages in the console, in Chromium through Keycloak's real login page:
Guatemala's consul in Tapachula files an application above USD 500 for a Guatemalan over 70
(a first try over the cap per case refused next to the item), sends it to IOM; iom.officer
reviews it; iom.approver approves (the page then says a second, different approver is needed,
and a second approval of theirs is refused in Spanish); iom.approver2 approves; iom.officer
pays part of it out, records the return as completed (the rest goes back to the budget) and
closes the file. The budget page moves by exactly the amounts the test typed. Another
application is answered by the consul and rejected by IOM; a third, a draft, is cancelled.

Every application carries this run's tag (surnames): the test asserts only about its own. The
budget is the year's, shared: its figures are read just before and just after each step.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
from playwright.async_api import Browser, Page, expect

from e2e.console import look, look_in_spanish, signed_in
from puebla_dev.testing.keycloak import KeycloakTokens

CONSUL = "consul.gt.tapachula"
OFFICER = "iom.officer"
APPROVER = "iom.approver"
APPROVER2 = "iom.approver2"
# Typed in the form: 420 + 120 + 300 + 200 = 1,040 (over the cap of 1,000); then meals 60.
OVER_CAP = {"transport": "420.00", "escort": "120.00", "lodging": "300", "meals": "200"}
MEALS = "60.00"
REQUESTED = Decimal("900.00")
TOP_UP = Decimal("1000.00")
DISBURSED = Decimal("540.00")
FIGURES = ("allocated", "reserved", "disbursed", "available")


def dollars(text: str) -> Decimal:
    """`USD 12,345.00` as the page shows it → 12345.00."""
    found = re.search(r"USD\s*([0-9,]+\.[0-9]{2})", text)
    assert found, f"no USD amount in {text!r}"
    return Decimal(found.group(1).replace(",", ""))


async def budget_figures(page: Page, console_url: str, year: int) -> dict[str, Decimal]:
    await page.goto(f"{console_url}/fund/budget/{year}")
    await expect(page.locator("#budget-available")).to_contain_text("USD")
    return {k: dollars(await page.locator(f"#budget-{k}").inner_text()) for k in FIGURES}


def moved(after: dict[str, Decimal], before: dict[str, Decimal]) -> dict[str, Decimal]:
    return {k: after[k] - before[k] for k in FIGURES}


async def test_an_application_above_500_through_two_approvers_in_the_browser(
    chromium_browser: Browser, console_url: str, system: dict[str, str]
) -> None:
    tag = uuid.uuid4().hex[:6]
    surnames = f"Chávez López {tag}"

    # The consul files it: over the cap first, the refusal next to the item that crosses it.
    async with signed_in(chromium_browser, console_url, CONSUL) as page:
        await page.goto(f"{console_url}/fund/applications/new")
        await expect(
            page.get_by_role("heading", name="Nueva solicitud al Fondo de Reserva")
        ).to_be_visible()
        await expect(page.locator("#items-hint")).to_contain_text("USD 1,000.00")
        await look(page, "fund", "new")
        await page.fill("#given_names", "Tomás")
        await page.fill("#surnames", surnames)
        await page.select_option("#sex", "M")
        await page.fill("#date_of_birth", "1950-03-14")
        await page.select_option("#nationality", "GT")
        await page.select_option("#current_country", "MX")
        await page.locator("input[name=protection_need][value=no]").check()
        await page.locator("input[name=categories][value=over_70]").check()
        await page.locator("#consent_given").check()
        await page.select_option("#consent_given_by", "beneficiary")
        for kind, amount in OVER_CAP.items():
            await page.fill(f"#amount_{kind}", amount)
        # fund.js keeps the total as it is typed (the server shows the same on each render).
        await expect(page.locator("#fund-total")).to_have_text("USD 1,040.00")
        await expect(page.locator("#fund-verdict")).to_contain_text("tope")
        await page.fill(
            "#justification",
            "Tiene 76 años, quedó varado en Tapachula; su hija lo espera en Quetzaltenango.",
        )
        await page.get_by_role("button", name="Guardar la solicitud como borrador").click()
        refusal = page.locator("#amount_meals-error")
        await expect(refusal).to_contain_text("tope de USD 1,000.00")
        await expect(page.locator("#amount_transport-error")).to_have_count(0)
        # Every value is kept.
        await expect(page.locator("#surnames")).to_have_value(surnames)
        await expect(page.locator("#amount_lodging")).to_have_value("300")
        await expect(page.locator("input[name=categories][value=over_70]")).to_be_checked()
        await look_in_spanish(page, "fund", "new-over-cap")

        await page.fill("#amount_meals", MEALS)
        await expect(page.locator("#fund-total")).to_have_text("USD 900.00")
        await page.get_by_role("button", name="Guardar la solicitud como borrador").click()
        await expect(page.get_by_role("status")).to_contain_text("borrador")
        application_url = page.url.split("?")[0]
        await expect(page.locator("#requested-total")).to_have_text(f"USD {REQUESTED:,.2f}")
        await expect(page.locator(".facts").first).to_contain_text("Persona mayor de 70 años")
        await look(page, "fund", "application-draft")
        await page.get_by_role("button", name="Enviar la solicitud a la OIM").click()
        await expect(page.get_by_role("status")).to_contain_text("se envió a la OIM")
        await expect(page.locator("#fund-status")).to_have_text("Enviada a la OIM")
        reference = (await page.locator("h1").inner_text()).split()[-1]

    # IOM's officer finds it in the queue and reviews it.
    async with signed_in(chromium_browser, console_url, OFFICER) as page:
        await page.goto(f"{console_url}/fund/applications")
        await page.select_option("#status", "submitted")
        await page.get_by_role("button", name="Filtrar").click()
        await expect(page).to_have_url(re.compile(r"status=submitted"))
        row = page.locator("table.fund-list tr", has_text=reference)
        await expect(row).to_contain_text(surnames)
        await expect(row).to_contain_text("USD 900.00")
        await look(page, "fund", "queue")
        await row.get_by_role("link", name=reference).click()
        await page.locator("#form-review input[value=approve]").check()
        await page.fill("#review-note", "Mayor de 70, consentimiento en el expediente.")
        await page.get_by_role("button", name="Registrar la revisión").click()
        await expect(page.get_by_role("status")).to_contain_text("revisión")
        await expect(page.locator(".timeline")).to_contain_text("Recomienda aprobar")
        await look(page, "fund", "application-reviewed")

    # The first approver: the page then says a second, different approver is needed; a second
    # approval of theirs (from a page opened before) is refused, in Spanish.
    async with signed_in(chromium_browser, console_url, APPROVER) as page:
        stale = await page.context.new_page()
        await stale.goto(application_url)
        await page.goto(application_url)
        await expect(page.locator("#approvals")).to_contain_text("dos aprobadores distintos")
        await page.get_by_role("button", name="Aprobar la solicitud").click()
        await expect(page.get_by_role("status")).to_contain_text("aprobación")
        second = page.locator("#second-needed")
        await expect(second).to_contain_text("segunda aprobación")
        await expect(second).to_contain_text(APPROVER)
        await expect(page.locator("#gates")).to_contain_text("Ya la aprobó")
        await expect(page.locator("#form-approve")).to_have_count(0)
        await look(page, "fund", "application-second-approval")
        await stale.get_by_role("button", name="Aprobar la solicitud").click()
        await expect(stale.locator("#form-approve .errors")).to_contain_text(
            "Usted ya aprobó esta solicitud"
        )
        await look_in_spanish(stale, "fund", "application-same-approver")

    # The second approver: the budget reserves exactly the requested total.
    async with signed_in(chromium_browser, console_url, APPROVER2) as page:
        await page.goto(f"{console_url}/fund/budget")
        year = int(page.url.rstrip("/").rsplit("/", 1)[-1])
        before = await budget_figures(page, console_url, year)
        allocated = before["allocated"] + TOP_UP
        await page.fill("#allocated", f"{allocated}")
        await page.get_by_role("button", name="Guardar la asignación").click()
        await expect(page.get_by_role("status")).to_contain_text("asignación")
        topped = await budget_figures(page, console_url, year)
        assert moved(topped, before) == {
            "allocated": TOP_UP,
            "reserved": Decimal("0.00"),
            "disbursed": Decimal("0.00"),
            "available": TOP_UP,
        }
        await look(page, "fund", "budget")

        await page.goto(application_url)
        await page.get_by_role("button", name="Aprobar la solicitud").click()
        await expect(page.locator("#fund-status")).to_have_text("Aprobada")
        approved = await budget_figures(page, console_url, year)
        assert moved(approved, topped) == {
            "allocated": Decimal("0.00"),
            "reserved": REQUESTED,
            "disbursed": Decimal("0.00"),
            "available": -REQUESTED,
        }
        await page.goto(application_url)
        await expect(page.locator(".timeline")).to_contain_text(APPROVER2)
        await look(page, "fund", "application-approved")

    # IOM's officer pays part of it out: reserved becomes disbursed, nothing else moves.
    async with signed_in(chromium_browser, console_url, OFFICER) as page:
        await page.goto(application_url)
        await page.fill("#disburse-amount", f"{DISBURSED}")
        await page.fill("#disburse-purpose", "Autobús Tapachula a Quetzaltenango, con acompañante")
        await page.get_by_role("button", name="Registrar el desembolso").click()
        await expect(page.get_by_role("status")).to_contain_text("desembolso")
        await expect(page.locator("#disbursed-total")).to_have_text(f"USD {DISBURSED:,.2f}")
        await expect(page.locator("#fund-status")).to_have_text("Dinero desembolsado")
        await look(page, "fund", "application-disbursed")
        paid = await budget_figures(page, console_url, year)
        assert moved(paid, approved) == {
            "allocated": Decimal("0.00"),
            "reserved": -DISBURSED,
            "disbursed": DISBURSED,
            "available": Decimal("0.00"),
        }

        # The person arrived home: what was approved and not paid out goes back to the budget;
        # then the file is closed, and nothing more can be done on it.
        await page.goto(application_url)
        await page.get_by_role("button", name="La persona llegó a su país").click()
        await expect(page.locator("#fund-status")).to_have_text("Retorno completado")
        returned = await budget_figures(page, console_url, year)
        assert moved(returned, paid) == {
            "allocated": Decimal("0.00"),
            "reserved": DISBURSED - REQUESTED,
            "disbursed": Decimal("0.00"),
            "available": REQUESTED - DISBURSED,
        }
        await page.goto(application_url)
        await page.get_by_role("button", name="Cerrar la solicitud").click()
        await expect(page.locator("#fund-status")).to_have_text("Solicitud cerrada")
        await expect(page.locator("#acts ~ .act-box")).to_have_count(0)
        await look(page, "fund", "application-closed")
        assert moved(await budget_figures(page, console_url, year), returned) == dict.fromkeys(
            FIGURES, Decimal("0.00")
        )


def auth(tokens: KeycloakTokens, user: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.get(user)}", "Idempotency-Key": uuid.uuid4().hex}


async def file_by_api(fund: str, tokens: KeycloakTokens, tag: str) -> str:
    """A draft application of Guatemala's consul for a woman over 70 (USD 300), by the API."""
    async with httpx.AsyncClient(timeout=30.0) as http:
        created = await http.post(
            f"{fund}/v1/applications",
            headers=auth(tokens, CONSUL),
            json={
                "beneficiary": {
                    "given_names": "Marta",
                    "surnames": f"Ixcoy {tag}",
                    "sex": "F",
                    "date_of_birth": "1948-06-02",
                    "nationality": "GT",
                    "protection_need": False,
                },
                "current_country": "MX",
                "categories": ["over_70"],
                "voluntary_consent": {
                    "given": True,
                    "given_by": "beneficiary",
                    "recorded_at": (datetime.now(UTC) - timedelta(hours=1)).isoformat(),
                },
                "items": [{"kind": "transport", "amount": "300.00"}],
                "justification": "Varada en Tapachula, quiere volver a Huehuetenango.",
            },
        )
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def test_the_consul_answers_iom_s_question_and_iom_rejects_in_the_browser(
    chromium_browser: Browser, console_url: str, system: dict[str, str], tokens: KeycloakTokens
) -> None:
    tag = uuid.uuid4().hex[:6]
    fund = system["reserve_fund"]
    application = await file_by_api(fund, tokens, tag)
    application_url = f"{console_url}/fund/applications/{application}"
    path = f"{fund}/v1/applications/{application}"
    async with httpx.AsyncClient(timeout=30.0) as http:
        submitted = await http.post(f"{path}/submit", headers=auth(tokens, CONSUL))
        assert submitted.status_code == 200, submitted.text
        asked = await http.post(
            f"{path}/request-info",
            headers=auth(tokens, OFFICER),
            json={"question": f"¿El boleto incluye a su acompañante? ({tag})"},
        )
        assert asked.status_code == 200, asked.text

    async with signed_in(chromium_browser, console_url, CONSUL) as page:
        await page.goto(f"{console_url}/fund/applications?status=info_requested")
        row = page.locator("table.fund-list tr", has_text=f"Ixcoy {tag}")
        await row.get_by_role("link").first.click()
        await expect(page.locator("blockquote.question")).to_contain_text(tag)
        await expect(page.locator("#fund-status")).to_have_text("Información solicitada")
        await look(page, "fund", "application-question")
        # An empty answer is refused next to it; what was typed in the items is kept.
        await page.fill("#amount_escort", "80")
        await page.locator("#form-answer input[name=replace_items]").check()
        await page.get_by_role("button", name="Enviar la respuesta").click()
        await expect(page.locator("#answer-answer-error")).to_contain_text("obligatorio")
        await expect(page.locator("#amount_escort")).to_have_value("80")
        await page.fill("#answer-answer", "Sí: se agrega el acompañamiento, USD 80.00.")
        await page.get_by_role("button", name="Enviar la respuesta").click()
        await expect(page.get_by_role("status")).to_contain_text("vuelve a revisión")
        await expect(page.locator("#fund-status")).to_have_text("En revisión")
        await expect(page.locator("#requested-total")).to_have_text("USD 380.00")
        await expect(page.locator(".timeline")).to_contain_text(
            "La autoridad solicitante respondió"
        )

    # IOM recommends rejection and an approver rejects, with the reason the consul then reads.
    async with signed_in(chromium_browser, console_url, OFFICER) as page:
        await page.goto(application_url)
        await page.locator("#form-review input[value=reject]").check()
        await page.fill("#review-note", "El acompañante ya tiene otro financiamiento.")
        await page.get_by_role("button", name="Registrar la revisión").click()
        await expect(page.get_by_role("status")).to_be_visible()
    async with signed_in(chromium_browser, console_url, APPROVER) as page:
        await page.goto(application_url)
        await page.get_by_role("button", name="Rechazar la solicitud").click()
        await expect(page.locator("#reject-reason-error")).to_contain_text("obligatorio")
        await page.fill("#reject-reason", f"Cubierto por otro programa ({tag}).")
        await page.get_by_role("button", name="Rechazar la solicitud").click()
        await expect(page.locator("#fund-status")).to_have_text("Rechazada")
    async with signed_in(chromium_browser, console_url, CONSUL) as page:
        await page.goto(application_url)
        await expect(page.locator("main")).to_contain_text(f"Cubierto por otro programa ({tag}).")
        await look(page, "fund", "application-rejected")


async def test_the_consul_cancels_a_draft_in_the_browser(
    chromium_browser: Browser, console_url: str, system: dict[str, str], tokens: KeycloakTokens
) -> None:
    tag = uuid.uuid4().hex[:6]
    draft = await file_by_api(system["reserve_fund"], tokens, tag)
    async with signed_in(chromium_browser, console_url, CONSUL) as page:
        await page.goto(f"{console_url}/fund/applications/{draft}")
        await expect(page.locator("#fund-status")).to_have_text("Borrador (no enviada a la OIM)")
        await page.locator("summary", has_text="Cancelar la solicitud").click()
        await page.fill("#cancel-reason", f"La persona ya regresó por su cuenta ({tag}).")
        await page.get_by_role("button", name="Cancelar la solicitud").click()
        await expect(page.locator("#fund-status")).to_have_text("Solicitud cancelada")
        await expect(page.locator("main")).to_contain_text(f"regresó por su cuenta ({tag})")
