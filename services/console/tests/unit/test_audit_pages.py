"""The audit pages against fake service APIs: the log's verdict and the witnesses in words,
the trail's filters (which go to the API, which the console applies to the page, refused days
next to their field), paging that keeps the filters, a case's audit with the stated purpose;
and every audit action the services write has words."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from console.domain.officer import Officer
from console.domain.session import Session, Tokens
from console.entrypoints import web
from console.entrypoints.pages import audit
from console.entrypoints.words import WORDS
from console.service_layer.apis import NotFound, Unavailable

NOW = datetime(2026, 12, 2, tzinfo=UTC)
OFFICER = Officer("audit.rcm", "Andrés Ortiz", roles=("auditor",), country=None)
SESSION = Session(b"h", "sid", "sub", OFFICER, Tokens("a", "r", "i", NOW), "csrf", NOW, NOW)
CASE_ID = "01a23482-fc53-700c-97a4-b776587121a6"


def checkpoint(seq: int, head: str) -> dict[str, Any]:
    return {
        "seq": seq,
        "head": head,
        "count": seq,
        "at": "2026-12-02T15:00:00Z",
        "key_id": "k1",
        "source": "local",
    }


def entry(seq: int, actor: str, action: str, at: str, **detail: Any) -> dict[str, Any]:
    return {
        "seq": seq,
        "id": f"01a23482-fc53-700c-97a4-{seq:012d}",
        "at": at,
        "actor": actor,
        "action": action,
        "entity_type": "manifest",
        "entity_id": "m-1",
        "detail": detail,
        "correlation_id": None,
        "prev_hash": "0" * 64,
        "hash": "1" * 64,
    }


class FakeApis:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.verification: dict[str, Any] = {
            "repatriation": {
                "ok": True,
                "entries": 120,
                "broken_at_seq": None,
                "reason": None,
                "checkpoint": checkpoint(100, "aa"),
            },
            "consular": {
                "ok": False,
                "entries": 57,
                "broken_at_seq": 42,
                "reason": "entry 42: hash does not match",
                "checkpoint": checkpoint(40, "cc"),
            },
            "child_protection": {
                "ok": True,
                "entries": 9,
                "broken_at_seq": None,
                "reason": None,
                "checkpoint": None,
            },
        }
        self.kept: dict[str, list[dict[str, Any]]] = {
            "repatriation": [{**checkpoint(40, "XX"), "service": "consular"}],
            "consular": [{**checkpoint(100, "aa"), "service": "repatriation"}],
            "child_protection": [{**checkpoint(90, "zz"), "service": "repatriation"}],
            "reserve_fund": [],
        }
        self.trail: dict[str, Any] = {"items": [], "next_cursor": None}
        self.case_trail: dict[str, Any] = {"items": [], "next_cursor": None}

    async def get(self, service: str, path: str, **params: Any) -> Any:
        self.calls.append((service, path, params))
        if path == "/v1/audit/verification":
            if service not in self.verification:
                raise Unavailable(service, 503)
            return self.verification[service]
        if path == "/v1/audit/checkpoints":
            return self.kept[service]
        if path == "/v1/audit":
            return self.trail
        if path.endswith("/audit"):
            return self.case_trail
        return {"id": CASE_ID, "reference": "CP-MX-2026-000007", "nationality": "HN",
                "host_country": "MX"}  # fmt: skip


@pytest.fixture
def apis() -> FakeApis:
    return FakeApis()


@pytest.fixture
def client(apis: FakeApis) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(audit.router)
    lifetimes = SimpleNamespace(warn_at=lambda s: NOW, ends_at=lambda s: NOW)
    app.state.console = SimpleNamespace(sessions=SimpleNamespace(lifetimes=lifetimes))

    def signed_in(request: Request) -> web.Page:
        request.state.locale = "es"
        return web.Page(request, SESSION, apis, "es")  # type: ignore[arg-type]

    app.dependency_overrides[web.signed_in] = signed_in
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


def section(html: str, heading: str) -> str:
    start = html.index(heading)
    end = html.find('<section class="audit-service"', start)
    return html[start : end if end > 0 else len(html)]


def test_the_overview_says_whether_each_log_verifies_and_where_it_was_altered(
    client: TestClient,
) -> None:
    html = client.get("/audit").text
    assert "Cada pocos segundos el servicio firma una huella de la bitácora" in html
    assert "cadena" not in html
    assert "punto de control" not in html
    returns = section(html, "Retornos terrestres (manifiestos y entregas)</h2>")
    assert (
        "Verificada</span> La bitácora está íntegra: sus 120 registros se recalcularon"
        " y la huella firmada coincide." in returns
    )
    # A tree head vouches for a number of entries, not for "entry N".
    assert "Última huella firmada" in returns
    assert "Abarca 100 registros y se firmó el 02/12/2026 15:00 UTC" in returns
    consular = section(html, "Notificaciones y verificaciones consulares</h2>")
    assert "Alterada" in consular
    assert "La bitácora fue alterada en el registro 42" in consular
    assert "entry 42: hash does not match" in consular  # the service's words, said to be English
    children = section(html, "Casos de niñez</h2>")
    assert (
        "La bitácora está íntegra: sus 9 registros se recalcularon; todavía no hay una huella"
        " firmada con la cual compararlos." in children
    )
    assert "Todavía ninguna: solo se recalcularon los registros." in children
    # A service that does not answer is said so; the page still shows the others.
    fund = section(html, "Fondo de Reserva</h2>")
    assert "Este servicio no respondió" in fund


def test_the_witnesses_agree_differ_or_are_ahead_in_words(client: TestClient) -> None:
    html = client.get("/audit").text
    returns = section(html, "Retornos terrestres (manifiestos y entregas)</h2>")
    consular_copy = returns[returns.index("Notificaciones y verificaciones consulares:") :]
    consular_copy = consular_copy.split("</li>")[0]
    assert consular_copy.count("Coincide") == 1
    assert "guarda la misma huella (100 registros)." in consular_copy
    children_copy = returns[returns.index("Casos de niñez:") :].split("</li>")[0]
    assert "Copia anterior" in children_copy
    assert "guarda una huella anterior (90 registros): es normal" in children_copy
    consular = section(html, "Notificaciones y verificaciones consulares</h2>")
    rewritten = consular[consular.index("Retornos terrestres (manifiestos y entregas):") :]
    assert "No coincide" in rewritten.split("</li>")[0]
    assert (
        "guarda otra huella para el mismo número de registros (40): la bitácora fue reescrita,"
        " o se mostró una versión distinta a distintas partes." in rewritten.split("</li>")[0]
    )


def test_a_witness_newer_than_the_service_says_its_fingerprints_are_missing(
    client: TestClient, apis: FakeApis
) -> None:
    apis.kept["reserve_fund"] = [{**checkpoint(12, "h12"), "service": "child_protection"}]
    children = section(client.get("/audit").text, "Casos de niñez</h2>")
    fund_copy = children[children.index("Fondo de Reserva:") :].split("</li>")[0]
    assert "Copia más reciente" in fund_copy
    assert (
        "guarda una huella más reciente (12 registros) que la del propio servicio: faltan las"
        " huellas más recientes del servicio." in fund_copy
    )


def test_witnesses_compare_seq_and_head() -> None:
    own = checkpoint(10, "h10")
    kept = {
        "a": [{**checkpoint(10, "h10"), "service": "s"}],
        "b": [{**checkpoint(10, "other"), "service": "s"}],
        "c": [{**checkpoint(4, "h4"), "service": "s"}],
        "d": [{**checkpoint(12, "h12"), "service": "s"}],
        "e": [{**checkpoint(10, "h10"), "service": "someone else"}],
        "f": None,
        "s": [{**checkpoint(10, "h10"), "service": "s"}],  # itself: not a witness
    }
    verdicts = {w.service: w.verdict for w in audit.witnesses("s", own, kept)}
    assert verdicts == {
        "a": "agrees",
        "b": "differs",
        "c": "behind",
        "d": "ahead",
        "e": "none",
        "f": "unread",
    }
    # No checkpoint of its own, but others keep one: its checkpoints were removed.
    assert [w.verdict for w in audit.witnesses("s", None, {"a": kept["a"]})] == ["ahead"]


def test_entity_filters_go_to_the_api_the_others_filter_the_page(
    client: TestClient, apis: FakeApis
) -> None:
    apis.trail = {
        "items": [
            entry(1, "inm.mx", "manifest.drafted", "2026-12-01T10:00:00Z", reference="MX-1"),
            entry(2, "inm.mx", "manifest.submitted", "2026-12-01T11:00:00Z", reference="MX-1"),
            entry(3, "border.gt.tecun", "manifest.drafted", "2026-12-01T12:00:00Z"),
            entry(4, "inm.mx", "manifest.drafted", "2026-12-03T09:00:00Z", reference="MX-2"),
        ],
        "next_cursor": "CUR",
    }
    html = client.get(
        "/audit/repatriation",
        params={
            "entity_type": "manifest",
            "entity_id": "m-1",
            "actor": "INM",
            "action": "manifest.drafted",
            "since": "01/12/2026",
            "until": "2026-12-02",
        },
    ).text
    assert apis.calls == [
        (
            "repatriation",
            "/v1/audit",
            {"limit": 200, "cursor": None, "entity_type": "manifest", "entity_id": "m-1"},
        )
    ]
    rows = html[html.index("<tbody>") : html.index("</tbody>")]
    assert rows.count("<tr>") == 1
    assert "Manifiesto en borrador" in rows
    assert "MX-1" in rows
    assert "01/12/2026 10:00 UTC" in rows
    assert "México" not in rows  # a country is never guessed from a user name
    assert "qué pasó y los días: 1 de 4 registros leídos para esta página." in html
    # The next page keeps every filter (days as the API's ISO form).
    next_link = re.search(r'href="(/audit/repatriation\?[^"]*cursor=CUR[^"]*)"', html)
    assert next_link is not None
    link = next_link.group(1).replace("&amp;", "&")
    for part in ("entity_id=m-1", "actor=INM", "action=manifest.drafted", "since=2026-12-01"):
        assert part in link


def test_without_the_pages_filters_a_page_is_50_entries(client: TestClient, apis: FakeApis) -> None:
    client.get("/audit/consular", params={"cursor": "C2"})
    assert apis.calls == [("consular", "/v1/audit", {"limit": 50, "cursor": "C2"})]


def test_a_day_that_is_not_one_is_refused_next_to_its_field_and_nothing_is_read(
    client: TestClient, apis: FakeApis
) -> None:
    answer = client.get("/audit/repatriation", params={"since": "31/02/2026", "actor": "inm"})
    assert answer.status_code == 422
    assert 'id="since-error">Escriba la fecha como dd/mm/aaaa.' in answer.text
    assert 'value="inm"' in answer.text
    assert apis.calls == []
    backwards = client.get(
        "/audit/repatriation", params={"since": "2026-12-05", "until": "2026-12-01"}
    )
    assert backwards.status_code == 422
    assert 'id="until-error">El último día es antes del primer día.' in backwards.text


def test_an_unknown_service_is_not_found(client: TestClient) -> None:
    with pytest.raises(NotFound):
        client.get("/audit/payroll")


def test_a_cases_audit_shows_the_sensitive_reads_purpose(
    client: TestClient, apis: FakeApis
) -> None:
    read = entry(
        5,
        "dif.mx",
        "child_case.sensitive_read",
        "2026-12-02T16:00:00Z",
        purpose="Preparar la audiencia",
        country="MX",
    )
    apis.case_trail = {
        "items": [
            entry(4, "dif.mx", "child_case.opened", "2026-12-02T15:00:00Z"),
            read,
            entry(
                6,
                "sbs.gt",
                "child_case.sensitive_read_refused",
                "2026-12-02T17:00:00Z",
                refused="second_factor_required",
            ),
        ],
        "next_cursor": None,
    }
    html = client.get(f"/cases/{CASE_ID}/audit").text
    assert "Auditoría del caso: CP-MX-2026-000007" in html
    rows = html[html.index("<tbody>") : html.index("</tbody>")].split("</tr>")
    assert "Caso abierto" in rows[0]
    assert "Secciones sensibles consultadas" in rows[1]
    assert "Motivo declarado</dt><dd>Preparar la audiencia" in rows[1]
    assert "Consulta de las secciones sensibles rechazada" in rows[2]
    assert "Guatemala" not in rows[2]  # the refusal records no country: none is guessed
    assert "No se usó un segundo factor reciente (código de un solo uso)" in rows[2]
    assert "Intentos de consultar las secciones sensibles en esta página</dt><dd>2" in html.replace(
        "\n", ""
    )
    assert apis.calls[0] == (
        "child_protection",
        f"/v1/cases/{CASE_ID}/audit",
        {"limit": 100, "cursor": None},
    )


def test_actor_country_is_only_what_the_entry_records() -> None:
    assert audit.actor_country("dif.mx.supervisor", {}) is None  # never guessed from a name
    assert audit.actor_country("border.gt.tecun", {"country": "hn"}) == "HN"
    assert audit.actor_country("audit.rcm", {}) is None
    assert audit.actor_country("system", {}) is None


# -- every action the services write has words --------------------------------------------------


def _named(name: str) -> object:
    return type(name, (), {})()


def service_actions() -> set[str]:
    from child_protection.adapters import integration as child_integration
    from child_protection.domain import events as child_events
    from consular.domain import events as consular_events
    from puebla.db.unit_of_work import audit_action
    from repatriation.domain import events as repatriation_events
    from reserve_fund.domain import events as fund_events

    found: set[str] = set()
    # consular: the verification's events are these four; every other is a notification's.
    verification = {
        "VerificationRequested",
        "NationalityConfirmed",
        "NationalityRejected",
        "VerificationWithdrawn",
    }
    found |= {
        audit_action(
            "verification" if c.__name__ in verification else "notification", _named(c.__name__)
        )
        for c in consular_events.Event.__subclasses__()
    }
    found |= {
        audit_action("fund_application", _named(c.__name__))
        for c in fund_events.ApplicationEvent.__subclasses__()
    } | {audit_action("fund_budget", _named("BudgetSet"))}
    found |= {
        audit_action(child_integration.AGGREGATE, _named(c.__name__))
        for c in child_events.CaseEvent.__subclasses__()
    }
    found |= {
        audit_action("manifest", _named(c.__name__))
        for c in repatriation_events.ManifestEvent.__subclasses__()
    }
    return found


def test_every_audit_action_the_services_write_has_words() -> None:
    actions = service_actions()
    assert len(actions) > 50
    assert actions - set(WORDS["audit_action"]) == set()
