"""POLICY.md as a table, run against the running stack with real Keycloak tokens.

Every endpoint x every record of each country x every demo user (and no token, and a forged
token) is asked once; each answer must be the one `e2e.access.matrix` writes down from POLICY.md:
the success code for an allowed caller, 403 for a caller who sees the record but may not act, 404
for a caller who may not know it exists (the protection exception included), 401 without a valid
token. The figures and every mismatch are printed and added to pytest's terminal summary.
"""

from __future__ import annotations

import pytest

from e2e.access import matrix as m
from e2e.access.runner import Report, run_matrix
from e2e.access.users import CALLERS, USERNAMES
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.totp import DEMO_TOTP_SECRETS

ACCESS_MATRIX = pytest.StashKey[list[str]]()


class _Summary:
    """Adds the matrix's figures to the terminal summary (with or without `-s`)."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        lines = self.config.stash.get(ACCESS_MATRIX, None)
        if lines:
            terminalreporter.section("access matrix")
            for line in lines:
                terminalreporter.write_line(line)


def test_the_table_covers_every_demo_user_and_line() -> None:
    # The table itself: the 18 demo users, no token and a forged token on every rule, each
    # rule's allowed callers among those who see the record, no rule twice.
    assert len(USERNAMES) == 18
    assert len(CALLERS) == 20
    names = [rule.name for rule in m.RULES]
    assert len(names) == len(set(names))
    services = {rule.service for rule in m.RULES}
    assert services == {"repatriation", "child_protection", "reserve_fund", "consular"}
    for rule in m.RULES:
        assert rule.expected("(no token)") == rule.expected("(forged token)") == 401
        if rule.readers is not None:
            assert rule.allowed <= rule.readers, rule.name
    # The protection exception: the Honduran authorities get 404 on every endpoint of the
    # protected child and of the child with an uncleared trafficking indicator.
    for record in (m.CHILD_HN_PROTECTED, m.CHILD_HN_TRAFFICKING):
        for rule in (r for r in m.RULES if r.record == record):
            for user in ("dinaf.hn", "consul.hn.tapachula"):
                assert rule.expected(user) in (404, m.ABSENT), (rule.name, user)


async def test_every_cell_of_the_access_matrix(
    system: dict[str, str], tokens: KeycloakTokens, request: pytest.FixtureRequest
) -> None:
    # Fresh tokens (full lifetime) for the whole run.
    fresh = {user: str(tokens.get_full(user)["access_token"]) for user in USERNAMES}
    # acr 2 (password + OTP, the browser flow) for `/sensitive` (issue 15).
    stepped = {user: str(tokens.step_up_full(user)["access_token"]) for user in DEMO_TOTP_SECRETS}
    report: Report = await run_matrix(system, fresh, step_up_tokens=stepped)

    lines = report.summary()
    print("\n" + "\n".join(lines))
    config = request.config
    config.stash[ACCESS_MATRIX] = lines
    if not config.pluginmanager.has_plugin("access-matrix-summary"):
        config.pluginmanager.register(_Summary(config), "access-matrix-summary")

    assert len(report.outcomes) == len(m.RULES) * len(CALLERS)
    assert not report.mismatches, "\n".join(o.line() for o in report.mismatches)
