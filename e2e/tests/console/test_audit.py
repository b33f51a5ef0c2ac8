"""The audit pages in the browser: the RCM's auditor (audit.rcm) sees each service's log
verification in words, opens the land returns' trail and finds, through the filters in the URL,
the entry of a manifest this test drafted; a child-protection caseworker is not allowed; the
host country's supervisor reads a case's audit, with the sensitive read and its stated purpose.

Data is set up through the APIs with values unique to this run (a surname, a purpose), and every
assertion is about those records only: other tests write to the same trails meanwhile.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest_asyncio
from playwright.async_api import Browser, expect

from e2e.console import look, signed_in
from e2e.journeys.land_return import RECEPTION_POINT, arrival_slot, person
from puebla_dev.testing.keycloak import KeycloakTokens

AUDITOR = "audit.rcm"
CASEWORKER = "dif.mx"
SUPERVISOR = "dif.mx.supervisor"
SERVICES_ES = (
    "Retornos terrestres (manifiestos y entregas)",
    "Notificaciones y verificaciones consulares",
    "Casos de niñez",
    "Fondo de Reserva",
)


class Api:
    def __init__(self, http: httpx.AsyncClient, tokens: KeycloakTokens, system: dict[str, str]):
        self.http, self.tokens, self.system = http, tokens, system

    async def call(
        self, who: str, method: str, service: str, path: str, **kwargs: Any
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens.get(who)}", **kwargs.pop("headers", {})}
        if method != "GET":
            headers["Idempotency-Key"] = uuid.uuid4().hex
        return await self.http.request(
            method, f"{self.system[service]}{path}", headers=headers, **kwargs
        )


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def api(tokens: KeycloakTokens, system: dict[str, str]) -> AsyncIterator[Api]:
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=30.0, limits=limits) as http:
        yield Api(http, tokens, system)


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def manifest(api: Api) -> dict[str, Any]:
    tag = uuid.uuid4().hex[:6]
    departure, arrival = arrival_slot()
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
            "vehicle": {"plate": f"AUD-{tag[:4].upper()}", "seats": 10},
            "returnees": [person("Audelina", f"Auditada{tag}", "F", "1990-04-12", "Retalhuleu")],
        },
    )
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


async def test_the_auditor_sees_each_log_and_finds_an_entry_through_the_filters(
    chromium_browser: Browser, console_url: str, api: Api, manifest: dict[str, Any]
) -> None:
    async with signed_in(chromium_browser, console_url, AUDITOR) as page:
        await page.goto(f"{console_url}/audit")
        for name in SERVICES_ES:
            section = page.locator(
                "section.audit-service", has=page.get_by_role("heading", name=name)
            )
            await expect(section).to_be_visible()
            # The verdict in words (not by colour), with how many entries were recomputed.
            verdict = section.locator(".verdict")
            await expect(verdict.locator(".tag")).to_have_text("Verificada")
            await expect(verdict).to_contain_text(
                re.compile(
                    r"La bitácora (está íntegra: sus? \d+ registros? se recalcul"
                    r"|todavía no tiene registros)"
                )
            )
            await expect(section).to_contain_text("Última huella firmada")
            await expect(section.locator(".witnesses li")).to_have_count(3)
        await look(page, "audit", "home")

        returns = page.locator(
            "section.audit-service", has=page.get_by_role("heading", name=SERVICES_ES[0])
        )
        await returns.get_by_role("link", name=re.compile("Ver la bitácora")).click()
        await page.wait_for_url(f"{console_url}/audit/repatriation")
        await page.select_option("#entity_type", label="Manifiesto")
        await page.fill("#entity_id", manifest["id"])
        await page.select_option("#action", label="Manifiesto en borrador")
        await page.fill("#actor", "inm")
        await page.get_by_role("button", name="Mostrar").click()
        # The filters are in the URL: the page can be bookmarked and shared.
        await page.wait_for_url(re.compile(r"/audit/repatriation\?.*entity_id=" + manifest["id"]))
        assert "action=manifest.drafted" in page.url
        assert "actor=inm" in page.url
        rows = page.locator("table.audit-trail tbody tr")
        await expect(rows).to_have_count(1)
        row = rows.first
        await expect(row).to_contain_text("Manifiesto en borrador")
        await expect(row).to_contain_text(manifest["reference"])
        await expect(row).to_contain_text("inm.mx")
        await expect(row).to_contain_text(manifest["id"])
        await expect(row.locator("td.when")).to_contain_text("UTC")
        await look(page, "audit", "trail")

        # The time filter: the day after tomorrow holds nothing of this manifest yet.
        later = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
        await page.fill("#since", later)
        await page.get_by_role("button", name="Mostrar").click()
        await expect(
            page.get_by_text("Ningún registro de esta página coincide con los filtros.")
        ).to_be_visible()
        await expect(rows).to_have_count(0)

        # A day that is not one: the refusal next to the field, the officer's values kept.
        await page.goto(
            f"{console_url}/audit/repatriation?entity_id={manifest['id']}&until=31/02/2026"
        )
        await expect(page.locator("#until-error")).to_have_text("Escriba la fecha como dd/mm/aaaa.")
        await expect(page.locator("#entity_id")).to_have_value(manifest["id"])


async def test_a_caseworker_is_not_allowed_the_audit(
    chromium_browser: Browser, console_url: str
) -> None:
    async with signed_in(chromium_browser, console_url, CASEWORKER) as page:
        answer = await page.goto(f"{console_url}/audit")
        assert answer is not None
        assert answer.status == 403
        await expect(page.get_by_role("heading", level=1)).to_have_text("No permitido")
        await expect(page.locator("table.audit-trail")).to_have_count(0)
        await look(page, "audit", "not-allowed")


async def test_the_host_supervisor_reads_a_cases_audit_with_the_sensitive_read(
    chromium_browser: Browser, console_url: str, api: Api
) -> None:
    tag = uuid.uuid4().hex[:6]
    opened = await api.call(
        CASEWORKER,
        "POST",
        "child_protection",
        "/v1/cases",
        json={
            "child": {
                "given_names": "Brayan Alexis",
                "surnames": f"Auditoría {tag}",
                "sex": "M",
                "date_of_birth": "2012-05-14",
                "nationality": "HN",
                "languages": ["es"],
            },
            "identified_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
            "place": {"country": "MX", "state": "Chiapas", "city": "Tapachula"},
            "accompaniment": "unaccompanied",
            "age_disputed": False,
            "protection_need": False,
            "trafficking_indicator": False,
        },
    )
    assert opened.status_code == 201, opened.text
    case = opened.json()
    purpose = f"Preparar la entrevista de seguimiento {tag}"
    read = await api.call(
        CASEWORKER,
        "GET",
        "child_protection",
        f"/v1/cases/{case['id']}/sensitive",
        headers={"Puebla-Purpose": purpose.encode()},
    )
    # Read, or — once the sections need a recent second factor, which this token lacks —
    # refused for it: either way the case's audit holds the read and its stated purpose.
    assert read.status_code in (200, 401), read.text
    read_words = (
        "Secciones sensibles consultadas"
        if read.status_code == 200
        else "Consulta de las secciones sensibles rechazada"
    )

    async with signed_in(chromium_browser, console_url, SUPERVISOR) as page:
        await page.goto(f"{console_url}/cases/{case['id']}/audit")
        await expect(page.get_by_role("heading", level=1)).to_contain_text(case["reference"])
        rows = page.locator("table.audit-trail tbody tr")
        opened_row = rows.filter(has_text="Caso abierto")
        await expect(opened_row).to_have_count(1)
        await expect(opened_row).to_contain_text(CASEWORKER)
        sensitive = rows.filter(has_text=read_words)
        await expect(sensitive).to_have_count(1)
        await expect(sensitive).to_contain_text(purpose)
        await expect(sensitive).to_contain_text("Motivo declarado")
        await expect(sensitive).to_contain_text(CASEWORKER)
        await expect(sensitive).to_contain_text("México")
        await look(page, "audit", "case")

    # A caseworker does not read the case's audit: the API says no, the page says so.
    async with signed_in(chromium_browser, console_url, CASEWORKER) as page:
        answer = await page.goto(f"{console_url}/cases/{case['id']}/audit")
        assert answer is not None
        assert answer.status == 403
        await expect(page.locator("table.audit-trail")).to_have_count(0)
