"""`consular.nationality.confirmed.v1` / `.rejected.v1` → confirm or reject a returnee.

The consulate's decision names the manifest (`related.id`) and the returnee
(`related.subject_id`). Decisions about other services' records (child cases) are skipped.
Parsed with the producer's contract models, tolerant of fields added later (`extra="ignore"`).
Idempotent twice over: the inbox row (`uow.track`) drops a redelivered event, and the domain
treats the same decision again as a no-op. A different decision already on record, an unknown
manifest or returnee, or a manifest past dispatch are permanent refusals (recorded, acked).
"""

from __future__ import annotations

from pydantic import ConfigDict

from puebla.contracts.common import Related
from puebla.contracts.consular.v1 import NationalityConfirmedV1, NationalityRejectedV1
from puebla.contracts.envelope import IncomingEnvelope
from puebla.db.unit_of_work import Tracking
from puebla.messaging.consumer import Handler
from puebla.observability import get_logger
from puebla.runtime import Runtime
from repatriation import bootstrap
from repatriation.domain import commands as c
from repatriation.service_layer import handlers

log = get_logger(__name__)


class _RelatedIn(Related):
    model_config = ConfigDict(extra="ignore", frozen=True)


class ConfirmedIn(NationalityConfirmedV1):
    model_config = ConfigDict(extra="ignore", frozen=True)
    related: _RelatedIn


class RejectedIn(NationalityRejectedV1):
    model_config = ConfigDict(extra="ignore", frozen=True)
    related: _RelatedIn


async def apply(runtime: Runtime, envelope: IncomingEnvelope, tracking: Tracking) -> bool | None:
    """Applies one decision; returns whether it changed the returnee (None: not ours)."""
    uow = bootstrap.unit_of_work(runtime)
    uow.track(tracking)
    if envelope.type == NationalityConfirmedV1.event_type:
        confirmed = ConfirmedIn.model_validate(envelope.data)
        if confirmed.related.service != "repatriation" or confirmed.related.subject_id is None:
            return None
        return await handlers.confirm_nationality(
            c.ConfirmNationality(
                manifest_id=confirmed.related.id, returnee_id=confirmed.related.subject_id
            ),
            uow,
            decided_by=confirmed.decided_by,
        )
    if envelope.type == NationalityRejectedV1.event_type:
        rejected = RejectedIn.model_validate(envelope.data)
        if rejected.related.service != "repatriation" or rejected.related.subject_id is None:
            return None
        return await handlers.reject_nationality(
            c.RejectNationality(
                manifest_id=rejected.related.id,
                returnee_id=rejected.related.subject_id,
                reason=rejected.reason,
            ),
            uow,
            decided_by=rejected.decided_by,
        )
    log.warning("consumer.unexpected_type", type=envelope.type)
    return None


def handler(runtime: Runtime) -> Handler:
    async def handle(envelope: IncomingEnvelope, tracking: Tracking) -> None:
        changed = await apply(runtime, envelope, tracking)
        log.info("repatriation.nationality_decided", changed=changed)

    return handle
