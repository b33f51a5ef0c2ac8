"""The four services' APIs, called with the officer's own access token.

One HTTP client for all of them (connection reuse on a slow link matters more than anywhere
else). Nothing here interprets an answer: `service_layer.apis` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

SERVICES = ("repatriation", "child_protection", "reserve_fund", "consular")


class Apis:
    def __init__(self, http: httpx.AsyncClient, urls: Mapping[str, str]) -> None:
        unknown = set(urls) - set(SERVICES)
        if unknown:
            raise ValueError(f"unknown services: {sorted(unknown)}")
        self._http = http
        self._urls = {name: url.rstrip("/") for name, url in urls.items()}

    async def send(
        self,
        service: str,
        method: str,
        path: str,
        *,
        token: str,
        locale: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        base = self._urls[service]
        if not path.startswith("/v1/"):
            raise ValueError(f"not an API path: {path!r}")
        request = self._http.build_request(
            method,
            f"{base}{path}",
            # None, not {}: httpx replaces a query already in `path` by an empty one.
            params={k: v for k, v in params.items() if v not in (None, "")} if params else None,
            json=json,
            headers={
                "Authorization": f"Bearer {token}",
                "Accept-Language": locale,
                "Accept": "application/json",
                **(headers or {}),
            },
        )
        try:
            return await self._http.send(request)
        except httpx.RemoteProtocolError:
            # A kept-alive connection the API closed just as it was reused: the request never
            # reached it. Once more on a fresh connection; a write carries its Idempotency-Key,
            # so even a write that did arrive is applied once.
            return await self._http.send(request)
