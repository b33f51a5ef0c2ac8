"""`/v1/reception-points`: the directory of official reception points (any authenticated user)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from puebla.http.deps import Caller, ServiceRuntime
from puebla.http.errors import problem_responses
from puebla.http.schemas import CountryCode
from repatriation import bootstrap
from repatriation.entrypoints.api import schemas as s
from repatriation.service_layer import queries

router = APIRouter(prefix="/v1/reception-points", tags=["reception points"])


@router.get(
    "",
    response_model=s.ReceptionPointPage,
    responses=problem_responses(401, 422),
    summary="Reception points in service today, with their windows (local time)",
)
async def list_reception_points(
    caller: Caller,
    runtime: ServiceRuntime,
    country: Annotated[CountryCode | None, Query()] = None,
) -> Any:
    today = bootstrap.clock(runtime)().date()
    items = await queries.reception_points(runtime.sessions, on=today, country=country)
    return {"items": items, "next_cursor": None}
