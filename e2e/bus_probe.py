"""What each credential can do on the running stack's bus — an attacker's-eye table.

    uv run python -m e2e.bus_probe        # against `make up` (or PUEBLA_PORT_OFFSET's stack)

Each row is a client signing in with one bus user's seed (or none); each column one thing an
attacker would try, "no" when the server refuses it for lack of permission. Nothing is
changed on the stack: publications carry `Nats-Expected-Stream` of a stream that does not
exist, so JetStream stores nothing even where the permission lets them through; a consumer
of the probe's own is deleted at once; the stream deletion names a stream that does not exist.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import Awaitable, Callable

import nats
from nats.aio.client import Client
from nats.js.api import AckPolicy, ConsumerConfig

from puebla.messaging.permissions import inbox_prefix
from puebla_dev.devstack import nats as dev_nats
from puebla_dev.devstack import stack

USERS = ["repatriation", "child_protection", "reserve_fund", "consular", "ops", "deadletter"]
USERS += ["provisioner"]


class Probe:
    def __init__(self, client: Client, errors: list[str]) -> None:
        self.client = client
        self.errors = errors

    async def refused_after(self, action: Callable[[], Awaitable[object]]) -> bool:
        """True if the server answered `action` with a permissions violation (a JetStream
        refusal for another reason, e.g. the expected stream, means it was allowed)."""
        before = len(self.errors)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(action(), timeout=1.5)
            await self.client.flush()
        for _ in range(25):
            if any("permissions violation" in e.lower() for e in self.errors[before:]):
                return True
            await asyncio.sleep(0.02)
        return False


async def sign_in(user: str | None) -> tuple[Client, list[str]] | None:
    errors: list[str] = []

    async def on_error(exc: Exception) -> None:
        errors.append(str(exc))

    options: dict[str, object] = {}
    if user is not None:
        options = {
            "nkeys_seed": str(dev_nats.credentials(user)),
            "inbox_prefix": inbox_prefix(user).encode(),
        }
    try:
        client = await nats.connect(
            servers=stack.nats_servers(),
            allow_reconnect=False,
            connect_timeout=3,
            error_cb=on_error,
            **options,
        )
    except Exception:
        return None
    return client, errors


async def row(user: str | None) -> list[str]:
    signed = await sign_in(user)
    if signed is None:
        return ["refused"] + ["-"] * 6
    client, errors = signed
    probe = Probe(client, errors)
    js = client.jetstream()
    marker = f"probe-{uuid.uuid4().hex[:8]}"

    def yes_no(refused: bool) -> str:
        return "no" if refused else "YES"

    try:
        nowhere = {"Nats-Expected-Stream": f"NO_SUCH_{marker.upper()}"}
        forge = await probe.refused_after(
            lambda: js.publish("consular.nationality.confirmed.v1", b"{}", headers=nowhere)
        )
        unblock = await probe.refused_after(
            lambda: js.publish("child.case.consular_block_cleared.v1", b"{}", headers=nowhere)
        )
        sniff = await probe.refused_after(lambda: client.subscribe(">"))

        async def read_child() -> None:
            config = ConsumerConfig(
                name=marker,
                durable_name=marker,
                filter_subject="child.case.consular_notice.v1",
                ack_policy=AckPolicy.EXPLICIT,
            )
            await js.add_consumer("CHILD", config, timeout=1)
            await js.delete_consumer("CHILD", marker)

        read = await probe.refused_after(read_child)
        get = await probe.refused_after(lambda: js.get_last_msg("CHILD", "child.>"))
        wipe = await probe.refused_after(lambda: js.delete_stream(f"NO_SUCH_{marker.upper()}"))
        return [
            "signed in",
            yes_no(forge),
            yes_no(unblock),
            yes_no(sniff),
            yes_no(read),
            yes_no(get),
            yes_no(wipe),
        ]
    finally:
        await client.close()


HEADER = [
    "credential",
    "connect",
    "forge consular.nationality.confirmed",
    "forge child...block_cleared",
    "subscribe >",
    "own consumer on CHILD identities",
    "read a CHILD message",
    "delete a stream",
]


async def main() -> None:
    rows = [["(none)", *await row(None)]]
    for user in USERS:
        rows.append([user, *await row(user)])
    print("| " + " | ".join(HEADER) + " |")
    print("|" + "---|" * len(HEADER))
    for r in rows:
        print("| " + " | ".join(r) + " |")


if __name__ == "__main__":
    asyncio.run(main())
