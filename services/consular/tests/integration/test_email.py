"""The e-mail channel against a real SMTP server on loopback (aiosmtpd): one message per sent
notification to the post's address; while the server is down the delivery is retried later
and nothing is lost once it is back."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import text

from consular.adapters.email import SmtpMailer
from consular.bootstrap import Consular
from consular.entrypoints.worker import acting, emails_job
from consular.service_layer.handlers import DeliveryRound, RetryPolicy, deliver_emails
from puebla.clock import FrozenClock
from puebla.runtime import Runtime
from puebla_dev.testing.waiting import wait_until

SENDER = "notificaciones@puebla.example"
RETRY = RetryPolicy(base=timedelta(seconds=5), ceiling=timedelta(minutes=5))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Inbox:
    """What the SMTP server received."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.content, policy=default)
        assert isinstance(parsed, EmailMessage)
        self.messages.append(parsed)
        return "250 Message accepted for delivery"

    def about(self, notification_id: str) -> list[EmailMessage]:
        return [m for m in self.messages if m["X-Puebla-Notification"] == notification_id]


class SmtpServer:
    def __init__(self, port: int) -> None:
        self.port = port
        self.inbox = Inbox()
        self._controller: Controller | None = None

    def start(self) -> None:
        self._controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(free_port())
    server.start()
    yield server
    server.stop()


def report(nationality: str = "GT", **overrides: Any) -> dict[str, Any]:
    return {
        "kind": "detention",
        "person": {
            "given_names": "Juan Carlos",
            "surnames": "López Pérez",
            "sex": "M",
            "date_of_birth": "1990-04-02",
            "nationality": nationality,
        },
        "place": {"country": "MX", "state": "Chiapas", "city": "Tapachula"},
        "occurred_at": "2026-03-10T09:00:00-06:00",
        "protection_need": False,
        "person_requests_notification": True,
        **overrides,
    }


async def deliver(svc: Consular, port: int) -> DeliveryRound:
    return await deliver_emails(
        acting(svc, "mailer"),
        SmtpMailer("127.0.0.1", port, timeout=5.0),
        sender=SENDER,
        retry=RETRY,
    )


async def email_delivery(runtime: Runtime, notification_id: str) -> dict[str, Any]:
    async with runtime.sessions() as session:
        row = await session.execute(
            text(
                "SELECT status, attempts, last_error, sent_at, next_attempt_at"
                " FROM notification_delivery WHERE notification_id = :n AND channel = 'email'"
            ),
            {"n": notification_id},
        )
        return dict(row.mappings().one())


async def test_one_email_per_sent_notification_reaches_the_posts_address(
    svc: Consular, runtime: Runtime, http: Any, smtp: SmtpServer
) -> None:
    gt = (await http("inm.mx").post("/v1/notifications", json=report("GT"))).json()
    sv = (await http("inm.mx").post("/v1/notifications", json=report("SV"))).json()
    hidden = (
        await http("inm.mx").post("/v1/notifications", json=report("HN", protection_need=True))
    ).json()
    assert await deliver(svc, smtp.port) == DeliveryRound(sent=2, failed=0)
    assert len(smtp.inbox.messages) == 2
    (to_gt,) = smtp.inbox.about(gt["id"])
    assert to_gt["To"] == "consulado.tapachula@gt.example"
    assert to_gt["From"] == SENDER
    assert to_gt["Subject"] == (f"[{gt['reference']}] Detention of a national (VCCR art. 36)")
    assert to_gt["Message-ID"] == f"<{gt['id']}@consular.puebla.example>"
    body = to_gt.get_content()
    assert "Juan Carlos López Pérez, sex M, born 1990-04-02" in body
    assert "Acknowledge by: 2026-03-13T09:00:00-06:00 (America/Mexico_City)" in body
    (to_sv,) = smtp.inbox.about(sv["id"])
    assert to_sv["To"] == "consulado.tapachula@sv.example"
    assert smtp.inbox.about(hidden["id"]) == []
    seen = (await http("consul.gt.tapachula").get(f"/v1/notifications/{gt['id']}")).json()
    assert [(d["channel"], d["status"], d["attempts"]) for d in seen["deliveries"]] == [
        ("in_app", "sent", 1),
        ("email", "sent", 1),
    ]
    # Sent once: the next rounds find nothing to do.
    assert await deliver(svc, smtp.port) == DeliveryRound(sent=0, failed=0)
    assert len(smtp.inbox.messages) == 2


async def test_an_smtp_outage_delays_the_email_and_loses_nothing(
    svc: Consular, runtime: Runtime, clock: FrozenClock, http: Any
) -> None:
    down = SmtpServer(free_port())  # nothing listens there yet
    n = (await http("inm.mx").post("/v1/notifications", json=report())).json()

    assert await deliver(svc, down.port) == DeliveryRound(sent=0, failed=1)
    failed = await email_delivery(runtime, n["id"])
    assert (failed["status"], failed["attempts"]) == ("failed", 1)
    assert "ConnectionRefusedError" in failed["last_error"]
    assert failed["next_attempt_at"] == clock() + timedelta(seconds=5)

    assert await deliver(svc, down.port) == DeliveryRound(sent=0, failed=0)  # not yet due
    clock.advance(timedelta(seconds=5))
    assert await deliver(svc, down.port) == DeliveryRound(sent=0, failed=1)
    assert (await email_delivery(runtime, n["id"]))["next_attempt_at"] == clock() + timedelta(
        seconds=10
    )

    down.start()  # the server is back
    try:
        clock.advance(timedelta(seconds=9))
        assert await deliver(svc, down.port) == DeliveryRound(sent=0, failed=0)
        clock.advance(timedelta(seconds=1))
        assert await deliver(svc, down.port) == DeliveryRound(sent=1, failed=0)
        assert len(down.inbox.about(n["id"])) == 1
    finally:
        down.stop()
    sent = await email_delivery(runtime, n["id"])
    assert (sent["status"], sent["attempts"], sent["next_attempt_at"]) == ("sent", 3, None)
    assert sent["sent_at"] == clock()


async def test_the_worker_task_sends_on_its_own(
    svc: Consular, runtime: Runtime, http: Any, smtp: SmtpServer
) -> None:
    n = (await http("inm.mx").post("/v1/notifications", json=report())).json()
    stop = asyncio.Event()
    task = asyncio.create_task(
        emails_job(lambda _: svc, 0.05, SmtpMailer("127.0.0.1", smtp.port))(runtime, stop)
    )
    try:
        await wait_until(lambda: _async(smtp.inbox.about(n["id"])), what="the e-mail")
    finally:
        stop.set()
        await task
    assert len(smtp.inbox.about(n["id"])) == 1


async def _async(value: Any) -> Any:
    return value
