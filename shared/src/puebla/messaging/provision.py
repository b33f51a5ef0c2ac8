"""`python -m puebla.messaging.provision`: declares the streams, as the bus's provisioner.

The services' own bus users may not create or change streams (a compromised service could
otherwise shorten another context's retention to nothing), so whoever deploys runs this once
per release: the devstack at every start, compose and Kubernetes as a one-shot job, with
`PUEBLA_NATS_CREDENTIALS` pointing at the provisioner's seed. Safe to run again.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from puebla.config import PlatformSettings
from puebla.messaging.nats import connect, ensure_streams
from puebla.runtime import jetstream_settling, patiently


async def provision(
    servers: list[str], *, credentials: Path | None, replicas: int, patience: float
) -> None:
    client = await connect(servers, name="provisioner", credentials=credentials)
    try:
        js = client.jetstream()
        # A cluster that has just started (or lost a node) may be between meta leaders, which
        # answers "unavailable" or nothing at all: as patient as the services are.
        await patiently(
            "jetstream", lambda: ensure_streams(js, replicas=replicas), jetstream_settling, patience
        )
    finally:
        await client.close()


def main() -> int:
    platform = PlatformSettings()
    asyncio.run(
        provision(
            platform.nats_servers,
            credentials=platform.nats_credentials,
            replicas=platform.nats_stream_replicas,
            patience=platform.startup_wait_seconds,
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
