"""The bus with authentication on (security review finding 2): a NATS server of this module's
own, configured exactly as the devstack's (the repository's template plus the generated
bus users), and real clients signing in with each user's nkey."""

from __future__ import annotations

import asyncio
import json
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import nats
import pytest
import pytest_asyncio
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.errors import NoServersError
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import NotFoundError

from puebla.messaging.consumer import ConsumerRunner, Subscription
from puebla.messaging.nats import ensure_streams
from puebla.messaging.permissions import inbox_prefix
from puebla_dev.devstack import nats as dev_nats
from puebla_dev.devstack.processes import var_dir

SERVER = "nats-bus-permissions"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Bus:
    url: str
    leaf_port: int
    store: Path
    errors: dict[str, list[str]] = field(default_factory=dict)

    async def as_user(self, user: str) -> Client:
        """A client signed in as `user`; the server's refusals land in `errors[user]`."""
        seen = self.errors.setdefault(user, [])

        async def on_error(exc: Exception) -> None:
            seen.append(str(exc))

        return await nats.connect(
            servers=[self.url],
            nkeys_seed=str(dev_nats.credentials(user)),
            inbox_prefix=inbox_prefix(user).encode(),
            error_cb=on_error,
            allow_reconnect=False,
            connect_timeout=3,
            name=f"test-{user}",
        )

    async def refused(self, user: str, fragment: str) -> bool:
        """Waits (bounded) for the server's permissions violation naming `fragment` (nats-py
        reports it in lower case)."""
        wanted = fragment.lower()
        for _ in range(100):
            if any("permissions violation" in e.lower() and wanted in e for e in self.errors[user]):
                return True
            await asyncio.sleep(0.02)
        return False


@pytest.fixture(scope="module")
def bus_server() -> Iterator[Bus]:
    port, monitor, leaf = free_port(), free_port(), free_port()
    store = var_dir() / "nats" / f"{SERVER}-{uuid.uuid4().hex[:8]}"
    dev_nats.start(name=SERVER, port=port, monitor_port=monitor, store_dir=store, leaf_port=leaf)
    try:
        yield Bus(f"nats://127.0.0.1:{port}", leaf, store)
    finally:
        dev_nats.stop(SERVER, kill=True)


@pytest_asyncio.fixture(loop_scope="session")
async def bus(bus_server: Bus) -> AsyncIterator[Bus]:
    admin = await bus_server.as_user("provisioner")
    try:
        await ensure_streams(admin.jetstream())
    finally:
        await admin.close()
    bus_server.errors.clear()
    yield bus_server


def envelope(event_type: str, source: str) -> bytes:
    return json.dumps(
        {
            "specversion": "1.0",
            "id": str(uuid.uuid4()),
            "type": event_type,
            "source": source,
            "subject": str(uuid.uuid4()),
            "time": datetime.now(UTC).isoformat(),
            "dataschema": f"puebla:contracts/events/x/{event_type}.schema.json",
            "access": ["MX", "GT"],
            "data": {},
        }
    ).encode()


async def last_on(client: Client, stream: str, subject: str) -> bytes | None:
    try:
        return bytes((await client.jetstream().get_last_msg(stream, subject)).data or b"")
    except NotFoundError:
        return None


class TestWhoMayConnect:
    async def test_a_client_without_credentials_is_refused(self, bus: Bus) -> None:
        with pytest.raises((NoServersError, nats.errors.Error)):
            await nats.connect(servers=[bus.url], allow_reconnect=False, connect_timeout=3)

    async def test_a_seed_the_server_does_not_know_is_refused(
        self, bus: Bus, tmp_path: Path
    ) -> None:
        from puebla.messaging.credentials import new_seed

        stranger = tmp_path / "stranger.nk"
        stranger.write_bytes(new_seed())
        with pytest.raises((NoServersError, nats.errors.Error)):
            await nats.connect(
                servers=[bus.url], nkeys_seed=str(stranger), allow_reconnect=False,
                connect_timeout=3,
            )  # fmt: skip

    async def test_a_border_posts_credentials_sign_in_only_as_its_leaf_node(self, bus: Bus) -> None:
        with pytest.raises(nats.errors.Error, match="Authorization Violation"):
            await bus.as_user("post-gt-tecun-uman")


class TestWhatAServiceMayPublish:
    async def test_its_own_context(self, bus: Bus) -> None:
        client = await bus.as_user("consular")
        try:
            ack = await client.jetstream().publish(
                "consular.nationality.confirmed.v1",
                envelope("consular.nationality.confirmed.v1", "puebla/consular"),
            )
            assert ack.stream == "CONSULAR"
        finally:
            await client.close()

    async def test_a_forged_nationality_confirmation_from_another_service_is_refused(
        self, bus: Bus
    ) -> None:
        # Repatriation's credentials publishing what only consular may: the server drops it.
        forger = await bus.as_user("repatriation")
        admin = await bus.as_user("devadmin")
        try:
            before = await last_on(admin, "CONSULAR", "consular.nationality.confirmed.v1")
            forged = envelope("consular.nationality.confirmed.v1", "puebla/consular")
            with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
                await forger.jetstream().publish(
                    "consular.nationality.confirmed.v1", forged, timeout=1
                )
            assert await bus.refused("repatriation", "consular.nationality.confirmed.v1")
            after = await last_on(admin, "CONSULAR", "consular.nationality.confirmed.v1")
            assert after == before
        finally:
            await forger.close()
            await admin.close()

    @pytest.mark.parametrize(
        ("user", "subject"),
        [
            ("repatriation", "child.case.consular_block_cleared.v1"),
            ("child_protection", "fund.application.approved.v1"),
            ("reserve_fund", "repatriation.manifest.submitted.v1"),
            ("consular", "audit.child.checkpoint.v1"),
            ("ops", "consular.notification.acknowledged.v1"),
            ("deadletter", "repatriation.manifest.submitted.v1"),
        ],
    )
    async def test_no_one_publishes_another_context(
        self, bus: Bus, user: str, subject: str
    ) -> None:
        client = await bus.as_user(user)
        try:
            await client.publish(subject, b"{}")
            await client.flush()
            assert await bus.refused(user, subject)
        finally:
            await client.close()


class TestWhatAServiceMayRead:
    @pytest.mark.parametrize(
        ("user", "subject"),
        [
            ("reserve_fund", "child.>"),  # the live subjects, bypassing JetStream
            ("consular", ">"),
            ("repatriation", "_INBOX.>"),  # another client's replies
            ("child_protection", "_INBOX_consular.>"),
            ("ops", "child.case.opened.v1"),
        ],
    )
    async def test_no_subscription_outside_its_own_inbox(
        self, bus: Bus, user: str, subject: str
    ) -> None:
        client = await bus.as_user(user)
        try:
            await client.subscribe(subject)
            await client.flush()
            assert await bus.refused(user, subject)
        finally:
            await client.close()

    async def test_a_stream_it_has_no_durable_on_cannot_be_read(self, bus: Bus) -> None:
        # reserve_fund reads CHILD through its durables; CONSULAR (notices) is not its business.
        client = await bus.as_user("reserve_fund")
        try:
            config = ConsumerConfig(
                name="reserve-fund-snoop",
                durable_name="reserve-fund-snoop",
                filter_subject="consular.notification.acknowledged.v1",
                ack_policy=AckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.ALL,
            )
            with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
                await client.jetstream().add_consumer("CONSULAR", config, timeout=1)
            assert await bus.refused("reserve_fund", "$JS.API.CONSUMER.CREATE.CONSULAR")
            with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
                await client.jetstream().get_last_msg("CONSULAR", "consular.>")
            assert await bus.refused("reserve_fund", "$JS.API.STREAM.MSG.GET.CONSULAR")
        finally:
            await client.close()

    async def test_its_durable_cannot_be_widened_to_the_streams_other_subjects(
        self, bus: Bus
    ) -> None:
        client = await bus.as_user("reserve_fund")
        try:
            widened = ConsumerConfig(
                name="reserve-fund-child-case-opened",
                durable_name="reserve-fund-child-case-opened",
                filter_subject="child.>",
                ack_policy=AckPolicy.EXPLICIT,
            )
            with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
                await client.jetstream().add_consumer("CHILD", widened, timeout=1)
            assert await bus.refused("reserve_fund", "$JS.API.CONSUMER.CREATE.CHILD")
        finally:
            await client.close()

    async def test_its_own_durables_bind_and_deliver(self, bus: Bus) -> None:
        publisher = await bus.as_user("child_protection")
        reader = await bus.as_user("reserve_fund")
        try:
            js = reader.jetstream()
            sub = Subscription(
                durable="reserve-fund-child-case-closed",
                stream="CHILD",
                subjects=["child.case.closed.v1"],
                handle=_never,
                deliver_policy=DeliverPolicy.NEW,
            )
            await js.add_consumer("CHILD", sub.config())
            body = envelope("child.case.closed.v1", "puebla/child_protection")
            await publisher.jetstream().publish("child.case.closed.v1", body)
            psub = await js.pull_subscribe_bind(durable=sub.durable, stream="CHILD")
            (msg,) = await psub.fetch(1, timeout=5)
            assert msg.data == body
            await msg.ack_sync()
            assert bus.errors["reserve_fund"] == []
        finally:
            await publisher.close()
            await reader.close()

    async def test_another_services_durable_cannot_be_fetched(self, bus: Bus) -> None:
        client = await bus.as_user("reserve_fund")
        try:
            await client.publish("$JS.API.CONSUMER.MSG.NEXT.CHILD.consular-child-case-opened", b"1")
            await client.flush()
            assert await bus.refused("reserve_fund", "consular-child-case-opened")
        finally:
            await client.close()


class TestAtRest:
    async def test_a_stored_event_cannot_be_read_from_the_servers_files(self, bus: Bus) -> None:
        marker = f"ESPERANZA-{uuid.uuid4().hex}".encode()
        client = await bus.as_user("child_protection")
        try:
            body = envelope("child.case.closed.v1", "puebla/child_protection")
            ack = await client.jetstream().publish("child.case.closed.v1", body + b" " + marker)
            assert ack.stream == "CHILD"
        finally:
            await client.close()
        contents = _store_contents(bus.store)
        assert any(f.suffix == ".blk" for f in contents)  # the stream's message blocks are there
        assert not [f for f, data in contents.items() if marker in data]


def _store_contents(store: Path) -> dict[Path, bytes]:
    """Every file of the server's store with what it holds. The server keeps writing while we
    read (a consumer's state goes to `o.dat.tmp`, then is renamed), so a file that vanishes
    between listing and reading restarts the scan: its content now lives under another name."""
    for _ in range(20):
        try:
            return {f: f.read_bytes() for f in store.rglob("*") if f.is_file()}
        except FileNotFoundError:
            continue
    raise AssertionError(f"the store under {store} never held still for one scan")


class TestOperators:
    async def test_ops_sees_the_state_of_streams_and_not_their_messages(self, bus: Bus) -> None:
        client = await bus.as_user("ops")
        try:
            info = await client.jetstream().stream_info("CHILD")
            assert info.config.name == "CHILD"
            with pytest.raises((nats.errors.TimeoutError, nats.errors.NoRespondersError)):
                await client.jetstream().get_last_msg("CHILD", "child.case.opened.v1")
            assert await bus.refused("ops", "$JS.API.STREAM.MSG.GET.CHILD")
        finally:
            await client.close()


async def _never(*_: object) -> None:
    raise AssertionError("not called")


class TestTheConsumerChecksTheProducer:
    """The runner parks an event whose `source` is not the one service that may publish its
    subject, even if the server let it through (here the DEV-ONLY harness, which may publish
    anything, plays the forger)."""

    @pytest.mark.parametrize(
        ("subject", "event_type", "source"),
        [
            (
                "consular.nationality.confirmed.v1",
                "consular.nationality.confirmed.v1",
                "puebla/repatriation",
            ),
            (
                "child.case.consular_block_cleared.v1",
                "child.case.consular_block_cleared.v1",
                "puebla/consular",
            ),
            # A type that is not the subject it came on.
            (
                "consular.notification.acknowledged.v1",
                "consular.nationality.confirmed.v1",
                "puebla/consular",
            ),
        ],
    )
    async def test_a_forged_source_is_parked_with_the_reason(
        self, bus: Bus, subject: str, event_type: str, source: str
    ) -> None:
        admin = await bus.as_user("devadmin")
        try:
            js = admin.jetstream()
            stream = "CONSULAR" if subject.startswith("consular.") else "CHILD"
            sub = Subscription(
                durable=f"test-forgery-{uuid.uuid4().hex[:8]}",
                stream=stream,
                subjects=[subject],
                handle=_never,
                deliver_policy=DeliverPolicy.NEW,
            )
            await js.add_consumer(stream, sub.config())
            await js.publish(subject, envelope(event_type, source))
            psub = await js.pull_subscribe_bind(durable=sub.durable, stream=stream)
            (msg,) = await psub.fetch(1, timeout=5)
            runner = ConsumerRunner(js, _no_sessions(), sub)  # type: ignore[arg-type]
            assert await runner.process(msg) == "parked"
            parked = await js.get_last_msg("DEADLETTER", f"deadletter.{sub.durable}")
            reason = (parked.headers or {})["Puebla-Reason"]
            assert source in reason or event_type in reason
            assert subject in reason
            await js.delete_consumer(stream, sub.durable)
        finally:
            await admin.close()


def _no_sessions() -> object:
    def refuse() -> None:
        raise AssertionError("a forged event must not reach the database")

    return refuse


@pytest.fixture(scope="module")
def border_post(bus_server: Bus, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Post]:
    from puebla.messaging.credentials import ensure_credential

    keys = tmp_path_factory.mktemp("post-software")
    software = ensure_credential(keys, "post-software")
    name, port, monitor = f"{SERVER}-leaf", free_port(), free_port()
    dev_nats.start_border_post_leaf(
        "GT-TECUN-UMAN",
        name=name,
        port=port,
        monitor_port=monitor,
        hub_leaf_port=bus_server.leaf_port,
        client_nkey=software.public_key,
        store_dir=var_dir() / "nats" / f"{name}-{uuid.uuid4().hex[:8]}",
    )
    try:
        yield Post(f"nats://127.0.0.1:{port}", software.seed_file)
    finally:
        dev_nats.stop(name, kill=True)


@dataclass(frozen=True)
class Post:
    url: str
    seed: Path

    async def software(self) -> Client:
        return await nats.connect(
            servers=[self.url], nkeys_seed=str(self.seed), allow_reconnect=False,
            connect_timeout=3,
        )  # fmt: skip


async def first_through(
    sender: Client, subject: str, receiver: Client, *, watch: str, tries: tuple[str, ...] = ()
) -> list[str]:
    """With `receiver` subscribed to `watch`, publishes each of `tries` once, then a marker
    on `subject` until the receiver gets it (the leaf link and its interest take a moment);
    returns every subject that arrived before the marker. One connection keeps its order, so
    whatever of `tries` crossed has arrived by then."""
    arrived: list[str] = []
    got_marker = asyncio.Event()
    marker = uuid.uuid4().hex.encode()

    async def on_msg(msg: Msg) -> None:
        if msg.data == marker:
            got_marker.set()
        else:
            arrived.append(msg.subject)

    sub = await receiver.subscribe(watch, cb=on_msg)
    await receiver.flush()
    for attempt in tries:
        await sender.publish(attempt, b"forged")
    for _ in range(100):
        await sender.publish(subject, marker)
        await sender.flush()
        try:
            await asyncio.wait_for(got_marker.wait(), timeout=0.1)
            break
        except TimeoutError:
            continue
    await sub.unsubscribe()
    assert got_marker.is_set(), f"nothing crossed on {subject}"
    return arrived


class TestABorderPostsLeafNode:
    async def test_its_local_listener_refuses_a_client_without_its_key(
        self, border_post: Post
    ) -> None:
        with pytest.raises((NoServersError, nats.errors.Error)):
            await nats.connect(servers=[border_post.url], allow_reconnect=False, connect_timeout=3)

    async def test_only_its_own_posts_subjects_cross_to_the_hub(
        self, bus: Bus, border_post: Post
    ) -> None:
        post, hub = await border_post.software(), await bus.as_user("devadmin")
        try:
            own = "post.gt-tecun-uman.handover.recorded"
            await first_through(post, own, hub, watch=">")  # the link is up
            # What someone on the post's LAN would try: another post, a service's context.
            tries = ("post.hn-corinto.handover.recorded", "consular.nationality.confirmed.v1")
            leaked = await first_through(post, own, hub, watch=">", tries=tries)
            assert leaked == []
        finally:
            await post.close()
            await hub.close()

    async def test_only_its_own_posts_subjects_reach_it_from_the_hub(
        self, bus: Bus, border_post: Post
    ) -> None:
        post, hub = await border_post.software(), await bus.as_user("devadmin")
        try:
            own = "post.gt-tecun-uman.manifest.dispatched"
            await first_through(hub, own, post, watch="post.>")
            tries = ("post.hn-corinto.manifest.dispatched",)
            leaked = await first_through(hub, own, post, watch="post.>", tries=tries)
            assert leaked == []
        finally:
            await post.close()
            await hub.close()
