"""`/sensitive` needs a recent second factor (issue 15): the token's `acr` at least 2 (the
realm's password + OTP) and its `auth_time` within CHILD_PROTECTION_STEP_UP_MAX_AGE_SECONDS
(900 s by default); otherwise 401 with RFC 9470's challenge, audited. The order stays
404 → 403 → 401 → 422. acr-2 tokens come from the realm's real browser flow (OTP form
answered with the demo user's DEV-ONLY TOTP code); password-grant tokens are acr 1."""

from __future__ import annotations

import re
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
import pytest

from child_protection.entrypoints.api.app import create_app
from puebla.clock import FrozenClock, utcnow
from puebla.runtime import Runtime
from puebla_dev.testing.service import app_client

from .conftest import Api

REFUSED = "child_case.sensitive_read_refused"
READ = "child_case.sensitive_read"


def challenge(answer: httpx.Response) -> dict[str, str]:
    """The 401's `WWW-Authenticate: Bearer k="v", …` parameters."""
    assert answer.status_code == 401, answer.text
    header = answer.headers["www-authenticate"]
    assert header.startswith("Bearer "), header
    return dict(re.findall(r'(\w+)="([^"]*)"', header))


def assert_step_up_challenge(answer: httpx.Response, max_age: str = "900") -> None:
    params = challenge(answer)
    assert params["error"] == "insufficient_user_authentication"
    assert (params["acr_values"], params["max_age"]) == ("2", max_age)
    assert params["error_description"]
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["rule"] == "second_factor_required"


def signed_in_at(tokens: Any, user: str) -> datetime:
    """When the user's acr-2 token (the one `Api` sends) says they last signed in."""
    claims = jwt.decode(tokens.step_up(user), options={"verify_signature": False})
    assert claims["acr"] == "2"
    at = datetime.fromtimestamp(claims["auth_time"], UTC)
    assert timedelta(0) <= utcnow() - at < timedelta(minutes=15)
    return at


@asynccontextmanager
async def app_at(runtime: Runtime, tokens: Any, clock: Callable[[], Any]) -> AsyncIterator[Api]:
    """The service on the shared database with a clock of the test's."""
    async with app_client(create_app(runtime, clock=clock)) as http:
        yield Api(http, tokens)


class TestAcrOne:
    async def test_a_password_grant_token_is_refused_with_the_challenge_and_audited(
        self, api, db, tokens
    ) -> None:
        case = await api.open("dif.mx")
        token = tokens.get("dif.mx")
        assert jwt.decode(token, options={"verify_signature": False})["acr"] == "1"

        answer = await api.get(
            "dif.mx", f"/v1/cases/{case['id']}/sensitive", purpose="BIA", step_up=False
        )

        assert_step_up_challenge(answer)
        trail = await db.audit(case["id"])
        assert READ not in [e["action"] for e in trail]
        (refused,) = [e for e in trail if e["action"] == REFUSED]
        assert refused["actor"] == "dif.mx"
        assert refused["detail"]["refused"] == "second_factor_required"
        assert refused["detail"]["purpose"] == "BIA"
        assert refused["detail"]["acr"] == 1

    async def test_the_step_up_comes_before_the_purpose(self, api) -> None:
        case = await api.open("dif.mx")
        path = f"/v1/cases/{case['id']}/sensitive"

        without = await api.get("dif.mx", path, step_up=False)
        in_query = await api.client.get(
            path, params={"purpose": "x"}, headers=api.headers("dif.mx", step_up=False)
        )

        assert_step_up_challenge(without)
        assert_step_up_challenge(in_query)

    async def test_404_and_403_come_before_the_step_up(self, api) -> None:
        case = await api.open("dif.mx")
        for case_id in (case["id"], str(uuid.uuid4())):
            hidden = await api.get("sbs.gt", f"/v1/cases/{case_id}/sensitive", purpose="x")
            assert hidden.status_code == 404, hidden.text  # a Honduran case: not Guatemala's
        # A consul sees the case but never reads the sections: 403, not a challenge to sign in
        # with a factor that would not help.
        consul = await api.get(
            "consul.hn.tapachula", f"/v1/cases/{case['id']}/sensitive", purpose="x"
        )
        assert consul.status_code == 403, consul.text
        assert "www-authenticate" not in consul.headers


class TestAcrTwo:
    async def test_a_fresh_second_factor_reads_the_sections(self, api, db, tokens) -> None:
        case = await api.open("dif.mx")
        claims = jwt.decode(tokens.step_up("dinaf.hn"), options={"verify_signature": False})
        assert claims["acr"] == "2"

        answer = await api.get(
            "dinaf.hn", f"/v1/cases/{case['id']}/sensitive", purpose="origin", step_up=True
        )

        assert answer.status_code == 200, answer.text
        assert answer.json()["reference"] == case["reference"]
        actions = [e["action"] for e in await db.audit(case["id"])]
        assert READ in actions
        assert REFUSED not in actions

    async def test_an_old_second_factor_is_refused_with_the_challenge(
        self, api, db, runtime, tokens
    ) -> None:
        case = await api.open("dif.mx")
        path = f"/v1/cases/{case['id']}/sensitive"
        at = signed_in_at(tokens, "dif.mx")

        # The service's clock 15 min and a little after the sign-in: too old; a little
        # before: still fresh. The token itself is valid either way (its exp is real time).
        later = FrozenClock(at + timedelta(seconds=900 + 60))
        async with app_at(runtime, tokens, later) as late:
            old = await late.get("dif.mx", path, purpose="BID panel", step_up=True)
        sooner = FrozenClock(at + timedelta(seconds=900 - 400))
        async with app_at(runtime, tokens, sooner) as soon:
            fresh = await soon.get("dif.mx", path, purpose="BID panel", step_up=True)

        assert_step_up_challenge(old)
        assert fresh.status_code == 200, fresh.text
        refused = [e for e in await db.audit(case["id"]) if e["action"] == REFUSED]
        assert [(e["detail"]["refused"], e["detail"]["acr"]) for e in refused] == [
            ("second_factor_required", 2)
        ]

    async def test_the_max_age_is_a_setting(
        self, runtime, tokens, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("CHILD_PROTECTION_STEP_UP_MAX_AGE_SECONDS", "120")
        at = signed_in_at(tokens, "dif.mx")
        later = FrozenClock(at + timedelta(seconds=120 + 60))
        async with app_at(runtime, tokens, later) as late:
            case = await late.open("dif.mx")
            answer = await late.get(
                "dif.mx", f"/v1/cases/{case['id']}/sensitive", purpose="x", step_up=True
            )

        assert_step_up_challenge(answer, max_age="120")
