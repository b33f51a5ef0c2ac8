"""`/v1/cases/{id}/sensitive` and `/v1/cases/{id}/audit`: the reads that are themselves
audited — the sensitive sections (child-protection roles, a recent second factor, a stated
purpose) and the case's audit trail (the host supervisor)."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials

from child_protection.entrypoints.api import schemas as s
from child_protection.entrypoints.api.deps import Svc, may_act
from child_protection.service_layer import sensitive
from child_protection.service_layer.errors import PURPOSE_HEADER, StepUpRequired
from puebla.auth.fastapi import bearer_scheme
from puebla.auth.tokens import TokenVerifier
from puebla.http.deps import Caller
from puebla.http.errors import problem_responses
from puebla.http.pagination import page_request
from puebla.pagination import PageRequest
from puebla.problems import Problem

router = APIRouter(prefix="/v1/cases", tags=["cases"], responses=problem_responses(401, 404))


# The purpose header, documented here rather than declared as a parameter: FastAPI would
# refuse a missing one (422) before the case's 404 and 403 are decided. The service layer
# checks it after them, from the raw bytes (UTF-8; Starlette decodes headers as latin-1).
_PURPOSE_PARAMETER = {
    "name": PURPOSE_HEADER,
    "in": "header",
    "required": True,
    "description": "Why the sections are read, 1 to 500 characters of UTF-8 (audited). Never "
    "in the URL: `?purpose=` is refused (422, field `purpose`), so access logs never hold it.",
    "schema": {"type": "string", "minLength": 1, "maxLength": sensitive.PURPOSE_MAX},
}


def _sign_in(claims: Mapping[str, Any]) -> sensitive.SignIn:
    """The token's `acr` (the realm maps levels to "1", "2": anything else counts as none) and
    `auth_time` (seconds since the epoch; a bool or a string counts as none)."""
    acr = claims.get("acr")
    level = int(acr) if isinstance(acr, str) and acr.isascii() and acr.isdigit() else None
    at = claims.get("auth_time")
    when = (
        datetime.fromtimestamp(at, UTC)
        if isinstance(at, int | float) and not isinstance(at, bool) and 0 < at < 1e11
        else None
    )
    return sensitive.SignIn(level, when)


def _step_up_problem(error: StepUpRequired) -> Problem:
    """RFC 9470: 401 with `error="insufficient_user_authentication"` and what would do
    (`acr_values`, `max_age`), so the client signs the user in again at that level."""
    challenge = (
        f'Bearer realm="rcm", error="insufficient_user_authentication", '
        f'error_description="{error.message}", acr_values="{error.level}", '
        f'max_age="{error.max_age_s}"'
    )
    return Problem(
        status=401,
        title="Unauthorized",
        detail=error.message,
        slug="step-up-required",
        headers={"WWW-Authenticate": challenge},
        extra={"rule": error.rule, "acr_values": str(error.level), "max_age": error.max_age_s},
    )


@router.get(
    "/{case_id}/sensitive",
    response_model=s.SensitiveRead,
    dependencies=[Depends(may_act(None))],
    responses=problem_responses(403, 422),
    summary="The sensitive sections (child-protection roles only, after a recent second "
    "factor; every read is audited)",
    description="404 for a case the caller may not see, 403 for a role that may not read the "
    "sections, then **401 with RFC 9470's step-up challenge** unless the token shows a second "
    "factor (`acr` ≥ 2: password + OTP) given within `CHILD_PROTECTION_STEP_UP_MAX_AGE_SECONDS` "
    '(900 s by default) of its `auth_time`: `WWW-Authenticate: Bearer error="insufficient_user_'
    'authentication", acr_values="2", max_age="900"`, problem rule `second_factor_required` '
    "(the refusal is audited), then 422 for the purpose. Password-grant tokens are acr 1: sign "
    "in through the browser flow with `acr_values=2`.",
    openapi_extra={"parameters": [_PURPOSE_PARAMETER]},
)
async def read_sensitive(
    case_id: uuid.UUID,
    caller: Caller,
    svc: Svc,
    request: Request,
    response: Response,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Any:
    wanted = PURPOSE_HEADER.lower().encode("latin-1")
    raw = next((v for k, v in request.headers.raw if k.lower() == wanted), None)
    stated = sensitive.StatedPurpose(raw, in_query="purpose" in request.query_params)
    # `caller` came from this very token; its claims are read again (verified, the realm's keys
    # are cached) for the two the principal does not keep: acr and auth_time.
    verifier: TokenVerifier = request.app.state.token_verifier
    claims = await verifier.verify(credentials.credentials if credentials else "")
    try:
        read = await sensitive.read_sensitive(
            svc, caller, case_id, stated, _sign_in(claims), svc.step_up
        )
    except StepUpRequired as error:
        raise _step_up_problem(error) from error
    response.headers["Cache-Control"] = "no-store"
    return s.SensitiveRead.model_validate(
        {
            "case_id": read.case_id,
            "reference": read.reference,
            "version": read.version,
            **read.sections,
        }
    )


@router.get(
    "/{case_id}/audit",
    response_model=s.AuditPage,
    dependencies=[Depends(may_act(None))],
    responses=problem_responses(403),
    summary="The case's audit trail (child-protection supervisor of the host country)",
)
async def read_audit(
    case_id: uuid.UUID,
    caller: Caller,
    svc: Svc,
    page: Annotated[PageRequest, Depends(page_request)],
) -> Any:
    found = await sensitive.case_audit(svc, caller, case_id, page)
    return s.AuditPage(
        items=[
            s.AuditEntryRead(
                id=e.id,
                seq=e.seq,
                at=e.at,
                actor=e.actor,
                action=e.action,
                entity_id=case_id,
                detail=e.detail,
                correlation_id=e.correlation_id,
            )
            for e in found.items
        ],
        next_cursor=found.next_cursor,
    )
