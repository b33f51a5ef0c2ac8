"""The e2e suite drives the system the README's first command starts, over HTTP only.

The stack is reused when it already runs (`make run` / `make up`), otherwise started here
exactly as `make run` starts it, and stopped at the end of the session.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from puebla_dev.devstack import stack
from puebla_dev.testing.infra import Infra


@pytest.fixture(scope="session")
def system(keycloak_url: str, infra: Infra) -> Iterator[dict[str, str]]:
    # PostgreSQL and NATS come from the session's `infra` (the integration tests use them
    # after these): stopping them here and starting them again cost a minute and a half.
    started = stack.start_infrastructure() + stack.start_services() + stack.start_console()
    try:
        yield {s.name: s.url for s in stack.load_services()}
    finally:
        stack.stop(started)


FUZZ_COUNTS = pytest.StashKey[dict[str, int]]()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    counts = terminalreporter.config.stash.get(FUZZ_COUNTS, None)
    if counts:
        line = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
        terminalreporter.write_line(f"fuzz cases run per service: {line}")
