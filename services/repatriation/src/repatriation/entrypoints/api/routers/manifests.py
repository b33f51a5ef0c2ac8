"""`/v1/manifests`: thin routes — parse, build the command, run the handler, read back.

Every write on a manifest first decides, in a dependency, whether the caller may see it (404)
and take this action (403): FastAPI resolves dependencies before it validates the body, so an
invalid body from a caller who may not see the manifest still gets the 404 (its existence does
not leak through a 422), and the handler locks the row only after that.

Every write is the kit's `write` (an `Idempotency-Key` replays the first answer; a refusal is
answered with its problem inside it, so a refused request is replayed as refused), its use case
run on a unit of work made for the caller (`svc.uow(actor=caller)`). A replay re-checks first
that the caller may still see the manifest and the people the answer is about (a person taken
off for a protection need no longer exists for the receiving side): 404 if not. Reads go
through the service layer's queries, which return read models the routes turn into schemas.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response

from puebla.auth.principal import Principal
from puebla.http.deps import Caller
from puebla.http.errors import problem_responses
from puebla.http.idempotency import WRITE, Recheck, write
from puebla.http.limits import MiB, body_limit
from puebla.http.pagination import page_request
from puebla.http.schemas import Code, CountryCode
from puebla.pagination import PageRequest
from puebla.problems import FieldError, Problem, invalid
from puebla.refusals import NotVisible
from repatriation.bootstrap import Repatriation
from repatriation.domain import (
    ArrivedPerson,
    FamilyChoice,
    HandoverItem,
    HandoverOutcome,
    IdentityDocument,
    Objection,
    ProtectionNeedKind,
    RefusalReason,
    ReturneeData,
    Sex,
    Vehicle,
    Vulnerabilities,
)
from repatriation.domain import commands as c
from repatriation.entrypoints.api import handover_document as doc
from repatriation.entrypoints.api import schemas as s
from repatriation.entrypoints.api.deps import ImmigrationOfficer, Svc
from repatriation.service_layer import access, handlers, queries
from repatriation.service_layer.views import HandoverRecordView

router = APIRouter(prefix="/v1/manifests", tags=["manifests"])

MANIFEST_BODY_LIMIT = 4 * MiB
ARRIVAL_TO_BEFORE_FROM = "arrival_to_before_arrival_from"


def returnee_data(body: s.ReturneeCreate) -> ReturneeData:
    return ReturneeData(
        given_names=body.given_names,
        surnames=body.surnames,
        sex=Sex(body.sex),
        date_of_birth=body.date_of_birth,
        nationality=body.nationality,
        place_of_origin=body.place_of_origin,
        vulnerabilities=Vulnerabilities(
            pregnant=body.vulnerabilities.pregnant,
            disability=body.vulnerabilities.disability,
            illness_or_injury=body.vulnerabilities.illness_or_injury,
            trafficking_indicator=body.vulnerabilities.trafficking_indicator,
        ),
        protection_need=body.protection_need,
        age_disputed=body.age_disputed,
        document=(
            IdentityDocument(type=body.document.type, number=body.document.number)
            if body.document
            else None
        ),
        family_group=body.family_group,
    )


async def _manifest(svc: Repatriation, caller: Principal, manifest_id: uuid.UUID) -> Any:
    read = await queries.get_manifest(svc, caller, manifest_id)
    return s.ManifestRead.model_validate(read, from_attributes=True).model_dump(mode="json")


def _record_body(record: HandoverRecordView) -> dict[str, Any]:
    """The record as the JSON answer has it, without what stands beside it."""
    return s.HandoverRecordBody.model_validate(record, from_attributes=True).model_dump(mode="json")


def record_digest(record: HandoverRecordView) -> str:
    """The digest of the record's canonical form (what a side signs)."""
    return doc.digest(_record_body(record))


def record_with_digest(svc: Repatriation, record: HandoverRecordView) -> dict[str, Any]:
    """The record as the JSON answer has it: `digest` over its canonical form, and beside it
    the `attestation` (signatures, the service's seal, log entries)."""
    body = _record_body(record)
    digest = doc.digest(body)
    signatures = [
        s.SignatureRead.model_validate(g, from_attributes=True).model_dump(mode="json")
        for g in record.signatures
    ]
    entries = [
        s.LogEntryRead.model_validate(e, from_attributes=True).model_dump(mode="json")
        for e in record.log_entries
    ]
    return {
        **body,
        "digest": digest,
        "attestation": doc.attestation(body, digest, signatures, entries, svc.seal_key),
    }


def handover_result(manifest_id: uuid.UUID, done: handlers.HandoversRecorded) -> dict[str, Any]:
    """A hand-over request's answer: what it changed, from the aggregate in memory."""
    items = [
        s.HandoverOnRecord(
            returnee_id=o.person_id,
            listed=o.listed,
            outcome=o.handover.outcome.value,
            reason=o.handover.reason.value if o.handover.reason else None,
            officer=o.handover.officer,
            post=o.handover.post,
            # In UTC, as the record gives them (the post may send its own offset).
            recorded_at=o.handover.recorded_at.astimezone(UTC),
            stored_at=o.handover.stored_at.astimezone(UTC),
        )
        for o in done.on_record
    ]
    t = done.totals
    totals = s.HandoverTotals(
        received=t.received,
        not_presented=t.not_presented,
        refused=t.refused,
        pending=t.pending,
        arrived_not_listed=t.arrived_not_listed,
        total=t.total,
    )
    result = s.HandoverResult(
        manifest_id=manifest_id,
        recorded=done.recorded,
        items=items,
        status=done.status.value,
        version=done.version,
        totals=totals,
    )
    return result.model_dump(mode="json")


def _may(decide: Callable[[Principal, access.Scoped], None]) -> Any:
    """A route dependency: 404 unless the caller sees the manifest, 403 unless `decide` lets
    it act — before the body is validated, without a lock."""

    async def dependency(manifest_id: uuid.UUID, caller: Caller, svc: Svc) -> queries.DecidedScope:
        return await queries.ensure_may_act(svc, caller, manifest_id, decide)

    return Depends(dependency)


MANAGE = _may(access.ensure_manageable)
HAND_OVER = _may(access.ensure_hand_over)
SIGN = _may(access.ensure_may_sign)


def _people_in(body: Any) -> set[uuid.UUID]:
    """The returnee ids a stored answer shows (manifest reads, hand-over records)."""
    found: set[uuid.UUID] = set()
    if isinstance(body, dict):
        for key, value in body.items():
            if key == "returnee_id" and isinstance(value, str):
                found.add(uuid.UUID(value))
            elif key == "returnees" and isinstance(value, list):
                found.update(uuid.UUID(r["id"]) for r in value if isinstance(r, dict) and "id" in r)
            else:
                found |= _people_in(value)
    elif isinstance(body, list):
        for item in body:
            found |= _people_in(item)
    return found


def _recheck(
    svc: Repatriation,
    caller: Principal,
    manifest_id: uuid.UUID | None,
    returnee_ids: tuple[uuid.UUID, ...] = (),
) -> Recheck:
    """Before a replay: the caller still sees the manifest (the path's, or for a create the one
    in the stored answer) and every person the request or the answer names — else 404, as a
    fresh request would answer."""

    async def recheck(stored: Any) -> None:
        target = manifest_id
        if target is None and isinstance(stored, dict) and isinstance(stored.get("id"), str):
            target = uuid.UUID(stored["id"])
        if target is None:
            return  # a refused create: it is about no record
        people = set(returnee_ids) | _people_in(stored)
        if not await queries.still_sees(svc, caller, target, people):
            raise NotVisible("The manifest")

    return recheck


@router.post(
    "",
    status_code=201,
    response_model=s.ManifestRead,
    responses=problem_responses(401, 403, 409, 422),
    summary="Create a draft manifest (immigration officer of the sending country)",
    **WRITE,
)
# 300 returnees: about 90 kB as usually written, 1.1 MB with every text at its maximum length
# in accented letters escaped as \uXXXX and indented, 2.0 MB with every character an escaped
# emoji (a surrogate pair): the default 1 MiB is too little, 4 MiB leaves twice the worst.
@body_limit(MANIFEST_BODY_LIMIT)
async def create_manifest(
    caller: ImmigrationOfficer, body: s.ManifestCreate, request: Request, svc: Svc
) -> Response:
    async def action() -> tuple[int, Any]:
        cmd = c.CreateManifest(
            receiving_country=body.receiving_country,
            reception_point=body.reception_point,
            scheduled_departure=body.scheduled_departure,
            scheduled_arrival=body.scheduled_arrival,
            vehicle=Vehicle(plate=body.vehicle.plate, seats=body.vehicle.seats),
            returnees=tuple(returnee_data(r) for r in body.returnees),
            late_notice_reason=body.late_notice_reason,
        )
        manifest_id = await handlers.create_manifest(cmd, svc.uow(actor=caller))
        return 201, await _manifest(svc, caller, manifest_id)

    return await write(request, caller, action, recheck=_recheck(svc, caller, None))


@router.get(
    "",
    response_model=s.ManifestPage,
    responses=problem_responses(401, 422),
    summary="The manifests the caller may read, newest first (without their people: counts)",
    description="Filters (all optional, combined): `status`, `receiving_country`, "
    "`reception_point`, and `arrival_from`/`arrival_to` — ISO dates, inclusive, compared with "
    "the day of `scheduled_arrival` in the reception point's own time zone. A date that is not "
    "one, or `arrival_from` after `arrival_to`, is 422 naming the parameter and its rule.",
)
async def list_manifests(
    caller: Caller,
    svc: Svc,
    page: Annotated[PageRequest, Depends(page_request)],
    status: s.Status | None = None,
    receiving_country: Annotated[CountryCode | None, Query()] = None,
    reception_point: Annotated[Code | None, Query()] = None,
    arrival_from: Annotated[
        date | None, Query(description="first day of arrival, in the point's time zone")
    ] = None,
    arrival_to: Annotated[
        date | None, Query(description="last day of arrival, in the point's time zone")
    ] = None,
) -> Any:
    if arrival_from is not None and arrival_to is not None and arrival_from > arrival_to:
        raise invalid(
            [FieldError("arrival_to", ARRIVAL_TO_BEFORE_FROM, "arrival_to is before arrival_from")]
        )
    found = await queries.list_manifests(
        svc,
        caller,
        page,
        queries.ManifestFilters(
            status, receiving_country, reception_point, arrival_from, arrival_to
        ),
    )
    return s.ManifestPage(
        items=[s.ManifestSummary.model_validate(i, from_attributes=True) for i in found.items],
        next_cursor=found.next_cursor,
    )


@router.get(
    "/{manifest_id}",
    response_model=s.ManifestRead,
    responses=problem_responses(401, 404, 422),
    summary="One manifest and its returnees (vulnerable people first)",
)
async def get_manifest(manifest_id: uuid.UUID, caller: Caller, svc: Svc) -> Any:
    return await _manifest(svc, caller, manifest_id)


@router.post(
    "/{manifest_id}/returnees",
    status_code=201,
    response_model=s.ReturneeAdded,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="Add a returnee (draft, or submitted: an amendment, inside the notice period only "
    "with late_notice_reason)",
    dependencies=[MANAGE],
    **WRITE,
)
async def add_returnee(
    manifest_id: uuid.UUID,
    body: s.ReturneeAdd,
    request: Request,
    caller: Caller,
    svc: Svc,
) -> Response:
    async def action() -> tuple[int, Any]:
        cmd = c.AddReturnee(
            manifest_id=manifest_id,
            returnee=returnee_data(body),
            late_notice_reason=body.late_notice_reason,
        )
        returnee_id = await handlers.add_returnee(cmd, svc.uow(actor=caller))
        manifest = await _manifest(svc, caller, manifest_id)
        return 201, {"returnee_id": str(returnee_id), "manifest": manifest}

    return await write(request, caller, action, recheck=_recheck(svc, caller, manifest_id))


@router.delete(
    "/{manifest_id}/returnees/{returnee_id}",
    response_model=s.ManifestRead,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="Remove a returnee (a reason is required once submitted)",
    dependencies=[MANAGE],
    **WRITE,
)
async def remove_returnee(
    manifest_id: uuid.UUID,
    returnee_id: uuid.UUID,
    request: Request,
    caller: Caller,
    svc: Svc,
    reason: Annotated[str | None, Query(min_length=1, max_length=500)] = None,
) -> Response:
    async def action() -> tuple[int, Any]:
        cmd = c.RemoveReturnee(manifest_id=manifest_id, returnee_id=returnee_id, reason=reason)
        await handlers.remove_returnee(cmd, svc.uow(actor=caller))
        return 200, await _manifest(svc, caller, manifest_id)

    return await write(
        request, caller, action, recheck=_recheck(svc, caller, manifest_id, (returnee_id,))
    )


@router.post(
    "/{manifest_id}/returnees/{returnee_id}/protection-need",
    response_model=s.ProtectionNeedRecorded,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="A protection need found later: the person (and leave_with family) come off the "
    "manifest; the receiving country sees nothing of them again (sending immigration officer, "
    "draft or submitted)",
    dependencies=[MANAGE],
    **WRITE,
)
async def record_protection_need(
    manifest_id: uuid.UUID,
    returnee_id: uuid.UUID,
    body: s.ProtectionNeedRequest,
    request: Request,
    caller: Caller,
    svc: Svc,
) -> Response:
    async def action() -> tuple[int, Any]:
        cmd = c.RecordProtectionNeed(
            manifest_id=manifest_id,
            returnee_id=returnee_id,
            kind=ProtectionNeedKind(body.kind),
            note=body.note,
            family=FamilyChoice(body.family) if body.family else None,
        )
        taken_off = await handlers.record_protection_need(cmd, svc.uow(actor=caller))
        manifest = await _manifest(svc, caller, manifest_id)
        return 200, {"taken_off": [str(i) for i in taken_off], "manifest": manifest}

    return await write(
        request, caller, action, recheck=_recheck(svc, caller, manifest_id, (returnee_id,))
    )


@router.post(
    "/{manifest_id}/submit",
    response_model=s.ManifestRead,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="Submit: the receiving side is notified, nationality verification is requested",
    dependencies=[MANAGE],
    **WRITE,
)
async def submit_manifest(
    manifest_id: uuid.UUID,
    request: Request,
    caller: Caller,
    svc: Svc,
    body: s.SubmitRequest | None = None,
) -> Response:
    async def action() -> tuple[int, Any]:
        cmd = c.SubmitManifest(
            manifest_id=manifest_id, late_notice_reason=body.late_notice_reason if body else None
        )
        await handlers.submit_manifest(cmd, svc.uow(actor=caller))
        return 200, await _manifest(svc, caller, manifest_id)

    return await write(request, caller, action, recheck=_recheck(svc, caller, manifest_id))


@router.post(
    "/{manifest_id}/dispatch",
    response_model=s.ManifestRead,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="The bus leaves: every returnee confirmed, a seat for each",
    dependencies=[MANAGE],
    **WRITE,
)
async def dispatch_manifest(
    manifest_id: uuid.UUID, request: Request, caller: Caller, svc: Svc
) -> Response:
    async def action() -> tuple[int, Any]:
        cmd = c.DispatchManifest(manifest_id=manifest_id)
        await handlers.dispatch_manifest(cmd, svc.uow(actor=caller))
        return 200, await _manifest(svc, caller, manifest_id)

    return await write(request, caller, action, recheck=_recheck(svc, caller, manifest_id))


@router.post(
    "/{manifest_id}/cancel",
    response_model=s.ManifestRead,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="Cancel (draft or submitted: once dispatched, people are on the road), with a reason",
    dependencies=[MANAGE],
    **WRITE,
)
async def cancel_manifest(
    manifest_id: uuid.UUID,
    body: s.CancelRequest,
    request: Request,
    caller: Caller,
    svc: Svc,
) -> Response:
    async def action() -> tuple[int, Any]:
        cmd = c.CancelManifest(manifest_id=manifest_id, reason=body.reason)
        await handlers.cancel_manifest(cmd, svc.uow(actor=caller))
        return 200, await _manifest(svc, caller, manifest_id)

    return await write(request, caller, action, recheck=_recheck(svc, caller, manifest_id))


@router.post(
    "/{manifest_id}/handovers",
    response_model=s.HandoverResult,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="Record hand-overs at the reception point (border officer of that point)",
    **WRITE,
)
async def record_handovers(
    manifest_id: uuid.UUID,
    # The route's 404/403 check; its scope spares the handler a second unlocked read.
    decided: Annotated[queries.DecidedScope, HAND_OVER],
    body: s.HandoverRequest,
    request: Request,
    caller: Caller,
    svc: Svc,
) -> Response:
    async def action() -> tuple[int, Any]:
        cmd = c.RecordHandovers(
            manifest_id=manifest_id,
            items=tuple(
                HandoverItem(
                    returnee_id=item.returnee_id,
                    outcome=HandoverOutcome(item.outcome),
                    reason=RefusalReason(item.reason) if item.reason else None,
                    recorded_at=item.recorded_at,  # the domain checks it against its clock
                    person=(
                        ArrivedPerson(
                            given_names=item.person.given_names,
                            surnames=item.person.surnames,
                            sex=Sex(item.person.sex),
                            date_of_birth=item.person.date_of_birth,
                            nationality=item.person.nationality,
                        )
                        if item.person
                        else None
                    ),
                )
                for item in body.items
            ),
        )
        uow = svc.uow(actor=caller, scopes_read={manifest_id: decided})
        done = await handlers.record_handovers(cmd, uow)
        return 200, handover_result(manifest_id, done)

    items = tuple(item.returnee_id for item in body.items if item.returnee_id is not None)
    return await write(request, caller, action, recheck=_recheck(svc, caller, manifest_id, items))


@router.post(
    "/{manifest_id}/handover-record/signatures",
    response_model=s.SignatureResult,
    responses=problem_responses(401, 403, 404, 409, 422),
    summary="Sign the hand-over record for your side, or sign with objections (immigration "
    "officer of the sending country; border officer of the reception point)",
    dependencies=[SIGN],
    **WRITE,
)
async def sign_handover_record(
    manifest_id: uuid.UUID,
    body: s.SignatureRequest,
    request: Request,
    caller: Caller,
    svc: Svc,
) -> Response:
    """Once the manifest is closed, each side signs the record it read: `digest` must be the
    record's as it stands (409 `digest_not_current` otherwise). A side that disagrees with an
    outcome signs with an `objection` per person and a reason; the record shows it to both. A
    side signs once: the same signature again answers `signed: false`, a different one 409
    `already_signed`. Who signs, for which country and when is the verified caller's."""

    async def action() -> tuple[int, Any]:
        cmd = c.SignHandoverRecord(
            manifest_id=manifest_id,
            digest=body.digest,
            objections=tuple(
                Objection(returnee_id=o.returnee_id, reason=o.reason) for o in body.objections
            ),
        )
        signed = await handlers.sign_handover_record(
            cmd, svc.uow(actor=caller), digest_of=record_digest
        )
        record = await queries.handover_record(svc, caller, manifest_id)
        result = s.SignatureResult(
            signed=signed,
            record=s.HandoverRecordRead.model_validate(record_with_digest(svc, record)),
        )
        return (201 if signed else 200), result.model_dump(mode="json")

    return await write(request, caller, action, recheck=_recheck(svc, caller, manifest_id))


@router.get(
    "/{manifest_id}/handover-record/verification",
    response_model=s.VerificationRead,
    responses=problem_responses(401, 404, 422),
    summary="Is a printed hand-over record (by its digest) the one both sides signed?",
)
async def verify_handover_record(
    manifest_id: uuid.UUID,
    caller: Caller,
    svc: Svc,
    digest: Annotated[
        str,
        Query(
            pattern="^[0-9a-f]{64}$",
            description="The digest printed on the record (SHA-256, lowercase hex).",
        ),
    ],
) -> Any:
    """`verified` when both sides signed exactly this digest; `current` when it is the record
    as it stands; the attestation (signatures, seal, log entries) to check it further."""
    record = await queries.handover_record(svc, caller, manifest_id)
    return s.VerificationRead.model_validate(
        doc.verification(record_with_digest(svc, record), digest)
    )


PDF_RESPONSE: dict[int | str, dict[str, Any]] = {
    200: {
        "description": (
            "The record as JSON, or as a PDF with `Accept: application/pdf` — in Spanish "
            "(default) or English by `Accept-Language` (`es`/`en`; `Content-Language` says "
            "which), every time in the reception point's time zone, named, and the record's "
            "`digest` printed on every page."
        ),
        "headers": {
            "Content-Language": {
                "description": "`es` or `en`: the language of the PDF (and of its words)",
                "schema": {"type": "string", "enum": list(doc.LANGUAGES)},
            },
            "Vary": {"schema": {"type": "string", "example": "Accept, Accept-Language"}},
        },
        "content": {doc.PDF: {"schema": {"type": "string", "format": "binary"}}},
    },
    406: {
        **problem_responses(406)[406],
        "description": "The `Accept` header takes neither application/json nor application/pdf",
    },
}
VARY = "Accept, Accept-Language"


@router.get(
    "/{manifest_id}/handover-record",
    response_model=s.HandoverRecordRead,
    responses={**problem_responses(401, 404, 422), **PDF_RESPONSE},
    summary="The hand-over record (acta): every person, outcome, officer, time, post; totals",
)
async def get_handover_record(
    manifest_id: uuid.UUID, request: Request, caller: Caller, svc: Svc
) -> Response:
    """The same record for both sides, with `digest`: the SHA-256 of its canonical JSON (this
    answer without `digest`, keys sorted, no whitespace, UTF-8 — `handover_document`). With
    `Accept: application/pdf` the same record as a PDF in Spanish or English
    (`Accept-Language`), the digest on every page. Who may see it is decided first (404), then
    the media type (406)."""
    record = await queries.handover_record(svc, caller, manifest_id)
    body = record_with_digest(svc, record)
    media = doc.chosen_media_type(request.headers.get("accept"))
    if media is None:
        raise Problem(
            406,
            "Not Acceptable",
            "The hand-over record is served as application/json or application/pdf.",
            slug="not-acceptable",
            headers={"Vary": VARY},
        )
    if media == doc.JSON:
        return JSONResponse(body, headers={"Vary": VARY})
    lang = doc.chosen_language(request.headers.get("accept-language"))
    return Response(
        doc.render_pdf(body, lang),
        media_type=doc.PDF,
        headers={
            "Content-Language": lang,
            "Vary": VARY,
            "Content-Disposition": f'inline; filename="{doc.filename(body, lang)}"',
        },
    )
