"""Dependencies every router uses: the verified caller, the service object, the runtime.

Every route is authenticated by default (`puebla.http.authentication` answers 401 before any
route runs; only the paths `create_service_app` lists as public are not): `Caller` is the
verified principal. A route only some roles may use says so in its signature with a typed
dependency, e.g. `ImmigrationOfficer = Annotated[Principal, Depends(holding(IMMIGRATION,
message="Only an immigration officer creates manifests."))]`: 403 before the body is read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials

from puebla.auth.fastapi import Authenticator, bearer_scheme
from puebla.auth.principal import Principal
from puebla.refusals import ensure_allowed
from puebla.runtime import Runtime
from puebla.service import Service


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


# `async def`, though they never wait: FastAPI runs a plain `def` dependency on a worker
# thread, a thread hop on every request.
async def runtime(request: Request) -> Runtime:
    value: Runtime = request.app.state.runtime
    return value


async def service(request: Request) -> Service[Any]:
    """The service object `create_service_app(service=...)` built at startup; each service
    names its own type: `Svc = Annotated[Repatriation, Depends(service)]`."""
    value: Service[Any] = request.app.state.service
    return value


def holding(*roles: str, message: str) -> Callable[..., Awaitable[Principal]]:
    """A dependency: the caller, if they hold one of `roles`; else 403 with `message`."""

    async def caller_holding(caller: Annotated[Principal, Depends(authenticated)]) -> Principal:
        ensure_allowed(caller.has_role(*roles), message, rule="role_required")
        return caller

    return caller_holding


Caller = Annotated[Principal, Depends(authenticated)]
ServiceRuntime = Annotated[Runtime, Depends(runtime)]
