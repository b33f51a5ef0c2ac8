"""OpenAPI `links` from each create to the operations on the created record (issue 13: the
stateful phase of schemathesis, and any client, follow them)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from puebla.http.app import link_created_records

OPENAPI = Path(__file__).parents[3] / "contracts" / "openapi"


def document() -> dict[str, Any]:
    ok = {"description": "ok"}
    return {
        "paths": {
            "/v1/things": {
                "post": {
                    "operationId": "create_thing",
                    "responses": {
                        "201": {
                            "description": "created",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/ThingRead"}
                                }
                            },
                        }
                    },
                },
                "get": {"operationId": "list_things", "responses": {"200": ok}},
            },
            "/v1/things/{thing_id}": {
                "get": {"operationId": "read_thing", "responses": {"200": ok}}
            },
            "/v1/things/{thing_id}/close": {
                "post": {"operationId": "close_thing", "responses": {"200": ok}}
            },
            "/v1/thingsandmore/{x_id}": {"get": {"operationId": "other", "responses": {"200": ok}}},
        },
        "components": {"schemas": {"ThingRead": {"properties": {"id": {"type": "string"}}}}},
    }


def test_a_create_links_to_every_operation_on_its_record() -> None:
    schema = document()
    link_created_records(schema)
    links = schema["paths"]["/v1/things"]["post"]["responses"]["201"]["links"]
    assert links == {
        "read_thing": {
            "operationId": "read_thing",
            "parameters": {"thing_id": "$response.body#/id"},
        },
        "close_thing": {
            "operationId": "close_thing",
            "parameters": {"thing_id": "$response.body#/id"},
        },
    }


def test_no_link_without_an_id_in_the_answer() -> None:
    schema = document()
    schema["components"]["schemas"]["ThingRead"]["properties"] = {"name": {"type": "string"}}
    link_created_records(schema)
    assert "links" not in schema["paths"]["/v1/things"]["post"]["responses"]["201"]


@pytest.mark.parametrize(
    ("service", "create", "read", "parameter"),
    [
        ("repatriation", "/v1/manifests", "get_manifest", "manifest_id"),
        ("child_protection", "/v1/cases", "read_case", "case_id"),
        ("reserve_fund", "/v1/applications", "read_application", "application_id"),
        ("consular", "/v1/notifications", "acknowledge", "notification_id"),
    ],
)
def test_the_committed_documents_link_each_create_to_its_record(
    service: str, create: str, read: str, parameter: str
) -> None:
    schema = json.loads((OPENAPI / f"{service}.json").read_text())
    links = schema["paths"][create]["post"]["responses"]["201"]["links"]
    found = [name for name in links if name.startswith(read)]
    assert found, sorted(links)
    assert links[found[0]]["parameters"] == {parameter: "$response.body#/id"}
