"""Delivery status per channel: pure state. The worker does the I/O (SMTP) and reports each
attempt to the notification (`Notification.delivery_attempted`)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from consular.domain.states import Channel, DeliveryStatus


@dataclass(frozen=True)
class Delivery:
    channel: Channel
    status: DeliveryStatus = DeliveryStatus.PENDING
    attempts: int = 0
    last_error: str | None = None
    sent_at: datetime | None = None

    def attempted(self, ok: bool, error: str | None, now: datetime) -> Delivery:
        attempts = self.attempts + 1
        if ok:
            # The error of an earlier failed attempt stays: it is part of the record.
            return replace(self, status=DeliveryStatus.SENT, attempts=attempts, sent_at=now)
        return replace(self, status=DeliveryStatus.FAILED, attempts=attempts, last_error=error)
