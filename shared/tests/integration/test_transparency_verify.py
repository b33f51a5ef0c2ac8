"""`puebla.transparency.verify`, a member state's verifier, against a service's real API (the
kit's app on a scratch database, real Keycloak tokens): an honest log verifies; a fork, a
rewritten history, a log cut short, a forged head and leaves that do not rebuild the root are
each found — by a caller who reads no entry (a child-protection officer, not an auditor)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
import pytest_asyncio

from puebla.audit_anchor import Checkpoint, PublicKeys, SigningKey, publish_checkpoint
from puebla.config import PlatformSettings
from puebla.db.audit import AuditRecord
from puebla.db.unit_of_work import UnitOfWork
from puebla.http.app import create_service_app
from puebla.runtime import Runtime, ServiceDefinition
from puebla.transparency import log, merkle
from puebla.transparency.verify import Report, check
from puebla_dev.testing.infra import Infra
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.roles import RoleSeparatedDatabase, role_separated_database

from .conftest import FIXTURE_SERVICE

pytestmark = pytest.mark.asyncio(loop_scope="session")

SERVICE = "repatriation"
KEY = SigningKey.generate("repatriation-verify-test")
KEYS = PublicKeys.parse(KEY.public_setting(SERVICE))
T0 = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


@pytest_asyncio.fixture(loop_scope="session")
async def db(infra: Infra) -> AsyncIterator[RoleSeparatedDatabase]:
    async with role_separated_database(infra, "puebla_verify", FIXTURE_SERVICE) as scratch:
        yield scratch


def runtime_of(db: RoleSeparatedDatabase) -> Runtime:
    platform = PlatformSettings(audit_public_keys=KEY.public_setting(SERVICE))
    definition = ServiceDefinition(SERVICE, FIXTURE_SERVICE, db.runtime_url, platform=platform)
    return Runtime(definition, db.runtime, db.sessions)


async def grow(db: RoleSeparatedDatabase, n: int, *, at: datetime) -> Checkpoint:
    """`n` more entries, sealed, and the tree head the worker would sign for them."""
    for i in range(n):
        uow = UnitOfWork(db.sessions, source=f"puebla/{SERVICE}", actor="test")
        async with uow:
            uow.record(AuditRecord("inm.mx", "manifest.submitted", "manifest", f"m-{i}", {}))
            await uow.commit()
    await log.seal_all(db.sessions, at=at)
    head = await publish_checkpoint(runtime_of(db), KEY, clock=lambda: at)
    assert head is not None
    return head


async def verify(
    db: RoleSeparatedDatabase,
    tokens: KeycloakTokens,
    held: Sequence[Checkpoint] = (),
    *,
    full: bool = False,
) -> Report:
    runtime = runtime_of(db)
    app = create_service_app(runtime.definition, title="verify test", runtime=runtime)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {tokens.get('dif.mx')}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers=headers
        ) as api:
            return await check(api, SERVICE, KEYS, held, full=full)


async def as_owner(db: RoleSeparatedDatabase, *statements: str) -> None:
    """What an operator holding the database's owner role can do, the triggers off."""
    conn = await asyncpg.connect(db.owner_url.replace("+asyncpg", ""))
    try:
        for table in ("audit", "audit_leaf", "audit_node", "audit_checkpoint"):
            await conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def test_an_honest_log_is_consistent_with_every_head_held(
    db: RoleSeparatedDatabase, tokens: KeycloakTokens
) -> None:
    first = await grow(db, 3, at=T0)
    second = await grow(db, 4, at=T0 + timedelta(hours=1))

    report = await verify(db, tokens, [first, second], full=True)

    assert report.findings == []
    assert report.head is not None
    assert (report.head.seq, report.head.head) == (7, second.head)


async def test_two_roots_for_one_size_are_a_fork(
    db: RoleSeparatedDatabase, tokens: KeycloakTokens
) -> None:
    served = await grow(db, 3, at=T0)
    # What another party was shown: a different tree of the same size, signed with the key.
    other = replace(served, head=merkle.leaf_hash(b"another history").hex()).signed_with(KEY)

    report = await verify(db, tokens, [other])

    assert len(report.findings) == 1
    assert report.findings[0].startswith("two roots signed for tree size 3")
    assert report.findings[0].endswith("the log forked")


async def test_a_history_rewritten_and_signed_again_is_found(
    db: RoleSeparatedDatabase, tokens: KeycloakTokens
) -> None:
    held = await grow(db, 3, at=T0)
    # The operator throws the log away, writes another one and has the worker sign it.
    await as_owner(
        db,
        "DELETE FROM audit_checkpoint",
        "DELETE FROM audit_node",
        "DELETE FROM audit_leaf",
        "DELETE FROM audit",
    )
    await grow(db, 5, at=T0 + timedelta(hours=1))

    report = await verify(db, tokens, [held])

    assert report.findings == [
        "the log of 5 entries does not extend the one of 3 signed at"
        " 2026-12-02T12:00:00+00:00: its history was rewritten"
    ]


async def test_a_log_cut_short_is_found(db: RoleSeparatedDatabase, tokens: KeycloakTokens) -> None:
    await grow(db, 2, at=T0)
    held = await grow(db, 3, at=T0 + timedelta(hours=1))
    # The last three entries and the head that vouched for them are removed.
    await as_owner(
        db,
        "DELETE FROM audit_checkpoint WHERE seq = 5",
        "DELETE FROM audit_node"
        " WHERE NOT (level = 0 AND position < 2 OR level = 1 AND position = 0)",
        "DELETE FROM audit_leaf WHERE leaf_index >= 2",
    )

    report = await verify(db, tokens, [held])

    assert report.findings == [
        "a head signed at 2026-12-02T13:00:00+00:00 vouches for 5 entries, the service now"
        " serves 2: the log was cut short or forked"
    ]


async def test_a_head_not_signed_by_the_service_is_refused(
    db: RoleSeparatedDatabase, tokens: KeycloakTokens
) -> None:
    await grow(db, 2, at=T0)
    await as_owner(db, "UPDATE audit_checkpoint SET head = repeat('ab', 32)")

    report = await verify(db, tokens)

    assert report.head is None
    assert report.findings == [
        "no signed tree head: HTTP 404",
    ]


async def test_leaves_that_do_not_rebuild_the_root_are_found(
    db: RoleSeparatedDatabase, tokens: KeycloakTokens
) -> None:
    await grow(db, 4, at=T0)
    await as_owner(db, "UPDATE audit_node SET hash = '\\x00' WHERE level = 0 AND position = 1")

    report = await verify(db, tokens, full=True)

    assert report.findings == ["the leaves served do not rebuild the root signed for 4 entries"]


BIGINT_PLUS_ONE = 2**63
OVER = "less_than_equal"


@pytest.mark.parametrize(
    ("path", "field", "rule"),
    [
        # Found by the fuzzer: beyond PostgreSQL's BIGINT this was a 500 (an overflow).
        (
            "/v1/audit/log/inclusion?seq=9371070345869414891520&tree_size=1",
            "seq",
            "less_than_equal",
        ),
        (
            "/v1/audit/log/inclusion?seq=1&tree_size=9223372036854775808",
            "tree_size",
            "less_than_equal",
        ),
        (
            "/v1/audit/log/consistency?first=1&second=9223372036854775808",
            "second",
            "less_than_equal",
        ),
        ("/v1/audit/log/leaves?start=9223372036854775808", "start", "less_than_equal"),
        ("/v1/audit/log/consistency?first=3&second=2", "first", "after_second"),
        ("/v1/audit/log/consistency?first=1&second=3", "second", "beyond_tree_size"),
        ("/v1/audit/log/inclusion?seq=1&tree_size=3", "tree_size", "beyond_tree_size"),
    ],
)
async def test_a_number_the_log_cannot_hold_is_a_422_naming_it(
    db: RoleSeparatedDatabase, tokens: KeycloakTokens, path: str, field: str, rule: str
) -> None:
    await grow(db, 2, at=T0)
    runtime = runtime_of(db)
    app = create_service_app(runtime.definition, title="verify test", runtime=runtime)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {tokens.get('dif.mx')}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://test", headers=headers
        ) as api:
            answer = await api.get(path)

    assert answer.status_code == 422, answer.text
    assert [(e["field"], e["rule"]) for e in answer.json()["errors"]] == [(field, rule)]
