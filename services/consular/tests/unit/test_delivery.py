from datetime import UTC, datetime, timedelta

import pytest

from consular.domain.errors import InvalidInput
from consular.domain.events import DeliveryFailed, NotificationSent
from consular.domain.model import Delivery
from consular.domain.states import Channel, DeliveryStatus
from consular.domain.values import Actor

T0 = datetime(2026, 3, 10, 18, 0, tzinfo=UTC)


class TestDeliveryAttempted:
    def test_a_new_notification_is_due_on_both_channels(self, office):
        notification = office.one()
        assert notification.deliveries == (Delivery(Channel.IN_APP), Delivery(Channel.EMAIL))
        assert notification.channels_to_deliver() == (Channel.IN_APP, Channel.EMAIL)
        assert notification.recipient_email == "consulado.tapachula@gt.example"

    def test_a_success_records_the_sent_time(self, office):
        notification = office.one()
        notification.delivery_attempted(Channel.EMAIL, ok=True, error=None, now=T0)
        assert notification.delivery(Channel.EMAIL) == Delivery(
            Channel.EMAIL, DeliveryStatus.SENT, attempts=1, last_error=None, sent_at=T0
        )
        assert notification.sent_at == T0
        assert notification.channels_to_deliver() == (Channel.IN_APP,)
        assert notification.events == [
            NotificationSent(
                notification_id=notification.id, channel=Channel.EMAIL, sent_at=T0, version=2
            )
        ]

    def test_an_outage_keeps_the_channel_due_and_loses_nothing(self, office):
        notification = office.one()
        notification.delivery_attempted(Channel.EMAIL, ok=False, error="421 try later", now=T0)
        notification.delivery_attempted(
            Channel.EMAIL, ok=False, error="connection refused", now=T0 + timedelta(minutes=1)
        )
        email = notification.delivery(Channel.EMAIL)
        assert (email.status, email.attempts, email.last_error) == (
            DeliveryStatus.FAILED, 2, "connection refused",
        )  # fmt: skip
        assert notification.sent_at is None
        assert Channel.EMAIL in notification.channels_to_deliver()
        assert [type(e) for e in notification.events] == [DeliveryFailed, DeliveryFailed]

        notification.delivery_attempted(
            Channel.EMAIL, ok=True, error=None, now=T0 + timedelta(hours=1)
        )
        email = notification.delivery(Channel.EMAIL)
        assert (email.status, email.attempts) == (DeliveryStatus.SENT, 3)
        assert notification.sent_at == T0 + timedelta(hours=1)

    def test_sent_at_is_the_first_success_on_any_channel(self, office):
        notification = office.one()
        notification.delivery_attempted(Channel.IN_APP, ok=True, error=None, now=T0)
        notification.delivery_attempted(
            Channel.EMAIL, ok=True, error=None, now=T0 + timedelta(hours=2)
        )
        assert notification.sent_at == T0

    def test_a_repeated_success_is_a_no_op(self, office):
        notification = office.one()
        notification.delivery_attempted(Channel.EMAIL, ok=True, error=None, now=T0)
        notification.delivery_attempted(
            Channel.EMAIL, ok=True, error=None, now=T0 + timedelta(hours=1)
        )
        assert notification.delivery(Channel.EMAIL).sent_at == T0
        assert notification.delivery(Channel.EMAIL).attempts == 1
        assert notification.version == 2

    def test_a_failure_says_why(self, office):
        notification = office.one()
        with pytest.raises(InvalidInput) as refused:
            notification.delivery_attempted(Channel.EMAIL, ok=False, error=None, now=T0)
        assert refused.value.rule == "error_required"
        assert notification.delivery(Channel.EMAIL).attempts == 0

    def test_delivery_goes_on_after_acknowledgment(self, office):
        notification = office.one()
        consul = Actor("consul.gt.tapachula", frozenset({"consular_officer"}), "GT")
        notification.acknowledge(consul, T0)
        notification.delivery_attempted(
            Channel.EMAIL, ok=True, error=None, now=T0 + timedelta(minutes=5)
        )
        assert notification.delivery(Channel.EMAIL).status is DeliveryStatus.SENT
