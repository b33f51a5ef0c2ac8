"""Schemathesis against each service's OpenAPI document, with real tokens of the roles that
write: no 5xx, and every response conforms to its documented schema and content type.

The documents are the committed ones (`contracts/openapi/`), which the drift check keeps equal
to what the services serve. `PUEBLA_FUZZ_EXAMPLES` sets the examples per operation (small in
`make test`; `make fuzz` runs a larger budget).
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
)

from puebla.testing.keycloak import KeycloakTokens

from .conftest import FUZZ_COUNTS

OPENAPI = Path(__file__).parents[2] / "contracts" / "openapi"
EXAMPLES = int(os.environ.get("PUEBLA_FUZZ_EXAMPLES", "6"))
CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
# The users whose tokens reach the business logic of each service's write endpoints.
WRITERS = {
    "repatriation": ["inm.mx", "border.gt.tecun", "consul.gt.tapachula"],
    "child_protection": ["dif.mx", "dinaf.hn", "dif.mx.supervisor"],
    "reserve_fund": ["consul.sv.tapachula", "iom.officer", "iom.approver"],
    "consular": ["inm.mx", "consul.gt.tapachula"],
}
CASES_RUN: Counter[str] = Counter()


def load(service: str) -> schemathesis.schemas.BaseSchema:
    return schemathesis.openapi.from_dict(json.loads((OPENAPI / f"{service}.json").read_text()))


FUZZ_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)


def run_case(
    service: str, case: schemathesis.Case, system: dict[str, str], tokens: KeycloakTokens
) -> None:
    users = WRITERS[service]
    # Rotate the writers so every role meets every operation across the examples.
    user = users[CASES_RUN[service] % len(users)]
    CASES_RUN[service] += 1
    case.call_and_validate(
        base_url=system[service],
        headers={"Authorization": f"Bearer {tokens.get(user)}"},
        checks=CHECKS,
        timeout=30,
    )


@pytest.fixture(scope="module", autouse=True)
def report_counts(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    request.config.stash[FUZZ_COUNTS] = dict(CASES_RUN)


repatriation = load("repatriation")
child_protection = load("child_protection")
reserve_fund = load("reserve_fund")
consular = load("consular")


@repatriation.parametrize()
@FUZZ_SETTINGS
def test_repatriation(
    case: schemathesis.Case, system: dict[str, str], tokens: KeycloakTokens
) -> None:
    run_case("repatriation", case, system, tokens)


@child_protection.parametrize()
@FUZZ_SETTINGS
def test_child_protection(
    case: schemathesis.Case, system: dict[str, str], tokens: KeycloakTokens
) -> None:
    run_case("child_protection", case, system, tokens)


@reserve_fund.parametrize()
@FUZZ_SETTINGS
def test_reserve_fund(
    case: schemathesis.Case, system: dict[str, str], tokens: KeycloakTokens
) -> None:
    run_case("reserve_fund", case, system, tokens)


@consular.parametrize()
@FUZZ_SETTINGS
def test_consular(case: schemathesis.Case, system: dict[str, str], tokens: KeycloakTokens) -> None:
    run_case("consular", case, system, tokens)
