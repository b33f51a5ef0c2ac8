"""`/v1/reception-points`: the directory of official reception points (any authenticated user)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from puebla.http.deps import Caller
from puebla.http.errors import problem_responses
from puebla.http.schemas import CountryCode
from repatriation.entrypoints.api import schemas as s
from repatriation.entrypoints.api.deps import Svc
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
    svc: Svc,
    country: Annotated[CountryCode | None, Query()] = None,
) -> Any:
    points = await queries.reception_points(svc, country=country)
    return s.ReceptionPointPage(
        items=[s.ReceptionPointRead.model_validate(p, from_attributes=True) for p in points],
        next_cursor=None,
    )
