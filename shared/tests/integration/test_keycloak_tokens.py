"""Real Keycloak (realm `rcm` from deploy/keycloak/realm-rcm.json), real tokens, real JWKS.

1. The realm file: every demo user of POLICY.md logs in with `demo` and carries exactly
   its role and claims (expected values copied from POLICY.md, not computed).
2. The JWT attacks of tech-notes §6.2 against `TokenVerifier`: each answers 401.
3. The FastAPI dependency: 401 problem+json with `WWW-Authenticate: Bearer`, or the principal.
"""

# No `from __future__ import annotations` here: FastAPI resolves string annotations against the
# module globals, and the endpoint below depends on a local `authenticator`.
import base64
import hashlib
import hmac
import json
from pathlib import Path
from typing import Annotated, Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse
from jwt.algorithms import RSAAlgorithm

from puebla.auth.fastapi import Authenticator
from puebla.auth.principal import Principal
from puebla.auth.settings import TokenSettings
from puebla.auth.tokens import TokenVerifier
from puebla.problems import Problem
from puebla_dev.testing.keycloak import KeycloakTokens

ISSUER = "http://127.0.0.1:8080/realms/rcm"
REALM_FILE = Path(__file__).resolve().parents[3] / "deploy" / "keycloak" / "realm-rcm.json"
SERVICES = ["repatriation", "child_protection", "reserve_fund", "consular"]

# POLICY.md, "Demo users": username -> (role, country, agency, border_post, consular_post).
DEMO_USERS: dict[str, tuple[str, str | None, str, str | None, str | None]] = {
    "inm.mx": ("immigration_officer", "MX", "INM", None, None),
    "igm.gt": ("immigration_officer", "GT", "IGM", None, None),
    "dgme.sv": ("immigration_officer", "SV", "DGME", None, None),
    "border.gt.tecun": ("border_officer", "GT", "IGM", "GT-TECUN-UMAN", None),
    "border.gt.mesilla": ("border_officer", "GT", "IGM", "GT-LA-MESILLA", None),
    "border.hn.corinto": ("border_officer", "HN", "INM-HN", "HN-CORINTO", None),
    "consul.gt.tapachula": ("consular_officer", "GT", "MINEX-GT", None, "GT-CONS-TAPACHULA"),
    "consul.hn.tapachula": ("consular_officer", "HN", "SRECI", None, "HN-CONS-TAPACHULA"),
    "consul.sv.tapachula": ("consular_officer", "SV", "RREE-SV", None, "SV-CONS-TAPACHULA"),
    "dif.mx": ("child_protection_officer", "MX", "DIF", None, None),
    "dif.mx.supervisor": ("child_protection_supervisor", "MX", "DIF", None, None),
    "sbs.gt": ("child_protection_officer", "GT", "SBS", None, None),
    "dinaf.hn": ("child_protection_officer", "HN", "DINAF", None, None),
    "iom.officer": ("fund_officer", None, "IOM", None, None),
    "iom.approver": ("fund_approver", None, "IOM", None, None),
    "iom.approver2": ("fund_approver", None, "IOM", None, None),
    "ts.rcm": ("secretariat", None, "RCM-TS", None, None),
    "audit.rcm": ("auditor", None, "RCM-TS", None, None),
}


# --- helpers ---------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_json(value: Any) -> str:
    return b64url(json.dumps(value, separators=(",", ":")).encode())


def unb64url_json(segment: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def payload_of(token: str) -> dict[str, Any]:
    value: dict[str, Any] = unb64url_json(token.split(".")[1])
    return value


def header_of(token: str) -> dict[str, Any]:
    value: dict[str, Any] = unb64url_json(token.split(".")[0])
    return value


def hs256(header: dict[str, Any], payload: dict[str, Any], secret: bytes) -> str:
    # Built by hand: PyJWT itself refuses to use a PEM public key as an HMAC secret.
    signing_input = f"{b64url_json(header)}.{b64url_json(payload)}"
    mac = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64url(mac)}"


ATTACKER = rsa.generate_private_key(public_exponent=65537, key_size=2048)


def attacker_jwk(kid: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(RSAAlgorithm.to_jwk(ATTACKER.public_key()))
    data.update({"kid": kid, "use": "sig", "alg": "RS256"})
    return data


@pytest.fixture(scope="module")
def realm_jwks(tokens: KeycloakTokens) -> dict[str, Any]:
    document: dict[str, Any] = httpx.get(tokens.jwks_url, timeout=10).json()
    return document


@pytest.fixture(scope="module")
def realm_signing_jwk(realm_jwks: dict[str, Any]) -> dict[str, Any]:
    signing = [k for k in realm_jwks["keys"] if k.get("use") == "sig" and k.get("alg") == "RS256"]
    assert len(signing) == 1, realm_jwks
    key: dict[str, Any] = signing[0]
    return key


@pytest.fixture
def verifier(keycloak_issuer: str, tokens: KeycloakTokens) -> TokenVerifier:
    return TokenVerifier(keycloak_issuer, "repatriation", tokens.jwks_url)


async def rejected(verifier: TokenVerifier, token: str) -> Problem:
    with pytest.raises(Problem) as info:
        await verifier.verify(token)
    assert info.value.status == 401
    return info.value


# --- 1. the realm file -----------------------------------------------------------------------


def test_issuer_is_fixed_to_127_0_0_1(keycloak_issuer: str) -> None:
    assert keycloak_issuer == ISSUER


async def test_fresh_border_officer_token(verifier: TokenVerifier, tokens: KeycloakTokens) -> None:
    claims = await verifier.verify(tokens.get("border.gt.tecun"))
    assert isinstance(claims["sub"], str)
    assert claims["sub"]
    assert claims["iss"] == ISSUER
    assert set(SERVICES) <= set(claims["aud"])
    assert claims["exp"] > claims["iat"]
    assert claims["typ"] == "Bearer"
    assert claims["azp"] == "puebla-cli"
    assert "border_officer" in claims["realm_access"]["roles"]
    assert claims["preferred_username"] == "border.gt.tecun"
    assert claims["country"] == "GT"
    assert claims["agency"] == "IGM"
    assert claims["border_post"] == "GT-TECUN-UMAN"
    assert "consular_post" not in claims
    # The realm sets a 15-minute access token.
    assert claims["exp"] - claims["iat"] == 900


async def test_consul_carries_consular_post(
    verifier: TokenVerifier, tokens: KeycloakTokens
) -> None:
    claims = await verifier.verify(tokens.get("consul.gt.tapachula"))
    assert claims["consular_post"] == "GT-CONS-TAPACHULA"
    assert "border_post" not in claims


async def test_iom_officer_has_no_country(verifier: TokenVerifier, tokens: KeycloakTokens) -> None:
    claims = await verifier.verify(tokens.get("iom.officer"))
    assert "country" not in claims
    assert claims["agency"] == "IOM"


@pytest.mark.parametrize("username", sorted(DEMO_USERS))
async def test_every_demo_user_has_exactly_its_role_and_claims(
    username: str, verifier: TokenVerifier, tokens: KeycloakTokens
) -> None:
    role, country, agency, border_post, consular_post = DEMO_USERS[username]
    claims = await verifier.verify(tokens.get(username))
    assert set(claims["realm_access"]["roles"]) == {role}
    for name, expected in [
        ("country", country),
        ("agency", agency),
        ("border_post", border_post),
        ("consular_post", consular_post),
    ]:
        assert claims.get(name) == expected, name
    principal = Principal.from_claims(claims)
    assert principal == Principal(
        subject=claims["sub"],
        username=username,
        roles=frozenset({role}),
        country=country,
        agency=agency,
        border_post=border_post,
        consular_post=consular_post,
    )


def test_demo_user_with_wrong_password_cannot_log_in(tokens: KeycloakTokens) -> None:
    with pytest.raises(AssertionError, match="invalid_grant"):
        tokens.get_full("igm.gt", "not-the-password")


@pytest.mark.parametrize("service", SERVICES)
async def test_token_is_accepted_by_every_service(
    service: str, keycloak_issuer: str, tokens: KeycloakTokens
) -> None:
    per_service = TokenVerifier(keycloak_issuer, service, tokens.jwks_url)
    assert (await per_service.verify(tokens.get("igm.gt")))["preferred_username"] == "igm.gt"


def test_userinfo_carries_the_puebla_claims(tokens: KeycloakTokens) -> None:
    response = httpx.get(
        f"{tokens.issuer}/protocol/openid-connect/userinfo",
        headers={"Authorization": f"Bearer {tokens.get('border.hn.corinto')}"},
        timeout=10,
    )
    assert response.status_code == 200
    info = response.json()
    assert (info["country"], info["agency"], info["border_post"]) == ("HN", "INM-HN", "HN-CORINTO")


async def test_token_fetched_through_localhost_still_has_the_fixed_issuer(
    verifier: TokenVerifier,
) -> None:
    # Without --hostname, Keycloak would derive iss from the request's Host header.
    async with httpx.AsyncClient(timeout=15) as http:
        response = await http.post(
            "http://localhost:8080/realms/rcm/protocol/openid-connect/token",
            data={
                "grant_type": "password",
                "client_id": "puebla-cli",
                "username": "sbs.gt",
                "password": "demo",
            },
        )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert payload_of(token)["iss"] == ISSUER
    await verifier.verify(token)


def test_realm_file_declares_the_puebla_attributes_admin_only() -> None:
    # Undeclared attributes are silently dropped by Keycloak 24+ (unmanaged policy DISABLED),
    # and attributes users may edit would let them change their own country.
    realm = json.loads(REALM_FILE.read_text())
    [component] = realm["components"]["org.keycloak.userprofile.UserProfileProvider"]
    profile = json.loads(component["config"]["kc.user.profile.config"][0])
    declared = {a["name"]: a for a in profile["attributes"]}
    assert {"username", "email", "firstName", "lastName"} <= set(declared)
    for name in ("country", "agency", "border_post", "consular_post"):
        assert declared[name]["permissions"] == {"view": ["admin"], "edit": ["admin"]}, name
    # Absent key == DISABLED (the enum has no DISABLED value; writing it breaks the import).
    assert "unmanagedAttributePolicy" not in profile
    for user in realm["users"]:
        assert set(user["attributes"]) <= set(declared), user["username"]
    assert {u["username"] for u in realm["users"]} == set(DEMO_USERS)


# --- 2. attacks: every one is a 401 ----------------------------------------------------------


@pytest.mark.parametrize(
    "issuer",
    [
        "http://localhost:8080/realms/rcm",
        "http://127.0.0.1:8080/realms/master",
        "http://127.0.0.1:8080/realms/rcm/",
        "https://127.0.0.1:8080/realms/rcm",
    ],
)
async def test_wrong_issuer(issuer: str, tokens: KeycloakTokens) -> None:
    strict = TokenVerifier(issuer, "repatriation", tokens.jwks_url)
    problem = await rejected(strict, tokens.get("igm.gt"))
    assert "issuer" in problem.detail


async def test_wrong_audience(keycloak_issuer: str, tokens: KeycloakTokens) -> None:
    other = TokenVerifier(keycloak_issuer, "payroll", tokens.jwks_url)
    problem = await rejected(other, tokens.get("igm.gt"))
    assert "not issued for this service" in problem.detail


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "nOnE"])
async def test_alg_none(alg: str, verifier: TokenVerifier, tokens: KeycloakTokens) -> None:
    real = tokens.get("igm.gt")
    header = {**header_of(real), "alg": alg}
    forged = f"{b64url_json(header)}.{real.split('.')[1]}."
    await rejected(verifier, forged)


@pytest.mark.parametrize("form", ["pem", "pem-pkcs1", "jwk-json"])
async def test_hs256_signed_with_the_realm_public_key(
    form: str, verifier: TokenVerifier, tokens: KeycloakTokens, realm_signing_jwk: dict[str, Any]
) -> None:
    public = RSAAlgorithm.from_jwk(realm_signing_jwk)
    assert isinstance(public, RSAPublicKey)
    if form == "pem":
        secret = public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    elif form == "pem-pkcs1":
        secret = public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.PKCS1)
    else:
        secret = json.dumps(realm_signing_jwk).encode()
    real = tokens.get("igm.gt")
    payload = {**payload_of(real), "realm_access": {"roles": ["auditor"]}}
    forged = hs256({"alg": "HS256", "typ": "JWT", "kid": realm_signing_jwk["kid"]}, payload, secret)
    problem = await rejected(verifier, forged)
    assert "algorithm" in problem.detail


async def test_unknown_kid_triggers_at_most_one_jwks_fetch(
    keycloak_issuer: str, tokens: KeycloakTokens
) -> None:
    fresh = TokenVerifier(keycloak_issuer, "repatriation", tokens.jwks_url)
    payload = payload_of(tokens.get("igm.gt"))
    kids = ["attacker", "../../../etc/passwd", "' OR 1=1 --", "$(rm -rf /)", "a" * 500]
    for kid in kids:
        forged = jwt.encode(payload, ATTACKER, algorithm="RS256", headers={"kid": kid})
        problem = await rejected(fresh, forged)
        assert "unknown key" in problem.detail
    assert fresh.jwks_fetches == 1, "unknown kids must not refetch within refresh_min_interval"
    # The genuine key was cached by that one fetch: real tokens cost nothing more.
    await fresh.verify(tokens.get("igm.gt"))
    assert fresh.jwks_fetches == 1


@pytest.mark.parametrize(
    "extra_header",
    [
        "jwk-same-kid",
        "jwk-own-kid",
        "jku",
        "x5u",
        "x5c",
    ],
)
async def test_attacker_key_advertised_in_the_header(
    extra_header: str,
    verifier: TokenVerifier,
    tokens: KeycloakTokens,
    realm_signing_jwk: dict[str, Any],
) -> None:
    real_kid = realm_signing_jwk["kid"]
    headers: dict[str, Any] = {"kid": real_kid}
    if extra_header == "jwk-same-kid":
        headers["jwk"] = attacker_jwk(real_kid)
    elif extra_header == "jwk-own-kid":
        headers = {"kid": "attacker", "jwk": attacker_jwk("attacker")}
    elif extra_header == "jku":
        headers["jku"] = "http://127.0.0.1:9/attacker/jwks.json"
    elif extra_header == "x5u":
        headers["x5u"] = "http://127.0.0.1:9/attacker/cert.pem"
    else:
        der = ATTACKER.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        headers["x5c"] = [base64.b64encode(der).decode()]
    payload = {**payload_of(tokens.get("igm.gt")), "country": "MX"}
    forged = jwt.encode(payload, ATTACKER, algorithm="RS256", headers=headers)
    await rejected(verifier, forged)


async def test_tampered_payload_with_the_original_signature(
    verifier: TokenVerifier, tokens: KeycloakTokens
) -> None:
    real = tokens.get("consul.gt.tapachula")
    header, _, signature = real.split(".")
    payload = {**payload_of(real), "country": "MX", "consular_post": "MX-CONS-X"}
    problem = await rejected(verifier, f"{header}.{b64url_json(payload)}.{signature}")
    assert "signature" in problem.detail


@pytest.mark.parametrize("damage", ["flip", "truncate", "bad-base64", "empty", "swap"])
async def test_garbled_signature(
    damage: str, verifier: TokenVerifier, tokens: KeycloakTokens
) -> None:
    real = tokens.get("igm.gt")
    header, payload, signature = real.split(".")
    if damage == "flip":
        signature = signature[:-5] + ("A" if signature[-5] != "A" else "B") + signature[-4:]
    elif damage == "truncate":
        signature = signature[:-12]
    elif damage == "bad-base64":
        signature = signature[:10] + "!*%" + signature[13:]
    elif damage == "empty":
        signature = ""
    else:
        signature = tokens.get("inm.mx").split(".")[2]
    await rejected(verifier, f"{header}.{payload}.{signature}")


async def test_id_token_used_as_bearer(
    verifier: TokenVerifier, keycloak_issuer: str, tokens: KeycloakTokens
) -> None:
    id_token = tokens.get_full("igm.gt")["id_token"]
    assert payload_of(id_token)["typ"] == "ID"
    await rejected(verifier, id_token)
    # Even a verifier whose audience matches the ID token's (the client id) refuses it:
    # the `typ` check, not the audience, is what stops it.
    as_client = TokenVerifier(keycloak_issuer, "puebla-cli", tokens.jwks_url)
    problem = await rejected(as_client, id_token)
    assert "access tokens" in problem.detail


async def test_refresh_token_used_as_bearer(
    verifier: TokenVerifier, tokens: KeycloakTokens
) -> None:
    refresh = tokens.get_full("igm.gt")["refresh_token"]
    assert payload_of(refresh)["typ"] == "Refresh"
    await rejected(verifier, refresh)


async def test_missing_exp_and_expired_forgeries_signed_by_a_foreign_key(
    verifier: TokenVerifier, tokens: KeycloakTokens, realm_signing_jwk: dict[str, Any]
) -> None:
    # Keycloak never issues these; the claim checks themselves are in the unit tests with a
    # key the test controls. Here: such tokens do not get past the realm key either.
    payload = payload_of(tokens.get("igm.gt"))
    without_exp = {k: v for k, v in payload.items() if k != "exp"}
    expired = {**payload, "exp": payload["iat"] - 3600}
    for body in (without_exp, expired):
        forged = jwt.encode(
            body, ATTACKER, algorithm="RS256", headers={"kid": realm_signing_jwk["kid"]}
        )
        await rejected(verifier, forged)


async def test_a_real_token_is_refused_where_its_client_is_not_allowed(
    keycloak_issuer: str, tokens: KeycloakTokens
) -> None:
    # The dev realm's tokens name `puebla-cli` as their authorized party (`azp`); a service
    # configured for the console only refuses them.
    console_only = TokenVerifier(
        keycloak_issuer,
        "repatriation",
        tokens.jwks_url,
        settings=TokenSettings(token_allowed_clients=["puebla-console"]),
    )
    problem = await rejected(console_only, tokens.get("igm.gt"))
    assert "client this service does not accept" in problem.detail
    both = TokenVerifier(
        keycloak_issuer,
        "repatriation",
        tokens.jwks_url,
        settings=TokenSettings(token_allowed_clients=["puebla-console", "puebla-cli"]),
    )
    assert (await both.verify(tokens.get("igm.gt")))["azp"] == "puebla-cli"


async def test_a_real_token_is_refused_where_its_lifetime_exceeds_the_max_age(
    keycloak_issuer: str, tokens: KeycloakTokens
) -> None:
    # The realm issues 15-minute tokens: within the default maximum age (1 h), beyond 10 min.
    ten_minutes = TokenVerifier(
        keycloak_issuer,
        "repatriation",
        tokens.jwks_url,
        settings=TokenSettings(token_max_age_seconds=600),
    )
    problem = await rejected(ten_minutes, tokens.get("igm.gt"))
    assert "issued for longer than the 600 s" in problem.detail


# --- 3. the FastAPI dependency ---------------------------------------------------------------


def make_app(verifier: TokenVerifier) -> FastAPI:
    app = FastAPI()
    authenticator = Authenticator(verifier)

    # The same rendering as puebla.http.errors, inlined so this test needs only puebla.auth.
    async def on_problem(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, Problem)
        return JSONResponse(
            exc.body(instance=request.url.path),
            status_code=exc.status,
            headers=exc.headers or None,
            media_type="application/problem+json",
        )

    app.add_exception_handler(Problem, on_problem)

    @app.get("/v1/me")
    async def me(caller: Annotated[Principal, Depends(authenticator)]) -> dict[str, Any]:
        return caller.as_dict()

    return app


@pytest.fixture
def client(verifier: TokenVerifier) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=make_app(verifier)), base_url="http://testserver"
    )


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic aWdtLmd0OmRlbW8=", "Bearer not.a.jwt", "bearer x.y.z"],
)
async def test_missing_or_invalid_token_is_401_problem(
    authorization: str | None, client: httpx.AsyncClient
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    async with client:
        response = await client.get("/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401
    assert body["title"] == "Unauthorized"
    assert body["detail"]


async def test_valid_token_gives_the_principal(
    client: httpx.AsyncClient, tokens: KeycloakTokens
) -> None:
    async with client:
        response = await client.get(
            "/v1/me", headers={"Authorization": f"Bearer {tokens.get('consul.hn.tapachula')}"}
        )
    assert response.status_code == 200
    body = response.json()
    assert body.pop("subject")
    assert body == {
        "username": "consul.hn.tapachula",
        "roles": ["consular_officer"],
        "country": "HN",
        "agency": "SRECI",
        "border_post": None,
        "consular_post": "HN-CONS-TAPACHULA",
    }


async def test_id_token_is_401_at_the_api(
    client: httpx.AsyncClient, tokens: KeycloakTokens
) -> None:
    id_token = tokens.get_full("dif.mx")["id_token"]
    async with client:
        response = await client.get("/v1/me", headers={"Authorization": f"Bearer {id_token}"})
    assert response.status_code == 401


def test_openapi_declares_bearer_security(verifier: TokenVerifier) -> None:
    document = make_app(verifier).openapi()
    schemes = document["components"]["securitySchemes"]
    assert any(s["type"] == "http" and s["scheme"] == "bearer" for s in schemes.values())
    assert document["paths"]["/v1/me"]["get"]["security"]
