"""The realm, as the console's server speaks to it: the authorization URL the browser is sent
to, the code and refresh grants (client secret + PKCE verifier), the logout URL, and the
verification of the ID, access and logout tokens it returns (the realm's JWKS, RS256).
"""

from __future__ import annotations

import time
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt

from puebla.auth.tokens import ALGORITHM, TokenVerifier

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"


class GrantRefused(Exception):
    """Keycloak refused a code or a refresh token (expired, used, its session ended)."""


class TokenInvalid(Exception):
    """A token from the realm did not verify (signature, issuer, audience, nonce, claims)."""


@dataclass(frozen=True)
class Grant:
    access_token: str
    refresh_token: str
    id_token: str
    access_expires_at: datetime


class Keycloak:
    def __init__(
        self,
        *,
        issuer: str,
        server_url: str,
        client_id: str,
        client_secret: str,
        redirect_uri: str,
        http: httpx.AsyncClient,
    ) -> None:
        self.issuer = issuer.rstrip("/")
        self.server_url = server_url.rstrip("/")
        self.client_id = client_id
        self._secret = client_secret
        self.redirect_uri = redirect_uri
        self._http = http
        # Access tokens are verified as the services verify them (one audience of the four):
        # the shell shows only what a service would accept. Its key set serves the ID and
        # logout tokens too.
        self._access = TokenVerifier(
            self.issuer,
            "repatriation",
            f"{self.server_url}/protocol/openid-connect/certs",
        )

    def authorization_url(
        self,
        *,
        state: str,
        challenge: str,
        nonce: str,
        locale: str,
        acr_values: str | None = None,
        max_age: int | None = None,
    ) -> str:
        query: dict[str, str] = {
            "client_id": self.client_id,
            "response_type": "code",
            "redirect_uri": self.redirect_uri,
            "scope": "openid",
            "state": state,
            "nonce": nonce,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "ui_locales": locale,
        }
        if acr_values:
            query["acr_values"] = acr_values
        if max_age is not None:
            query["max_age"] = str(max_age)
        return f"{self.issuer}/protocol/openid-connect/auth?{urllib.parse.urlencode(query)}"

    def logout_url(self, *, id_token: str, post_logout_uri: str, locale: str) -> str:
        query = {
            "id_token_hint": id_token,
            "post_logout_redirect_uri": post_logout_uri,
            "client_id": self.client_id,
            "ui_locales": locale,
        }
        return f"{self.issuer}/protocol/openid-connect/logout?{urllib.parse.urlencode(query)}"

    async def exchange_code(self, code: str, verifier: str) -> Grant:
        return await self._grant(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "code_verifier": verifier,
            }
        )

    async def refresh(self, refresh_token: str) -> Grant:
        return await self._grant({"grant_type": "refresh_token", "refresh_token": refresh_token})

    async def revoke(self, refresh_token: str) -> None:
        """Ends the Keycloak session behind a refresh token (logout without the browser)."""
        await self._http.post(
            f"{self.server_url}/protocol/openid-connect/logout",
            data={"refresh_token": refresh_token},
            auth=(self.client_id, self._secret),
        )

    async def _grant(self, form: dict[str, str]) -> Grant:
        response = await self._http.post(
            f"{self.server_url}/protocol/openid-connect/token",
            data=form,
            auth=(self.client_id, self._secret),
        )
        if response.status_code in (400, 401):
            raise GrantRefused(_error_of(response))
        response.raise_for_status()
        body = response.json()
        expires_in = float(body.get("expires_in", 0))
        id_token = body.get("id_token")
        return Grant(
            access_token=str(body["access_token"]),
            refresh_token=str(body["refresh_token"]),
            # A refreshed grant carries a new ID token too (scope openid); keep the old if not.
            id_token=str(id_token) if id_token else "",
            access_expires_at=datetime.now(UTC) + timedelta(seconds=expires_in),
        )

    async def access_claims(self, access_token: str) -> dict[str, Any]:
        try:
            return await self._access.verify(access_token)
        except Exception as exc:  # a Problem (401) from the shared verifier
            raise TokenInvalid(str(exc)) from None

    async def id_claims(self, id_token: str, *, nonce: str) -> dict[str, Any]:
        claims = await self._decode(id_token, audience=self.client_id)
        if claims.get("nonce") != nonce:
            raise TokenInvalid("the ID token's nonce is not this sign-in's")
        if not isinstance(claims.get("sid"), str):
            raise TokenInvalid("the ID token names no session")
        return claims

    async def logout_claims(self, logout_token: str) -> dict[str, Any]:
        """A back-channel logout token (OpenID Back-Channel Logout 1.0, §2.6)."""
        claims = await self._decode(logout_token, audience=self.client_id)
        events = claims.get("events")
        if not isinstance(events, Mapping) or BACKCHANNEL_EVENT not in events:
            raise TokenInvalid("not a back-channel logout token")
        if "nonce" in claims:
            raise TokenInvalid("a logout token carries no nonce")
        if not isinstance(claims.get("sid"), str) or not claims["sid"]:
            raise TokenInvalid("the logout token names no session")
        return claims

    async def _decode(self, token: str, *, audience: str) -> dict[str, Any]:
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError:
            raise TokenInvalid("malformed token") from None
        key = await self._access.signing_key(kid) if isinstance(kid, str) else None
        if key is None:
            raise TokenInvalid("signed by an unknown key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=audience,
                issuer=self.issuer,
                leeway=30,
                options={"require": ["iat", "iss", "aud"]},
            )
        except jwt.PyJWTError as exc:
            raise TokenInvalid(str(exc)) from None
        if claims.get("iat", 0) > time.time() + 60:
            raise TokenInvalid("issued in the future")
        return claims


def _error_of(response: httpx.Response) -> str:
    try:
        return str(response.json().get("error", response.status_code))
    except ValueError:
        return str(response.status_code)
