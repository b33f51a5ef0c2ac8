"""The local stack explains itself in one line, and running it twice is harmless."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import asyncpg
import pytest

from puebla.db.migrations import MIGRATION_LOCK
from puebla_dev.devstack import keycloak as dev_keycloak
from puebla_dev.devstack import nats as dev_nats
from puebla_dev.devstack import postgres as dev_postgres
from puebla_dev.devstack.processes import StackError
from puebla_dev.testing.infra import Infra
from puebla_dev.testing.waiting import wait_until


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


class _Realm(BaseHTTPRequestHandler):
    """Answers like Keycloak's realm `rcm`, `delay` seconds late; anything else is 404."""

    delay = 0.0
    realm = "rcm"

    def do_GET(self) -> None:
        time.sleep(self.delay)  # the server's slowness under test, not a wait in the test
        found = self.path == f"/realms/{self.realm}/.well-known/openid-configuration"
        self.send_response(200 if found else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def keycloak_like(delay: float, realm: str = "rcm") -> Iterator[int]:
    handler = type("Handler", (_Realm,), {"delay": delay, "realm": realm})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


class TestKeycloakReuse:
    """The stack (and the test suites) reuse a running Keycloak, whoever started it. A busy one
    answers late: it is still Keycloak, not "another program on port 8080" (a fault-test start
    failed that way on a loaded machine)."""

    def test_a_keycloak_slower_than_one_probe_is_reused(self) -> None:
        with keycloak_like(delay=3.0) as port:  # longer than the 2 s of a single probe
            assert dev_keycloak.reusable(f"http://127.0.0.1:{port}", port, patience=30)

    def test_nothing_listening_means_start_one(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        assert dev_keycloak.reusable(f"http://127.0.0.1:{port}", port, patience=30) is False

    def test_a_program_that_never_answers_as_the_realm_is_named(self) -> None:
        with keycloak_like(delay=0.0, realm="another") as port, pytest.raises(StackError) as caught:
            dev_keycloak.reusable(f"http://127.0.0.1:{port}", port, patience=1)
        assert str(caught.value).startswith(f"port {port} is taken by a program that does not")
        assert "\n" not in str(caught.value)


class TestServiceRoles:
    async def test_the_ownership_hand_over_waits_for_a_migration_in_progress(
        self, infra: Infra
    ) -> None:
        """`ensure_service_roles` and a service's migration both rewrite the schema's and the
        tables' catalog rows; at once, PostgreSQL fails one with "tuple concurrently updated"
        (seen when a fault run restarted the stack). The hand-over takes the migrations' lock."""
        name = f"roles_lock_{uuid.uuid4().hex[:8]}"
        await dev_postgres.ensure_databases([name], infra.pg_port)
        migration, probe = [
            await asyncpg.connect(
                host="127.0.0.1", port=infra.pg_port, user="postgres", database=name
            )
            for _ in range(2)
        ]
        try:
            holding = migration.transaction()
            await holding.start()
            await migration.execute("SELECT pg_advisory_xact_lock($1)", MIGRATION_LOCK)
            hand_over = asyncio.create_task(
                dev_postgres.ensure_service_roles([name], infra.pg_port)
            )

            async def waits_for_the_lock() -> bool:
                # Not on `migration`: inside its transaction pg_stat_activity stays as first read.
                found = await probe.fetchval(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = $1 AND wait_event_type = 'Lock'"
                    " AND wait_event = 'advisory'",
                    name,
                )
                return bool(found == 1)

            await wait_until(waits_for_the_lock, what="the hand-over waiting for the lock")
            assert not hand_over.done()
            await holding.commit()
            await asyncio.wait_for(hand_over, 30)
        finally:
            await migration.close()
            await probe.close()
            await dev_postgres.drop_database(name, infra.pg_port)
            await dev_postgres.drop_service_roles(name, infra.pg_port)
