"""`/v1/cases/{id}/…`: the host supervisor's decisions — the BID, its review, the consular
block — and the closing of a case (by whoever closes it under the Guidelines).
"""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from child_protection.domain import Acting, BidDecision
from child_protection.domain import commands as c
from child_protection.entrypoints.api import schemas as s
from child_protection.entrypoints.api.answers import answer_case
from child_protection.entrypoints.api.deps import Svc, case_action
from child_protection.service_layer import handlers
from puebla.http.deps import Caller
from puebla.http.errors import problem_responses

router = APIRouter(prefix="/v1/cases", tags=["cases"], responses=problem_responses(401, 404))


@case_action(
    router,
    "/{case_id}/bid",
    "The best-interests determination (host supervisor)",
    Acting.HOST_SUPERVISOR,
)
async def decide_bid(
    case_id: uuid.UUID, body: s.BidCreate, request: Request, caller: Caller, svc: Svc
) -> Response:
    cmd = c.DecideBid(
        case_id=case_id,
        decision=BidDecision(body.decision),
        reasons=body.reasons,
        panel=tuple(body.panel),
        child_views_considered=body.child_views_considered,
        decided_at=svc.clock(),
    )
    return await answer_case(request, caller, svc, handlers.decide_bid, cmd)


@case_action(
    router,
    "/{case_id}/bid-review",
    "A BID review reopens the determination (host supervisor)",
    Acting.HOST_SUPERVISOR,
)
async def review_bid(
    case_id: uuid.UUID, body: s.BidReviewCreate, request: Request, caller: Caller, svc: Svc
) -> Response:
    cmd = c.ReviewBid(
        case_id=case_id,
        reasons=body.reasons,
        reviewed_at=svc.clock(),
    )
    return await answer_case(request, caller, svc, handlers.review_bid, cmd)


@case_action(
    router,
    "/{case_id}/protection-decision",
    "Clear or keep the consular block (host supervisor)",
    Acting.HOST_SUPERVISOR,
)
async def decide_protection(
    case_id: uuid.UUID,
    body: s.ProtectionDecisionCreate,
    request: Request,
    caller: Caller,
    svc: Svc,
) -> Response:
    cmd = c.DecideProtection(
        case_id=case_id,
        clear_block=body.clear_block,
        reasons=body.reasons,
        decided_at=svc.clock(),
    )
    return await answer_case(request, caller, svc, handlers.decide_protection, cmd)


@case_action(
    router,
    "/{case_id}/close",
    "Close the case (origin after follow-up, host otherwise)",
    Acting.CLOSING_AUTHORITY,
)
async def close_case(
    case_id: uuid.UUID, body: s.CaseClose, request: Request, caller: Caller, svc: Svc
) -> Response:
    cmd = c.CloseCase(case_id=case_id, reason=body.reason, closed_at=svc.clock())
    return await answer_case(request, caller, svc, handlers.close_case, cmd)
