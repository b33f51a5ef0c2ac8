"""The audit chain anchored outside the database (security review 6, `puebla.audit_anchor`).

An operator who rewrites the trail of a scratch copy and re-hashes it, or cuts its tail off,
leaves a chain that verifies link by link; against the service's last signed checkpoint it no
longer does, and `GET /v1/audit/verification` says so and why.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx
import pytest
import pytest_asyncio
from pydantic import SecretStr
from sqlalchemy import text

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
from puebla.contracts.envelope import IncomingEnvelope
from puebla.db.audit import AuditRecord, ExpectedHead, entry_hash, verify_chain
from puebla.db.unit_of_work import Tracking, UnitOfWork
from puebla.http.app import create_service_app
from puebla.runtime import Runtime, ServiceDefinition
from puebla_dev.testing.infra import Infra
from puebla_dev.testing.keycloak import KeycloakTokens
from puebla_dev.testing.roles import RoleSeparatedDatabase, role_separated_database

from .conftest import FIXTURE_SERVICE

pytestmark = pytest.mark.asyncio(loop_scope="session")

KEYS = {s: SigningKey.generate(f"{s}-test") for s in ("repatriation", "consular")}
PUBLIC = ",".join(k.public_setting(s) for s, k in KEYS.items())


def runtime_of(db: RoleSeparatedDatabase, service: str = "repatriation") -> Runtime:
    platform = PlatformSettings(audit_public_keys=PUBLIC)
    definition = ServiceDefinition(service, FIXTURE_SERVICE, db.runtime_url, platform=platform)
    return Runtime(definition, db.runtime, db.sessions)


@pytest_asyncio.fixture(loop_scope="session")
async def scratch(infra: Infra) -> AsyncIterator[RoleSeparatedDatabase]:
    # Tampering breaks a chain for good: every test gets a scratch database of its own.
    async with role_separated_database(infra, "puebla_anchor", FIXTURE_SERVICE) as db:
        yield db


async def write_entries(db: RoleSeparatedDatabase, n: int) -> None:
    for i in range(n):
        uow = UnitOfWork(db.sessions, source="puebla/repatriation", actor="test")
        async with uow:
            uow.record(AuditRecord("inm.mx", "manifest.submitted", "manifest", f"m-{i}", {"n": i}))
            await uow.commit()


async def operator(db: RoleSeparatedDatabase) -> asyncpg.Connection:
    """The database's owner with the triggers off: what an operator holding the keys of the
    database can do, and the service's own role cannot."""
    conn = await asyncpg.connect(db.owner_url.replace("+asyncpg", ""))
    await conn.execute("ALTER TABLE audit DISABLE TRIGGER USER")
    return conn


async def rehash_from(conn: asyncpg.Connection, after_seq: int) -> None:
    """Recomputes every hash after `after_seq` so that each entry links to the one before."""
    prev = await conn.fetchval("SELECT hash FROM audit WHERE seq = $1", after_seq) or "0" * 64
    rows = await conn.fetch("SELECT * FROM audit WHERE seq > $1 ORDER BY seq", after_seq)
    for row in rows:
        digest = entry_hash(
            prev_hash=prev,
            entry_id=row["id"],
            at=row["at"],
            actor=row["actor"],
            action=row["action"],
            entity_type=row["entity_type"],
            entity_id=row["entity_id"],
            detail=json.loads(row["detail"]),
            correlation_id=row["correlation_id"],
        )
        await conn.execute(
            "UPDATE audit SET prev_hash = $1, hash = $2 WHERE seq = $3", prev, digest, row["seq"]
        )
        prev = digest


async def seqs(db: RoleSeparatedDatabase) -> list[int]:
    async with db.sessions() as session:
        return list((await session.execute(text("SELECT seq FROM audit ORDER BY seq"))).scalars())


class StreamCopy:
    """The AUDIT stream as `bus_checkpoint` reads it: the last message on each subject (what
    the relay publishes is the outbox row's payload). Not the shared NATS: a checkpoint signed
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


async def verification(db: RoleSeparatedDatabase, tokens: KeycloakTokens) -> dict[str, object]:
    body: dict[str, object] = await audit_get(db, tokens, "/v1/audit/verification")
    return body


class TestPublishing:
    async def test_the_head_is_signed_kept_and_put_in_the_outbox(
        self, scratch: RoleSeparatedDatabase
    ) -> None:
        await write_entries(scratch, 3)
        runtime = runtime_of(scratch)
        checkpoint = await publish_checkpoint(runtime, KEYS["repatriation"])
        assert checkpoint is not None
        assert (checkpoint.seq, checkpoint.count) == ((await seqs(scratch))[-1], 3)
        checkpoint.verify(PublicKeys.parse(PUBLIC))
        async with scratch.sessions() as session:
            head = (
                await session.execute(text("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1"))
            ).scalar_one()
            row = (await session.execute(text("SELECT type, payload FROM outbox"))).mappings().one()
        assert checkpoint.head == head
        assert (
            row["type"] == "audit.repatriation.checkpoint.v1" == checkpoint_subject("repatriation")
        )
        assert row["payload"]["source"] == "puebla/repatriation"
        assert Checkpoint.from_data(row["payload"]["data"]) == checkpoint
        anchor = await _latest(scratch)
        assert anchor == checkpoint

    async def test_only_when_the_head_moved(self, scratch: RoleSeparatedDatabase) -> None:
        runtime = runtime_of(scratch)
        assert await publish_checkpoint(runtime, KEYS["repatriation"]) is None  # empty chain
        await write_entries(scratch, 2)
        first = await publish_checkpoint(runtime, KEYS["repatriation"])
        assert await publish_checkpoint(runtime, KEYS["repatriation"]) is None
        await write_entries(scratch, 3)
        second = await publish_checkpoint(runtime, KEYS["repatriation"])
        assert first is not None
        assert second is not None
        assert (first.count, second.count) == (2, 5)
        assert second.seq > first.seq

    @pytest.mark.parametrize("damage", ["rewrite", "truncate"])
    async def test_never_on_top_of_a_trail_changed_since_the_last_checkpoint(
        self, scratch: RoleSeparatedDatabase, damage: str
    ) -> None:
        runtime = runtime_of(scratch)
        await write_entries(scratch, 3)
        assert await publish_checkpoint(runtime, KEYS["repatriation"]) is not None
        order = await seqs(scratch)
        conn = await operator(scratch)
        try:
            if damage == "rewrite":
                await conn.execute("UPDATE audit SET actor = 'x' WHERE seq = $1", order[1])
                await rehash_from(conn, order[0])
            else:
                await conn.execute("DELETE FROM audit WHERE seq = $1", order[-1])
        finally:
            await conn.close()
        await write_entries(scratch, 2)  # the trail grows on the damaged part
        assert await publish_checkpoint(runtime, KEYS["repatriation"]) is None

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


class TestVerificationAgainstTheCheckpoint:
    async def test_an_untouched_trail_verifies_against_its_checkpoint(
        self, scratch: RoleSeparatedDatabase, tokens: KeycloakTokens
    ) -> None:
        await write_entries(scratch, 4)
        checkpoint = await publish_checkpoint(runtime_of(scratch), KEYS["repatriation"])
        await write_entries(scratch, 1)  # entries after the checkpoint are fine
        body = await verification(scratch, tokens)
        assert checkpoint is not None
        assert body["ok"] is True
        assert body["entries"] == 5
        assert body["checkpoint"] == {
            "seq": checkpoint.seq,
            "head": checkpoint.head,
            "count": 4,
            "at": checkpoint.time.isoformat().replace("+00:00", "Z"),
            "key_id": "repatriation-test",
            "source": "local",
        }

    async def test_a_rewritten_and_rehashed_trail_is_detected(
        self, scratch: RoleSeparatedDatabase, tokens: KeycloakTokens
    ) -> None:
        await write_entries(scratch, 4)
        checkpoint = await publish_checkpoint(runtime_of(scratch), KEYS["repatriation"])
        assert checkpoint is not None
        order = await seqs(scratch)
        conn = await operator(scratch)
        try:
            await conn.execute("UPDATE audit SET actor = 'someone.else' WHERE seq = $1", order[1])
            await rehash_from(conn, order[0])
        finally:
            await conn.close()
        async with scratch.sessions() as session:
            alone = await verify_chain(session)
        assert alone.ok, "re-hashed, the chain alone verifies: that is the attack"
        body = await verification(scratch, tokens)
        assert body["ok"] is False
        assert body["broken_at_seq"] == checkpoint.seq
        assert "rewritten and re-hashed" in str(body["reason"])

    async def test_an_entry_removed_and_the_rest_rehashed_is_detected(
        self, scratch: RoleSeparatedDatabase, tokens: KeycloakTokens
    ) -> None:
        await write_entries(scratch, 4)
        await publish_checkpoint(runtime_of(scratch), KEYS["repatriation"])
        order = await seqs(scratch)
        conn = await operator(scratch)
        try:
            await conn.execute("DELETE FROM audit WHERE seq = $1", order[1])
            await rehash_from(conn, order[0])
        finally:
            await conn.close()
        async with scratch.sessions() as session:
            assert (await verify_chain(session)).ok
        body = await verification(scratch, tokens)
        assert body["ok"] is False
        assert "re-hashed" in str(body["reason"])

    async def test_a_truncated_tail_is_detected(
        self, scratch: RoleSeparatedDatabase, tokens: KeycloakTokens
    ) -> None:
        await write_entries(scratch, 4)
        await publish_checkpoint(runtime_of(scratch), KEYS["repatriation"])
        order = await seqs(scratch)
        conn = await operator(scratch)
        try:
            await conn.execute("DELETE FROM audit WHERE seq >= $1", order[2])
        finally:
            await conn.close()
        async with scratch.sessions() as session:
            alone = await verify_chain(session)
        assert alone.ok, "a shorter chain verifies alone"
        assert alone.entries == 2
        body = await verification(scratch, tokens)
        assert body["ok"] is False
        assert body["entries"] == 2
        assert body["broken_at_seq"] == order[1] + 1
        assert "removed from its end" in str(body["reason"])

    async def test_a_checkpoint_not_signed_by_the_service_is_reported(
        self, scratch: RoleSeparatedDatabase, tokens: KeycloakTokens
    ) -> None:
        """The runtime role may insert a checkpoint row (the worker does), but not sign one:
        a forged newer checkpoint is refused and named, the signed one still verifies."""
        await write_entries(scratch, 2)
        signed = await publish_checkpoint(runtime_of(scratch), KEYS["repatriation"])
        assert signed is not None
        forged = Checkpoint(
            "repatriation", signed.seq + 10, "f" * 64, 12, datetime.now(UTC), "repatriation-test"
        ).signed_with(KEYS["consular"])
        async with scratch.sessions() as session:
            await session.execute(
                text(
                    "INSERT INTO audit_checkpoint (seq, head, count, at, key_id, signature)"
                    " VALUES (:seq, :head, :count, :at, 'repatriation-test', :signature)"
                ),
                {
                    "seq": forged.seq,
                    "head": forged.head,
                    "count": forged.count,
                    "at": forged.time,
                    "signature": forged.signature,
                },
            )
            await session.commit()
        assert await _latest(scratch) == signed
        body = await verification(scratch, tokens)
        assert body["ok"] is False
        assert "not signed by repatriation" in str(body["reason"])

    async def test_with_the_local_checkpoints_removed_the_stream_s_copy_still_detects(
        self, scratch: RoleSeparatedDatabase, tokens: KeycloakTokens
    ) -> None:
        """An operator with the owner's role deletes the checkpoints kept in the database, then
        cuts the trail's tail: the last checkpoint on the AUDIT stream still vouches for it."""
        await write_entries(scratch, 4)
        checkpoint = await publish_checkpoint(runtime_of(scratch), KEYS["repatriation"])
        assert checkpoint is not None
        stream = StreamCopy()
        await relay(scratch, stream)
        order = await seqs(scratch)
        conn = await operator(scratch)
        try:
            await conn.execute("ALTER TABLE audit_checkpoint DISABLE TRIGGER USER")
            await conn.execute("DELETE FROM audit_checkpoint")
            await conn.execute("DELETE FROM audit WHERE seq >= $1", order[2])
        finally:
            await conn.close()
        assert await _latest(scratch) is None
        body = await audit_get(scratch, tokens, "/v1/audit/verification", stream=stream)
        assert stream.asked == [("AUDIT", "audit.repatriation.checkpoint.v1")]
        assert body["ok"] is False
        assert "removed from its end" in body["reason"]
        assert body["checkpoint"]["source"] == "bus"
        assert body["checkpoint"]["seq"] == checkpoint.seq

    async def test_with_the_local_checkpoints_deleted_the_worker_signs_no_shorter_trail(
        self, scratch: RoleSeparatedDatabase
    ) -> None:
        """Without the stream's copy, the worker would sign what is left as a first checkpoint
        and the verification would then pass against it."""
        runtime = runtime_of(scratch)
        await write_entries(scratch, 4)
        assert await publish_checkpoint(runtime, KEYS["repatriation"]) is not None
        stream = StreamCopy()
        await relay(scratch, stream)
        order = await seqs(scratch)
        conn = await operator(scratch)
        try:
            await conn.execute("ALTER TABLE audit_checkpoint DISABLE TRIGGER USER")
            await conn.execute("DELETE FROM audit_checkpoint")
            await conn.execute("DELETE FROM audit WHERE seq >= $1", order[2])
        finally:
            await conn.close()
        await write_entries(scratch, 2)
        published = await bus_checkpoint(stream, "repatriation", PublicKeys.parse(PUBLIC))
        assert published is not None
        key = KEYS["repatriation"]
        assert await publish_checkpoint(runtime, key, published=published) is None

    async def test_a_stream_copy_not_signed_by_the_service_is_not_used(
        self, scratch: RoleSeparatedDatabase
    ) -> None:
        forged = Checkpoint(
            "repatriation", 99, "e" * 64, 99, datetime.now(UTC), "repatriation-test"
        ).signed_with(KEYS["consular"])
        forged = replace(forged, key_id="repatriation-test")
        stream = StreamCopy()
        stream.publish_outbox(
            [{"type": checkpoint_subject("repatriation"), **envelope_json(forged)}]
        )
        keys = PublicKeys.parse(PUBLIC)
        assert await bus_checkpoint(stream, "repatriation", keys) is None
        assert await bus_checkpoint(StreamCopy(), "repatriation", keys) is None  # none there
        signed = repatriation_checkpoint(7, 7)
        stream.publish_outbox(
            [{"type": checkpoint_subject("repatriation"), **envelope_json(signed)}]
        )
        assert await bus_checkpoint(stream, "repatriation", keys) == signed

    async def test_the_count_must_match_at_the_checkpoint(
        self, scratch: RoleSeparatedDatabase
    ) -> None:
        await write_entries(scratch, 3)
        order = await seqs(scratch)
        async with scratch.sessions() as session:
            head = (
                await session.execute(
                    text("SELECT hash FROM audit WHERE seq = :s"), {"s": order[-1]}
                )
            ).scalar_one()
            result = await verify_chain(
                session, expected=ExpectedHead(seq=order[-1], head=head, count=4)
            )
        assert not result.ok
        assert "removed or added" in str(result.reason)


def envelope_of(checkpoint: Checkpoint, **overrides: object) -> IncomingEnvelope:
    fields: dict[str, object] = {
        "id": uuid.uuid4(),
        "type": checkpoint_subject(checkpoint.service),
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


def repatriation_checkpoint(seq: int, count: int, head: str = "a" * 64) -> Checkpoint:
    return Checkpoint(
        "repatriation", seq, head, count, datetime.now(UTC), "repatriation-test"
    ).signed_with(KEYS["repatriation"])


class TestWitnesses:
    async def test_one_durable_per_service_on_the_audit_stream(
        self, scratch: RoleSeparatedDatabase
    ) -> None:
        sub = checkpoint_subscription(runtime_of(scratch, "reserve_fund"))
        assert sub.durable == durable_name("reserve_fund") == "reserve-fund-audit-checkpoints"
        assert sub.stream == "AUDIT"
        assert sub.subjects == ["audit.>"]

    async def test_its_own_checkpoints_on_the_stream_are_skipped(
        self, scratch: RoleSeparatedDatabase
    ) -> None:
        own = Checkpoint("consular", 3, "c" * 64, 3, datetime.now(UTC), "consular-test")
        envelope = envelope_of(own.signed_with(KEYS["consular"]))
        sub = checkpoint_subscription(runtime_of(scratch, "consular"))
        await sub.handle(envelope, Tracking(sub.durable, envelope.id, envelope.type))
        async with scratch.sessions() as session:
            held = (await session.execute(text("SELECT count(*) FROM audit_witness"))).scalar()
        assert held == 0

    async def test_a_signed_checkpoint_of_another_service_is_kept(
        self, scratch: RoleSeparatedDatabase
    ) -> None:
        await keep(scratch, envelope_of(repatriation_checkpoint(5, 5)))
        await keep(scratch, envelope_of(repatriation_checkpoint(9, 8, "b" * 64)))
        async with scratch.sessions() as session:
            held = (
                await session.execute(
                    text("SELECT seq, count FROM audit_witness WHERE service = 'repatriation'")
                )
            ).all()
        assert sorted(map(tuple, held)) == [(5, 5), (9, 8)]

    async def test_the_auditor_reads_the_newest_kept_checkpoint_of_each_other_service(
        self, scratch: RoleSeparatedDatabase, tokens: KeycloakTokens
    ) -> None:
        await keep(scratch, envelope_of(repatriation_checkpoint(5, 5)))
        newest = repatriation_checkpoint(9, 8, "b" * 64)
        await keep(scratch, envelope_of(newest))
        held = await audit_get(scratch, tokens, "/v1/audit/checkpoints", "consular")
        assert held == [
            {
                "service": "repatriation",
                "seq": 9,
                "head": "b" * 64,
                "count": 8,
                "at": newest.time.isoformat().replace("+00:00", "Z"),
                "key_id": "repatriation-test",
            }
        ]

    @pytest.mark.parametrize(
        ("change", "refusal"),
        [
            ({"signature_by": "consular"}, "not signed by repatriation"),
            ({"source": "puebla/consular"}, "came as"),
            ({"type": "audit.consular.checkpoint.v1"}, "came as"),
        ],
    )
    async def test_a_checkpoint_not_from_its_publisher_is_refused(
        self, scratch: RoleSeparatedDatabase, change: dict[str, str], refusal: str
    ) -> None:
        checkpoint = repatriation_checkpoint(5, 5)
        if "signature_by" in change:
            checkpoint = Checkpoint(
                "repatriation", 5, "a" * 64, 5, checkpoint.time, "repatriation-test"
            ).signed_with(KEYS[change.pop("signature_by")])
            checkpoint = replace(checkpoint, key_id="repatriation-test")
        with pytest.raises(CheckpointRefused, match=refusal):
            await keep(scratch, envelope_of(checkpoint, **change))

    async def test_its_own_checkpoints_are_not_kept_by_a_service(
        self, scratch: RoleSeparatedDatabase
    ) -> None:
        own = Checkpoint("consular", 3, "c" * 64, 3, datetime.now(UTC), "consular-test")
        with pytest.raises(CheckpointRefused, match="not kept here"):
            await keep(scratch, envelope_of(own.signed_with(KEYS["consular"])))

    async def test_a_shorter_trail_signed_later_is_refused(
        self, scratch: RoleSeparatedDatabase
    ) -> None:
        """A checkpoint of seq 7 delivered late (signed before seq 9's) is kept; one signed
        after it means the publisher's trail was cut back and signed again."""
        early = repatriation_checkpoint(7, 7, "c" * 64)
        await keep(scratch, envelope_of(repatriation_checkpoint(9, 8, "b" * 64)))
        await keep(scratch, envelope_of(early))
        with pytest.raises(CheckpointRefused, match="signed after seq 7 was"):
            await keep(scratch, envelope_of(repatriation_checkpoint(6, 6, "d" * 64)))

    @pytest.mark.parametrize(
        ("seq", "count", "head"),
        [(9, 8, "f" * 64), (12, 7, "b" * 64), (10, 10, "b" * 64), (7, 8, "b" * 64)],
        ids=["another-head-same-seq", "fewer-later", "more-than-seqs", "more-earlier"],
    )
    async def test_a_checkpoint_contradicting_what_is_held_is_refused(
        self, scratch: RoleSeparatedDatabase, seq: int, count: int, head: str
    ) -> None:
        await keep(scratch, envelope_of(repatriation_checkpoint(9, 8, "b" * 64)))
        with pytest.raises(CheckpointRefused, match="contradicts"):
            await keep(scratch, envelope_of(repatriation_checkpoint(seq, count, head)))
