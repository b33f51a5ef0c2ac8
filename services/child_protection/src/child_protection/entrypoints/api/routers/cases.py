"""`/v1/cases`: thin routes — parse, build the command, run the handler, answer the summary.

Every write takes an `Idempotency-Key`; every answer about a case the caller may not see is a
404; the sensitive sections come only from `/sensitive`, with a stated purpose, audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.security import HTTPAuthorizationCredentials

from child_protection.bootstrap import ChildProtection
from child_protection.domain import (
    CHILD_PROTECTION_OFFICER,
    Accompaniment,
    Acting,
    BidDecision,
    Caregiver,
    CaseSummary,
    Child,
    ChildViewsAbsentReason,
    FamilyContact,
    MeasureKind,
    Place,
    Sex,
    Stage,
)
from child_protection.domain import commands as c
from child_protection.domain.errors import CaseError, OnlyHostOfficer
from child_protection.entrypoints.api import schemas as s
from child_protection.entrypoints.api.auth import actor_of
from child_protection.entrypoints.api.errors import problem_for
from child_protection.service_layer import handlers, queries
from child_protection.service_layer.errors import PURPOSE_HEADER, StepUpRequired
from puebla.auth.fastapi import bearer_scheme
from puebla.auth.principal import Principal
from puebla.auth.tokens import TokenVerifier
from puebla.http.deps import Caller
from puebla.http.errors import problem_responses
from puebla.http.idempotency import Recheck, idempotent
from puebla.http.pagination import page_request
from puebla.ids import new_id
from puebla.pagination import Cursor, PageRequest
from puebla.problems import Problem

router = APIRouter(prefix="/v1/cases", tags=["cases"], responses=problem_responses(401, 404))

_SEX_IN: dict[str, Sex] = {"F": Sex.FEMALE, "M": Sex.MALE, "X": Sex.OTHER}
_SEX_OUT: dict[Sex, s.SexCode] = {Sex.FEMALE: "F", Sex.MALE: "M", Sex.OTHER: "X"}

WRITE = problem_responses(403, 409, 422)


def services(request: Request) -> ChildProtection:
    value: ChildProtection = request.app.state.child_protection
    return value


Services = Annotated[ChildProtection, Depends(services)]


# FastAPI resolves a route's dependencies before it validates the body: these decide, on the
# plain unlocked row, what POLICY.md says comes first — 404 for a case the caller may not see,
# then 403 for an act they may not perform — so that not even a 422 for a malformed body tells
# an invisible case from no case at all. The handlers decide again inside their transaction.


def may_act(acting: Acting | None) -> Callable[..., Awaitable[None]]:
    """A dependency: 404 unless the caller sees the case, then 403 unless they act as `acting`
    (None: seeing it is enough)."""

    async def check(case_id: uuid.UUID, caller: Caller, svc: Services) -> None:
        try:
            await queries.check_may_act(svc.uow(), case_id, actor_of(caller), acting)
        except CaseError as error:
            raise problem_for(error) from error

    return check


async def opens_cases(caller: Caller) -> None:
    """Only a child-protection officer opens a case (of their own country: the domain checks the
    body's host country)."""
    if CHILD_PROTECTION_OFFICER not in caller.roles:
        raise problem_for(OnlyHostOfficer("only a child-protection officer of the host country"))


def case_read(summary: CaseSummary, today: date) -> s.CaseRead:
    child = summary.child
    return s.CaseRead(
        id=summary.id,
        reference=summary.reference,
        version=summary.version,
        stage=summary.stage.value,
        host_country=summary.host_country,
        nationality=summary.nationality,
        child=s.ChildRead(
            given_names=child.given_names,
            surnames=child.surnames,
            sex=_SEX_OUT[child.sex],
            date_of_birth=child.date_of_birth,
            estimated_age=child.estimated_age,
            age=child.age_on(today),
            age_disputed=summary.age_disputed,
            languages=list(child.languages),
        ),
        deadlines=[
            s.DeadlineRead(stage=d.stage.value, due_at=d.due_at, overdue=d.overdue, met_at=d.met_at)
            for d in summary.deadlines
        ],
        bid=None if summary.bid_decision is None else s.BidSummary(decision=summary.bid_decision),
        blocked_for_consulate=summary.blocked_for_consulate,
    )


async def _summary_body(svc: ChildProtection, case_id: uuid.UUID, caller: Principal) -> Any:
    summary = await queries.case_summary(svc.uow(), case_id, actor_of(caller))
    return case_read(summary, svc.clock().date()).model_dump(mode="json")


async def _write(
    request: Request,
    caller: Principal,
    svc: ChildProtection,
    work: Callable[[], Awaitable[uuid.UUID]],
    status: int = 200,
    fields: dict[str, str] | None = None,
) -> Response:
    """Runs the use case at most once per `Idempotency-Key` and answers the case summary."""

    async def action() -> tuple[int, Any]:
        try:
            case_id = await work()
            return status, await _summary_body(svc, case_id, caller)
        except CaseError as error:
            raise problem_for(error, fields) from error

    about = request.path_params.get("case_id")  # already validated as a UUID
    recheck = still_visible(svc, caller, None if about is None else uuid.UUID(str(about)))
    return await idempotent(request, caller, svc.runtime.sessions, action, recheck=recheck)


def still_visible(svc: ChildProtection, caller: Principal, case_id: uuid.UUID | None) -> Recheck:
    """Before a stored answer is replayed: may the caller still see the case it is about (the
    path's case, or the one an opening created)? A protection need found since hides it from
    the child's own country, and then the replay answers 404 like any request would."""

    async def recheck(stored: Any) -> None:
        about = case_id
        if about is None and isinstance(stored, dict) and isinstance(stored.get("id"), str):
            about = uuid.UUID(stored["id"])
        if about is None:
            return  # a refused opening: about no case
        try:
            await queries.check_may_act(svc.uow(), about, actor_of(caller))
        except CaseError as error:
            raise problem_for(error) from error

    return recheck


def _when(given: datetime | None, svc: ChildProtection) -> datetime:
    return given if given is not None else svc.clock()


_IDEMPOTENCY = {
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "maxLength": 200},
            "description": "The same key with the same body returns the first result.",
        }
    ]
}


# --- open, list, read ----------------------------------------------------------------------------


@router.post(
    "",
    status_code=201,
    response_model=s.CaseRead,
    responses=WRITE,
    openapi_extra=_IDEMPOTENCY,
    dependencies=[Depends(opens_cases)],
    summary="Open a case (child-protection officer of the host country)",
)
async def open_case(
    body: s.CaseCreate, request: Request, caller: Caller, svc: Services
) -> Response:
    async def work() -> uuid.UUID:
        child = body.child
        place = Place(body.place.country, body.place.state, body.place.city)
        return await handlers.open_case(
            c.OpenCase(
                case_id=new_id(),
                actor=actor_of(caller),
                host_country=body.place.country,
                nationality=child.nationality,
                child=Child(
                    given_names=child.given_names,
                    surnames=child.surnames,
                    sex=_SEX_IN[child.sex],
                    date_of_birth=child.date_of_birth,
                    estimated_age=child.estimated_age,
                    languages=tuple(child.languages),
                ),
                identified_at=body.identified_at,
                place=place,
                accompaniment=Accompaniment(body.accompaniment),
                age_disputed=body.age_disputed,
                protection_need=body.protection_need,
                trafficking_indicator=body.trafficking_indicator,
                indicator_details=body.indicator_details,
                opened_at=svc.clock(),
            ),
            svc.uow(),
        )

    # The domain names the case's attributes; the body nests them.
    fields = {"nationality": "child.nationality", "host_country": "place.country"}
    return await _write(request, caller, svc, work, status=201, fields=fields)


@router.get("", response_model=s.CasePage, summary="Cases the caller may see, newest first")
async def list_cases(
    caller: Caller,
    svc: Services,
    page: Annotated[PageRequest, Depends(page_request)],
    stage: Annotated[Stage | None, Query()] = None,
    overdue: Annotated[bool | None, Query(description="only cases with (or without)")] = None,
) -> Any:
    after = None if page.cursor is None else queries.Keyset(page.cursor.after, page.cursor.after_id)
    try:
        result = await queries.list_cases(
            svc.uow(), actor_of(caller), limit=page.limit, after=after, stage=stage, overdue=overdue
        )
    except CaseError as error:
        raise problem_for(error) from error
    today = svc.clock().date()
    return s.CasePage(
        items=[case_read(item, today) for item in result.items],
        next_cursor=None
        if result.next is None
        else Cursor(result.next.at, result.next.id).encode(),
    )


@router.get("/{case_id}", response_model=s.CaseRead, summary="The case summary")
async def read_case(case_id: uuid.UUID, caller: Caller, svc: Services) -> Any:
    try:
        return await _summary_body(svc, case_id, caller)
    except CaseError as error:
        raise problem_for(error) from error


# The purpose header, documented here rather than declared as a parameter: FastAPI would
# refuse a missing one (422) before the case's 404 and 403 are decided. The service layer
# checks it after them, from the raw bytes (UTF-8; Starlette decodes headers as latin-1).
_PURPOSE_PARAMETER = {
    "name": PURPOSE_HEADER,
    "in": "header",
    "required": True,
    "description": "Why the sections are read, 1 to 500 characters of UTF-8 (audited). Never "
    "in the URL: `?purpose=` is refused (422, field `purpose`), so access logs never hold it.",
    "schema": {"type": "string", "minLength": 1, "maxLength": queries.PURPOSE_MAX},
}


def _sign_in(claims: Mapping[str, Any]) -> queries.SignIn:
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
    return queries.SignIn(level, when)


def _step_up_problem(error: StepUpRequired) -> Problem:
    """RFC 9470: 401 with `error="insufficient_user_authentication"` and what would do
    (`acr_values`, `max_age`), so the client signs the user in again at that level."""
    challenge = (
        f'Bearer realm="rcm", error="insufficient_user_authentication", '
        f'error_description="{error.detail}", acr_values="{error.level}", '
        f'max_age="{error.max_age_s}"'
    )
    return Problem(
        status=401,
        title="Unauthorized",
        detail=error.detail,
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
    svc: Services,
    request: Request,
    response: Response,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> Any:
    wanted = PURPOSE_HEADER.lower().encode("latin-1")
    raw = next((v for k, v in request.headers.raw if k.lower() == wanted), None)
    stated = queries.StatedPurpose(raw, in_query="purpose" in request.query_params)
    # `caller` came from this very token; its claims are read again (verified, the realm's keys
    # are cached) for the two the principal does not keep: acr and auth_time.
    verifier: TokenVerifier = request.app.state.token_verifier
    claims = await verifier.verify(credentials.credentials if credentials else "")
    try:
        read = await queries.read_sensitive(
            svc.uow(), case_id, actor_of(caller), stated, _sign_in(claims), svc.step_up
        )
    except CaseError as error:
        raise problem_for(error) from error
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
    svc: Services,
    page: Annotated[PageRequest, Depends(page_request)],
) -> Any:
    after = None if page.cursor is None else queries.Keyset(page.cursor.after, page.cursor.after_id)
    try:
        result = await queries.case_audit(
            svc.uow(), case_id, actor_of(caller), limit=page.limit, after=after
        )
    except CaseError as error:
        raise problem_for(error) from error
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
            for e in result.items
        ],
        next_cursor=None
        if result.next is None
        else Cursor(result.next.at, result.next.id).encode(),
    )


# --- host casework -------------------------------------------------------------------------------


def _action(
    path: str, summary: str, acting: Acting, method: str = "POST"
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A write on one case, reserved to `acting` (decided before the body is validated)."""
    return router.api_route(
        path,
        methods=[method],
        response_model=s.CaseRead,
        responses=WRITE,
        openapi_extra=_IDEMPOTENCY,
        summary=summary,
        dependencies=[Depends(may_act(acting))],
    )


@_action(
    "/{case_id}/protection-measures",
    "Placement, shelter or urgent care (any stage)",
    Acting.HOST_OFFICER,
)
async def record_protection_measure(
    case_id: uuid.UUID,
    body: s.ProtectionMeasureCreate,
    request: Request,
    caller: Caller,
    svc: Services,
) -> Response:
    async def work() -> uuid.UUID:
        await handlers.record_protection_measure(
            c.RecordProtectionMeasure(
                case_id=case_id,
                actor=actor_of(caller),
                kind=MeasureKind(body.kind),
                description=body.description,
                taken_at=_when(body.taken_at, svc),
            ),
            svc.uow(),
        )
        return case_id

    return await _write(request, caller, svc, work)


@_action(
    "/{case_id}/notifications",
    "The host child-protection authority was notified",
    Acting.HOST_OFFICER,
)
async def record_notification(
    case_id: uuid.UUID, body: s.NotificationCreate, request: Request, caller: Caller, svc: Services
) -> Response:
    async def work() -> uuid.UUID:
        await handlers.record_notification(
            c.RecordNotification(
                case_id=case_id,
                actor=actor_of(caller),
                authority=body.authority,
                notified_at=_when(body.notified_at, svc),
            ),
            svc.uow(),
        )
        return case_id

    return await _write(request, caller, svc, work)


@_action("/{case_id}/interviews", "An interview record", Acting.HOST_OFFICER)
async def record_interview(
    case_id: uuid.UUID, body: s.InterviewCreate, request: Request, caller: Caller, svc: Services
) -> Response:
    async def work() -> uuid.UUID:
        await handlers.record_interview(
            c.RecordInterview(
                case_id=case_id,
                actor=actor_of(caller),
                conducted_at=_when(body.conducted_at, svc),
                language=body.language,
                notes=body.notes,
                interpreter=body.interpreter,
            ),
            svc.uow(),
        )
        return case_id

    return await _write(request, caller, svc, work)


@_action(
    "/{case_id}/screenings",
    "International-protection screening (may block the consulate)",
    Acting.HOST_OFFICER,
)
async def record_screening(
    case_id: uuid.UUID, body: s.ScreeningCreate, request: Request, caller: Caller, svc: Services
) -> Response:
    async def work() -> uuid.UUID:
        await handlers.record_screening(
            c.RecordScreening(
                case_id=case_id,
                actor=actor_of(caller),
                screened_at=_when(body.screened_at, svc),
                protection_need=body.protection_need,
                trafficking_indicator=body.trafficking_indicator,
                notes=body.notes,
            ),
            svc.uow(),
        )
        return case_id

    return await _write(request, caller, svc, work)


@_action("/{case_id}/family-tracing", "Tracing actions and family contacts", Acting.HOST_OFFICER)
async def record_family_tracing(
    case_id: uuid.UUID,
    body: s.FamilyTracingCreate,
    request: Request,
    caller: Caller,
    svc: Services,
) -> Response:
    async def work() -> uuid.UUID:
        await handlers.record_family_tracing(
            c.RecordFamilyTracing(
                case_id=case_id,
                actor=actor_of(caller),
                traced_at=_when(body.traced_at, svc),
                actions=tuple(body.actions),
                contacts=tuple(
                    FamilyContact(x.name, x.relationship, x.contact_details, x.location)
                    for x in body.contacts
                ),
            ),
            svc.uow(),
        )
        return case_id

    return await _write(request, caller, svc, work)


@_action(
    "/{case_id}/bia",
    "The best-interests assessment (host officer); `complete: true` finishes it",
    Acting.HOST_OFFICER,
    method="PUT",
)
async def write_bia(
    case_id: uuid.UUID, body: s.BiaWrite, request: Request, caller: Caller, svc: Services
) -> Response:
    async def work() -> uuid.UUID:
        reason = body.child_views_absent_reason
        await handlers.write_bia(
            c.WriteBia(
                case_id=case_id,
                actor=actor_of(caller),
                safety=body.safety,
                family=body.family,
                health=body.health,
                education=body.education,
                child_views=body.child_views,
                child_views_absent_reason=None
                if reason is None
                else ChildViewsAbsentReason(reason),
                recommendation=body.recommendation,
                complete=body.complete,
                written_at=svc.clock(),
            ),
            svc.uow(),
        )
        return case_id

    return await _write(request, caller, svc, work)


@_action(
    "/{case_id}/risk-assessment",
    "Risk assessment (host officer): required before a return with a trafficking indicator",
    Acting.HOST_OFFICER,
    method="PUT",
)
async def record_risk_assessment(
    case_id: uuid.UUID,
    body: s.RiskAssessmentWrite,
    request: Request,
    caller: Caller,
    svc: Services,
) -> Response:
    async def work() -> uuid.UUID:
        await handlers.record_risk_assessment(
            c.RecordRiskAssessment(
                case_id=case_id,
                actor=actor_of(caller),
                findings=body.findings,
                mitigation=body.mitigation,
                assessed_at=_when(body.assessed_at, svc),
            ),
            svc.uow(),
        )
        return case_id

    return await _write(request, caller, svc, work)


@_action(
    "/{case_id}/return-plan", "Plan the return (every return gate is checked)", Acting.HOST_OFFICER
)
async def plan_return(
    case_id: uuid.UUID, body: s.ReturnPlanCreate, request: Request, caller: Caller, svc: Services
) -> Response:
    async def work() -> uuid.UUID:
        await handlers.plan_return(
            c.PlanReturn(
                case_id=case_id,
                actor=actor_of(caller),
                reception_point=body.reception_point,
                scheduled_at=body.scheduled_at,
                escort=body.escort,
                planned_at=svc.clock(),
            ),
            svc.uow(),
        )
        return case_id

    return await _write(request, caller, svc, work)


# --- origin side ---------------------------------------------------------------------------------


@_action(
    "/{case_id}/origin-assessment",
    "The nationality country's assessment (its child-protection officer)",
    Acting.NATIONALITY_OFFICER,
    method="PUT",
)
async def write_origin_assessment(
    case_id: uuid.UUID,
    body: s.OriginAssessmentWrite,
    request: Request,
    caller: Caller,
    svc: Services,
) -> Response:
    async def work() -> uuid.UUID:
        caregiver = body.caregiver
        await handlers.write_origin_assessment(
            c.WriteOriginAssessment(
                case_id=case_id,
                actor=actor_of(caller),
                family_situation=body.family_situation,
                home_situation=body.home_situation,
                risks_on_return=body.risks_on_return,
                caregiver=None
                if caregiver is None
                else Caregiver(caregiver.name, caregiver.relationship),
                caregiver_agrees_and_able=body.caregiver_agrees_and_able,
                complete=body.complete,
                written_at=svc.clock(),
            ),
            svc.uow(),
        )
        return case_id

    return await _write(request, caller, svc, work)


@_action(
    "/{case_id}/reception",
    "The origin authority confirms it received the child",
    Acting.NATIONALITY_OFFICER,
)
async def confirm_reception(
    case_id: uuid.UUID, body: s.ReceptionCreate, request: Request, caller: Caller, svc: Services
) -> Response:
    async def work() -> uuid.UUID:
        await handlers.confirm_reception(
            c.ConfirmReception(
                case_id=case_id,
                actor=actor_of(caller),
                received_at=body.received_at,
                received_by_institution=body.received_by_institution,
            ),
            svc.uow(),
        )
        return case_id

    return await _write(request, caller, svc, work)


@_action(
    "/{case_id}/follow-ups",
    "A follow-up visit after return (origin officer)",
    Acting.NATIONALITY_OFFICER,
)
async def record_follow_up(
    case_id: uuid.UUID, body: s.FollowUpCreate, request: Request, caller: Caller, svc: Services
) -> Response:
    async def work() -> uuid.UUID:
        await handlers.record_follow_up(
            c.RecordFollowUp(
                case_id=case_id,
                actor=actor_of(caller),
                visited_at=_when(body.visited_at, svc),
                notes=body.notes,
            ),
            svc.uow(),
        )
        return case_id

    return await _write(request, caller, svc, work)


# --- host supervisor -----------------------------------------------------------------------------


@_action(
    "/{case_id}/bid", "The best-interests determination (host supervisor)", Acting.HOST_SUPERVISOR
)
async def decide_bid(
    case_id: uuid.UUID, body: s.BidCreate, request: Request, caller: Caller, svc: Services
) -> Response:
    async def work() -> uuid.UUID:
        await handlers.decide_bid(
            c.DecideBid(
                case_id=case_id,
                actor=actor_of(caller),
                decision=BidDecision(body.decision),
                reasons=body.reasons,
                panel=tuple(body.panel),
                child_views_considered=body.child_views_considered,
                decided_at=svc.clock(),
            ),
            svc.uow(),
        )
        return case_id

    return await _write(request, caller, svc, work)


@_action(
    "/{case_id}/bid-review",
    "A BID review reopens the determination (host supervisor)",
    Acting.HOST_SUPERVISOR,
)
async def review_bid(
    case_id: uuid.UUID, body: s.BidReviewCreate, request: Request, caller: Caller, svc: Services
) -> Response:
    async def work() -> uuid.UUID:
        await handlers.review_bid(
            c.ReviewBid(
                case_id=case_id,
                actor=actor_of(caller),
                reasons=body.reasons,
                reviewed_at=svc.clock(),
            ),
            svc.uow(),
        )
        return case_id

    return await _write(request, caller, svc, work)


@_action(
    "/{case_id}/protection-decision",
    "Clear or keep the consular block (host supervisor)",
    Acting.HOST_SUPERVISOR,
)
async def decide_protection(
    case_id: uuid.UUID,
    body: s.ProtectionDecisionCreate,
    request: Request,
    caller: Caller,
    svc: Services,
) -> Response:
    async def work() -> uuid.UUID:
        await handlers.decide_protection(
            c.DecideProtection(
                case_id=case_id,
                actor=actor_of(caller),
                clear_block=body.clear_block,
                reasons=body.reasons,
                decided_at=svc.clock(),
            ),
            svc.uow(),
        )
        return case_id

    return await _write(request, caller, svc, work)


@_action(
    "/{case_id}/close",
    "Close the case (origin after follow-up, host otherwise)",
    Acting.CLOSING_AUTHORITY,
)
async def close_case(
    case_id: uuid.UUID, body: s.CaseClose, request: Request, caller: Caller, svc: Services
) -> Response:
    async def work() -> uuid.UUID:
        await handlers.close_case(
            c.CloseCase(
                case_id=case_id, actor=actor_of(caller), reason=body.reason, closed_at=svc.clock()
            ),
            svc.uow(),
        )
        return case_id

    return await _write(request, caller, svc, work)
