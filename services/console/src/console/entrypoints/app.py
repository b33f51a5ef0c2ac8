"""The console's FastAPI app: `uvicorn console.entrypoints.app:create_app --factory`.

Pages are rendered on the server in the officer's language; every API answer that is not a
success becomes a page in words: sign in again, not found (exactly as for something that does
not exist), not allowed, or "the service did not answer; nothing was lost, try again".
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from console.bootstrap import Console
from console.config import Settings
from console.entrypoints import assets, auth
from console.entrypoints.pages import (
    audit,
    border,
    border_offline,
    children,
    children_opening,
    consular,
    fund,
    home,
    manifests,
    statistics,
)
from console.entrypoints.security import ConsoleHeadersMiddleware
from console.entrypoints.web import (
    SESSION_COOKIE,
    CsrfRefused,
    SignInNeeded,
    TooLarge,
    locale_of,
    render,
)
from console.service_layer.apis import Forbidden, NotFound, StepUpNeeded, Unavailable
from console.service_layer.sessions import SessionEnded
from puebla import collector
from puebla.config import PlatformSettings
from puebla.observability import configure_logging, get_logger, metrics

PURGE_SECONDS = 300.0
log = get_logger(__name__)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    platform = PlatformSettings()
    configure_logging("console", level=platform.log_level, json=platform.log_json)
    # The purpose an officer states before a child's sensitive sections travels in the page's
    # address (so it survives the second factor's round trip); the API never logs it, nor will
    # the console's access log.
    logging.getLogger("uvicorn.access").addFilter(_RedactPurpose())  # noqa: TID251 - uvicorn's own logger
    assets.check_vendored()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        console = await Console.start(settings)
        app.state.console = console
        purger = asyncio.create_task(_purge_idle_sessions(console))
        listener = metrics.listen(platform.metrics_host, platform.metrics_port)
        collector.settle()
        try:
            yield
        finally:
            if listener is not None:
                listener.stop()
            purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await purger
            await console.close()

    app = FastAPI(
        title="Puebla console", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None
    )
    # Pages and htmx compress to a third or less: on a 400 kbit/s link that is seconds.
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    app.add_middleware(
        ConsoleHeadersMiddleware,
        public_url=settings.public_url,
        keycloak_url=platform.keycloak_issuer,
    )
    app.add_middleware(metrics.HttpMetricsMiddleware, service="console")
    app.mount("/static", StaticFiles(directory=assets.STATIC_DIR), name="static")
    app.include_router(auth.router)
    # `children_opening` before `children`: its /cases/new is not a case's /cases/{case_id}.
    for pages in (
        home,
        manifests,
        border,
        border_offline,
        consular,
        children_opening,
        children,
        fund,
        statistics,
        audit,
    ):
        app.include_router(pages.router)
    _install_pages_for_errors(app)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> Response:
        ready = await request.app.state.console.runtime.database_ready()
        return JSONResponse({"status": "ok" if ready else "unavailable"}, 200 if ready else 503)

    return app


async def _purge_idle_sessions(console: Console) -> None:
    """Sessions past their idle end are deleted (tokens and all), not only refused."""
    while True:
        await asyncio.sleep(PURGE_SECONDS)
        with contextlib.suppress(Exception):
            await console.sessions.purge()


# What an answer that is not a page becomes: the error page, in words, with its status.
ERROR_PAGES: dict[type[Exception], tuple[int, str]] = {
    CsrfRefused: (403, "csrf"),
    NotFound: (404, "not_found"),
    Forbidden: (403, "forbidden"),
    Unavailable: (503, "unavailable"),
    TooLarge: (413, "too_large"),
    RequestValidationError: (400, "bad_request"),
}


def _error_page(status: int, problem: str) -> Callable[[Request, Exception], Awaitable[Response]]:
    async def page(request: Request, exc: Exception) -> Response:
        locale_of(request)
        return render(
            request,
            "shell/error.html",
            status_code=status,
            problem=problem,
            service=getattr(exc, "service", None),
        )

    return page


class _RedactPurpose(logging.Filter):
    PURPOSE = re.compile(r"(?<=[?&]purpose=)[^&\s\"]*")

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                self.PURPOSE.sub("[redacted]", a) if isinstance(a, str) else a for a in record.args
            )
        return True


def _here(request: Request) -> str:
    """Where to come back to: the page with its query; for a form post, the page alone (the
    form is not sent again by a redirect)."""
    if request.method == "GET" and request.url.query:
        return f"{request.url.path}?{request.url.query}"
    return request.url.path


def _to_sign_in(request: Request, target: str) -> Response:
    if request.url.path.startswith(border_offline.SCRIPT_PATHS):
        # The offline outbox's requests: it keeps what it holds and asks to sign in again.
        return JSONResponse({"status": "signed_out", "sign_in": target}, status_code=401)
    if request.headers.get("hx-request") == "true":
        # An htmx request follows HX-Redirect, not a 303 to another site.
        return Response(status_code=401, headers={"HX-Redirect": target})
    return RedirectResponse(target, status_code=303)


def _install_pages_for_errors(app: FastAPI) -> None:
    @app.exception_handler(SignInNeeded)
    async def sign_in(request: Request, exc: SignInNeeded) -> Response:
        return _to_sign_in(request, f"/auth/login?next={_quote(exc.next_path)}")

    @app.exception_handler(SessionEnded)
    async def session_ended(request: Request, exc: SessionEnded) -> Response:
        response = _to_sign_in(request, f"/auth/login?next={_quote(_here(request))}")
        response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True)
        return response

    @app.exception_handler(StepUpNeeded)
    async def step_up(request: Request, exc: StepUpNeeded) -> Response:
        # A stronger sign-in (a second factor) for this page, then back to it.
        target = f"/auth/login?next={_quote(_here(request))}"
        if exc.acr_values:
            target += f"&acr={_quote(exc.acr_values)}"
        if exc.max_age is not None:
            target += f"&max_age={exc.max_age}"
        return _to_sign_in(request, target)

    for error, (status, problem) in ERROR_PAGES.items():
        app.add_exception_handler(error, _error_page(status, problem))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        problem = {404: "not_found", 405: "method"}.get(exc.status_code, "bad_request")
        return await _error_page(exc.status_code, problem)(request, exc)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> Response:
        # A fault of the console itself: logged with its trace, shown as a page in words.
        log.exception("page_failed", path=request.url.path)
        locale_of(request)
        return render(request, "shell/error.html", status_code=500, problem="unexpected")


def _quote(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/")  # `?` and `&` of the page's own query stay inside `next`
