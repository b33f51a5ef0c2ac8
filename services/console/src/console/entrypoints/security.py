"""What every answer of the console carries, and the one origin it answers on.

- A strict Content-Security-Policy: scripts, styles, images and requests from the console
  alone; no inline script or style; forms post to the console or to Keycloak (the logout
  form's redirect goes there, and Chromium applies `form-action` to redirects too).
- `Cache-Control: no-store` on everything but the digest-addressed static files: pages hold
  personal data and officers share computers.
- Requests for any other host than `CONSOLE_PUBLIC_URL`'s are redirected to it (the session
  cookie is `__Host-`: one origin), except the health probes.
"""

from __future__ import annotations

import urllib.parse

from starlette.types import ASGIApp, Message, Receive, Scope, Send

PROBES = ("/healthz", "/readyz")


def content_security_policy(keycloak_origin: str) -> str:
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self'",
            "font-src 'self'",
            "connect-src 'self'",
            f"form-action 'self' {keycloak_origin}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
            "object-src 'none'",
            "manifest-src 'self'",
        ]
    )


def origin_of(url: str) -> str:
    parts = urllib.parse.urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


class ConsoleHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, public_url: str, keycloak_url: str) -> None:
        self.app = app
        self.public = urllib.parse.urlsplit(public_url)
        self.headers = [
            (b"content-security-policy", content_security_policy(origin_of(keycloak_url)).encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"x-frame-options", b"DENY"),
            (b"referrer-policy", b"no-referrer"),
            (b"cross-origin-opener-policy", b"same-origin"),
            (b"cross-origin-resource-policy", b"same-origin"),
            (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
        if host != self.public.netloc and path not in PROBES:
            await self._redirect(scope, send)
            return
        static = path.startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers += [(n, v) for n, v in self.headers if n not in present]
                if b"cache-control" not in present:
                    headers.append(
                        (
                            b"cache-control",
                            b"public, max-age=31536000, immutable" if static else b"no-store",
                        )
                    )
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _redirect(self, scope: Scope, send: Send) -> None:
        query = scope.get("query_string", b"").decode("latin-1")
        target = urllib.parse.urlunsplit(
            (self.public.scheme, self.public.netloc, scope["path"], query, "")
        )
        await send(
            {
                "type": "http.response.start",
                "status": 308,
                "headers": [(b"location", target.encode()), (b"cache-control", b"no-store")],
            }
        )
        await send({"type": "http.response.body", "body": b""})
