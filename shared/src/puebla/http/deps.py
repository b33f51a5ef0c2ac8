"""Dependencies every router uses: the verified caller and the process runtime."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from puebla.auth.fastapi import Authenticator, bearer_scheme
from puebla.auth.principal import Principal
from puebla.runtime import Runtime


async def authenticated(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Principal:
    # Verified already, before the body was read, by AuthenticateFirstMiddleware.
    principal = getattr(request.state, "principal", None)
    if isinstance(principal, Principal):
        return principal
    # An app without that middleware: the app owns its verifier (audience = the service), so
    # routers defined at module level reach it through app.state instead of a global.
    authenticator: Authenticator = request.app.state.authenticator
    return await authenticator(request, credentials)


def runtime(request: Request) -> Runtime:
    value: Runtime = request.app.state.runtime
    return value


Caller = Annotated[Principal, Depends(authenticated)]
ServiceRuntime = Annotated[Runtime, Depends(runtime)]
