"""The border pages' handlers against a fake repatriation API: what they send (the form's
Idempotency-Key, a reason only with a refusal), how a conflict and a refusal come back next to
the person, and the PDF as a download that is never cached."""

from __future__ import annotations

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
from console.entrypoints.pages import border
from console.service_layer.apis import Refused

NOW = datetime(2026, 12, 2, tzinfo=UTC)
OFFICER = Officer(
    "border.gt.tecun",
    "Tomás Cux",
    roles=("border_officer",),
    country="GT",
    border_post="GT-TECUN-UMAN",
)
SESSION = Session(b"h", "sid", "sub", OFFICER, Tokens("a", "r", "i", NOW), "csrf", NOW, NOW)
MANIFEST_ID = "01a23482-fc53-700c-97a4-b776587121a6"
EDGAR = "01a23482-fc53-700c-97a4-000000000001"
HILDA = "01a23482-fc53-700c-97a4-000000000002"


def person(id_: str, given: str) -> dict[str, Any]:
    return {
        "id": id_,
        "given_names": given,
        "surnames": "Prueba",
        "sex": "F",
        "date_of_birth": "1990-01-01",
        "document": None,
        "family_group": None,
        "vulnerable": False,
        "vulnerabilities": {},
        "age_disputed": False,
        "handover_outcome": None,
        "handover_reason": None,
    }


def entry(id_: str, outcome: str | None = None, reason: str | None = None) -> dict[str, Any]:
    return {
        "returnee_id": id_,
        "outcome": outcome,
        "reason": reason,
        "officer": "border.otro" if outcome else None,
        "recorded_at": "2026-12-02T16:05:00Z" if outcome else None,
    }


class FakeApis:
    def __init__(self) -> None:
        self.manifest = {
            "id": MANIFEST_ID,
            "reference": "MX-GT-2026-000123",
            "status": "dispatched",
            "sending_country": "MX",
            "scheduled_arrival": "2026-12-02T16:00:00Z",
            "vehicle": {"plate": "C1234", "seats": 40},
            "returnees": [person(EDGAR, "Edgar"), person(HILDA, "Hilda")],
        }
        self.entries = [entry(EDGAR), entry(HILDA)]
        self.refusal: Refused | None = None
        self.posts: list[tuple[str, Any, str | None]] = []
        self.accept = ""

    @property
    def record(self) -> dict[str, Any]:
        return {
            "manifest_id": MANIFEST_ID,
            "reference": "MX-GT-2026-000123",
            "reception_time_zone": "America/Guatemala",
            "entries": self.entries,
            "totals": {
                "received": 0,
                "not_presented": 0,
                "refused": 0,
                "pending": 2,
                "arrived_not_listed": 0,
                "total": 2,
            },
        }

    async def get(self, service: str, path: str, **params: Any) -> Any:
        if path.endswith("/handover-record"):
            return self.record
        return self.manifest

    async def post(
        self, service: str, path: str, body: Any = None, *, key: str | None = None
    ) -> Any:
        self.posts.append((path, body, key))
        if self.refusal is not None:
            raise self.refusal
        return {}

    async def get_bytes(self, service: str, path: str, *, accept: str) -> bytes:
        self.accept = accept
        return b"%PDF-1.7 the record"


@pytest.fixture
def apis() -> FakeApis:
    return FakeApis()


@pytest.fixture
def client(apis: FakeApis) -> Iterator[TestClient]:
    app = FastAPI()
    app.include_router(border.router)
    lifetimes = SimpleNamespace(warn_at=lambda s: NOW, ends_at=lambda s: NOW)
    app.state.console = SimpleNamespace(sessions=SimpleNamespace(lifetimes=lifetimes))

    def signed_in(request: Request) -> web.Page:
        request.state.locale = "es"
        return web.Page(request, SESSION, apis, "es")  # type: ignore[arg-type]

    app.dependency_overrides[web.signed_in] = signed_in
    with TestClient(app, follow_redirects=False) as test_client:
        yield test_client


HTMX = {"HX-Request": "true"}


def test_a_tap_sends_the_forms_key_and_a_reason_only_with_a_refusal(
    client: TestClient, apis: FakeApis
) -> None:
    answer = client.post(
        f"/manifests/{MANIFEST_ID}/handover/people/{EDGAR}",
        data={"outcome": "received", "reason": "other", "idempotency_key": "k-1"},
    )
    assert answer.status_code == 303
    assert answer.headers["location"].endswith(f"/handover#person-{EDGAR}")
    assert apis.posts == [
        (
            f"/v1/manifests/{MANIFEST_ID}/handovers",
            {"items": [{"returnee_id": EDGAR, "outcome": "received"}]},
            "k-1",
        )
    ]


def test_a_conflict_shows_what_is_recorded_by_whom_and_what_was_tried(
    client: TestClient, apis: FakeApis
) -> None:
    apis.refusal = Refused(
        "repatriation",
        409,
        {"rule": "handover_already_recorded", "field": "items[0].outcome"},
    )
    apis.entries = [entry(EDGAR, "not_presented"), entry(HILDA)]
    answer = client.post(
        f"/manifests/{MANIFEST_ID}/handover/people/{EDGAR}",
        data={"outcome": "received", "idempotency_key": "k-2"},
        headers=HTMX,
    )
    assert answer.status_code == 200  # htmx swaps the row
    html = answer.text
    assert f'id="person-{EDGAR}"' in html
    assert "Alguien más registró a esta persona mientras tanto" in html
    conflict = html[html.index('class="conflict') : html.index("</dl>")]
    assert "Registrado ahora</dt>\n    <dd>No presentada" in conflict
    assert "border.otro" in conflict
    assert "Usted intentó</dt>\n    <dd>Recibida" in conflict
    assert 'hx-swap-oob="true"' in html  # the totals, too


def test_a_refusal_without_reason_comes_back_next_to_the_person(
    client: TestClient, apis: FakeApis
) -> None:
    apis.refusal = Refused(
        "repatriation",
        422,
        {"errors": [{"field": "items[0].reason", "rule": "refusal_reason_required"}]},
    )
    answer = client.post(
        f"/manifests/{MANIFEST_ID}/handover/people/{HILDA}",
        data={"outcome": "refused", "reason": "", "idempotency_key": "k-3"},
    )
    assert answer.status_code == 422
    row = answer.text[answer.text.index(f'id="person-{HILDA}"') :]
    assert row.index("Elija el motivo del rechazo.") < row.index("</li>")
    assert '<details class="refuse" open>' in row[: row.index("</li>")]


def test_all_received_except_sends_everyone_listed_and_places_refusals(
    client: TestClient, apis: FakeApis
) -> None:
    apis.refusal = Refused(
        "repatriation",
        422,
        {"errors": [{"field": "items[1].reason", "rule": "refusal_reason_required"}]},
    )
    answer = client.post(
        f"/manifests/{MANIFEST_ID}/handover/except",
        data={
            "person": [EDGAR, HILDA],
            f"outcome-{EDGAR}": "received",
            f"outcome-{HILDA}": "refused",
            "idempotency_key": "k-4",
        },
    )
    assert apis.posts[0][1] == {
        "items": [
            {"returnee_id": EDGAR, "outcome": "received"},
            {"returnee_id": HILDA, "outcome": "refused"},
        ]
    }
    assert answer.status_code == 422
    hilda = answer.text[answer.text.index(f'id="person-{HILDA}"') :]
    assert hilda.index("Elija el motivo del rechazo.") < hilda.index("</li>")
    edgar = answer.text[answer.text.index(f'id="person-{EDGAR}"') :]
    assert "Elija el motivo" not in edgar[: edgar.index("</li>")]
    # The officer's choice is kept.
    assert f'name="outcome-{HILDA}" value="refused" data-person="{HILDA}"' in hilda


def test_the_pdf_is_a_download_named_by_its_reference_and_never_cached(
    client: TestClient, apis: FakeApis
) -> None:
    answer = client.get(f"/manifests/{MANIFEST_ID}/record.pdf")
    assert answer.status_code == 200
    assert apis.accept == "application/pdf"
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["cache-control"] == "no-store"
    assert answer.headers["content-disposition"] == (
        'attachment; filename="acta-de-entrega-MX-GT-2026-000123.pdf"'
    )
    assert answer.content.startswith(b"%PDF")
