"""The local stack explains itself in one line, and running it twice is harmless."""

from __future__ import annotations

import socket

import pytest

from puebla.devstack import nats as dev_nats
from puebla.devstack import postgres as dev_postgres
from puebla.devstack.processes import StackError
from puebla.testing.infra import Infra


class TestStackRunner:
    def test_a_taken_port_is_explained_in_one_line(self) -> None:
        with socket.socket() as squatter:
            squatter.bind(("127.0.0.1", 0))
            squatter.listen()
            port = squatter.getsockname()[1]
            with pytest.raises(StackError) as caught:
                dev_nats.start(name="nats-port-taken-test", port=port, monitor_port=port + 1)
        message = str(caught.value)
        assert message == f"port {port} is taken by another program; stop it first"
        assert "\n" not in message

    def test_starting_what_already_runs_reuses_it(self, infra: Infra) -> None:
        # The session's servers are running: a second start starts nothing.
        assert dev_postgres.start() is False
        assert dev_nats.start() is False
        assert dev_postgres.is_running()
