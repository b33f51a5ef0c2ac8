"""The children's case pages in the browser: a Honduran boy found alone in Tapachula, from his
first acts to the follow-up at home, across dif.mx (Mexico's caseworker), dif.mx.supervisor and
dinaf.hn (Honduras's caseworker); and a Honduran girl with a protection need whom Honduras never
sees.

dif.mx opens the boy's case through the console's form (each surname unique to this run); the
girl's is opened through the API, as the child-case journey does. Everything else is done
through the console's forms, and every assertion is about these two cases only (other tests
open cases in the same database).
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
from playwright.async_api import Browser, Page, expect

from e2e.console import look, signed_in
from e2e.journeys.child_case import PLACE, RECEPTION_POINT
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.totp import demo_code

DIF, SUPERVISOR, DINAF = "dif.mx", "dif.mx.supervisor", "dinaf.hn"
MEXICO = ZoneInfo("America/Mexico_City")
HONDURAS = ZoneInfo("America/Tegucigalpa")


@dataclass
class Setup:
    tag: str
    girl: dict[str, Any]


class Api:
    def __init__(self, http: httpx.AsyncClient, tokens: KeycloakTokens, system: dict[str, str]):
        self.http, self.tokens, self.system = http, tokens, system

    async def call(self, who: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens.get(who)}"}
        if method != "GET":
            headers["Idempotency-Key"] = uuid.uuid4().hex
        return await self.http.request(
            method, f"{self.system['child_protection']}{path}", headers=headers, **kwargs
        )

    async def case(self, who: str, case_id: str) -> dict[str, Any]:
        answer = await self.call(who, "GET", f"/v1/cases/{case_id}")
        assert answer.status_code == 200, answer.text
        read: dict[str, Any] = answer.json()
        return read


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def api(tokens: KeycloakTokens, system: dict[str, str]) -> AsyncIterator[Api]:
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=30.0, limits=limits) as http:
        yield Api(http, tokens, system)


def child(given: str, surnames: str, sex: str, born: str) -> dict[str, Any]:
    return {
        "given_names": given,
        "surnames": surnames,
        "sex": sex,
        "date_of_birth": born,
        "nationality": "HN",
        "languages": ["es"],
    }


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def setup(api: Api) -> Setup:
    tag = uuid.uuid4().hex[:6]
    answer = await api.call(
        DIF,
        "POST",
        "/v1/cases",
        json={
            "child": child("Dayana Michel", f"Cruz Banegas {tag}", "F", "2011-07-22"),
            "identified_at": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
            "protection_need": True,
            "accompaniment": "separated",
            "indicator_details": "Dice que huyó de amenazas de una pandilla.",
            "place": PLACE,
            "age_disputed": False,
            "trafficking_indicator": False,
        },
    )
    assert answer.status_code == 201, answer.text
    girl = answer.json()
    assert girl["blocked_for_consulate"] is True
    return Setup(tag, girl)


async def open_the_boys_case(page: Page, tag: str, api: Api) -> dict[str, Any]:
    """dif.mx fills the opening form; a date of birth that makes him an adult is refused at its
    field with the rest kept, the right one opens the case on its page."""
    await page.get_by_role("link", name="Abrir un caso de niñez").click()
    await expect(page.locator("h1")).to_have_text("Abrir un caso de niñez")
    identified = local(datetime.now(UTC) - timedelta(hours=3), MEXICO)

    async def fill(born: str) -> None:
        form = page.locator("#act-open")
        await form.get_by_label("Nombres").fill("Kevin Josué")
        await form.get_by_label("Apellidos").fill(f"Mejía Paz {tag}")
        await form.get_by_label("Sexo").select_option("M")
        await form.get_by_label("Fecha de nacimiento").fill(born)
        await form.get_by_label("Nacionalidad").select_option("HN")
        await form.get_by_label("Idiomas que habla").fill("español")
        await form.get_by_label("Día (dd/mm/aaaa)").fill(identified[0])
        await form.get_by_label("Hora (hh:mm)").fill(identified[1])
        await form.get_by_label("Estado o departamento donde se encontró").fill("Chiapas")
        await form.get_by_label("Ciudad o poblado").fill("Tapachula")
        await form.get_by_label("Cómo se encontró").select_option("unaccompanied")
        await form.get_by_role("button", name="Abrir el caso").click()

    await fill("09/03/1990")
    form = page.locator("#act-open")
    await expect(form.locator("#open-date_of_birth-error")).to_contain_text("adulta")
    await expect(form.get_by_label("Nombres")).to_have_value("Kevin Josué")
    await expect(form.get_by_label("Nacionalidad")).to_have_value("HN")
    await expect(form.get_by_label("Hora (hh:mm)")).to_have_value(identified[1])
    await look(page, "children", "open_refused")
    await fill("09/03/2013")
    await expect(page.get_by_role("status")).to_contain_text("El caso está abierto")
    await expect(page.locator("h1")).to_contain_text("Kevin Josué")
    case_id = page.url.split("/cases/")[1].split("?")[0]
    boy = await api.case(DIF, case_id)
    assert boy["child"]["date_of_birth"] == "2013-03-09"
    assert boy["host_country"] == "MX"
    assert boy["nationality"] == "HN"
    assert boy["stage"] == "identified"
    assert boy["blocked_for_consulate"] is False
    return boy


async def open_act(page: Page, key: str) -> Any:
    section = page.locator(f"#act-{key}")
    await section.locator("summary").click()
    return section


def local(at: datetime, zone: ZoneInfo) -> tuple[str, str]:
    moment = at.astimezone(zone)
    return moment.strftime("%d/%m/%Y"), moment.strftime("%H:%M")


async def test_a_honduran_boys_case_from_the_first_acts_to_the_follow_up(
    chromium_browser: Browser, console_url: str, setup: Setup, api: Api
) -> None:
    # dif.mx: opens the case; the list, filtered in the URL; the case; acts through its forms.
    async with signed_in(chromium_browser, console_url, DIF) as page:
        await page.click("nav.main-nav >> text=Casos de niñez")
        await expect(page.locator("h1")).to_have_text("Casos de niñez")
        boy = await open_the_boys_case(page, setup.tag, api)
        case_url = f"{console_url}/cases/{boy['id']}"
        await page.click("nav.main-nav >> text=Casos de niñez")
        await page.select_option("#nationality", "HN")
        await page.get_by_role("button", name="Mostrar").click()
        await page.wait_for_url(re.compile(r"/cases\?.*nationality=HN"))
        row = page.locator("table.cases tr", has_text=boy["reference"])
        await expect(row).to_contain_text("Kevin Josué")
        await expect(row).to_contain_text("Honduras")
        await expect(row).to_contain_text("Identificado")
        await expect(row).to_contain_text("Notificar a las autoridades")
        await expect(row).to_contain_text("hora de México")
        await look(page, "children", "list")

        await row.get_by_role("link", name=boy["reference"]).click()
        await expect(page.locator("h1")).to_contain_text("Kevin Josué")
        await expect(page.locator("dl.facts")).to_contain_text("13 años")
        await look(page, "children", "case")

        measure = await open_act(page, "protection-measures")
        await measure.get_by_label("Medida").select_option("shelter")
        await measure.get_by_label("Descripción").fill(f"Albergue DIF Tapachula {setup.tag}")
        await measure.get_by_role("button", name="Registrar la medida").click()
        await expect(page.get_by_role("status")).to_contain_text("Medida de protección")
        assert (await api.case(DIF, boy["id"]))["stage"] == "in_protective_custody"

        notice = await open_act(page, "notifications")
        await notice.get_by_label("Autoridad notificada").fill("Procuraduría de Protección")
        await notice.get_by_role("button", name="Registrar la notificación").click()
        await expect(page.get_by_role("status")).to_contain_text("Notificación a una autoridad")
        deadline = page.locator("table.deadlines tr", has_text="Notificar a las autoridades")
        await expect(deadline).to_contain_text("Hecho")

        # A date that does not exist: refused at its field, the notes kept.
        interview = await open_act(page, "interviews")
        await interview.get_by_label("Notas").fill(f"Quiere volver con su abuela {setup.tag}")
        await interview.get_by_label("Día (dd/mm/aaaa)").fill("31/02/2026")
        await interview.get_by_role("button", name="Registrar la entrevista").click()
        interview = page.locator("#act-interviews")
        await expect(interview.locator("#interviews-conducted_at-error")).to_have_text(
            "Escriba la fecha como dd/mm/aaaa y la hora como hh:mm."
        )
        await expect(interview.get_by_label("Notas")).to_have_value(
            f"Quiere volver con su abuela {setup.tag}"
        )
        await look(page, "children", "act_refused")
        await interview.get_by_label("Día (dd/mm/aaaa)").fill("")  # empty: now
        await interview.get_by_role("button", name="Registrar la entrevista").click()
        await expect(page.get_by_role("status")).to_contain_text("Entrevista")

        screening = await open_act(page, "screenings")
        await screening.get_by_label("Notas").fill("Sin indicios de trata ni temor de retorno.")
        await screening.get_by_role("button", name="Registrar la evaluación inicial").click()
        await expect(page.get_by_role("status")).to_contain_text("Evaluación inicial")

        # A complete BIA without the child's views: the API's rule, in Spanish, at the field.
        bia = await open_act(page, "bia")
        for label, text in (
            ("Seguridad", "Sin riesgo identificado."),
            ("Familia", "Su abuela en Choloma lo espera."),
            ("Salud", "Sano."),
            ("Educación", "Cursa 7.º grado."),
            ("Recomendación", "Retorno con su abuela y seguimiento de DINAF."),
        ):
            await bia.get_by_label(label, exact=True).fill(text)
        await bia.get_by_label("La evaluación está completa").check()
        await bia.get_by_role("button", name="Guardar la BIA").click()
        bia = page.locator("#act-bia")
        await expect(bia.locator("#bia-child_views-error")).to_have_text(
            "Escriba la opinión de la niña o el niño, o diga por qué no pudo darla."
        )
        await expect(bia.get_by_label("Salud", exact=True)).to_have_value("Sano.")
        await bia.get_by_label("Opinión de la niña o el niño").fill("Quiere volver a casa.")
        await bia.get_by_role("button", name="Guardar la BIA").click()
        await expect(page.get_by_role("status")).to_contain_text("Evaluación del interés superior")
        assert (await api.case(DIF, boy["id"]))["stage"] == "assessed"

        # The sensitive sections: a purpose first, then (a second factor if asked) the read.
        await page.get_by_role("link", name="Secciones sensibles").click()
        await expect(page.locator("h1")).to_contain_text("Secciones sensibles")
        await look(page, "children", "purpose")
        await page.get_by_role("button", name="Consultar las secciones sensibles").click()
        await expect(page.locator("#purpose-error")).to_have_text(
            "Escriba para qué necesita consultar estas secciones."
        )
        purpose = f"redactar la BIA {setup.tag}"
        await page.get_by_label("¿Para qué necesita consultarlas?").fill(purpose)
        await page.get_by_role("button", name="Consultar las secciones sensibles").click()
        await answer_otp_if_asked(page, DIF)
        await expect(page.locator("p.notice")).to_contain_text(purpose)
        timeline = page.locator("ol.timeline")
        await expect(timeline).to_contain_text("Medida de protección: Albergue")
        await expect(timeline).to_contain_text("por dif.mx (México)")
        await expect(page.locator("main")).to_contain_text(f"Albergue DIF Tapachula {setup.tag}")
        await look(page, "children", "sensitive")

    # The supervisor: the BID waits, with its gate in words, for Honduras's assessment.
    async with signed_in(chromium_browser, console_url, SUPERVISOR) as page:
        await page.goto(f"{console_url}/cases/queue")
        await expect(page.locator("h1")).to_have_text("Decisiones pendientes")
        bid_table = page.locator("table.cases").nth(1)
        await expect(bid_table.locator("tr", has_text=boy["reference"])).to_be_visible()
        protection_table = page.locator("table.cases").nth(0)
        await expect(
            protection_table.locator("tr", has_text=setup.girl["reference"])
        ).to_be_visible()
        await look(page, "children", "queue")
        await page.goto(case_url)
        await expect(page.locator("#act-bid p.gate")).to_have_text(
            "El BID necesita la evaluación del país de origen."
        )
        await expect(page.locator("ol.timeline")).to_contain_text(
            f"Secciones sensibles consultadas: {purpose}"
        )
        await look(page, "children", "case_supervisor")

    # dinaf.hn: sees the boy (not the girl), writes the origin assessment.
    async with signed_in(chromium_browser, console_url, DINAF) as page:
        await page.goto(f"{console_url}/cases?nationality=HN")
        await expect(page.locator("table.cases")).to_contain_text(boy["reference"])
        await expect(page.locator("main")).not_to_contain_text(setup.girl["reference"])
        await expect(page.locator("main")).not_to_contain_text("Dayana")
        for path in (f"/cases/{setup.girl['id']}", f"/cases/{setup.girl['id']}/sensitive"):
            answer = await page.goto(f"{console_url}{path}")
            assert answer is not None
            assert answer.status == 404
            await expect(page.locator("h1")).to_have_text("No encontrado")
        await look(page, "children", "not_found")

        await page.goto(case_url)
        assert await page.locator("#act-bid").count() == 0  # not the origin side's act
        origin = await open_act(page, "origin-assessment")
        await origin.get_by_label("Situación familiar").fill("Lo crió su abuela (62).")
        await origin.get_by_label("Situación del hogar").fill("Casa propia en Choloma.")
        await origin.get_by_label("Riesgos al retornar").fill("Sin amenazas conocidas.")
        await origin.get_by_label("Persona cuidadora: nombre").fill("Gloria Paz Reyes")
        await origin.get_by_label("Persona cuidadora: parentesco").fill("abuela")
        await origin.get_by_label("La persona cuidadora acepta y puede hacerse cargo").check()
        await origin.get_by_label("La evaluación está completa").check()
        await origin.get_by_role("button", name="Guardar la evaluación").click()
        await expect(page.get_by_role("status")).to_contain_text("Evaluación del país de origen")
        await look(page, "children", "case_origin")

    # The supervisor decides return.
    async with signed_in(chromium_browser, console_url, SUPERVISOR) as page:
        await page.goto(case_url)
        await expect(page.locator("#act-bid p.gate")).to_have_count(0)
        await expect(page.locator("ol.timeline")).to_contain_text("Evaluación del país de origen")
        await expect(page.locator("ol.timeline")).to_contain_text("por dinaf.hn (Honduras)")
        bid = await open_act(page, "bid")
        await bid.get_by_label("Decisión").select_option("return")
        await bid.get_by_label("Motivos").fill("Cuidadora dispuesta y capaz; sin riesgos.")
        await bid.get_by_label("Integrantes del panel").fill(
            "Lic. Adriana Solís\nLic. Mario Cabrera"
        )
        await bid.get_by_label("Cómo se tomó en cuenta la opinión de la niña o el niño").fill(
            "Pidió volver con su abuela."
        )
        await bid.get_by_role("button", name="Registrar el BID").click()
        await expect(page.get_by_role("status")).to_contain_text("Determinación del interés")
        await expect(page.locator("dl.facts")).to_contain_text(
            "Retorno con su familia en el país de origen"
        )
        assert (await api.case(SUPERVISOR, boy["id"]))["bid"] == {"decision": "return"}

    # dif.mx plans the return, on Mexico's clock.
    async with signed_in(chromium_browser, console_url, DIF) as page:
        await page.goto(case_url)
        plan = await open_act(page, "return-plan")
        day, clock = local(datetime.now(UTC) + timedelta(days=2), MEXICO)
        await plan.get_by_label("Punto de recepción (código)").fill(RECEPTION_POINT)
        await plan.get_by_label("Día (dd/mm/aaaa)").fill(day)
        await plan.get_by_label("Hora (hh:mm)").fill(clock)
        await plan.get_by_label("Acompañante (personal de protección de la niñez)").fill(
            "Lic. Rocío Martínez, DIF Chiapas"
        )
        await plan.get_by_role("button", name="Registrar el plan de retorno").click()
        await expect(page.get_by_role("status")).to_contain_text("Plan de retorno")
        await expect(page.locator("dl.facts")).to_contain_text("Retorno planificado")

    # dinaf.hn confirms the reception (on Honduras's clock) and records a follow-up.
    async with signed_in(chromium_browser, console_url, DINAF) as page:
        await page.goto(case_url)
        await expect(page.locator("#act-follow-ups p.gate")).to_have_text(
            "El seguimiento necesita primero la recepción de la niña o el niño."
        )
        reception = await open_act(page, "reception")
        day, clock = local(datetime.now(UTC) - timedelta(minutes=5), HONDURAS)
        await reception.get_by_label("Día (dd/mm/aaaa)").fill(day)
        await reception.get_by_label("Hora (hh:mm)").fill(clock)
        await reception.get_by_label("Recibido por (institución)").fill("DINAF, CAMR Omoa")
        await reception.get_by_role("button", name="Confirmar la recepción").click()
        await expect(page.get_by_role("status")).to_contain_text("Recepción en el país de origen")
        follow = await open_act(page, "follow-ups")
        await follow.get_by_label("Notas").fill(f"De vuelta en la escuela {setup.tag}")
        await follow.get_by_role("button", name="Registrar el seguimiento").click()
        await expect(page.get_by_role("status")).to_contain_text("Visita de seguimiento")
        await expect(page.locator("dl.facts")).to_contain_text("Seguimiento en el país de origen")
        assert (await api.case(DINAF, boy["id"]))["stage"] == "follow_up"
        await look(page, "children", "case_follow_up")

    # Honduras's consulate in Tapachula is never told of the blocked girl: no page of the
    # console shows her to it (its home, its inbox, its queue), and her case is not found.
    async with signed_in(chromium_browser, console_url, "consul.hn.tapachula") as page:
        for path in ("/", "/notifications?status=all", "/notifications", "/verifications"):
            await page.goto(f"{console_url}{path}")
            body = await page.inner_text("main")
            for trace in ("Dayana", f"Cruz Banegas {setup.tag}", setup.girl["reference"]):
                assert trace not in body, (path, trace)
        answer = await page.goto(f"{console_url}/cases/{setup.girl['id']}")
        assert answer is not None
        assert answer.status == 404


async def answer_otp_if_asked(page: Page, username: str) -> None:
    """The API may ask for a second factor: Keycloak's OTP form, then back to the same read."""
    sensitive = page.locator("p.notice")
    otp = page.locator("#otp")
    await expect(sensitive.or_(otp)).to_be_visible()
    if await otp.is_visible():
        await otp.fill(demo_code(username))
        await page.click("#kc-login")
