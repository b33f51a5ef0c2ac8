"""The officer's post by its name in the shell ("Tecún Umán", "Consulado en Tapachula"), not
its code. Reference data that changes a few times a year: asked of the API once per hour per
console process, with the officer's own token; if the API does not answer, the code is shown."""

from __future__ import annotations

import time
from typing import Any

from console.service_layer.apis import ApiError, OfficerApis

TTL_SECONDS = 3600.0
_names: dict[str, tuple[float, dict[str, str]]] = {}


async def post_label(apis: OfficerApis, kind_words: Any) -> str | None:
    officer = apis.session.officer
    if officer.border_post:
        names = await _table(apis, "reception_points", _reception_points)
        return names.get(officer.border_post, officer.border_post)
    if officer.consular_post:
        names = await _table(apis, "consular_posts", _consular_posts(kind_words))
        return names.get(officer.consular_post, officer.consular_post)
    return None


async def _table(apis: OfficerApis, name: str, load: Any) -> dict[str, str]:
    key = f"{name}:{apis.locale}"
    cached = _names.get(key)
    if cached is not None and time.monotonic() - cached[0] < TTL_SECONDS:
        return cached[1]
    try:
        table: dict[str, str] = await load(apis)
    except ApiError:
        return cached[1] if cached else {}
    _names[key] = (time.monotonic(), table)
    return table


async def _reception_points(apis: OfficerApis) -> dict[str, str]:
    answer = await apis.get("repatriation", "/v1/reception-points")
    return {str(p["code"]): str(p["name"]) for p in answer.get("items", []) if "code" in p}


def _consular_posts(kind_words: Any) -> Any:
    async def load(apis: OfficerApis) -> dict[str, str]:
        answer = await apis.get("consular", "/v1/consular-posts")
        return {
            str(p["code"]): f"{kind_words(p.get('kind'))} — {p.get('city', '')}"
            for p in answer.get("items", [])
            if "code" in p
        }

    return load
