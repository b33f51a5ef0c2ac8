"""The page plumbing: where `next` may lead, a refusal shown next to its field, CSRF."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from starlette.requests import Request

from console.domain.officer import Officer
from console.domain.session import Session, Tokens
from console.entrypoints import web
from console.service_layer.apis import Refused

NOW = datetime(2026, 12, 2, tzinfo=UTC)
SESSION = Session(
    b"h", "sid", "sub", Officer("u", "U"), Tokens("a", "r", "i", NOW), "the-token", NOW, NOW
)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("/manifests?status=draft", "/manifests?status=draft"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("manifests", "/"),
        (None, "/"),
    ],
)
def test_next_is_only_ever_a_path_of_the_console(value: str | None, expected: str) -> None:
    assert web.local_path(value) == expected


def test_a_refusal_lands_next_to_the_field_it_names_in_spanish() -> None:
    refused = Refused(
        "repatriation",
        422,
        {
            "errors": [
                {"field": "schedule.arrival", "rule": "arrival_in_past"},
                {"field": "vehicle.plate", "rule": "missing"},
                {"field": "body", "rule": "json_invalid"},
            ]
        },
    )
    errors = web.form_errors("es", refused, fields={"schedule.arrival": "arrival"})
    assert errors.of("arrival") == ["La llegada no puede estar en el pasado."]
    # Not on this form: shown at the top, never dropped.
    assert errors.general == [
        "Este campo es obligatorio.",
        "Este valor no se aceptó (regla: json_invalid).",
    ]


def test_a_conflict_names_its_rule_and_field() -> None:
    refused = Refused("consular", 409, {"rule": "do_not_act", "field": "kind"})
    errors = web.form_errors("en", refused, rules={"do_not_act": "The person objected."})
    assert errors.of("kind") == ["The person objected."]
    assert refused.code == "do_not_act"


def _request(method: str, headers: dict[str, str]) -> Request:
    scope = {
        "type": "http",
        "method": method,
        "path": "/x",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "query_string": b"",
    }
    return Request(scope)


async def test_an_unsafe_request_needs_the_sessions_token() -> None:
    await web._check_csrf(_request("POST", {"X-CSRF-Token": "the-token"}), SESSION)
    with pytest.raises(web.CsrfRefused):
        await web._check_csrf(_request("POST", {"X-CSRF-Token": "another"}), SESSION)
    with pytest.raises(web.CsrfRefused):
        await web._check_csrf(_request("POST", {}), SESSION)


async def test_a_request_from_another_site_is_refused_even_with_the_token() -> None:
    headers = {"X-CSRF-Token": "the-token", "Sec-Fetch-Site": "cross-site"}
    with pytest.raises(web.CsrfRefused):
        await web._check_csrf(_request("POST", headers), SESSION)
