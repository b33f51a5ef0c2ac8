"""The transparency log anchored outside the database (security review 6, issue 18,
`puebla.audit_anchor`).

An operator who rewrites the entries of a scratch copy, recomputes their commitments and
rebuilds the log's leaves and nodes, or cuts its end off, leaves a log that verifies by
itself; against the service's last signed tree head it no longer does, and
`GET /v1/audit/verification` says so and why. The other services keep every signed head
(witnesses) and refuse a fork or a head that does not extend the one they hold.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr
from sqlalchemy import text
from structlog.testing import capture_logs

from puebla.audit_anchor import (
    AnchorKeyError,
    Checkpoint,
    CheckpointRefused,
    PublicKeys,
    SigningKey,
    bus_checkpoint,
    checkpoint_job,
    checkpoint_subject,
    checkpoint_subscription,
    durable_name,
    keep_checkpoint,
    latest_checkpoint,
    publish_checkpoint,
)
from puebla.config import PlatformSettings
from puebla.contracts.audit.v1 import CHAIN_FORMAT
from puebla.contracts.audit.v2 import LOG_FORMAT
from puebla.contracts.envelope import IncomingEnvelope
from puebla.db.audit import AuditRecord
from puebla.db.unit_of_work import Tracking, UnitOfWork
from puebla.http.app import create_service_app
from puebla.runtime import Runtime, ServiceDefinition
from puebla.transparency import log, merkle
from puebla_dev.testing.infra import Infra
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.roles import RoleSeparatedDatabase, role_separated_database

from .conftest import FIXTURE_SERVICE

pytestmark = pytest.mark.asyncio(loop_scope="session")

KEYS = {s: SigningKey.generate(f"{s}-test") for s in ("repatriation", "consular")}
PUBLIC = ",".join(k.public_setting(s) for s, k in KEYS.items())
AT = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # when the sealer places entries


def runtime_of(db: RoleSeparatedDatabase, service: str = "repatriation") -> Runtime:
    platform = PlatformSettings(audit_public_keys=PUBLIC)
    definition = ServiceDefinition(service, FIXTURE_SERVICE, db.runtime_url, platform=platform)
    return Runtime(definition, db.runtime, db.sessions)


@pytest_asyncio.fixture(loop_scope="session")
async def scratch(infra: Infra) -> AsyncIterator[RoleSeparatedDatabase]:
    # Tampering breaks a log for good: every test gets a scratch database of its own.
    async with role_separated_database(infra, "puebla_anchor", FIXTURE_SERVICE) as db:
        yield db


async def write_entries(db: RoleSeparatedDatabase, n: int, *, sealed: bool = True) -> None:
    """`n` entries, each in its own transaction; `sealed`: then given their place in the log,
    as the worker's sealer does every second."""
    for i in range(n):
        uow = UnitOfWork(db.sessions, source="puebla/repatriation", actor="test")
        async with uow:
            uow.record(AuditRecord("inm.mx", "manifest.submitted", "manifest", f"m-{i}", {"n": i}))
            await uow.commit()
    if sealed:
        await log.seal_all(db.sessions, at=AT)


async def publish(db: RoleSeparatedDatabase, **kwargs: Any) -> Checkpoint | None:
    return await publish_checkpoint(runtime_of(db), KEYS["repatriation"], **kwargs)


async def operator(db: RoleSeparatedDatabase) -> asyncpg.Connection:
    """The database's owner with the triggers off: what an operator holding the keys of the
    database can do, and the service's own role cannot."""
    conn = await asyncpg.connect(db.owner_url.replace("+asyncpg", ""))
    for table in ("audit", "audit_leaf", "audit_node", "audit_checkpoint"):
        await conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    return conn


async def commitment(conn: asyncpg.Connection, seq: int) -> str:
    """The commitment entry `seq` should have, recomputed from what it says now."""
    row = await conn.fetchrow("SELECT * FROM audit WHERE seq = $1", seq)
    return log.commitment_of({**dict(row), "detail": json.loads(row["detail"])})


async def rebuild(conn: asyncpg.Connection, order: Sequence[int]) -> None:
    """Recomputes the commitment of the entries `order` and rebuilds the log's leaves and
    nodes over them, in that order: a log that verifies by itself."""
    await conn.execute("DELETE FROM audit_node")
    await conn.execute("DELETE FROM audit_leaf")
    known: dict[tuple[int, int], bytes] = {}
    for index, seq in enumerate(order):
        digest = await commitment(conn, seq)
        await conn.execute("UPDATE audit SET hash = $1 WHERE seq = $2", digest, seq)
        await conn.execute(
            "INSERT INTO audit_leaf (leaf_index, seq, sealed_at) VALUES ($1, $2, $3)",
            index,
            seq,
            AT,
        )
        for node in merkle.completed_nodes(index, merkle.leaf_hash(bytes.fromhex(digest)), known):
            known[(node.level, node.index)] = node.hash
            await conn.execute(
                "INSERT INTO audit_node (level, position, hash) VALUES ($1, $2, $3)",
                node.level,
                node.index,
                node.hash,
            )


async def cut_after(conn: asyncpg.Connection, size: int) -> None:
    """Deletes the log's end from leaf `size` on: its entries, leaves, and every node that
    covers one of them."""
    await conn.execute(
        "DELETE FROM audit WHERE seq IN (SELECT seq FROM audit_leaf WHERE leaf_index >= $1)", size
    )
    await conn.execute("DELETE FROM audit_leaf WHERE leaf_index >= $1", size)
    await conn.execute("DELETE FROM audit_node WHERE (position + 1) << level > $1", size)


async def tampered(db: RoleSeparatedDatabase, *statements: str, checkpoints: bool = False) -> None:
    conn = await operator(db)
    try:
        if checkpoints:
            await conn.execute("DELETE FROM audit_checkpoint")
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def seqs(db: RoleSeparatedDatabase) -> list[int]:
    async with db.sessions() as session:
        return list((await session.execute(text("SELECT seq FROM audit ORDER BY seq"))).scalars())


async def alone(db: RoleSeparatedDatabase) -> log.LogVerification:
    """The log verified by itself, against no signed head."""
    async with db.sessions() as session:
        return await log.verify(session)


class StreamCopy:
    """The AUDIT stream as `bus_checkpoint` reads it: the last message on each subject (what
    the relay publishes is the outbox row's payload). Not the shared NATS: a head signed
    with a test key there would reach the local stack's witnesses."""

    def __init__(self) -> None:
        self.last: dict[str, bytes] = {}
        self.asked: list[tuple[str, str]] = []

    def publish_outbox(self, payloads: list[dict[str, Any]]) -> None:
        for payload in payloads:
            self.last[payload["type"]] = json.dumps(payload).encode()

    async def get_last_msg(self, stream_name: str, subject: str) -> Any:
        self.asked.append((stream_name, subject))
        if subject not in self.last:
            raise LookupError("no message")
        return type("RawStreamMsg", (), {"data": self.last[subject]})()


async def relay(db: RoleSeparatedDatabase, stream: StreamCopy) -> None:
    async with db.sessions() as session:
        rows = await session.execute(text("SELECT payload FROM outbox ORDER BY created_at"))
        stream.publish_outbox([r[0] for r in rows])


async def audit_get(
    db: RoleSeparatedDatabase,
    tokens: KeycloakTokens,
    path: str,
    service: str = "repatriation",
    *,
    stream: StreamCopy | None = None,
) -> Any:
    """What the auditor reads on the service's real app (`create_service_app`)."""
    runtime = runtime_of(db, service)
    runtime.js = stream  # type: ignore[assignment]
    app = create_service_app(runtime.definition, title="anchor test", runtime=runtime)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
            answer = await client.get(
                path, headers={"Authorization": f"Bearer {tokens.get('audit.rcm')}"}
            )
    assert answer.status_code == 200, answer.text
    return answer.json()


async def verification(
    db: RoleSeparatedDatabase, tokens: KeycloakTokens, stream: StreamCopy | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = await audit_get(db, tokens, "/v1/audit/verification", stream=stream)
    return body


def zulu(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


class TestPublishing:
    async def test_the_tree_head_is_signed_kept_and_put_in_the_outbox(
        self, scratch: RoleSeparatedDatabase
    ) -> None:
        await write_entries(scratch, 3)

        checkpoint = await publish(scratch)

        assert checkpoint is not None
        assert (checkpoint.format, checkpoint.seq, checkpoint.count) == (LOG_FORMAT, 3, 3)
        assert (checkpoint.previous, checkpoint.consistency) == (None, ())
        checkpoint.verify(PublicKeys.parse(PUBLIC))
        async with scratch.sessions() as session:
            commitments = (
                await session.execute(
                    text(
                        "SELECT a.hash FROM audit_leaf l JOIN audit a ON a.seq = l.seq"
                        " ORDER BY l.leaf_index"
                    )
                )
            ).scalars()
            row = (await session.execute(text("SELECT type, payload FROM outbox"))).mappings().one()
        # The head is RFC 9162's root over the entries' commitments, in the log's order.
        leaves = [merkle.leaf_hash(bytes.fromhex(c)) for c in commitments]
        assert checkpoint.root == merkle.root(leaves)
        assert (
            row["type"] == "audit.repatriation.checkpoint.v2" == checkpoint_subject("repatriation")
        )
        assert row["payload"]["source"] == "puebla/repatriation"
        assert row["payload"]["data"]["tree_size"] == 3
        assert Checkpoint.from_data(row["payload"]["data"]) == checkpoint
        assert await _latest(scratch) == checkpoint

    async def test_only_when_the_log_grew_and_only_over_sealed_entries(
        self, scratch: RoleSeparatedDatabase
    ) -> None:
        assert await publish(scratch) is None  # an empty log
        await write_entries(scratch, 2, sealed=False)
        assert await publish(scratch) is None  # entries without their place yet
        await log.seal_all(scratch.sessions, at=AT)
        first = await publish(scratch)
        assert await publish(scratch) is None
        await write_entries(scratch, 3)
        second = await publish(scratch)

        assert first is not None
        assert second is not None
        assert (first.seq, second.seq) == (2, 5)
        assert (second.previous, len(second.consistency)) == (2, 2)

    async def test_its_consistency_proof_from_the_previous_head_verifies(
        self, scratch: RoleSeparatedDatabase
    ) -> None:
        await write_entries(scratch, 3)
        first = await publish(scratch)
        await write_entries(scratch, 4)
        second = await publish(scratch)

        assert first is not None
        assert second is not None
        assert (second.previous, second.seq) == (3, 7)
        proof = [bytes.fromhex(node) for node in second.consistency]
        assert merkle.verify_consistency(3, 7, first.root, second.root, proof)
        # It binds the two roots: against any other first root it does not verify.
        assert not merkle.verify_consistency(3, 7, bytes(32), second.root, proof)

    @pytest.mark.parametrize("damage", ["leaf-replaced", "log-rebuilt"])
    async def test_never_on_top_of_a_log_changed_since_the_last_head(
        self, scratch: RoleSeparatedDatabase, damage: str
    ) -> None:
        await write_entries(scratch, 3)
        assert await publish(scratch) is not None
        order = await seqs(scratch)
        conn = await operator(scratch)
        try:
            await conn.execute("UPDATE audit SET actor = 'someone.else' WHERE seq = $1", order[2])
            if damage == "leaf-replaced":
                # The entry, its commitment and its leaf agree again; the nodes above it do not
                # exist yet, so the next entries are sealed on top of the replaced leaf.
                digest = await commitment(conn, order[2])
                await conn.execute("UPDATE audit SET hash = $1 WHERE seq = $2", digest, order[2])
                await conn.execute(
                    "UPDATE audit_node SET hash = $1 WHERE level = 0 AND position = 2",
                    merkle.leaf_hash(bytes.fromhex(digest)),
                )
            else:
                await rebuild(conn, order)
        finally:
            await conn.close()
        await write_entries(scratch, 2)  # the log grows on the damaged part
        assert (await alone(scratch)).ok, "by itself, the damaged log verifies"

        assert await publish(scratch) is None

    async def test_never_on_a_shorter_log(self, scratch: RoleSeparatedDatabase) -> None:
        await write_entries(scratch, 4)
        assert await publish(scratch) is not None
        conn = await operator(scratch)
        try:
            await cut_after(conn, 2)
        finally:
            await conn.close()

        with capture_logs() as logs:
            assert await publish(scratch) is None  # 2 entries, 4 signed
        assert [e for e in logs if e["log_level"] == "error"] == [
            {"event": "audit.checkpoint.trail_shrank", "size": 2, "last": 4, "log_level": "error"}
        ]
        await write_entries(scratch, 3)  # 5 again, but not the 4 signed first
        assert await publish(scratch) is None
        async with scratch.sessions() as session:
            signed = (await session.execute(text("SELECT seq FROM audit_checkpoint"))).scalars()
            assert list(signed) == [4]

    async def test_a_chain_checkpoint_kept_from_before_the_log_does_not_stop_the_first_head(
        self, scratch: RoleSeparatedDatabase
    ) -> None:
        """A service upgraded from the hash chain holds checkpoints whose `seq` is an entry's
        seq; with no gaps, the last one's is exactly the log's size until the next entry. The
        keys are (format, seq) since the transparency log's migration, so its first tree head
        of that size is stored beside it."""
        await write_entries(scratch, 3)
        async with scratch.sessions() as session:
            # What the chain's worker wrote before the upgrade: its last entry was seq 3.
            await session.execute(
                text(
                    "INSERT INTO audit_checkpoint (seq, head, count, at, key_id, signature,"
                    " format) VALUES (3, :head, 3, :at, 'repatriation-test', 'x', :f)"
                ),
                {"head": "c" * 64, "at": AT, "f": CHAIN_FORMAT},
            )
            await session.commit()

        checkpoint = await publish(scratch)

        assert checkpoint is not None
        assert (checkpoint.format, checkpoint.seq) == (LOG_FORMAT, 3)

    @pytest.mark.parametrize(
        ("signing", "public", "refusal"),
        [
            (None, PUBLIC, "PUEBLA_AUDIT_SIGNING_KEY is not set"),
            ("", PUBLIC, "PUEBLA_AUDIT_SIGNING_KEY is not set"),
            ("repatriation-test", PUBLIC, "must look like"),
            (KEYS["repatriation"].setting(), "", "has no key 'repatriation-test'"),
            (SigningKey.generate("repatriation-test").setting(), PUBLIC, "matching"),
        ],
        ids=["unset", "empty", "malformed", "public-half-unknown", "public-half-differs"],
    )
    async def test_a_worker_without_its_keys_refuses_to_start(
        self, signing: str | None, public: str, refusal: str
    ) -> None:
        platform = PlatformSettings(
            audit_signing_key=None if signing is None else SecretStr(signing),
            audit_public_keys=public,
        )
        definition = ServiceDefinition("repatriation", FIXTURE_SERVICE, "x", platform=platform)
        with pytest.raises(AnchorKeyError, match=refusal):
            checkpoint_job(definition)

    async def test_a_worker_with_its_keys_starts(self) -> None:
        platform = PlatformSettings(
            audit_signing_key=SecretStr(KEYS["repatriation"].setting()), audit_public_keys=PUBLIC
        )
        definition = ServiceDefinition("repatriation", FIXTURE_SERVICE, "x", platform=platform)
        assert callable(checkpoint_job(definition))


async def _latest(db: RoleSeparatedDatabase) -> Checkpoint | None:
    async with db.sessions() as session:
        return (
            await latest_checkpoint(session, "repatriation", PublicKeys.parse(PUBLIC))
        ).checkpoint


class TestVerificationAgainstTheTreeHead:
    async def test_an_untouched_log_verifies_against_its_head(
        self, scratch: RoleSeparatedDatabase, tokens: KeycloakTokens
    ) -> None:
        await write_entries(scratch, 4)
        checkpoint = await publish(scratch)
        await write_entries(scratch, 1)  # entries after the head are fine

        body = await verification(scratch, tokens)

        assert checkpoint is not None
        assert (body["ok"], body["entries"], body["reason"]) == (True, 5, None)
        assert body["checkpoint"] == {
            "seq": 4,
            "head": checkpoint.head,
            "count": 4,
            "at": zulu(checkpoint.time),
            "key_id": "repatriation-test",
            "source": "local",
        }

    async def test_a_log_rewritten_and_rebuilt_is_detected_against_the_signed_root(
        self, scratch: RoleSeparatedDatabase, tokens: KeycloakTokens
    ) -> None:
        await write_entries(scratch, 4)
        checkpoint = await publish(scratch)
        assert checkpoint is not None
        order = await seqs(scratch)
        conn = await operator(scratch)
        try:
            await conn.execute("UPDATE audit SET actor = 'someone.else' WHERE seq = $1", order[1])
            await rebuild(conn, order)
        finally:
            await conn.close()
        assert (await alone(scratch)).ok, "rebuilt, the log verifies by itself: the attack"

        body = await verification(scratch, tokens)

        assert (body["ok"], body["broken_at_seq"]) == (False, order[3])
        assert body["reason"] == (
            "the log's first 4 entries are not those the tree head signed at"
            f" {checkpoint.time.isoformat()} vouches for: the log was rewritten"
        )

    async def test_the_same_check_through_transparency_verify(
        self, scratch: RoleSeparatedDatabase
    ) -> None:
        await write_entries(scratch, 3)
        checkpoint = await publish(scratch)
        assert checkpoint is not None
        order = await seqs(scratch)
        async with scratch.sessions() as session:
            untouched = await log.verify(session, signed=checkpoint.signed_size())
        conn = await operator(scratch)
        try:
            await conn.execute("UPDATE audit SET entity_id = 'm-9' WHERE seq = $1", order[0])
            await rebuild(conn, order)
        finally:
            await conn.close()
        async with scratch.sessions() as session:
            rebuilt = await log.verify(session, signed=checkpoint.signed_size())

        assert (untouched.ok, untouched.entries) == (True, 3)
        assert (rebuilt.ok, rebuilt.entries, rebuilt.broken_at_seq) == (False, 3, order[2])
        assert "the log was rewritten" in str(rebuilt.reason)

    async def test_an_entry_removed_and_the_log_rebuilt_without_it_is_detected(
        self, scratch: RoleSeparatedDatabase, tokens: KeycloakTokens
    ) -> None:
        await write_entries(scratch, 4)
        assert await publish(scratch) is not None
        await write_entries(scratch, 1)  # so that the log rebuilt holds 4 entries again
        order = await seqs(scratch)
        conn = await operator(scratch)
        try:
            await conn.execute("DELETE FROM audit WHERE seq = $1", order[1])
            await rebuild(conn, [s for s in order if s != order[1]])
        finally:
            await conn.close()
        assert (await alone(scratch)).ok

        body = await verification(scratch, tokens)

        assert (body["ok"], body["entries"], body["broken_at_seq"]) == (False, 4, order[4])
        assert "the log was rewritten" in body["reason"]

    async def test_a_log_cut_short_is_detected(
        self, scratch: RoleSeparatedDatabase, tokens: KeycloakTokens
    ) -> None:
        await write_entries(scratch, 4)
        checkpoint = await publish(scratch)
        assert checkpoint is not None
        conn = await operator(scratch)
        try:
            await cut_after(conn, 2)
        finally:
            await conn.close()
        shorter = await alone(scratch)
        assert (shorter.ok, shorter.entries) == (True, 2), "a shorter log verifies by itself"

        body = await verification(scratch, tokens)

        assert (body["ok"], body["entries"], body["broken_at_seq"]) == (False, 2, None)
        assert body["reason"] == (
            "the log holds 2 entries, but the tree head signed at"
            f" {checkpoint.time.isoformat()} vouches for 4: entries were removed from its end"
        )

    async def test_a_stored_head_not_signed_by_the_service_is_reported(
        self, scratch: RoleSeparatedDatabase, tokens: KeycloakTokens
    ) -> None:
        """The runtime role may insert a head's row (the worker does), but not sign one:
        a forged larger head is refused and named, the signed one still verifies."""
        await write_entries(scratch, 2)
        signed = await publish(scratch)
        assert signed is not None
        forged = replace(
            Checkpoint(
                "repatriation", 12, "f" * 64, 12, datetime.now(UTC), "repatriation-test"
            ).signed_with(KEYS["consular"]),
            key_id="repatriation-test",
        )
        async with scratch.sessions() as session:
            await session.execute(
                text(
                    "INSERT INTO audit_checkpoint (seq, head, count, at, key_id, signature, format)"
                    " VALUES (:seq, :head, :count, :at, 'repatriation-test', :signature, :f)"
                ),
                {
                    "seq": forged.seq,
                    "head": forged.head,
                    "count": forged.count,
                    "at": forged.time,
                    "signature": forged.signature,
                    "f": LOG_FORMAT,
                },
            )
            await session.commit()
        assert await _latest(scratch) == signed

        body = await verification(scratch, tokens)

        assert (body["ok"], body["entries"], body["checkpoint"]["seq"]) == (False, 2, 2)
        assert body["reason"] == (
            "a stored checkpoint does not verify: checkpoint seq 12 is not signed by"
            " repatriation's key 'repatriation-test'"
        )

    async def test_with_the_local_heads_removed_the_stream_s_copy_still_detects(
        self, scratch: RoleSeparatedDatabase, tokens: KeycloakTokens
    ) -> None:
        """An operator with the owner's role deletes the heads kept in the database, then
        cuts the log's end: the last head on the AUDIT stream still vouches for it."""
        await write_entries(scratch, 4)
        checkpoint = await publish(scratch)
        assert checkpoint is not None
        stream = StreamCopy()
        await relay(scratch, stream)
        conn = await operator(scratch)
        try:
            await conn.execute("DELETE FROM audit_checkpoint")
            await cut_after(conn, 2)
        finally:
            await conn.close()
        assert await _latest(scratch) is None

        body = await verification(scratch, tokens, stream)

        assert stream.asked == [("AUDIT", "audit.repatriation.checkpoint.v2")]
        assert (body["ok"], body["entries"]) == (False, 2)
        assert "entries were removed from its end" in body["reason"]
        assert body["checkpoint"] == {
            "seq": 4,
            "head": checkpoint.head,
            "count": 4,
            "at": zulu(checkpoint.time),
            "key_id": "repatriation-test",
            "source": "bus",
        }

    async def test_with_the_local_heads_deleted_the_worker_signs_no_shorter_log(
        self, scratch: RoleSeparatedDatabase
    ) -> None:
        """Without the stream's copy, the worker would sign what is left as a first head and
        the verification would then pass against it."""
        await write_entries(scratch, 4)
        assert await publish(scratch) is not None
        stream = StreamCopy()
        await relay(scratch, stream)
        conn = await operator(scratch)
        try:
            await conn.execute("DELETE FROM audit_checkpoint")
            await cut_after(conn, 2)
        finally:
            await conn.close()
        await write_entries(scratch, 1)  # 3 entries: fewer than the 4 signed
        published = await bus_checkpoint(stream, "repatriation", PublicKeys.parse(PUBLIC))
        assert published is not None
        assert published.seq == 4

        assert await publish(scratch, published=published) is None
        await write_entries(scratch, 2)  # 5 entries, but not the 4 signed first
        assert await publish(scratch, published=published) is None
        # What the stream's copy prevents: alone, the worker signs the log left.
        assert await publish(scratch) is not None

    async def test_a_stream_copy_not_signed_by_the_service_is_not_used(self) -> None:
        forged = replace(
            Checkpoint(
                "repatriation", 99, "e" * 64, 99, datetime.now(UTC), "repatriation-test"
            ).signed_with(KEYS["consular"]),
            key_id="repatriation-test",
        )
        stream = StreamCopy()
        stream.publish_outbox([envelope_json(forged)])
        keys = PublicKeys.parse(PUBLIC)
        assert await bus_checkpoint(stream, "repatriation", keys) is None
        assert await bus_checkpoint(StreamCopy(), "repatriation", keys) is None  # none there
        signed = repatriation_head(7)
        stream.publish_outbox([envelope_json(signed)])
        assert await bus_checkpoint(stream, "repatriation", keys) == signed


def envelope_of(checkpoint: Checkpoint, **overrides: object) -> IncomingEnvelope:
    fields: dict[str, object] = {
        "id": uuid.uuid4(),
        "type": checkpoint_subject(checkpoint.service, 2 if checkpoint.is_log else 1),
        "source": f"puebla/{checkpoint.service}",
        "subject": checkpoint.service,
        "time": checkpoint.time,
        "dataschema": "x",
        "access": [],
        "data": checkpoint.data(),
    }
    fields.update(overrides)
    return IncomingEnvelope.model_validate(fields)


def envelope_json(checkpoint: Checkpoint) -> dict[str, Any]:
    return envelope_of(checkpoint).model_dump(mode="json")


async def keep(db: RoleSeparatedDatabase, envelope: IncomingEnvelope) -> None:
    tracking = Tracking("consular-audit-checkpoints", envelope.id, envelope.type)
    await keep_checkpoint(
        runtime_of(db, "consular"), envelope, tracking, keys=PublicKeys.parse(PUBLIC)
    )


# Repatriation's log as a witness sees it: the leaves of 12 entries, and the same log with its
# third entry rewritten (another history, signed by the same key).
LEAVES = [merkle.leaf_hash(f"entry {i}".encode()) for i in range(12)]
REWRITTEN = [*LEAVES[:2], merkle.leaf_hash(b"entry 2, rewritten"), *LEAVES[3:]]


def repatriation_head(
    size: int,
    *,
    previous: int | None = None,
    leaves: Sequence[bytes] = LEAVES,
    proof: Sequence[bytes] | None = None,
) -> Checkpoint:
    """Repatriation's signed head of the first `size` of `leaves`, with the honest consistency
    proof from `previous` unless `proof` is given."""
    if proof is None:
        proof = merkle.consistency_proof(list(leaves), previous, size) if previous else []
    return Checkpoint(
        "repatriation",
        size,
        merkle.root(list(leaves[:size])).hex(),
        size,
        datetime.now(UTC),
        "repatriation-test",
        previous=previous,
        consistency=tuple(node.hex() for node in proof),
    ).signed_with(KEYS["repatriation"])


async def witnessed(db: RoleSeparatedDatabase) -> list[tuple[int, str, str]]:
    async with db.sessions() as session:
        rows = await session.execute(
            text(
                "SELECT seq, head, format FROM audit_witness WHERE service = 'repatriation'"
                " ORDER BY seq"
            )
        )
        return [(int(seq), head, form) for seq, head, form in rows]


class TestWitnesses:
    async def test_one_durable_per_service_on_the_audit_stream(
        self, scratch: RoleSeparatedDatabase
    ) -> None:
        sub = checkpoint_subscription(runtime_of(scratch, "reserve_fund"))
        assert sub.durable == durable_name("reserve_fund") == "reserve-fund-audit-checkpoints"
        assert sub.stream == "AUDIT"
        assert sub.subjects == ["audit.>"]

    async def test_its_own_heads_on_the_stream_are_skipped(
        self, scratch: RoleSeparatedDatabase
    ) -> None:
        own = Checkpoint("consular", 3, "c" * 64, 3, datetime.now(UTC), "consular-test")
        envelope = envelope_of(own.signed_with(KEYS["consular"]))
        assert envelope.type == "audit.consular.checkpoint.v2"
        sub = checkpoint_subscription(runtime_of(scratch, "consular"))

        await sub.handle(envelope, Tracking(sub.durable, envelope.id, envelope.type))

        async with scratch.sessions() as session:
            held = (await session.execute(text("SELECT count(*) FROM audit_witness"))).scalar()
        assert held == 0

    async def test_a_signed_head_of_another_service_is_kept(
        self, scratch: RoleSeparatedDatabase
    ) -> None:
        first, later = repatriation_head(5), repatriation_head(8, previous=5)

        await keep(scratch, envelope_of(first))
        await keep(scratch, envelope_of(later))
        await keep(scratch, envelope_of(later))  # delivered twice: kept once

        assert await witnessed(scratch) == [
            (5, first.head, "puebla-audit-log/2"),
            (8, later.head, "puebla-audit-log/2"),
        ]

    async def test_the_auditor_reads_the_newest_kept_head_of_each_other_service(
        self, scratch: RoleSeparatedDatabase, tokens: KeycloakTokens
    ) -> None:
        await keep(scratch, envelope_of(repatriation_head(5)))
        newest = repatriation_head(8, previous=5)
        await keep(scratch, envelope_of(newest))

        held = await audit_get(scratch, tokens, "/v1/audit/checkpoints", "consular")

        assert held == [
            {
                "service": "repatriation",
                "seq": 8,
                "head": merkle.root(LEAVES[:8]).hex(),
                "count": 8,
                "at": zulu(newest.time),
                "key_id": "repatriation-test",
                "format": "puebla-audit-log/2",
                "signature": newest.signature,
            }
        ]

    @pytest.mark.parametrize(
        ("change", "refusal"),
        [
            ({"signature_by": "consular"}, "not signed by repatriation"),
            ({"source": "puebla/consular"}, "came as"),
            ({"type": "audit.consular.checkpoint.v2"}, "came as"),
            ({"type": "audit.repatriation.checkpoint.v1"}, "came as"),
        ],
        ids=["signature", "source", "subject", "version"],
    )
    async def test_a_head_not_from_its_publisher_is_refused(
        self, scratch: RoleSeparatedDatabase, change: dict[str, str], refusal: str
    ) -> None:
        head = repatriation_head(5)
        if "signature_by" in change:
            head = replace(head.signed_with(KEYS[change.pop("signature_by")]), key_id=head.key_id)
        with pytest.raises(CheckpointRefused, match=refusal):
            await keep(scratch, envelope_of(head, **change))
        assert await witnessed(scratch) == []

    async def test_its_own_heads_are_not_kept_by_a_service(
        self, scratch: RoleSeparatedDatabase
    ) -> None:
        own = Checkpoint("consular", 3, "c" * 64, 3, datetime.now(UTC), "consular-test")
        with pytest.raises(CheckpointRefused, match="not kept here"):
            await keep(scratch, envelope_of(own.signed_with(KEYS["consular"])))

    async def test_another_root_for_a_size_already_held_is_refused(
        self, scratch: RoleSeparatedDatabase
    ) -> None:
        """A fork: two parties shown two histories of the same length, both signed."""
        held = repatriation_head(8)
        await keep(scratch, envelope_of(held))

        with pytest.raises(
            CheckpointRefused, match="tree head 8 contradicts: another root for tree size 8"
        ):
            await keep(scratch, envelope_of(repatriation_head(8, leaves=REWRITTEN)))
        assert await witnessed(scratch) == [(8, held.head, "puebla-audit-log/2")]

    @pytest.mark.parametrize(
        "head",
        [
            # Another history's honest proof: it extends the rewritten 5, not the one held.
            repatriation_head(8, previous=5, leaves=REWRITTEN),
            repatriation_head(8, previous=5, proof=[]),
            repatriation_head(8, previous=5, proof=merkle.consistency_proof(LEAVES, 5, 8)[:-1]),
            repatriation_head(8, previous=5, proof=merkle.consistency_proof(LEAVES, 4, 8)),
        ],
        ids=["history-rewritten", "no-proof", "proof-cut", "proof-of-another-size"],
    )
    async def test_a_head_whose_proof_from_a_held_head_does_not_verify_is_refused(
        self, scratch: RoleSeparatedDatabase, head: Checkpoint
    ) -> None:
        await keep(scratch, envelope_of(repatriation_head(5)))

        with pytest.raises(
            CheckpointRefused, match="tree size 8 does not extend the head held for 5"
        ):
            await keep(scratch, envelope_of(head))
        assert [size for size, _, _ in await witnessed(scratch)] == [5]

    async def test_a_head_whose_proof_verifies_is_kept(
        self, scratch: RoleSeparatedDatabase
    ) -> None:
        await keep(scratch, envelope_of(repatriation_head(3)))
        await keep(scratch, envelope_of(repatriation_head(7, previous=3)))
        await keep(scratch, envelope_of(repatriation_head(12, previous=7)))

        assert [size for size, _, _ in await witnessed(scratch)] == [3, 7, 12]

    async def test_a_chain_checkpoint_from_before_the_log_is_still_handled(
        self, scratch: RoleSeparatedDatabase
    ) -> None:
        """v1 messages still on the stream: kept by the chain's rules (`_check_consistent`)."""
        old = Checkpoint(
            "repatriation", 9, "b" * 64, 8, datetime.now(UTC), "x", format=CHAIN_FORMAT
        ).signed_with(KEYS["repatriation"])
        envelope = envelope_of(old)
        assert envelope.type == "audit.repatriation.checkpoint.v1"

        await keep(scratch, envelope)
        with pytest.raises(CheckpointRefused, match="another head for the same seq"):
            await keep(
                scratch, envelope_of(replace(old, head="f" * 64).signed_with(KEYS["repatriation"]))
            )

        assert await witnessed(scratch) == [(9, "b" * 64, "puebla-audit-chain/1")]

    async def test_a_tree_head_is_kept_beside_a_chain_checkpoint_of_the_same_seq(
        self, scratch: RoleSeparatedDatabase
    ) -> None:
        """A witness keeps a tree head beside a chain checkpoint of the same seq (keys
        (service, format, seq)): not dropped by `ON CONFLICT DO NOTHING`, and another root
        for that size is then seen as the fork it is."""
        old = Checkpoint(
            "repatriation", 8, "b" * 64, 8, datetime.now(UTC), "x", format=CHAIN_FORMAT
        ).signed_with(KEYS["repatriation"])
        await keep(scratch, envelope_of(old))
        head = repatriation_head(8)

        await keep(scratch, envelope_of(head))

        assert await witnessed(scratch) == [
            (8, "b" * 64, "puebla-audit-chain/1"),
            (8, head.head, "puebla-audit-log/2"),
        ]
        with pytest.raises(CheckpointRefused, match="another root for tree size 8"):
            await keep(scratch, envelope_of(repatriation_head(8, leaves=REWRITTEN)))


class TestKeyRotation:
    """ADR 0006: a new key id is listed beside the old one in `PUEBLA_AUDIT_PUBLIC_KEYS`, then
    the worker signs with it. The log goes on: heads signed with either key verify while both
    are listed, and the first head of the new key must still extend the last of the old."""

    NEW = SigningKey.generate("repatriation-rotated")
    BOTH = PublicKeys.parse(f"{PUBLIC},{NEW.public_setting('repatriation')}")

    async def keep_with(
        self, db: RoleSeparatedDatabase, head: Checkpoint, keys: PublicKeys
    ) -> None:
        envelope = envelope_of(head)
        tracking = Tracking("consular-audit-checkpoints", envelope.id, envelope.type)
        await keep_checkpoint(runtime_of(db, "consular"), envelope, tracking, keys=keys)

    async def test_a_witness_follows_the_log_across_the_new_key(
        self, scratch: RoleSeparatedDatabase
    ) -> None:
        old = repatriation_head(5)
        new = repatriation_head(9, previous=5).signed_with(self.NEW)
        await self.keep_with(scratch, old, self.BOTH)

        await self.keep_with(scratch, new, self.BOTH)

        assert [(size, key) for size, _, key in await self.kept(scratch)] == [
            (5, "repatriation-test"),
            (9, "repatriation-rotated"),
        ]

    async def test_the_new_key_cannot_sign_a_history_the_old_one_did_not(
        self, scratch: RoleSeparatedDatabase
    ) -> None:
        await self.keep_with(scratch, repatriation_head(5), self.BOTH)
        forked = repatriation_head(9, previous=5, leaves=REWRITTEN)
        rotated = forked.signed_with(self.NEW)

        with pytest.raises(CheckpointRefused, match="does not extend the head held for 5"):
            await self.keep_with(scratch, rotated, self.BOTH)

    async def test_a_key_not_listed_yet_is_refused(self, scratch: RoleSeparatedDatabase) -> None:
        early = repatriation_head(5).signed_with(self.NEW)

        with pytest.raises(CheckpointRefused, match="no public key 'repatriation-rotated'"):
            await self.keep_with(scratch, early, PublicKeys.parse(PUBLIC))

    async def kept(self, db: RoleSeparatedDatabase) -> list[tuple[int, str, str]]:
        async with db.sessions() as session:
            rows = await session.execute(
                text(
                    "SELECT seq, head, key_id FROM audit_witness WHERE service = 'repatriation'"
                    " ORDER BY seq"
                )
            )
            return [(int(seq), head, key) for seq, head, key in rows]
