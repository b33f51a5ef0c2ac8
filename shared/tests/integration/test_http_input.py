"""Bad input an outside fuzzer found (issue 13), on an app built exactly as the services build
theirs, with real Keycloak tokens: every answer is the project's problem+json, never a 500 nor
FastAPI's `about:blank`.

1. Control characters in query, path and header parameters: 422 naming the parameter (NUL:
   `text_nul`, as in bodies; others `control_character`), after the route's own 404 check.
2. A body that is not UTF-8 or not JSON: 422 naming `body`, rule `json_invalid` (was 400
   `about:blank` "There was an error parsing the body" for bytes that are not UTF-8).
3. A method the path does not take: 405 `…/method-not-allowed` with `Allow` listing every
   method the path has (Starlette named only the first route's, `Allow: POST` for a path
   with a GET and a POST route).
4. Times and dates outside 1900..2999 in a body, and dates in parameters written other than
   YYYY-MM-DD (`?on=0` read as 1970-01-01): 422 naming the field.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import AsyncIterator
from datetime import date
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, Query
from pydantic import AwareDatetime

from puebla.http.app import create_service_app
from puebla.http.deps import Caller
from puebla.http.schemas import CalendarDate, RequestModel
from puebla.problems import not_found
from puebla.runtime import Runtime, ServiceDefinition
from puebla_dev.testing.infra import MigratedDatabase
from puebla_dev.testing.keycloak import KeycloakTokens

from .conftest import FIXTURE_SERVICE

pytestmark = pytest.mark.asyncio(loop_scope="session")

MINE = uuid.UUID("00000000-0000-4000-8000-000000000001")


class Moment(RequestModel):
    at: AwareDatetime
    on: date | None = None


router = APIRouter(prefix="/v1")


async def visible(item_id: uuid.UUID) -> None:
    """Like every service's visibility dependency: 404 for a record the caller may not see."""
    if item_id != MINE:
        raise not_found("The item")


@router.get("/items/{item_id}", dependencies=[Depends(visible)])
async def read_item(
    item_id: uuid.UUID,
    caller: Caller,
    purpose: Annotated[str, Query(min_length=1, max_length=50)],
) -> dict[str, Any]:
    return {"purpose": purpose}


@router.post("/items")
async def create_item(body: Moment, caller: Caller) -> dict[str, Any]:
    return {"at": body.at.isoformat()}


@router.get("/items")
async def list_items(
    caller: Caller,
    on: Annotated[CalendarDate | None, Query()] = None,
    q: Annotated[str | None, Query(max_length=50)] = None,
) -> dict[str, Any]:
    return {"on": on.isoformat() if on else None, "q": q}


@router.get("/codes/{code}")
async def read_code(code: str, caller: Caller) -> dict[str, Any]:
    return {"code": code}


def build_app(db: MigratedDatabase) -> FastAPI:
    definition = ServiceDefinition(
        name="repatriation", service_dir=FIXTURE_SERVICE, database_url=db.url
    )
    runtime = Runtime(definition, db.engine, db.sessions)
    return create_service_app(definition, title="input test", routers=[router], runtime=runtime)


@pytest.fixture
async def client(library_db: MigratedDatabase) -> AsyncIterator[httpx.AsyncClient]:
    app = build_app(library_db)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            yield http


@pytest.fixture
def auth(tokens: KeycloakTokens) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.get('inm.mx')}"}


def problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["type"] == f"https://puebla.rcm/problems/{slug}"
    assert body["status"] == status
    return body


def refused(response: httpx.Response) -> set[tuple[str, str]]:
    return {(e["field"], e["rule"]) for e in problem(response, 422, "validation")["errors"]}


class TestControlCharactersInParameters:
    @pytest.mark.parametrize(
        ("query", "expected"),
        [
            ("purpose=a%00b", ("purpose", "text_nul")),
            ("purpose=%00", ("purpose", "text_nul")),
            ("purpose=a%01b", ("purpose", "control_character")),
            ("purpose=a%0Ab", ("purpose", "control_character")),
            ("purpose=a%7Fb", ("purpose", "control_character")),
            ("purpose=ok&extra=%00", ("extra", "text_nul")),
        ],
    )
    async def test_a_query_parameter_is_refused_naming_it(
        self, client: httpx.AsyncClient, auth: dict[str, str], query: str, expected: Any
    ) -> None:
        response = await client.get(f"/v1/items/{MINE}?{query}", headers=auth)
        assert expected in refused(response)

    async def test_other_routes_and_parameters_too(
        self, client: httpx.AsyncClient, auth: dict[str, str]
    ) -> None:
        assert ("q", "text_nul") in refused(await client.get("/v1/items?q=x%00", headers=auth))
        response = await client.get("/v1/audit?entity_type=a%00", headers=auth)
        assert ("entity_type", "text_nul") in refused(response)
        response = await client.get("/v1/codes/A%00B", headers=auth)
        assert ("code", "text_nul") in refused(response)

    async def test_a_header_value_is_refused_naming_it(
        self, client: httpx.AsyncClient, auth: dict[str, str]
    ) -> None:
        headers = {**auth, "X-Purpose": "a\x01b"}
        response = await client.get(f"/v1/items/{MINE}?purpose=ok", headers=headers)
        assert ("x-purpose", "control_character") in refused(response)
        tab = await client.get(f"/v1/items/{MINE}?purpose=ok", headers={**auth, "X-Note": "a\tb"})
        assert tab.status_code == 200, tab.text

    async def test_text_without_control_characters_is_taken_as_given(
        self, client: httpx.AsyncClient, auth: dict[str, str]
    ) -> None:
        response = await client.get(f"/v1/items/{MINE}?purpose=Revisión%20del%20caso", headers=auth)
        assert response.status_code == 200, response.text
        assert response.json() == {"purpose": "Revisión del caso"}

    async def test_a_record_the_caller_may_not_see_is_still_404_first(
        self, client: httpx.AsyncClient, auth: dict[str, str]
    ) -> None:
        other = uuid.UUID("00000000-0000-4000-8000-000000000002")
        response = await client.get(f"/v1/items/{other}?purpose=a%00b", headers=auth)
        problem(response, 404, "not-found")

    async def test_without_a_token_401_first(self, client: httpx.AsyncClient) -> None:
        response = await client.get(f"/v1/items/{MINE}?purpose=a%00b")
        problem(response, 401, "unauthorized")


class TestBodiesThatAreNotJson:
    @pytest.mark.parametrize(
        "content",
        [
            b'{"at": "\xff"}',  # not UTF-8: was 400 about:blank
            b"\xc3\x28",
            b"{not json",
            b"[" * 100_000,  # deeper than the parser goes
        ],
    )
    async def test_422_naming_the_body(
        self, client: httpx.AsyncClient, auth: dict[str, str], content: bytes
    ) -> None:
        headers = {**auth, "Content-Type": "application/json"}
        response = await client.post("/v1/items", content=content, headers=headers)
        assert refused(response) == {("body", "json_invalid")}


class TestMethodNotAllowed:
    @pytest.mark.parametrize("method", ["PUT", "DELETE", "PATCH", "OPTIONS"])
    async def test_405_lists_every_method_of_the_path(
        self, client: httpx.AsyncClient, auth: dict[str, str], method: str
    ) -> None:
        response = await client.request(method, "/v1/items", headers=auth)
        problem(response, 405, "method-not-allowed")
        assert response.headers["allow"] == "GET, POST"

    async def test_a_path_with_one_method(
        self, client: httpx.AsyncClient, auth: dict[str, str]
    ) -> None:
        response = await client.post(f"/v1/items/{MINE}", headers=auth)
        problem(response, 405, "method-not-allowed")
        assert response.headers["allow"] == "GET"

    async def test_an_unknown_path_is_the_projects_404(
        self, client: httpx.AsyncClient, auth: dict[str, str]
    ) -> None:
        problem(await client.get("/v1/nowhere", headers=auth), 404, "not-found")


class TestDatesAndTimes:
    @pytest.mark.parametrize(
        "at",
        [
            "0001-01-01T00:00:00Z",  # was a 500: OverflowError in astimezone
            "0001-01-01T00:00:00+14:00",  # before year 1 in UTC
            "9999-12-31T23:59:59-14:00",  # after year 9999 in UTC
            "1899-12-31T23:59:59Z",
            "3000-01-01T00:00:00Z",
            "2999-12-31T23:00:00-02:00",  # 3000-01-01T01:00Z
        ],
    )
    async def test_a_time_outside_the_range_is_422_naming_it(
        self, client: httpx.AsyncClient, auth: dict[str, str], at: str
    ) -> None:
        response = await client.post("/v1/items", json={"at": at}, headers=auth)
        assert refused(response) == {("at", "datetime_out_of_range")}

    @pytest.mark.parametrize(
        "at", ["1900-01-01T00:00:00Z", "2999-12-31T23:59:59Z", "1900-01-01T05:00:00+05:00"]
    )
    async def test_the_range_holds_its_ends(
        self, client: httpx.AsyncClient, auth: dict[str, str], at: str
    ) -> None:
        response = await client.post("/v1/items", json={"at": at}, headers=auth)
        assert response.status_code == 200, response.text

    @pytest.mark.parametrize("at", [1490695880, 1490695880.5, 0])
    async def test_a_number_is_not_a_time(
        self, client: httpx.AsyncClient, auth: dict[str, str], at: float
    ) -> None:
        # pydantic reads it as a Unix time; its AwareDatetime was not seen as a time (issue 13:
        # a screening dated 1490695880 was taken as 2017-03-28)
        response = await client.post("/v1/items", json={"at": at}, headers=auth)
        assert refused(response) == {("at", "date_as_number")}

    async def test_a_date_in_a_body_too(
        self, client: httpx.AsyncClient, auth: dict[str, str]
    ) -> None:
        body = {"at": "2026-12-01T10:00:00Z", "on": "0001-01-01"}
        response = await client.post("/v1/items", json=body, headers=auth)
        assert refused(response) == {("on", "date_out_of_range")}

    @pytest.mark.parametrize(
        ("on", "rule"),
        [
            ("0", "date_format"),  # was read as 1970-01-01
            ("1700000000", "date_format"),
            ("2026-1-1", "date_format"),
            ("2026-12-01T00:00:00Z", "date_format"),
            ("0001-01-01", "date_out_of_range"),
            ("9999-12-31", "date_out_of_range"),
            ("2026-02-30", "date_from_datetime_parsing"),
        ],
    )
    async def test_a_date_parameter_is_only_yyyy_mm_dd(
        self, client: httpx.AsyncClient, auth: dict[str, str], on: str, rule: str
    ) -> None:
        response = await client.get("/v1/items", params={"on": on}, headers=auth)
        assert refused(response) == {("on", rule)}

    @pytest.mark.parametrize(
        "after", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00", "1899-12-31T00:00:00Z"]
    )
    async def test_a_forged_cursor_with_an_extreme_time_is_422(
        self, client: httpx.AsyncClient, tokens: KeycloakTokens, after: str
    ) -> None:
        # was a 500 (the auditor's page query): asyncpg converting its time to UTC overflowed
        raw = json.dumps([after, str(uuid.uuid4())]).encode()
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        auditor = {"Authorization": f"Bearer {tokens.get('audit.rcm')}"}
        response = await client.get("/v1/audit", params={"cursor": cursor}, headers=auditor)
        assert refused(response) == {("cursor", "invalid_cursor")}

    async def test_a_cursor_at_a_recorded_time_centuries_ahead_is_one(
        self, client: httpx.AsyncClient, tokens: KeycloakTokens
    ) -> None:
        # reserve_fund's tests move the clock to a budget year of their own, up to 9998:
        # the cursors of those pages hold such times and must still page.
        raw = json.dumps(["5000-01-01T00:00:00+00:00", str(uuid.uuid4())]).encode()
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        auditor = {"Authorization": f"Bearer {tokens.get('audit.rcm')}"}
        response = await client.get("/v1/audit", params={"cursor": cursor}, headers=auditor)
        assert response.status_code == 200, response.text

    async def test_a_date_parameter_as_written(
        self, client: httpx.AsyncClient, auth: dict[str, str]
    ) -> None:
        response = await client.get("/v1/items", params={"on": "2006-04-30"}, headers=auth)
        assert response.status_code == 200, response.text
        assert response.json()["on"] == "2006-04-30"
