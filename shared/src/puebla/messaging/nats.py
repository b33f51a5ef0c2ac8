"""Connecting to NATS and making sure the streams exist."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from puebla.messaging.permissions import CONTEXTS, inbox_prefix
from puebla.observability import get_logger

log = get_logger(__name__)

DAY = 86_400.0


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: list[str]


DEADLETTER_STREAM = "DEADLETTER"

# One stream per context (ARCHITECTURE.md), the audit anchors, and the parking place for poison
# messages.
STREAMS = [
    StreamSpec("REPATRIATION", ["repatriation.>"]),
    StreamSpec("CHILD", ["child.>"]),
    StreamSpec("FUND", ["fund.>"]),
    StreamSpec("CONSULAR", ["consular.>"]),
    # Each service's signed audit checkpoints (audit.<context>.checkpoint.v1), kept by the others.
    StreamSpec("AUDIT", ["audit.>"]),
    StreamSpec(DEADLETTER_STREAM, ["deadletter.>"]),
]


def stream_config(spec: StreamSpec, *, replicas: int = 1) -> StreamConfig:
    return StreamConfig(
        name=spec.name,
        subjects=spec.subjects,
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        num_replicas=replicas,
        # nats-py durations are seconds. The replay horizon: consumers' inboxes and the
        # outbox's retention are sized against it.
        max_age=90 * DAY,
        max_bytes=1024**3,
        max_msg_size=1024**2,
        discard=DiscardPolicy.OLD,
        duplicate_window=120.0,
    )


async def connect(
    servers: list[str], *, name: str, credentials: Path | str | None = None
) -> Client:
    """`credentials` is the bus user's nkey seed file, named after the user
    (`repatriation.nk`): replies then come on the user's own inbox prefix, the only one its
    permissions let it subscribe to (permissions.py)."""

    async def _disconnected() -> None:
        log.warning("nats.disconnected")

    async def _reconnected() -> None:
        log.info("nats.reconnected")

    async def _error(exc: Exception) -> None:
        log.warning("nats.error", error=str(exc))

    auth: dict[str, Any] = {}
    if credentials is not None:
        seed = Path(credentials)
        auth = {"nkeys_seed": str(seed), "inbox_prefix": inbox_prefix(seed.stem).encode()}
    # nats-py gives up after 60 reconnect attempts by default and closes the client for good;
    # a service must outlive any broker outage, so it never gives up.
    return await nats.connect(
        servers=servers,
        **auth,
        name=name,
        max_reconnect_attempts=-1,
        reconnect_time_wait=1,
        ping_interval=20,
        connect_timeout=5,
        allow_reconnect=True,
        disconnected_cb=_disconnected,
        reconnected_cb=_reconnected,
        error_cb=_error,
    )


async def ensure_streams(
    js: JetStreamContext, specs: list[StreamSpec] | None = None, *, replicas: int = 1
) -> None:
    """Creates or updates each stream; safe to run on every start."""
    for spec in specs or STREAMS:
        config = stream_config(spec, replicas=replicas)
        try:
            await js.stream_info(spec.name)
        except NotFoundError:
            await js.add_stream(config)
            log.info("nats.stream.created", stream=spec.name)
        else:
            await js.update_stream(config)


def streams_written_by(service: str) -> list[str]:
    """The streams a service publishes to: its context's (if it has one) and the dead
    letters'."""
    own = f"{CONTEXTS.get(service, service)}.>"
    return [s.name for s in STREAMS if own in s.subjects or s.name == DEADLETTER_STREAM]


async def require_streams(js: JetStreamContext, service: str) -> None:
    """Raises NotFoundError (a NATS error: `patiently` waits on it) until they exist."""
    for name in streams_written_by(service):
        await js.stream_info(name)
