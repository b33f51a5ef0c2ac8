"""What a worker tells Prometheus about the state it looks after, read at each scrape.

Every worker reads the platform's figures of its own service (`platform_readings`): the
outbox rows waiting and the age of the oldest, each of its durables' lag, unacknowledged and
redelivered messages and dead letters parked, the audit entries no signed head covers yet
and how old the last signed head is. A service adds its own (`ServiceReadings`: notices by
status, budget available...), read by its service layer. Everything is a count, an age or an
amount, labelled by durable, country, status or year: no person's data, no record's id.

Several workers of one service read the same database, so they report the same figures:
dashboards and alerts take `max by (service, ...)`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import datetime
from typing import Any

from nats.js import JetStreamContext
from nats.js.errors import NotFoundError
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from puebla.clock import Clock, utcnow
from puebla.contracts.audit.v2 import LOG_FORMAT
from puebla.messaging.consumer import DEADLETTER_PREFIX, Subscription
from puebla.messaging.nats import DEADLETTER_STREAM
from puebla.observability.metrics import Reading
from puebla.runtime import Runtime

# A service's own figures: its session, the time of the scrape.
ServiceReadings = Callable[[AsyncSession, datetime], Awaitable[Sequence[Reading]]]

# Counting stops here: past it an operator needs no exact figure, and a scrape stays cheap.
COUNT_CAP = 100_000


def age(now: datetime, then: datetime | None) -> float:
    """Seconds from `then` to `now`; 0 when there is nothing to be old."""
    return 0.0 if then is None else max(0.0, (now - then).total_seconds())


async def outbox_readings(session: AsyncSession, now: datetime) -> list[Reading]:
    row = (
        await session.execute(
            text(
                "SELECT count(*) AS waiting, min(created_at) AS oldest FROM"
                " (SELECT created_at FROM outbox WHERE published_at IS NULL LIMIT :cap) w"
            ),
            {"cap": COUNT_CAP},
        )
    ).one()
    return [
        Reading(
            "puebla_outbox_waiting",
            "Outbox rows committed but not yet published to JetStream.",
            row.waiting,
        ),
        Reading(
            "puebla_outbox_oldest_age_seconds",
            "Age of the oldest outbox row not yet published (0 when none waits).",
            age(now, row.oldest),
        ),
    ]


async def audit_readings(session: AsyncSession, now: datetime) -> list[Reading]:
    """Entries after the last signed head's tree size are in no signed head yet."""
    head = (
        await session.execute(
            text(
                "SELECT seq, at FROM audit_checkpoint WHERE format = :f ORDER BY seq DESC LIMIT 1"
            ),
            {"f": LOG_FORMAT},
        )
    ).first()
    signed = 0 if head is None else int(head.seq)
    after = (
        await session.execute(
            text("SELECT seq FROM audit_leaf WHERE leaf_index = :i"), {"i": signed - 1}
        )
    ).scalar_one_or_none()
    unsealed = (
        await session.execute(
            text(
                "SELECT count(*) AS n, min(at) AS oldest FROM"
                " (SELECT at FROM audit WHERE seq > :after ORDER BY seq LIMIT :cap) u"
            ),
            {"after": after or 0, "cap": COUNT_CAP},
        )
    ).one()
    readings = [
        Reading(
            "puebla_audit_unsealed_entries",
            "Audit entries that no signed tree head covers yet.",
            unsealed.n,
        ),
        Reading(
            "puebla_audit_oldest_unsealed_age_seconds",
            "Age of the oldest audit entry no signed head covers (0 when all are covered).",
            age(now, unsealed.oldest),
        ),
    ]
    if head is not None:
        readings.append(
            Reading(
                "puebla_audit_signed_head_age_seconds",
                "Age of the last signed tree head of this service's audit log.",
                age(now, head.at),
            )
        )
    return readings


async def bus_readings(
    js: JetStreamContext, subscriptions: Sequence[Subscription]
) -> list[Reading]:
    """Each durable's state as JetStream keeps it, and the dead letters it parked."""
    readings: list[Reading] = []
    for sub in subscriptions:
        info = await js.consumer_info(sub.stream, sub.durable, timeout=2.0)
        labels = {"durable": sub.durable, "stream": sub.stream}
        readings += [
            Reading(
                "puebla_consumer_pending",
                "Messages on the durable's subject not yet delivered to it (its lag).",
                float(info.num_pending or 0),
                labels,
            ),
            Reading(
                "puebla_consumer_ack_pending",
                "Messages delivered to the durable and not yet acknowledged.",
                float(info.num_ack_pending or 0),
                labels,
            ),
            Reading(
                "puebla_consumer_redelivered",
                "Messages delivered to the durable more than once and not yet acknowledged.",
                float(info.num_redelivered or 0),
                labels,
            ),
            Reading(
                "puebla_consumer_paused",
                "1 while an operator has paused the durable on the server.",
                1.0 if info.paused else 0.0,
                labels,
            ),
        ]
    parked: dict[str, int] = {}
    with contextlib.suppress(NotFoundError):  # no dead-letter stream yet: nothing parked
        stream = await js.stream_info(DEADLETTER_STREAM, subjects_filter=f"{DEADLETTER_PREFIX}.>")
        parked = dict(stream.state.subjects or {})
    readings += [
        Reading(
            "puebla_deadletters_parked",
            "Messages the durable parked on the dead-letter stream and nobody removed yet.",
            float(parked.get(f"{DEADLETTER_PREFIX}.{sub.durable}", 0)),
            {"durable": sub.durable},
        )
        for sub in subscriptions
    ]
    return readings


def state_reader(
    runtime: Runtime,
    subscriptions: Sequence[Subscription],
    service_readings: Sequence[ServiceReadings] = (),
    *,
    clock: Clock = utcnow,
) -> Callable[[], Coroutine[Any, Any, list[Reading]]]:
    """What the worker's `StateCollector` calls at each scrape: every reading, labelled with
    the service's name. One read-only transaction, so the figures agree with one another."""
    service = runtime.definition.name

    async def read() -> list[Reading]:
        now = clock()
        async with runtime.sessions() as session, session.begin():
            await session.execute(text("SET TRANSACTION READ ONLY"))
            readings = await outbox_readings(session, now)
            readings += await audit_readings(session, now)
            for own in service_readings:
                readings += await own(session, now)
        if runtime.js is not None:
            readings += await bus_readings(runtime.js, subscriptions)
        return [
            Reading(r.name, r.help, r.value, {"service": service, **r.labels}) for r in readings
        ]

    return read
