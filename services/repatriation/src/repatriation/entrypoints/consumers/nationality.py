"""`consular.nationality.confirmed.v1` / `.rejected.v1` → confirm or reject a returnee.

The consulate's decision names the manifest (`related.id`) and the returnee
(`related.subject_id`). Decisions about other services' records (child cases) are skipped.
Read with the producer's contract models through the tolerant reader (`read_lenient`: a field
the producer adds later, however deep, is ignored). The unit of work acts for the consul who
decided (`decided_by`), whom the audit trail names. Idempotent twice over: the inbox row
(`uow.track`) drops a redelivered event, and the domain treats the same decision again as a
no-op. A different decision already on record, an unknown manifest or returnee, or a manifest
past dispatch are permanent refusals (recorded, acked).
"""

from __future__ import annotations

from puebla.contracts.consular.v1 import NationalityConfirmedV1, NationalityRejectedV1
from puebla.contracts.envelope import IncomingEnvelope
from puebla.contracts.lenient import read_lenient
from puebla.db.unit_of_work import Tracking
from puebla.messaging.consumer import Handler, Subscription
from puebla.observability import get_logger
from repatriation.bootstrap import Repatriation
from repatriation.domain import commands as c
from repatriation.domain.errors import ManifestError
from repatriation.service_layer import handlers
from repatriation.service_layer.errors import UnknownManifest

log = get_logger(__name__)

# One durable per subject (the bus permissions grant each durable its one filter). Their order
# between the two does not matter: a returnee's nationality is decided once, a second decision
# is refused.
DURABLES = {
    NationalityConfirmedV1.event_type: "repatriation-nationality-confirmed",
    NationalityRejectedV1.event_type: "repatriation-nationality-rejected",
}

# Refusals that no retry can change: recorded in the inbox as rejected and acknowledged.
PERMANENT_ERRORS: tuple[type[BaseException], ...] = (ManifestError, UnknownManifest)


async def apply(svc: Repatriation, envelope: IncomingEnvelope, tracking: Tracking) -> bool | None:
    """Applies one decision; returns whether it changed the returnee (None: not ours)."""
    if envelope.type == NationalityConfirmedV1.event_type:
        confirmed = read_lenient(NationalityConfirmedV1, envelope)
        if confirmed.related.service != "repatriation" or confirmed.related.subject_id is None:
            return None
        uow = svc.uow(actor=confirmed.decided_by)
        uow.track(tracking)
        return await handlers.confirm_nationality(
            c.ConfirmNationality(
                manifest_id=confirmed.related.id, returnee_id=confirmed.related.subject_id
            ),
            uow,
        )
    if envelope.type == NationalityRejectedV1.event_type:
        rejected = read_lenient(NationalityRejectedV1, envelope)
        if rejected.related.service != "repatriation" or rejected.related.subject_id is None:
            return None
        uow = svc.uow(actor=rejected.decided_by)
        uow.track(tracking)
        return await handlers.reject_nationality(
            c.RejectNationality(
                manifest_id=rejected.related.id,
                returnee_id=rejected.related.subject_id,
                reason=rejected.reason,
            ),
            uow,
        )
    log.warning("consumer.unexpected_type", type=envelope.type)
    return None


def handler(svc: Repatriation) -> Handler:
    async def handle(envelope: IncomingEnvelope, tracking: Tracking) -> None:
        changed = await apply(svc, envelope, tracking)
        log.info("repatriation.nationality_decided", changed=changed)

    return handle


def subscriptions(svc: Repatriation) -> list[Subscription]:
    """The two durables of the CONSULAR stream this consumer reads."""
    handle = handler(svc)
    return [
        Subscription(
            durable=durable,
            stream="CONSULAR",
            subjects=[subject],
            handle=handle,
            permanent_errors=PERMANENT_ERRORS,
        )
        for subject, durable in DURABLES.items()
    ]
