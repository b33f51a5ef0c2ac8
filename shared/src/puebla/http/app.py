"""The common shape of every service's FastAPI app.

`create_service_app` gives each service: problem+json errors, correlation ids, tracing,
request metrics (and the Prometheus listener when `PUEBLA_METRICS_PORT` is set:
`puebla.observability.metrics`), `/healthz`, `/readyz`, `/v1/me`, a lifespan that applies
migrations and connects to NATS, and authentication on every route the service adds
(through `principal` dependencies).

In front of the routes, outermost first: the correlation id; the security headers; the
body limit (413 on a declared or counted size over the route's limit, before anything else
reads the body); the bearer check (401 before any route, so a body without a valid token is
never read nor parsed). `/healthz`, `/readyz` and — when `PUEBLA_API_DOCS` is on — `/docs`,
`/redoc` and `/openapi.json` are the only paths answered without a token. Behind them, every
route refuses control characters in its query, path and header parameters (422, after the
route's own 404/403 checks: `puebla.http.parameters`); a body that is not JSON is a 422 naming
`body` and a method a path does not take a 405 with `Allow` (`puebla.http.errors`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from puebla import collector
from puebla.auth.fastapi import Authenticator
from puebla.auth.tokens import TokenVerifier
from puebla.http.audit import router as audit_router
from puebla.http.authentication import AuthenticateFirstMiddleware
from puebla.http.deps import Caller
from puebla.http.errors import (
    PROBLEM_JSON,
    PROBLEM_SCHEMA,
    install_problem_handlers,
    problem_responses,
)
from puebla.http.headers import SecurityHeadersMiddleware, install_docs
from puebla.http.limits import DEFAULT_BODY_LIMIT, BodyLimitMiddleware, marked_routes
from puebla.http.parameters import guard_routes
from puebla.http.settings import HttpSettings
from puebla.observability import (
    NO_FRAMEWORK_TELEMETRY,
    CorrelationIdMiddleware,
    configure_logging,
    configure_tracing,
    instrument_app,
    metrics,
)
from puebla.runtime import Runtime, ServiceDefinition
from puebla.service import Service

StartupHook = Callable[[Runtime, FastAPI], Awaitable[None]]


class PrincipalRead(BaseModel):
    username: str
    subject: str
    roles: list[str]
    country: str | None
    agency: str | None
    border_post: str | None
    consular_post: str | None


class Health(BaseModel):
    status: str
    checks: dict[str, bool] = {}


def create_service_app(
    definition: ServiceDefinition,
    *,
    title: str,
    version: str = "1.0.0",
    routers: list[APIRouter] | None = None,
    on_startup: StartupHook | None = None,
    runtime: Runtime | None = None,
    http: HttpSettings | None = None,
    body_limit: int = DEFAULT_BODY_LIMIT,
    service: Callable[[Runtime], Service[Any]] | None = None,
    refusals: tuple[type[BaseException], ...] = (),
) -> FastAPI:
    """Builds the app. Pass `runtime` to share an already started one (tests do).

    `service(runtime)` builds the service object the routes use (`puebla.http.deps.service`);
    `refusals` are the service's refusal bases (its domain's error base), answered everywhere
    by `puebla.problems.problem_for`.

    `body_limit` is the default of every route; a route that takes more is marked with
    `puebla.http.limits.body_limit`. `http` defaults to the `PUEBLA_` environment."""
    http = http or HttpSettings()
    configure_logging(
        definition.name, level=definition.platform.log_level, json=definition.platform.log_json
    )
    configure_tracing(definition.name)
    platform = definition.platform
    verifier = TokenVerifier(
        issuer=platform.keycloak_issuer, audience=definition.name, jwks_url=platform.jwks_url
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        own = runtime is None
        rt = runtime or await Runtime.start(definition)
        app.state.runtime = rt
        if service is not None:
            app.state.service = service(rt)
        if on_startup is not None:
            await on_startup(rt, app)
        listener = metrics.listen(platform.metrics_host, platform.metrics_port)
        collector.settle()
        try:
            yield
        finally:
            if listener is not None:
                listener.stop()
            if own:
                await rt.close()

    openapi_url = "/openapi.json" if http.api_docs else None
    app = FastAPI(
        title=title,
        version=version,
        lifespan=lifespan,
        openapi_url=openapi_url,
        docs_url=None,  # served by install_docs, under a CSP
        redoc_url=None,
        telemetry=NO_FRAMEWORK_TELEMETRY,
    )
    authenticator = Authenticator(verifier)
    app.state.authenticator = authenticator
    app.state.token_verifier = verifier  # child_protection re-reads the step-up proof with it
    install_problem_handlers(app, refusals)
    public = ["/healthz", "/readyz"]
    if openapi_url is not None:
        public += [openapi_url, *install_docs(app, title=title, openapi_url=openapi_url)]
    # add_middleware puts each one outside the ones added before it.
    app.add_middleware(
        AuthenticateFirstMiddleware, authenticator=authenticator, public_paths=public
    )
    limited = marked_routes(route for router in routers or [] for route in router.routes)
    app.add_middleware(BodyLimitMiddleware, default=body_limit, routes=limited)
    app.add_middleware(SecurityHeadersMiddleware)
    app.add_middleware(CorrelationIdMiddleware)
    app.add_middleware(metrics.HttpMetricsMiddleware, service=definition.name)
    instrument_app(app)

    @app.get("/healthz", response_model=Health, tags=["health"])
    async def healthz() -> Health:
        return Health(status="ok")

    @app.get(
        "/readyz",
        response_model=Health,
        tags=["health"],
        responses={503: {"description": "A dependency is not reachable", "model": Health}},
    )
    async def readyz(request: Request) -> Any:
        rt: Runtime = request.app.state.runtime
        checks = {"database": await rt.database_ready(), "nats": rt.nats_ready()}
        ok = all(checks.values())
        body = Health(status="ok" if ok else "unavailable", checks=checks)
        return JSONResponse(body.model_dump(), status_code=200 if ok else 503)

    me = APIRouter(prefix="/v1", tags=["identity"], responses=problem_responses(401))

    @me.get("/me", response_model=PrincipalRead)
    async def read_me(caller: Caller) -> Any:
        return PrincipalRead(
            username=caller.username,
            subject=caller.subject,
            roles=sorted(caller.roles),
            country=caller.country,
            agency=caller.agency,
            border_post=caller.border_post,
            consular_post=caller.consular_post,
        )

    # Control characters in query, path and header parameters: 422 after each route's own
    # 404/403 checks (puebla.http.parameters).
    guard_routes([me, audit_router, *(routers or [])])
    app.include_router(me)
    app.include_router(audit_router)
    for router in routers or []:
        app.include_router(router)
    route_limits = {
        (getattr(route, "path", ""), method): limit
        for route, limit in limited
        for method in getattr(route, "methods", None) or ()
    }
    _document_problems(app, lambda path, method: route_limits.get((path, method), body_limit))
    return app


_METHODS = ("get", "put", "post", "delete", "patch")


def link_created_records(schema: dict[str, Any]) -> None:
    """OpenAPI `links` from each create (`POST /v1/things` answering 201 with an `id`) to every
    operation on that record (`/v1/things/{thing_id}...`, the `id` as `thing_id`): a client
    (and schemathesis' stateful phase) follows a created record into the operations on it."""
    paths: dict[str, Any] = schema.get("paths", {})
    components = schema.get("components", {}).get("schemas", {})
    for path, item in paths.items():
        created = item.get("post", {}).get("responses", {}).get("201")
        if created is None or path.endswith("}"):
            continue
        body = created.get("content", {}).get("application/json", {}).get("schema", {})
        name = str(body.get("$ref", "")).rsplit("/", 1)[-1]
        if "id" not in components.get(name, {}).get("properties", {}):
            continue
        links: dict[str, Any] = {}
        for other, operations in paths.items():
            if not other.startswith(path + "/{"):
                continue
            parameter = other[len(path) + 2 :].split("}", 1)[0]
            for method in _METHODS:
                operation_id = operations.get(method, {}).get("operationId")
                if operation_id:
                    links[operation_id] = {
                        "operationId": operation_id,
                        "parameters": {parameter: "$response.body#/id"},
                    }
        if links:
            created["links"] = links


def _document_problems(app: FastAPI, limit_of: Callable[[str, str], int]) -> None:
    """Every 4xx answer is problem+json (install_problem_handlers): say so in the OpenAPI
    document too, including the 422 FastAPI adds to every route with a plain JSON schema,
    and the 413 of every route that takes a body, with its limit (`limit_of(path, METHOD)`)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        for path_name, path in schema.get("paths", {}).items():
            for method, operation in path.items():
                if "requestBody" in operation:
                    limit = limit_of(path_name, method.upper())
                    operation.setdefault("responses", {})["413"] = {
                        "description": f"The body is larger than this route takes ({limit} bytes)"
                    }
                for code, response in operation.get("responses", {}).items():
                    if str(code).startswith("4"):
                        response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_SCHEMA}}
        components = schema.get("components", {}).get("schemas", {})
        for unused in ("HTTPValidationError", "ValidationError"):
            components.pop(unused, None)
        link_created_records(schema)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
