"""Verification of Keycloak access tokens, the only source of identity for every service.

What is checked, and why (see tech-notes §4.3 and §6.2):

- the algorithm is pinned to RS256 here, never taken from the token header (defeats
  `alg: none` and HS256-with-the-public-key confusion);
- keys come only from the configured JWKS URL; `jku`, `x5u`, `jwk` and `x5c` headers are
  ignored, so a token cannot bring its own key;
- `iss` must equal the configured issuer exactly (Keycloak derives it from the hostname:
  `localhost` and `127.0.0.1` are different issuers);
- `aud` must contain this service's audience, so a token minted for one service only is
  refused by the others;
- `exp`, `iat` and `sub` are required (PyJWT accepts a token without `exp` unless told);
- `typ` must be `Bearer`: Keycloak's ID tokens (`ID`) and refresh tokens (`Refresh`) are
  signed by the same realm and would otherwise pass.

- `azp` must be one of the configured clients (`PUEBLA_TOKEN_ALLOWED_CLIENTS`): the realm
  may hold clients that were never meant to call the services;
- a token is never accepted more than `PUEBLA_TOKEN_MAX_AGE_SECONDS` after its `iat`: one
  issued for longer than that (`exp - iat`) is refused outright, whatever its `exp` says.

The JWKS is fetched over HTTPS (plain http only to loopback or with `PUEBLA_ENV=dev`: whoever
answers a plain fetch could mint any token), its certificate checked against the system's CAs
or only the configured one (`PUEBLA_KEYCLOAK_CA_FILE` / `PUEBLA_KEYCLOAK_CA_PEM`).

The JWKS is cached in-process, for at most `jwks_max_age_seconds` (`PUEBLA_JWKS_MAX_AGE_SECONDS`,
5 min): the first token verified after that fetches the set again, so a key removed from
Keycloak (rotated out after a compromise) stops being accepted within that age. An unknown
`kid` triggers at most one refetch per `refresh_min_interval` seconds, and so does a stale set
whose fetch fails, so a flood of tokens cannot hammer Keycloak. A failed fetch keeps the last
good keys, so a Keycloak blip does not log every caller out — but only for
`jwks_stale_limit_seconds` (`PUEBLA_JWKS_STALE_LIMIT_SECONDS`, 1 h) after the last successful
fetch; then every token is refused until Keycloak answers again (fail closed). Every failure
becomes a 401 problem, never a 500.

A token verified once is remembered (the last `VERIFIED_KEPT`, by its exact text, signature
included): the same text again skips the RSA check and the claim checks, which cannot come out
differently, but only while the key that verified it is still the one the current, fresh set
holds for its `kid`, and `exp` is checked again each time. So a rotated-out key, a set past its
maximum age and an expired token are refused exactly as before; a tired officer's next click
costs no second signature check (issue 19).
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx
import jwt
import structlog
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from jwt.algorithms import RSAAlgorithm

from puebla.auth.settings import TokenSettings
from puebla.problems import unauthorized

log = structlog.get_logger(__name__)

ALGORITHM = "RS256"
REQUIRED_CLAIMS = ("exp", "iat", "iss", "aud", "sub")
ACCESS_TOKEN_TYPE = "Bearer"

HttpClientFactory = Callable[[], httpx.AsyncClient]
VERIFIED_KEPT = 1024  # tokens remembered as verified: a few KB each


def _default_http_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=5.0)


class InsecureJwksUrl(ValueError):
    """A JWKS URL over plain HTTP off loopback, outside PUEBLA_ENV=dev: refused at start."""


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_jwks_url(url: str, settings: TokenSettings) -> None:
    """https always; http only to a loopback host or with PUEBLA_ENV=dev (security review 8:
    whoever can answer a plain-HTTP JWKS fetch in the cluster can mint any token)."""
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and (_loopback(parts.hostname or "") or settings.is_dev):
        return
    raise InsecureJwksUrl(
        f"the JWKS URL must be https (got {parts.scheme}://{parts.hostname}); plain http "
        "only to loopback or with PUEBLA_ENV=dev"
    )


def jwks_tls_context(settings: TokenSettings) -> ssl.SSLContext | None:
    """The certificate check of JWKS fetches: only the configured CA when there is one
    (hostname checked, as always), else None (httpx's default: the system's CAs)."""
    if settings.keycloak_ca_file:
        return ssl.create_default_context(cafile=settings.keycloak_ca_file)
    if settings.keycloak_ca_pem:
        return ssl.create_default_context(cadata=settings.keycloak_ca_pem)
    return None


def _client_factory(settings: TokenSettings) -> HttpClientFactory:
    context = jwks_tls_context(settings)
    if context is None:
        return _default_http_client
    return lambda: httpx.AsyncClient(timeout=5.0, verify=context)


def parse_jwks(document: Any) -> dict[str, RSAPublicKey]:
    """The RSA signing keys of a JWKS document, by `kid`.

    Keycloak also publishes an encryption key (`use: enc`, RSA-OAEP) in the same set; only
    `use == "sig"` RSA keys are signing keys. Anything malformed is skipped, not fatal.
    """
    keys: dict[str, RSAPublicKey] = {}
    entries = document.get("keys") if isinstance(document, Mapping) else None
    if not isinstance(entries, list):
        return keys
    for entry in entries:
        if not isinstance(entry, Mapping):
            continue
        kid = entry.get("kid")
        if (
            not isinstance(kid, str)
            or not kid
            or entry.get("kty") != "RSA"
            or entry.get("use") != "sig"
            or entry.get("alg", ALGORITHM) != ALGORITHM
            or "d" in entry  # a private key has no business in a JWKS
        ):
            continue
        try:
            key = RSAAlgorithm.from_jwk(dict(entry))
        except (jwt.InvalidKeyError, ValueError, TypeError, KeyError):
            continue
        if isinstance(key, RSAPublicKey):
            keys[kid] = key
    return keys


class TokenVerifier:
    """Verifies bearer access tokens for one service (one audience) of one issuer."""

    def __init__(
        self,
        issuer: str,
        audience: str,
        jwks_url: str,
        *,
        leeway: int = 30,
        refresh_min_interval: float = 30.0,
        settings: TokenSettings | None = None,
        http_client: HttpClientFactory | None = None,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        settings = settings or TokenSettings()
        check_jwks_url(jwks_url, settings)
        self.issuer = issuer
        self.audience = audience
        self.jwks_url = jwks_url
        self.leeway = leeway
        self.refresh_min_interval = refresh_min_interval
        self.allowed_clients = frozenset(settings.token_allowed_clients)
        self.max_token_age = settings.token_max_age_seconds
        self.jwks_max_age = settings.jwks_max_age_seconds
        self.jwks_stale_limit = settings.jwks_stale_limit_seconds
        self._http_client = http_client or _client_factory(settings)
        self._clock = clock
        self._wall_clock = wall_clock  # `exp` is wall time
        # token text → (its claims, the key that verified them, its kid), oldest first.
        self._verified: OrderedDict[str, tuple[dict[str, Any], RSAPublicKey, str]] = OrderedDict()
        self._keys: dict[str, RSAPublicKey] = {}
        self._fetched_at: float | None = None  # last successful fetch, on `clock`
        self._last_fetch_attempt: float | None = None
        self._lock = asyncio.Lock()
        # Observable for tests and diagnostics.
        self.jwks_fetches = 0
        self.last_jwks_error: str | None = None

    @property
    def known_kids(self) -> frozenset[str]:
        return frozenset(self._keys)

    async def verify(self, token: str) -> dict[str, Any]:
        """The verified claims of `token`; raises a 401 `Problem` for anything else."""
        if not isinstance(token, str) or not token:
            raise unauthorized("A bearer token is required.")
        kept = self._verified.get(token)
        if kept is not None:
            claims, key, kid = kept
            # The same key, still in a fresh set: the signature and the fixed claims stand.
            if self._fresh() and self._keys.get(kid) is key:
                if claims["exp"] <= self._wall_clock() - self.leeway:  # PyJWT's own rule
                    del self._verified[token]
                    raise unauthorized("The token has expired.")
                self._verified.move_to_end(token)
                return dict(claims)
            del self._verified[token]
        claims, key, kid = await self._verify(token)
        self._verified[token] = (claims, key, kid)
        if len(self._verified) > VERIFIED_KEPT:
            self._verified.popitem(last=False)
        return dict(claims)

    async def _verify(self, token: str) -> tuple[dict[str, Any], RSAPublicKey, str]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise unauthorized("The token is malformed.") from None
        # Checked before any key lookup so `none`/HS256 tokens cost no JWKS fetch.
        if header.get("alg") != ALGORITHM:
            raise unauthorized("The token's signing algorithm is not accepted.")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid:
            raise unauthorized("The token names no signing key.")
        key = await self._signing_key(kid)
        if key is None:
            raise unauthorized("The token was signed by an unknown key.")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": list(REQUIRED_CLAIMS)},
            )
        except jwt.ExpiredSignatureError:
            raise unauthorized("The token has expired.") from None
        except jwt.ImmatureSignatureError:
            raise unauthorized("The token is not valid yet.") from None
        except jwt.InvalidAudienceError:
            raise unauthorized("The token was not issued for this service.") from None
        except jwt.InvalidIssuerError:
            raise unauthorized("The token was not issued by the trusted issuer.") from None
        except jwt.MissingRequiredClaimError as exc:
            raise unauthorized(f"The token lacks the '{exc.claim}' claim.") from None
        except jwt.InvalidSignatureError:
            raise unauthorized("The token's signature is invalid.") from None
        except jwt.PyJWTError:
            raise unauthorized("The token is invalid.") from None
        if claims.get("typ") != ACCESS_TOKEN_TYPE:
            raise unauthorized("Only access tokens are accepted.")
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise unauthorized("The token's subject is invalid.")
        authorized_party = claims.get("azp")
        # The type first: a list-valued claim would make the set lookup raise (a 500).
        if not isinstance(authorized_party, str) or authorized_party not in self.allowed_clients:
            raise unauthorized("The token was issued to a client this service does not accept.")
        self._check_age(claims)
        return claims, key, kid

    def _check_age(self, claims: Mapping[str, Any]) -> None:
        """A token is never used more than `max_token_age` after its `iat`: its lifetime
        (`exp - iat`) may not exceed that age, and `exp` itself was checked by PyJWT (so a
        token older than the age has either expired or claimed too long a life)."""
        issued_at, expires = claims["iat"], claims["exp"]
        # PyJWT only checked that int() accepts them: "1700000000" and true pass that.
        for name, value in (("iat", issued_at), ("exp", expires)):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise unauthorized(f"The token's '{name}' claim is malformed.")
        if expires - issued_at > self.max_token_age:
            raise unauthorized(
                f"The token was issued for longer than the {self.max_token_age:g} s "
                "this service accepts."
            )

    async def signing_key(self, kid: str) -> RSAPublicKey | None:
        """The realm's key `kid`, from the same cached, rate-limited set as `verify`: for
        callers that verify the realm's other tokens (the console's ID and logout tokens)."""
        return await self._signing_key(kid)

    async def _signing_key(self, kid: str) -> RSAPublicKey | None:
        # Fast path, no lock: a fresh set that knows the kid.
        if self._fresh():
            key = self._keys.get(kid)
            if key is not None:
                return key
        async with self._lock:
            # Another request may have refreshed the set while this one waited.
            if self._fresh() and kid in self._keys:
                return self._keys[kid]
            if self._may_refresh():
                # Unknown kid (a rotation), or a set past its maximum age.
                await self.refresh()
            return self._usable_keys().get(kid)

    def _age(self) -> float | None:
        """Seconds since the last successful fetch; None before the first one."""
        return None if self._fetched_at is None else self._clock() - self._fetched_at

    def _fresh(self) -> bool:
        age = self._age()
        return age is not None and age < self.jwks_max_age

    def _usable_keys(self) -> dict[str, RSAPublicKey]:
        """The cached keys, unless the last successful fetch is older than the stale limit
        (Keycloak unreachable for that long): then none, and every token is refused."""
        age = self._age()
        if age is None or age >= self.jwks_stale_limit:
            return {}
        return self._keys

    def _may_refresh(self) -> bool:
        last = self._last_fetch_attempt
        return last is None or self._clock() - last >= self.refresh_min_interval

    async def refresh(self) -> bool:
        """Fetches the JWKS now; True if a usable key set replaced the cached one.

        On failure (network, HTTP status, bad JSON, no signing key) the cached keys stay.
        Callers other than tests should go through the rate-limited path in `verify`.
        """
        self._last_fetch_attempt = self._clock()
        self.jwks_fetches += 1
        try:
            async with self._http_client() as client:
                response = await client.get(self.jwks_url, headers={"Accept": "application/json"})
                response.raise_for_status()
                keys = parse_jwks(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            self.last_jwks_error = f"{type(exc).__name__}: {exc}"
            log.warning(
                "auth.jwks_fetch_failed",
                url=self.jwks_url,
                error=self.last_jwks_error,
                kept_keys=len(self._keys),
                keys_age_seconds=self._age(),
                stale_limit_seconds=self.jwks_stale_limit,
            )
            return False
        if not keys:
            self.last_jwks_error = "the JWKS holds no RS256 signing key"
            log.warning("auth.jwks_empty", url=self.jwks_url, kept_keys=len(self._keys))
            return False
        self._keys = keys
        self._fetched_at = self._last_fetch_attempt
        self.last_jwks_error = None
        return True
