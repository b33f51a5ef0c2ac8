"""TokenVerifier against tokens signed with local RSA keys and a JWKS served in-process.

The JWKS endpoint is a real httpx transport (`MockTransport`) whose answers the tests switch
between good, failing and rotated, with an injected clock so the refresh rate limit is
tested without sleeping. The same attacks against real Keycloak tokens live in
`tests/integration/test_keycloak_tokens.py`.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials
from jwt.algorithms import RSAAlgorithm

from puebla.auth.fastapi import Authenticator
from puebla.auth.principal import MalformedClaims, Principal
from puebla.auth.settings import TokenSettings
from puebla.auth.tokens import TokenVerifier, parse_jwks
from puebla.problems import Problem

ISSUER = "http://127.0.0.1:8080/realms/rcm"
JWKS_URL = f"{ISSUER}/protocol/openid-connect/certs"
AUDIENCE = "repatriation"
# Written out, not read from the environment: the tests must not depend on PUEBLA_* variables.
SETTINGS = TokenSettings(
    token_allowed_clients=["puebla-cli"],
    token_max_age_seconds=3600,
    jwks_max_age_seconds=300,
    jwks_stale_limit_seconds=3600,
)


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


KEY_A = _new_key()
KEY_B = _new_key()
ATTACKER = _new_key()


def jwk_of(key: rsa.RSAPrivateKey, kid: str, *, use: str = "sig", alg: str = "RS256") -> Any:
    data = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
    data.update({"kid": kid, "use": use, "alg": alg})
    return data


def claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": ["reserve_fund", "repatriation", "child_protection", "consular"],
        "sub": "6f1c7a52-2a4e-4c0e-9d55-5b7b4d1f0b11",
        "typ": "Bearer",
        "azp": "puebla-cli",
        "iat": now,
        "exp": now + 300,
        "preferred_username": "border.gt.tecun",
        "realm_access": {"roles": ["border_officer"]},
        "country": "GT",
        "agency": "IGM",
        "border_post": "GT-TECUN-UMAN",
    }
    base.update(overrides)
    return {k: v for k, v in base.items() if v is not None}


def sign(
    payload: dict[str, Any],
    key: rsa.RSAPrivateKey = KEY_A,
    kid: str = "kid-a",
    headers: dict[str, Any] | None = None,
) -> str:
    return jwt.encode(payload, key, algorithm="RS256", headers={"kid": kid, **(headers or {})})


@dataclass
class FakeJwks:
    """The JWKS endpoint: `keys` is served while `failure` is None."""

    keys: list[Any] = field(default_factory=lambda: [jwk_of(KEY_A, "kid-a")])
    failure: str | None = None
    requests: list[str] = field(default_factory=list)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(str(request.url))
        if self.failure == "connect":
            raise httpx.ConnectError("connection refused", request=request)
        if self.failure == "500":
            return httpx.Response(500, text="boom")
        if self.failure == "not-json":
            return httpx.Response(200, text="<html>proxy error</html>")
        if self.failure == "empty":
            return httpx.Response(200, json={"keys": []})
        return httpx.Response(200, json={"keys": self.keys})

    def client_factory(self) -> Callable[[], httpx.AsyncClient]:
        return lambda: httpx.AsyncClient(transport=httpx.MockTransport(self.handler))


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def jwks() -> FakeJwks:
    return FakeJwks()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def verifier(jwks: FakeJwks, clock: FakeClock) -> TokenVerifier:
    return TokenVerifier(
        ISSUER,
        AUDIENCE,
        JWKS_URL,
        refresh_min_interval=30.0,
        settings=SETTINGS,
        http_client=jwks.client_factory(),
        clock=clock,
    )


async def rejected(verifier: TokenVerifier, token: str) -> Problem:
    with pytest.raises(Problem) as info:
        await verifier.verify(token)
    assert info.value.status == 401
    assert info.value.headers["WWW-Authenticate"].startswith("Bearer")
    return info.value


async def test_valid_token_returns_its_claims(verifier: TokenVerifier, jwks: FakeJwks) -> None:
    out = await verifier.verify(sign(claims()))
    assert out["sub"] == "6f1c7a52-2a4e-4c0e-9d55-5b7b4d1f0b11"
    assert out["border_post"] == "GT-TECUN-UMAN"
    assert jwks.requests == [JWKS_URL]
    # Cached: a second token costs no fetch.
    await verifier.verify(sign(claims()))
    assert verifier.jwks_fetches == 1


async def test_audience_may_be_a_single_string(verifier: TokenVerifier) -> None:
    assert (await verifier.verify(sign(claims(aud="repatriation"))))["aud"] == "repatriation"


@pytest.mark.parametrize(
    ("overrides", "reason"),
    [
        ({"exp": int(time.time()) - 120}, "expired"),
        ({"exp": None}, "'exp'"),
        ({"iat": None}, "'iat'"),
        ({"sub": None}, "'sub'"),
        ({"aud": None}, "'aud'"),
        ({"iss": None}, "'iss'"),
        ({"iat": int(time.time()) + 3600}, "not valid yet"),
        ({"nbf": int(time.time()) + 3600}, "not valid yet"),
        ({"aud": ["consular", "reserve_fund"]}, "not issued for this service"),
        ({"aud": "account"}, "not issued for this service"),
        ({"iss": "http://localhost:8080/realms/rcm"}, "trusted issuer"),
        ({"iss": ISSUER + "/"}, "trusted issuer"),
        ({"iss": "http://127.0.0.1:8080/realms/master"}, "trusted issuer"),
        ({"typ": "ID"}, "access tokens"),
        ({"typ": "Refresh"}, "access tokens"),
        ({"typ": None}, "access tokens"),
        ({"sub": ""}, "subject"),
    ],
)
async def test_claim_checks(
    verifier: TokenVerifier, overrides: dict[str, Any], reason: str
) -> None:
    problem = await rejected(verifier, sign(claims(**overrides)))
    assert reason in problem.detail


async def test_expiry_within_leeway_is_accepted(verifier: TokenVerifier) -> None:
    # 10 s past exp, leeway 30 s: clock skew between Keycloak and the service is tolerated.
    await verifier.verify(sign(claims(exp=int(time.time()) - 10)))


@pytest.mark.parametrize(
    "token",
    ["", "not-a-jwt", "a.b.c", "eyJhbGciOiJSUzI1NiJ9.e30", "eyJ!!!.eyJ.sig"],
)
async def test_malformed_tokens(verifier: TokenVerifier, token: str) -> None:
    await rejected(verifier, token)


async def test_unsupported_crit_header_is_rejected(verifier: TokenVerifier) -> None:
    token = sign(claims(), headers={"crit": ["puebla-unknown"], "puebla-unknown": 1})
    await rejected(verifier, token)


async def test_attacker_key_in_jwk_header_is_ignored(
    verifier: TokenVerifier, jwks: FakeJwks
) -> None:
    # Same kid as the real key, signed by the attacker, who also ships the key inline.
    token = sign(claims(), key=ATTACKER, headers={"jwk": jwk_of(ATTACKER, "kid-a")})
    problem = await rejected(verifier, token)
    assert "signature" in problem.detail


async def test_unknown_kid_is_refetched_at_most_once_per_interval(
    verifier: TokenVerifier, jwks: FakeJwks, clock: FakeClock
) -> None:
    await verifier.verify(sign(claims()))
    for kid in ["kid-x", "../../etc/passwd", "' OR '1'='1", "$(reboot)", "kid-y"]:
        await rejected(verifier, sign(claims(), key=ATTACKER, kid=kid))
    assert verifier.jwks_fetches == 1, "unknown kids must not refetch within the interval"
    clock.now += 30.0
    await rejected(verifier, sign(claims(), key=ATTACKER, kid="kid-z"))
    await rejected(verifier, sign(claims(), key=ATTACKER, kid="kid-z2"))
    assert verifier.jwks_fetches == 2


async def test_concurrent_unknown_kids_cause_one_fetch(
    verifier: TokenVerifier, jwks: FakeJwks
) -> None:
    tokens = [sign(claims(), key=ATTACKER, kid=f"flood-{i}") for i in range(25)]
    results = await asyncio.gather(*(verifier.verify(t) for t in tokens), return_exceptions=True)
    assert all(isinstance(r, Problem) and r.status == 401 for r in results)
    assert verifier.jwks_fetches == 1


async def test_rotated_key_is_picked_up_after_the_interval(
    verifier: TokenVerifier, jwks: FakeJwks, clock: FakeClock
) -> None:
    await verifier.verify(sign(claims()))
    jwks.keys = [jwk_of(KEY_A, "kid-a"), jwk_of(KEY_B, "kid-b")]
    rotated = sign(claims(), key=KEY_B, kid="kid-b")
    clock.now += 31.0
    assert (await verifier.verify(rotated))["sub"]
    assert verifier.known_kids == {"kid-a", "kid-b"}


@pytest.mark.parametrize("failure", ["connect", "500", "not-json", "empty"])
async def test_last_good_keys_survive_a_failing_jwks(
    verifier: TokenVerifier, jwks: FakeJwks, clock: FakeClock, failure: str
) -> None:
    await verifier.verify(sign(claims()))
    jwks.failure = failure
    clock.now += 60.0
    # An unknown kid forces a refresh, which fails ...
    await rejected(verifier, sign(claims(), key=KEY_B, kid="kid-b"))
    assert verifier.jwks_fetches == 2
    assert verifier.last_jwks_error is not None
    # ... and the known key still verifies.
    assert (await verifier.verify(sign(claims())))["sub"]
    assert verifier.known_kids == {"kid-a"}
    # Recovery: the endpoint answers again and the next refresh (after the interval) works.
    jwks.failure = None
    jwks.keys = [jwk_of(KEY_A, "kid-a"), jwk_of(KEY_B, "kid-b")]
    clock.now += 30.0
    assert (await verifier.verify(sign(claims(), key=KEY_B, kid="kid-b")))["sub"]
    assert verifier.last_jwks_error is None


async def test_first_fetch_failing_gives_401_not_500(jwks: FakeJwks, clock: FakeClock) -> None:
    jwks.failure = "connect"
    verifier = TokenVerifier(
        ISSUER, AUDIENCE, JWKS_URL, http_client=jwks.client_factory(), clock=clock
    )
    problem = await rejected(verifier, sign(claims()))
    assert "unknown key" in problem.detail


def test_parse_jwks_keeps_only_rsa_signing_keys() -> None:
    document = {
        "keys": [
            jwk_of(KEY_A, "sig-key"),
            jwk_of(KEY_B, "enc-key", use="enc", alg="RSA-OAEP"),
            {**jwk_of(KEY_B, "hs-key"), "alg": "HS256"},
            {"kid": "oct", "kty": "oct", "k": "c2VjcmV0", "use": "sig"},
            {"kid": "broken", "kty": "RSA", "use": "sig", "n": "!!", "e": "AQAB"},
            {"kty": "RSA", "use": "sig"},
            "not-an-object",
        ]
    }
    assert set(parse_jwks(document)) == {"sig-key"}
    assert parse_jwks({"keys": "nope"}) == {}
    assert parse_jwks(["not", "a", "mapping"]) == {}


async def test_encryption_key_is_never_used_for_signatures(
    jwks: FakeJwks, clock: FakeClock
) -> None:
    jwks.keys = [jwk_of(KEY_A, "kid-a", use="enc", alg="RSA-OAEP")]
    verifier = TokenVerifier(
        ISSUER, AUDIENCE, JWKS_URL, http_client=jwks.client_factory(), clock=clock
    )
    await rejected(verifier, sign(claims()))


# --- the keys' maximum age (security review finding 7) ---------------------------------------


async def test_a_key_removed_from_the_jwks_stops_being_accepted_within_the_max_age(
    verifier: TokenVerifier, jwks: FakeJwks, clock: FakeClock
) -> None:
    token = sign(claims())
    await verifier.verify(token)
    # kid-a is revoked (rotated out after a compromise): Keycloak now publishes only kid-b.
    jwks.keys = [jwk_of(KEY_B, "kid-b")]
    clock.now += 299.0
    assert (await verifier.verify(token))["sub"], "within the max age the cache is trusted"
    assert verifier.jwks_fetches == 1
    clock.now += 1.0  # 300 s after the fetch: the set is refetched before it verifies anything
    problem = await rejected(verifier, token)
    assert "unknown key" in problem.detail
    assert verifier.jwks_fetches == 2
    assert verifier.known_kids == {"kid-b"}
    assert (await verifier.verify(sign(claims(), key=KEY_B, kid="kid-b")))["sub"]
    assert verifier.jwks_fetches == 2


async def test_an_expired_set_is_refetched_once_however_many_requests_wait(
    verifier: TokenVerifier, jwks: FakeJwks, clock: FakeClock
) -> None:
    token = sign(claims())
    await verifier.verify(token)
    clock.now += 300.0
    results = await asyncio.gather(*(verifier.verify(token) for _ in range(25)))
    assert all(r["sub"] for r in results)
    assert verifier.jwks_fetches == 2
    # Fresh again: no more fetches until the next 300 s have passed.
    clock.now += 299.0
    await verifier.verify(token)
    assert verifier.jwks_fetches == 2


async def test_keycloak_unreachable_keeps_the_last_keys_for_the_stale_limit_only(
    verifier: TokenVerifier, jwks: FakeJwks, clock: FakeClock
) -> None:
    token = sign(claims())
    await verifier.verify(token)  # fetched at 1000
    jwks.failure = "connect"
    clock.now += 300.0
    # Past the max age, the refetch fails: the last good key still verifies ...
    assert (await verifier.verify(token))["sub"]
    assert verifier.jwks_fetches == 2
    assert verifier.last_jwks_error is not None
    # ... and the failing endpoint is retried at most once per refresh_min_interval.
    for _ in range(10):
        await verifier.verify(token)
    assert verifier.jwks_fetches == 2
    clock.now += 30.0
    await verifier.verify(token)
    assert verifier.jwks_fetches == 3
    # 3599 s after the last successful fetch: still trusted.
    clock.now = 1000.0 + 3599.0
    assert (await verifier.verify(token))["sub"]
    # 3600 s: fail closed — no key is trusted any more, however often the caller retries.
    clock.now = 1000.0 + 3600.0
    problem = await rejected(verifier, token)
    assert "unknown key" in problem.detail
    await rejected(verifier, token)
    # Keycloak answers again: the next allowed refetch restores service.
    jwks.failure = None
    clock.now += 30.0
    assert (await verifier.verify(token))["sub"]
    assert verifier.last_jwks_error is None


@pytest.mark.parametrize(
    ("values", "error"),
    [
        ({"jwks_max_age_seconds": 600, "jwks_stale_limit_seconds": 300}, "STALE_LIMIT"),
        ({"token_allowed_clients": []}, "at least one client"),
        ({"jwks_max_age_seconds": 0}, "greater than 0"),
        ({"token_max_age_seconds": -1}, "greater than 0"),
    ],
)
def test_token_settings_refuse_nonsense(values: dict[str, Any], error: str) -> None:
    with pytest.raises(ValueError, match=error):
        TokenSettings(**values)


def test_token_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUEBLA_TOKEN_ALLOWED_CLIENTS", "puebla-cli, puebla-console")
    monkeypatch.setenv("PUEBLA_TOKEN_MAX_AGE_SECONDS", "1800")
    monkeypatch.setenv("PUEBLA_JWKS_MAX_AGE_SECONDS", "600")
    monkeypatch.setenv("PUEBLA_JWKS_STALE_LIMIT_SECONDS", "7200")
    settings = TokenSettings()
    assert settings.token_allowed_clients == ["puebla-cli", "puebla-console"]
    assert (settings.token_max_age_seconds, settings.jwks_max_age_seconds) == (1800, 600)
    assert settings.jwks_stale_limit_seconds == 7200
    verifier = TokenVerifier(ISSUER, AUDIENCE, JWKS_URL)
    assert verifier.allowed_clients == {"puebla-cli", "puebla-console"}
    assert (verifier.max_token_age, verifier.jwks_max_age, verifier.jwks_stale_limit) == (
        1800,
        600,
        7200,
    )


def test_token_settings_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "PUEBLA_TOKEN_ALLOWED_CLIENTS",
        "PUEBLA_TOKEN_MAX_AGE_SECONDS",
        "PUEBLA_JWKS_MAX_AGE_SECONDS",
        "PUEBLA_JWKS_STALE_LIMIT_SECONDS",
    ):
        monkeypatch.delenv(name, raising=False)
    settings = TokenSettings()
    assert settings.token_allowed_clients == ["puebla-cli", "puebla-console"]
    assert settings.token_max_age_seconds == 3600
    assert settings.jwks_max_age_seconds == 300
    assert settings.jwks_stale_limit_seconds == 3600


# --- the authorized party and the token's age (security review finding 10) --------------------


@pytest.mark.parametrize(
    "azp", ["some-other-client", "admin-cli", "PUEBLA-CLI", "", None, ["puebla-cli"], 7]
)
async def test_a_token_for_another_client_is_refused(verifier: TokenVerifier, azp: Any) -> None:
    problem = await rejected(verifier, sign(claims(azp=azp)))
    assert "client this service does not accept" in problem.detail


async def test_the_allowed_clients_are_a_setting(jwks: FakeJwks, clock: FakeClock) -> None:
    console_token = sign(claims(azp="puebla-console"))
    await rejected(
        TokenVerifier(
            ISSUER,
            AUDIENCE,
            JWKS_URL,
            settings=SETTINGS,
            http_client=jwks.client_factory(),
            clock=clock,
        ),
        console_token,
    )
    both = TokenVerifier(
        ISSUER,
        AUDIENCE,
        JWKS_URL,
        settings=SETTINGS.model_copy(
            update={"token_allowed_clients": ["puebla-cli", "puebla-console"]}
        ),
        http_client=jwks.client_factory(),
        clock=clock,
    )
    assert (await both.verify(console_token))["azp"] == "puebla-console"
    assert (await both.verify(sign(claims())))["azp"] == "puebla-cli"


@pytest.mark.parametrize(
    ("age", "lifetime"),
    [
        (0, 3601),  # just over the maximum
        (0, 10 * 365 * 24 * 3600),  # the review's ten-year token
        (3700, 3760),  # issued 3700 s ago, still 60 s to run: older than the maximum
    ],
)
async def test_a_token_issued_for_longer_than_the_max_age_is_refused(
    verifier: TokenVerifier, age: int, lifetime: int
) -> None:
    issued = int(time.time()) - age
    problem = await rejected(verifier, sign(claims(iat=issued, exp=issued + lifetime)))
    assert "issued for longer than the 3600 s" in problem.detail


async def test_a_token_within_the_max_age_is_accepted(verifier: TokenVerifier) -> None:
    issued = int(time.time()) - 3500
    assert (await verifier.verify(sign(claims(iat=issued, exp=issued + 3600))))["sub"]


@pytest.mark.parametrize(
    ("overrides", "claim"),
    [
        ({"iat": str(int(time.time()))}, "'iat'"),
        ({"iat": True}, "'iat'"),
        ({"exp": str(int(time.time()) + 300)}, "'exp'"),
    ],
)
async def test_times_that_are_not_numbers_are_refused(
    verifier: TokenVerifier, overrides: dict[str, Any], claim: str
) -> None:
    problem = await rejected(verifier, sign(claims(**overrides)))
    assert claim in problem.detail


# --- Principal -------------------------------------------------------------------------------


def test_principal_from_claims() -> None:
    principal = Principal.from_claims(claims())
    assert principal == Principal(
        subject="6f1c7a52-2a4e-4c0e-9d55-5b7b4d1f0b11",
        username="border.gt.tecun",
        roles=frozenset({"border_officer"}),
        country="GT",
        agency="IGM",
        border_post="GT-TECUN-UMAN",
        consular_post=None,
    )
    assert principal.has_role("border_officer")
    assert principal.has_role("auditor", "border_officer")
    assert not principal.has_role("consular_officer")
    assert principal.as_dict() == {
        "subject": "6f1c7a52-2a4e-4c0e-9d55-5b7b4d1f0b11",
        "username": "border.gt.tecun",
        "roles": ["border_officer"],
        "country": "GT",
        "agency": "IGM",
        "border_post": "GT-TECUN-UMAN",
        "consular_post": None,
    }


def test_principal_without_country_or_roles() -> None:
    principal = Principal.from_claims(
        claims(country=None, border_post=None, realm_access=None, preferred_username=None)
    )
    assert principal.country is None
    assert principal.roles == frozenset()
    assert principal.username == principal.subject


@pytest.mark.parametrize(
    "overrides",
    [
        {"country": ["GT", "MX"]},
        {"agency": 7},
        {"realm_access": {"roles": "border_officer"}},
        {"realm_access": {"roles": [1]}},
        {"realm_access": ["border_officer"]},
        {"sub": ""},
    ],
)
def test_malformed_claims_are_401(overrides: dict[str, Any]) -> None:
    with pytest.raises(MalformedClaims):
        Principal.from_claims(claims(**overrides))

    class Verified:
        """A verifier whose token checks out, carrying the malformed claims."""

        async def verify(self, token: str) -> dict[str, Any]:
            return claims(**overrides)

    authenticate = Authenticator(Verified())  # type: ignore[arg-type]
    request = Request({"type": "http", "headers": [], "state": {}})
    bearer = HTTPAuthorizationCredentials(scheme="Bearer", credentials="token")
    with pytest.raises(Problem) as info:
        asyncio.run(authenticate(request, bearer))
    assert info.value.status == 401


# --- a token verified once is remembered (issue 19) ------------------------------------------


async def test_the_same_token_again_costs_no_second_signature_check(
    verifier: TokenVerifier, monkeypatch: pytest.MonkeyPatch
) -> None:
    checks: list[str] = []
    real_decode = jwt.decode

    def counted(token: str, *args: Any, **kwargs: Any) -> Any:
        checks.append(token)
        return real_decode(token, *args, **kwargs)

    monkeypatch.setattr(jwt, "decode", counted)
    token = sign(claims())
    first = await verifier.verify(token)
    first["sub"] = "changed by a caller"  # what one request does to its claims stays its own
    again = await verifier.verify(token)
    assert again["sub"] == "6f1c7a52-2a4e-4c0e-9d55-5b7b4d1f0b11"
    assert checks == [token]
    await verifier.verify(sign(claims(sub="someone-else")))
    assert len(checks) == 2


async def test_a_remembered_token_is_refused_once_it_expires(
    jwks: FakeJwks, clock: FakeClock
) -> None:
    now = [time.time()]
    verifier = TokenVerifier(
        ISSUER,
        AUDIENCE,
        JWKS_URL,
        settings=SETTINGS,
        http_client=jwks.client_factory(),
        clock=clock,
        wall_clock=lambda: now[0],
    )
    token = sign(claims(exp=int(now[0]) + 60))
    assert (await verifier.verify(token))["sub"]
    now[0] += 60 + 29  # within the 30 s leeway, as PyJWT counts it
    assert (await verifier.verify(token))["sub"]
    now[0] += 1
    problem = await rejected(verifier, token)
    assert "expired" in problem.detail


async def test_a_remembered_token_is_refused_when_a_new_set_drops_its_key(
    verifier: TokenVerifier, jwks: FakeJwks, clock: FakeClock
) -> None:
    token = sign(claims())
    await verifier.verify(token)
    # Within the max age, a token under a new kid makes the verifier fetch the set again:
    # kid-a is gone from it, so the token it verified before is no longer good.
    jwks.keys = [jwk_of(KEY_B, "kid-b")]
    clock.now += 31.0  # past the refresh interval
    assert (await verifier.verify(sign(claims(), key=KEY_B, kid="kid-b")))["sub"]
    assert verifier.known_kids == {"kid-b"}
    problem = await rejected(verifier, token)
    assert "unknown key" in problem.detail
