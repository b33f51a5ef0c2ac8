"""The bus permission table, as the server will read it (the server's own refusals are in
tests/integration/test_bus_permissions.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from puebla.messaging.consumer import Subscription
from puebla.messaging.credentials import generate, public_key
from puebla.messaging.permissions import (
    DURABLES,
    bus_users,
    post_subject_token,
    publisher_of,
    service_user,
)
from puebla.worker import UndeclaredDurable, check_durables


async def _handle(*_: object) -> None:
    return None


def sub(durable: str, stream: str, subject: str) -> Subscription:
    return Subscription(durable=durable, stream=stream, subjects=[subject], handle=_handle)


class TestServices:
    @pytest.mark.parametrize(
        ("service", "own"),
        [
            ("repatriation", "repatriation.>"),
            ("child_protection", "child.>"),
            ("reserve_fund", "fund.>"),
            ("consular", "consular.>"),
        ],
    )
    def test_a_service_publishes_its_own_context_and_nothing_of_the_others(
        self, service: str, own: str
    ) -> None:
        allowed = service_user(service).allowed_publish()
        assert own in allowed
        others = {"repatriation.>", "child.>", "fund.>", "consular.>", ">"} - {own}
        assert not others & set(allowed)
        # No JetStream API beyond its own durables, the streams' metadata and the last audit
        # checkpoint (signed heads, no personal data: the verification reads it).
        stream_api = [s for s in allowed if s.startswith("$JS.API.STREAM.") and "INFO" not in s]
        assert stream_api == ["$JS.API.STREAM.MSG.GET.AUDIT"]
        assert "$JS.API.>" not in allowed

    def test_each_durable_is_granted_with_its_one_filter(self) -> None:
        allowed = service_user("reserve_fund").allowed_publish()
        assert (
            "$JS.API.CONSUMER.CREATE.CHILD.reserve-fund-child-case-opened.child.case.opened.v1"
            in allowed
        )
        assert not [s for s in allowed if s.startswith("$JS.API.CONSUMER.CREATE.CONSULAR")]

    def test_replies_come_on_the_users_own_inbox_only(self) -> None:
        assert service_user("consular").allowed_subscribe() == ["_INBOX_consular.>"]

    def test_durable_names_start_with_their_service(self) -> None:
        for service, durables in DURABLES.items():
            for durable in durables:
                assert durable.name.startswith(service.replace("_", "-") + "-"), durable


class TestTheWorkerRefusesAnUndeclaredDurable:
    def test_a_durable_in_the_table_passes(self) -> None:
        check_durables(
            "consular",
            [sub("consular-fund-approved", "FUND", "fund.application.approved.v1")],
        )

    @pytest.mark.parametrize(
        ("durable", "stream", "subject"),
        [
            ("consular-snoop", "CHILD", "child.case.opened.v1"),  # not declared
            ("consular-fund-approved", "FUND", "fund.>"),  # widened filter
            ("consular-fund-approved", "CHILD", "fund.application.approved.v1"),
            ("repatriation-nationality-confirmed", "CONSULAR", "consular.nationality.confirmed.v1"),
        ],
    )
    def test_anything_else_stops_the_start_naming_it(
        self, durable: str, stream: str, subject: str
    ) -> None:
        with pytest.raises(UndeclaredDurable, match=durable):
            check_durables("consular", [sub(durable, stream, subject)])


class TestPublishers:
    @pytest.mark.parametrize(
        ("subject", "service"),
        [
            ("consular.nationality.confirmed.v1", "consular"),
            ("child.case.opened.v1", "child_protection"),
            ("fund.application.approved.v1", "reserve_fund"),
            ("audit.child.checkpoint.v1", "child_protection"),
            ("repatriation.manifest.submitted.v1", "repatriation"),
            ("deadletter.consular-fund-approved", None),
            ("post.gt-tecun-uman.handover.recorded", None),
        ],
    )
    def test_the_one_service_that_may_publish_a_subject(
        self, subject: str, service: str | None
    ) -> None:
        assert publisher_of(subject) == service


class TestBorderPosts:
    def test_a_post_is_limited_to_its_own_subjects_and_to_a_leaf_connection(self) -> None:
        user = bus_users(["GT-TECUN-UMAN"], dev=False).named("post-gt-tecun-uman")
        assert user.allowed_publish() == ["post.gt-tecun-uman.>"]
        assert "post.gt-tecun-uman.>" in user.allowed_subscribe()
        assert user.connection_types == ("LEAFNODE",)

    @pytest.mark.parametrize("bad", ["", "GT.TECUN", "GT*", "GT >", "GT\nHN"])
    def test_a_post_id_that_would_widen_a_subject_is_refused(self, bad: str) -> None:
        with pytest.raises(ValueError, match="border post"):
            post_subject_token(bad)


class TestGeneratedCredentials:
    def test_seeds_are_private_kept_across_runs_and_only_public_keys_reach_the_config(
        self, tmp_path: Path
    ) -> None:
        users = bus_users(["HN-CORINTO"], dev=False)
        first = generate(tmp_path / "auth", users)
        again = generate(tmp_path / "auth", users)
        assert {u: c.public_key for u, c in first.items()} == {
            u: c.public_key for u, c in again.items()
        }
        conf = (tmp_path / "auth" / "auth.conf").read_text()
        for cred in first.values():
            seed = cred.seed_file.read_bytes().strip()
            assert cred.seed_file.stat().st_mode & 0o777 == 0o600
            assert seed.decode() not in conf
            assert public_key(seed) in conf
        assert "devadmin" not in first  # the DEV-ONLY harness is never generated for a deployment

    def test_the_config_lists_each_users_permissions(self, tmp_path: Path) -> None:
        generate(tmp_path, bus_users([], dev=False))
        entries = [
            json.loads(line.strip().rstrip(","))
            for line in (tmp_path / "auth.conf").read_text().splitlines()
            if line.strip().startswith("{")
        ]
        assert len(entries) == 7  # four services, ops, dead-letter desk, provisioner
        assert all(e["nkey"].startswith("U") for e in entries)
        assert all(e["permissions"]["subscribe"]["allow"] for e in entries)
