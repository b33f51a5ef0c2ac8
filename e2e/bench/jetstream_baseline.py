"""Baseline for event propagation: a raw JetStream publish → pull-consume round trip.

Each sample: publish with a `Nats-Msg-Id` (waiting for the stream's PubAck, as the relay does),
fetch it from a durable pull consumer, `ack_sync` it (as the consumers do). One message in
flight at a time, on the stream `BENCH_RAW` of the same server the services use (same
configuration: file storage, `sync_interval: always`). The stream is deleted afterwards.
"""

from __future__ import annotations

import asyncio
import time
import uuid

from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

from puebla.messaging.nats import StreamSpec, connect, ensure_streams
from puebla_dev.devstack import nats as dev_nats

from .stats import Measurement

STREAM = StreamSpec("BENCH_RAW", ["bench_raw.>"])


async def raw_round_trip(servers: list[str], samples: int = 300) -> Measurement:
    client = await connect(servers, name="bench-raw", credentials=dev_nats.credentials("devadmin"))
    js = client.jetstream()
    await ensure_streams(js, [STREAM])
    subject = f"bench_raw.{uuid.uuid4().hex[:8]}"
    durable = f"bench-{uuid.uuid4().hex[:8]}"
    await js.add_consumer(
        STREAM.name,
        ConsumerConfig(
            durable_name=durable,
            filter_subject=subject,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.NEW,
        ),
    )
    psub = await js.pull_subscribe_bind(durable=durable, stream=STREAM.name)
    latencies: list[float] = []
    started = time.perf_counter()
    for i in range(samples):
        t0 = time.perf_counter()
        await js.publish(subject, f"{i}".encode(), headers={"Nats-Msg-Id": str(uuid.uuid4())})
        msg = (await psub.fetch(1, timeout=5))[0]
        await msg.ack_sync()
        latencies.append((time.perf_counter() - t0) * 1000)
    elapsed = time.perf_counter() - started
    await js.delete_consumer(STREAM.name, durable)
    await js.delete_stream(STREAM.name)
    await client.close()
    return Measurement("raw JetStream round trip", samples, elapsed, latencies)


if __name__ == "__main__":
    m = asyncio.run(raw_round_trip(["nats://127.0.0.1:4222"]))
    print(m.summary())
