"""Security headers on every answer, and the API docs under a strict CSP (review finding 14).

Every answer: `Cache-Control: no-store` (answers carry people's data; no browser or proxy
cache may keep one), `X-Content-Type-Options: nosniff`, `Referrer-Policy: no-referrer`, and a
CSP that allows nothing (a JSON answer opened in a browser runs nothing and cannot be framed).
The docs pages set their own CSP: scripts only from the CDN they load and, for the one inline
script of Swagger UI, by its hash (computed from the page served, so it cannot drift).
"""

from __future__ import annotations

import base64
import hashlib
import re

from fastapi import FastAPI
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
API_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"

CDN = "https://cdn.jsdelivr.net"
FAVICON = "https://fastapi.tiangolo.com"
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)


class SecurityHeadersMiddleware:
    """Pure ASGI middleware adding `SECURITY_HEADERS` (over whatever a route set) and
    `API_CSP` (unless the route set its own, as the docs pages do)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if "content-security-policy" not in headers:
                    headers["Content-Security-Policy"] = API_CSP
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _script_hashes(html: str) -> str:
    return " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(m.encode()).digest()).decode() + "'"
        for m in _INLINE_SCRIPT.findall(html)
    )


def swagger_ui_csp(html: str) -> str:
    return (
        "default-src 'none'; "
        f"script-src {CDN} {_script_hashes(html)}; "
        # Swagger UI writes style attributes into its markup; styles run no code, and the
        # scripts stay pinned to the CDN and the page's own inline script.
        f"style-src {CDN} 'unsafe-inline'; "
        f"img-src 'self' {FAVICON} data:; "
        "connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


def redoc_csp() -> str:
    return (
        "default-src 'none'; "
        f"script-src {CDN}; "
        # ReDoc renders with styled-components (inline <style> at run time) and a web worker.
        # (a hash next to 'unsafe-inline' would switch it off, so none is given).
        "style-src 'unsafe-inline' https://fonts.googleapis.com; "
        "font-src https://fonts.gstatic.com; "
        f"img-src 'self' {FAVICON} data:; "
        "worker-src blob:; "
        "connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


def install_docs(app: FastAPI, *, title: str, openapi_url: str) -> list[str]:
    """Serves `/docs` and `/redoc` with their CSP; returns their paths (public, like the
    OpenAPI document itself)."""

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        page = get_swagger_ui_html(openapi_url=openapi_url, title=f"{title} - Swagger UI")
        html = bytes(page.body).decode()
        return HTMLResponse(html, headers={"Content-Security-Policy": swagger_ui_csp(html)})

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        page = get_redoc_html(openapi_url=openapi_url, title=f"{title} - ReDoc")
        html = bytes(page.body).decode()
        return HTMLResponse(html, headers={"Content-Security-Policy": redoc_csp()})

    return ["/docs", "/redoc"]
