"""FastAPI glue: `Depends(Authenticator(verifier))` yields the verified `Principal`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from puebla.auth.principal import MalformedClaims, Principal
from puebla.auth.tokens import TokenVerifier
from puebla.problems import unauthorized

# auto_error=False: a missing header must become our 401 problem (FastAPI would answer 403
# in older versions); the scheme still documents bearer auth in the OpenAPI document.
bearer_scheme = HTTPBearer(
    auto_error=False,
    bearerFormat="JWT",
    description="Access token of Keycloak realm `rcm` (password grant of `puebla-cli` in dev).",
)


class Authenticator:
    """A dependency returning the caller's `Principal`, or raising a 401 problem."""

    def __init__(self, verifier: TokenVerifier) -> None:
        self.verifier = verifier

    async def __call__(
        self,
        request: Request,
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    ) -> Principal:
        if credentials is None:
            raise unauthorized("A bearer token is required.")
        claims = await self.verifier.verify(credentials.credentials)
        try:
            principal = Principal.from_claims(claims)
        except MalformedClaims as malformed:
            raise unauthorized(str(malformed)) from None
        # For logging and audit middleware further down the request.
        request.state.principal = principal
        return principal
