"""The e-mail channel: a notice to the post's address over SMTP.

`SmtpMailer` uses the standard library's `smtplib` in a worker thread (one connection per
message: a notice every few minutes does not need a pool). `render` writes the message; it is
only ever called for a notification that may be sent (the domain never delivers a suppressed
one). The `Message-ID` is derived from the notification id, so a message re-sent after a crash
between sending and recording is recognisably the same notice.
"""

from __future__ import annotations

import asyncio
import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Protocol

from consular.domain.model import Notification

KIND_TITLES = {
    "detention": "Detention of a national (VCCR art. 36)",
    "death": "Death of a national (VCCR art. 37(a))",
    "minor_guardianship": "A minor or incapable national needs a guardian (VCCR art. 37(b))",
    "accident": "Accident involving a national (VCCR art. 37(c))",
    "repatriation_notice": "Land repatriation manifest (Memorandum of Understanding)",
    "repatriation_cancellation": "Land repatriation manifest cancelled",
    "child_case": "Unaccompanied child case (RCM Regional Guidelines)",
}


class Mailer(Protocol):
    async def send(self, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class SmtpMailer:
    host: str
    port: int
    timeout: float = 10.0

    async def send(self, message: EmailMessage) -> None:
        await asyncio.to_thread(self._send, message)

    def _send(self, message: EmailMessage) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
            smtp.send_message(message)


def _when(moment: datetime | None, n: Notification) -> str:
    local = n.local(moment)
    return "-" if local is None else f"{local.isoformat()} ({n.time_zone})"


def render(n: Notification, *, reference: str, sender: str) -> EmailMessage:
    if n.recipient_email is None or n.consular_post is None:
        raise ValueError("only a routed notification has a recipient")
    title = KIND_TITLES.get(n.kind.value, n.kind.value)
    message = EmailMessage()
    message["From"] = sender
    message["To"] = n.recipient_email
    message["Subject"] = f"[{reference}] {title}"
    message["Message-ID"] = f"<{n.id}@consular.puebla.example>"
    message["Date"] = format_datetime(n.created_at)
    message["X-Puebla-Notification"] = str(n.id)
    lines = [
        f"Notification {reference} for {n.consular_post}",
        f"Kind: {title}",
        f"Nationality: {n.nationality} · Host country: {n.host_country}",
        f"Occurred: {_when(n.occurred_at, n)}",
        f"Place: {', '.join(p for p in (n.place.city, n.place.state, n.place.country) if p)}",
    ]
    if n.person is not None:
        born = n.person.date_of_birth.isoformat() if n.person.date_of_birth else "unknown"
        lines.append(
            f"Person: {n.person.given_names} {n.person.surnames}, sex {n.person.sex.value},"
            f" born {born}"
        )
    if n.person_requests_notification is not None:
        asked = "yes" if n.person_requests_notification else "no (mandatory notification)"
        lines.append(f"The person asked for consular notification: {asked}")
    if n.do_not_act:
        lines.append("The person expressly objects to consular action: do not act.")
    if n.manifest is not None:
        lines.extend(
            [
                f"Manifest: {n.manifest.reference} (version {n.manifest.version})",
                f"Reception point: {n.manifest.reception_point}",
                f"Scheduled arrival: {_when(n.manifest.scheduled_arrival, n)}",
                f"Returnees: {n.manifest.returnee_count}",
            ]
        )
    lines.extend(
        [
            f"Acknowledge by: {_when(n.ack_due_at, n)}",
            "",
            f"Acknowledge in Puebla: POST /v1/notifications/{n.id}/acknowledge",
        ]
    )
    message.set_content("\n".join(lines) + "\n")
    return message
