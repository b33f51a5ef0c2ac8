"""`GET /v1/operations/counts`: figures the operators watch (no personal data)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from consular.entrypoints.api.deps import Svc
from consular.entrypoints.api.schemas import OperationsCounts
from consular.service_layer import queries
from puebla.http.deps import Caller
from puebla.http.errors import problem_responses

router = APIRouter(prefix="/v1", tags=["operations"], responses=problem_responses(401))


@router.get("/operations/counts", response_model=OperationsCounts)
async def operations_counts(caller: Caller, svc: Svc) -> Any:
    """For any authenticated user: how many notices are `unroutable` (the directory has no
    post for their nationality in their host country). Not a one is dropped: the worker routes
    them as soon as a post is added to the directory."""
    unroutable = await queries.unroutable_count(svc, caller)
    return OperationsCounts(unroutable_notifications=unroutable)
