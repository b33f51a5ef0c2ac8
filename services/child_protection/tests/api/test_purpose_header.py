"""The stated purpose of a sensitive read travels in the `Puebla-Purpose` header, never in the
URL, so access logs (uvicorn's, the Ingress') never hold it (issue 13, security review 17).

`?purpose=` is refused with a 422 naming `purpose`, even beside a valid header: a client that
still sends it learns where it goes (that one request's URL is still logged once). The order
404 → 403 → 422 holds: a case the caller may not see is 404 whatever the purpose, a consul is
403 before any purpose is looked at."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from child_protection.entrypoints.api.app import create_app
from puebla_dev.testing.totp import DEMO_TOTP_SECRETS

READ = "child_case.sensitive_read"


def errors(answer: httpx.Response) -> list[tuple[str, str]]:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    return [(e["field"], e["rule"]) for e in answer.json()["errors"]]


async def sensitive(
    client: httpx.AsyncClient,
    api: Any,
    user: str,
    case_id: str,
    *,
    header: bytes | None = None,
    query: str | None = None,
) -> httpx.Response:
    # Raw bytes, as a client sends them (a purpose in UTF-8, or bytes that are not).
    given = api.headers(user, step_up=user in DEMO_TOTP_SECRETS)
    headers = [(k.encode(), v.encode()) for k, v in given.items()]
    if header is not None:
        headers.append((b"Puebla-Purpose", header))
    params = {} if query is None else {"purpose": query}
    return await client.get(f"/v1/cases/{case_id}/sensitive", headers=headers, params=params)


async def reads(db: Any, case_id: str) -> list[dict[str, Any]]:
    return [e for e in await db.audit(case_id) if e["action"] == READ]


class TestTheHeader:
    async def test_the_purpose_in_the_header_is_read_and_audited_as_utf8(
        self, api, client, db
    ) -> None:
        case = await api.open("dif.mx")
        stated = "Revisión del caso: visita a la niña"

        answer = await sensitive(client, api, "dif.mx", case["id"], header=stated.encode())

        assert answer.status_code == 200, answer.text
        assert [e["detail"]["purpose"] for e in await reads(db, case["id"])] == [stated]
        assert "purpose" not in str(answer.request.url)

    async def test_missing_blank_too_long_or_not_utf8_is_422_naming_the_header(
        self, api, client, db
    ) -> None:
        case = await api.open("dif.mx")
        for header, rule in (
            (None, "missing"),
            (b"   ", "purpose_required"),
            (b"x" * 501, "purpose_required"),
            (b"caf\xe9", "not_utf8"),
        ):
            answer = await sensitive(client, api, "dif.mx", case["id"], header=header)
            assert errors(answer) == [("puebla-purpose", rule)], header
        assert await reads(db, case["id"]) == []


class TestTheQueryString:
    async def test_purpose_in_the_query_is_422_naming_it_even_beside_the_header(
        self, api, client, db
    ) -> None:
        case = await api.open("dif.mx")
        for header in (None, b"BIA review"):
            answer = await sensitive(
                client, api, "dif.mx", case["id"], header=header, query="BIA review"
            )
            assert errors(answer) == [("purpose", "purpose_not_in_query")]
            assert "Puebla-Purpose" in answer.json()["errors"][0]["message"]
        assert await reads(db, case["id"]) == []

    def test_the_api_document_declares_the_header_and_no_query_parameter(self, runtime) -> None:
        document = create_app(runtime).openapi()
        operation = document["paths"]["/v1/cases/{case_id}/sensitive"]["get"]
        where = {(p["in"], p["name"]) for p in operation["parameters"]}
        assert ("header", "Puebla-Purpose") in where
        assert ("query", "purpose") not in where


class TestCheckOrder:
    async def test_a_case_the_caller_may_not_see_is_404_whatever_the_purpose(
        self, api, client
    ) -> None:
        case = await api.open("dif.mx")
        for case_id in (case["id"], str(uuid.uuid4())):
            for header, query in ((None, None), (None, "x"), (b"ok", "x"), (b" ", None)):
                answer = await sensitive(client, api, "sbs.gt", case_id, header=header, query=query)
                assert answer.status_code == 404, (case_id, header, query, answer.text)

    async def test_a_consul_is_403_before_the_purpose_is_looked_at(self, api, client) -> None:
        case = await api.open("dif.mx")
        for header, query in ((None, None), (None, "x"), (b" ", None)):
            answer = await sensitive(
                client, api, "consul.hn.tapachula", case["id"], header=header, query=query
            )
            assert answer.status_code == 403, (header, query, answer.text)
