"""Bad input gets a clear answer: 422 problem+json naming each field and rule, never a 500."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI
from pydantic import ValidationError
from sqlalchemy.exc import OperationalError, ProgrammingError

from puebla.http.errors import field_path, install_problem_handlers
from puebla.http.schemas import BirthDate, CountryCode, Name, RequestModel
from puebla.problems import conflict


class Person(RequestModel):
    given_names: Name
    date_of_birth: BirthDate
    nationality: CountryCode


class Group(RequestModel):
    people: list[Person]


def make_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/groups")
    async def create(group: Group) -> dict[str, Any]:
        return {"n": len(group.people)}

    @app.post("/conflict")
    async def clash() -> None:
        raise conflict("already recorded", slug="handover-recorded")

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    @app.get("/database-restarting")
    async def restarting() -> None:
        # What SQLAlchemy raises when asyncpg cannot connect: the OSError is the cause.
        try:
            raise ConnectionRefusedError(111, "Connect call failed ('127.0.0.1', 5432)")
        except OSError as refused:
            raise OperationalError("SELECT 1", {}, refused) from refused

    @app.get("/connection-cut")
    async def cut() -> None:
        raise asyncpg.InterfaceError("cannot call Connection.fetch(): connection is closed")

    @app.get("/bad-sql")
    async def bad_sql() -> None:
        raise ProgrammingError("SELECT nope", {}, Exception("column nope does not exist"))

    return app


@pytest.fixture
async def client() -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=make_app(), raise_app_exceptions=False)
    return httpx.AsyncClient(transport=transport, base_url="http://test")


class TestValidationProblems:
    async def test_each_invalid_field_is_named_with_its_rule(
        self, client: httpx.AsyncClient
    ) -> None:
        body = {
            "people": [
                {"given_names": "Ana", "date_of_birth": "1990-01-01", "nationality": "GT"},
                {"given_names": "", "date_of_birth": "2990-01-01", "nationality": "gt"},
            ]
        }
        response = await client.post("/groups", json=body)
        assert response.status_code == 422
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == 422
        assert problem["type"].endswith("/validation")
        found = {(e["field"], e["rule"]) for e in problem["errors"]}
        assert found == {
            ("people[1].given_names", "string_too_short"),
            ("people[1].date_of_birth", "value_error"),
            ("people[1].nationality", "string_pattern_mismatch"),
        }

    async def test_unknown_fields_are_rejected_not_ignored(self, client: httpx.AsyncClient) -> None:
        body = {"people": [], "status": "approved"}
        response = await client.post("/groups", json=body)
        assert response.status_code == 422
        assert response.json()["errors"] == [
            {
                "field": "status",
                "rule": "extra_forbidden",
                "message": "Extra inputs are not permitted",
            }
        ]

    async def test_malformed_json_is_a_422_not_a_500(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/groups", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert response.status_code == 422
        assert response.json()["errors"][0]["rule"] == "json_invalid"


class TestOtherProblems:
    async def test_conflict_is_problem_json(self, client: httpx.AsyncClient) -> None:
        response = await client.post("/conflict")
        assert response.status_code == 409
        assert response.json()["type"] == "https://puebla.rcm/problems/handover-recorded"
        assert response.json()["detail"] == "already recorded"

    async def test_unknown_route_is_problem_json(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/nowhere")
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"

    async def test_an_unexpected_error_leaks_nothing(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/boom")
        assert response.status_code == 500
        assert "secret internals" not in response.text
        assert response.json()["title"] == "Internal Server Error"


class TestBackingServiceUnavailable:
    @pytest.mark.parametrize("path", ["/database-restarting", "/connection-cut"])
    async def test_a_database_away_is_503_with_retry_after(
        self, client: httpx.AsyncClient, path: str
    ) -> None:
        response = await client.get(path)
        assert response.status_code == 503
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["Retry-After"] == "2"
        assert response.json()["type"].endswith("/temporarily-unavailable")
        assert "5432" not in response.text

    async def test_a_bug_in_a_query_stays_a_500(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/bad-sql")
        assert response.status_code == 500
        assert "nope" not in response.text


class TestFieldPath:
    @pytest.mark.parametrize(
        ("loc", "expected"),
        [
            (("body", "returnees", 2, "date_of_birth"), "returnees[2].date_of_birth"),
            (("query", "limit"), "limit"),
            (("body",), "body"),
            (("body", "vehicle", "seats"), "vehicle.seats"),
        ],
    )
    def test_locations_become_dotted_paths(self, loc: tuple[object, ...], expected: str) -> None:
        assert field_path(loc) == expected


class Visit(RequestModel):
    note: str
    on: BirthDate
    tags: list[str] = []


class TestUnstorableInput:
    @pytest.mark.parametrize(
        ("body", "field", "rule"),
        [
            ({"note": "a\x00b", "on": "2000-01-01"}, "note", "text_nul"),
            ({"note": "ok", "on": "2000-01-01", "tags": ["x\x00"]}, "tags", "text_nul"),
            ({"note": "\ud800", "on": "2000-01-01"}, "note", "text_surrogate"),
            ({"note": "ok", "on": 946684800}, "on", "date_as_number"),
        ],
    )
    def test_refused_with_the_field_named(
        self, body: dict[str, Any], field: str, rule: str
    ) -> None:
        with pytest.raises(ValidationError) as caught:
            Visit.model_validate(body)
        errors = caught.value.errors()
        assert [(e["loc"][0], e["type"]) for e in errors] == [(field, rule)]

    def test_ordinary_text_and_dates_pass(self) -> None:
        visit = Visit.model_validate({"note": "  ñandú  ", "on": "2000-01-01", "tags": ["a"]})
        assert visit.note == "ñandú"
