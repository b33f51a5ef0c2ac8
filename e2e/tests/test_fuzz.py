"""Schemathesis from outside, as an outside fuzzer runs it: the CLI against each service of the
running stack, with every check (`--checks all`) and every phase (examples, coverage, fuzzing
and stateful: the links between operations that schemathesis finds in the documents), with
real tokens of the roles that write. A run passes when schemathesis finds nothing.

The documents are the committed ones (`contracts/openapi/`), which the drift check keeps equal
to what the services serve. `PUEBLA_FUZZ_SECONDS` is each run's time budget (`make test`: 8 s
per service, the four at once; `make fuzz`: 60 s for each writer of each service);
`PUEBLA_FUZZ_SEED` replays a run (the seed is printed; without it one is drawn).
`PUEBLA_FUZZ_URLS` (`service=url,...`) points the runs at other servers than the stack's.

One check is configured, not taken as it comes (`schemathesis.toml` here), for a reason:

- `positive_data_acceptance` expects every request the document allows to be accepted. This
  API answers 422 for input that is well formed but breaks a rule no OpenAPI document can
  state (README: "a 422 lists each invalid field and the rule it broke"): a reception point
  that does not exist, a departure less than 24 h ahead, a notice later than now, a cursor the
  server did not issue, text PostgreSQL cannot store (NUL, lone surrogates), a time outside
  1900..2999. 422 is therefore also an answer to schema-valid input, as 404, 403 and 409 are
  by default; the answer must still be the documented problem+json (the other checks).
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.totp import DEMO_TOTP_SECRETS

from .conftest import FUZZ_COUNTS

ROOT = Path(__file__).parents[2]
OPENAPI = ROOT / "contracts" / "openapi"
CONFIG = Path(__file__).with_name("schemathesis.toml")
# Schemathesis keeps a cache (`.schemathesis/`) where it runs: in var/, with all local state.
WORKDIR = ROOT / "var" / "fuzz"
SECONDS = int(os.environ.get("PUEBLA_FUZZ_SECONDS", "8"))
SEED = int(os.environ.get("PUEBLA_FUZZ_SEED") or random.SystemRandom().randrange(2**31))
PHASES = "examples,coverage,fuzzing,stateful"
# The users whose tokens reach the business logic of each service's write endpoints
# (`make test` takes the first of each service; `make fuzz` every one, one after another).
WRITERS = {
    "repatriation": ["inm.mx", "border.gt.tecun", "consul.gt.tapachula"],
    "child_protection": ["dif.mx", "dinaf.hn", "dif.mx.supervisor"],
    "reserve_fund": ["consul.sv.tapachula", "iom.officer", "iom.approver"],
    "consular": ["inm.mx", "consul.gt.tapachula"],
}
ALL_WRITERS = os.environ.get("PUEBLA_FUZZ_ALL_WRITERS", "") == "1"


@dataclass(frozen=True)
class Run:
    service: str
    user: str
    returncode: int
    output: str
    seconds: float


def command(service: str, url: str, token: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(CONFIG),
        "--no-color",
        "run",
        str(OPENAPI / f"{service}.json"),
        "--url",
        url,
        "--checks",
        "all",
        "--phases",
        PHASES,
        "--max-time",
        str(SECONDS),
        "--seed",
        str(SEED),
        "--header",
        f"Authorization: Bearer {token}",
        "--generation-database",
        "none",
        "--request-timeout",
        "30",
        # One worker: hypothesis' lambda-source cache is not thread-safe ("AST constructor
        # recursion depth mismatch" as a Runtime Error with two); the services run at once.
        "--workers",
        "1",
    ]


def fuzz(service: str, url: str, users: list[str], tokens: KeycloakTokens) -> list[Run]:
    runs = []
    WORKDIR.mkdir(parents=True, exist_ok=True)
    for user in users:
        started = time.monotonic()
        done = subprocess.run(
            # acr 2 (password + OTP) for the users who have a second factor, so that the
            # fuzzing reaches past /sensitive's step-up challenge (issue 15).
            command(
                service,
                url,
                tokens.step_up(user) if user in DEMO_TOTP_SECRETS else tokens.get(user),
            ),
            capture_output=True,
            text=True,
            cwd=WORKDIR,
            check=False,
        )
        elapsed = time.monotonic() - started
        runs.append(Run(service, user, done.returncode, done.stdout + done.stderr, elapsed))
    return runs


def targets(system: dict[str, str]) -> dict[str, str]:
    given = os.environ.get("PUEBLA_FUZZ_URLS", "")
    overrides = dict(item.split("=", 1) for item in given.split(",") if "=" in item)
    return {service: overrides.get(service, system[service]) for service in WRITERS}


@pytest.fixture(scope="module")
def runs(
    system: dict[str, str], tokens: KeycloakTokens, request: pytest.FixtureRequest
) -> Iterator[dict[str, list[Run]]]:
    """Every service's runs at once (a service's writers one after another)."""
    print(f"\nschemathesis: seed {SEED} (PUEBLA_FUZZ_SEED={SEED} replays it), {SECONDS} s a run")
    urls = targets(system)
    with ThreadPoolExecutor(max_workers=len(WRITERS)) as pool:
        futures = {
            service: pool.submit(
                fuzz, service, urls[service], users if ALL_WRITERS else users[:1], tokens
            )
            for service, users in WRITERS.items()
        }
        found = {service: future.result() for service, future in futures.items()}
    yield found
    request.config.stash[FUZZ_COUNTS] = {
        service: sum(_cases(run.output) for run in service_runs)
        for service, service_runs in found.items()
    }


def _cases(output: str) -> int:
    # "Test cases:\n  1467 generated, ..." in the summary
    lines = output.splitlines()
    for index, line in enumerate(lines):
        if line.strip() == "Test cases:" and index + 1 < len(lines):
            first = lines[index + 1].split()
            if first and first[0].isdigit():
                return int(first[0])
    return 0


@pytest.mark.parametrize("service", list(WRITERS))
def test_schemathesis_finds_nothing(service: str, runs: dict[str, list[Run]]) -> None:
    for run in runs[service]:
        assert run.returncode == 0, (
            f"schemathesis found failures on {service} as {run.user} (seed {SEED}, "
            f"PUEBLA_FUZZ_SEED={SEED} replays it):\n{run.output}"
        )
