"""The running stack's bus: authentication on, and every durable of the permission table bound
by the workers (a worker whose durables are not in the table refuses to start)."""

from __future__ import annotations

import nats
import pytest
from nats.errors import NoServersError
from nats.js.errors import NotFoundError

from puebla.messaging.nats import connect
from puebla.messaging.permissions import DURABLES
from puebla_dev.devstack import nats as dev_nats
from puebla_dev.devstack import stack
from puebla_dev.testing.waiting import wait_until


async def test_an_anonymous_client_is_refused(system: dict[str, str]) -> None:
    with pytest.raises((NoServersError, nats.errors.Error)):
        await nats.connect(servers=stack.nats_servers(), allow_reconnect=False, connect_timeout=3)


async def test_every_granted_durable_is_bound_by_its_worker(system: dict[str, str]) -> None:
    client = await connect(
        stack.nats_servers(), name="e2e-bus", credentials=dev_nats.credentials("ops")
    )
    js = client.jetstream()
    expected = {(d.stream, d.name): d.subject for ds in DURABLES.values() for d in ds}

    last: dict[tuple[str, str], str] = {}

    async def all_bound() -> bool:
        absent: dict[tuple[str, str], str] = {}
        for (stream, name), subject in expected.items():
            try:
                info = await js.consumer_info(stream, name)
            except NotFoundError:
                absent[(stream, name)] = "absent"
                continue
            if info.config.filter_subject != subject:
                absent[(stream, name)] = f"filter {info.config.filter_subject}"
        last.clear()
        last.update(absent)
        return not absent

    try:
        await wait_until(all_bound, timeout=30, what="every durable bound")
    except AssertionError:
        raise AssertionError(f"not bound (see the workers' logs): {last}") from None
    finally:
        await client.close()
