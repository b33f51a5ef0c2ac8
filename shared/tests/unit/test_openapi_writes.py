"""Every write of every service takes an Idempotency-Key (`puebla.http.idempotency.write`)
and its published OpenAPI document says so, in the same words (`WRITE`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from puebla.http.idempotency import WRITE

OPENAPI = Path(__file__).resolve().parents[3] / "contracts" / "openapi"
SERVICES = ("repatriation", "child_protection", "reserve_fund", "consular")


@pytest.mark.parametrize("service", SERVICES)
def test_every_write_documents_the_idempotency_key(service: str) -> None:
    document = json.loads((OPENAPI / f"{service}.json").read_text(encoding="utf-8"))
    header = WRITE["openapi_extra"]["parameters"][0]
    named = {"name": header["name"], "in": header["in"]}
    writes = {
        f"{method.upper()} {path}": operation.get("parameters", [])
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in ("post", "put", "patch", "delete")
    }
    assert writes, f"{service} publishes no write"
    undocumented = [
        name
        for name, parameters in writes.items()
        if not any({"name": p.get("name"), "in": p.get("in")} == named for p in parameters)
    ]
    assert undocumented == []
