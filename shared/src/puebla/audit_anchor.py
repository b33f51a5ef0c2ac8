"""The audit trail's anchor outside the service's database (security review 6).

The hash chain (`puebla.db.audit`) shows any change to an entry, unless whoever changed it
re-hashed everything after it, or cut the tail off. So each service's worker publishes its
chain's head now and then as a *signed checkpoint* — the last entry's `seq` and `hash`, how
many entries there are up to it, the time, the key id and an Ed25519 signature by the
service's own key — on `audit.<context>.checkpoint.v1` (stream AUDIT), through the outbox like
every event:

- `publish_checkpoint` (run by the worker's `checkpoint_job` every
  `PUEBLA_AUDIT_CHECKPOINT_SECONDS`, only when the head moved) takes the chain's lock, reads
  the head, signs it, and writes the checkpoint into `audit_checkpoint` and the outbox in one
  transaction: a checkpoint is kept locally if and only if it is published.
- Every *other* service keeps it (`checkpoint_subscription`: one durable consumer per
  service, `<service-name>-audit-checkpoints`, on AUDIT with the filter `audit.>`, its own
  checkpoints skipped), in its own `audit_witness`, after
  checking the signature against the publisher's configured public key and that it does not
  contradict what it already holds (one head per `seq`; `count` never shrinks).
- `GET /v1/audit/verification` (`puebla.http.audit`) verifies the chain against the newest
  checkpoint of its own service whose signature verifies: the newer of the local copy
  (`latest_checkpoint`) and the last one on the AUDIT stream (`bus_checkpoint`, read outside the
  database). An operator who rewrites the trail and re-hashes it, or truncates its tail, no
  longer matches a head the service signed and published. The runtime role has only INSERT and
  SELECT on `audit_checkpoint`: it can neither remove a checkpoint nor forge one without the
  key. Whoever also holds the owner's role can delete the local copies: the stream's copy is
  then still compared, and the copies the other services keep (`audit_witness`, just as
  append-only there; `GET /v1/audit/checkpoints` on each) are the independent record.

Open for a transparency log (RFC 9162, a later issue): a checkpoint already has the shape of a
signed tree head (tree size = `count`, root hash = `head`, timestamp, signature, versioned
`format`); both tables keep every checkpoint, not only the newest, so consistency between
consecutive heads can be proven once `head` is a Merkle root; a new format goes out as
`audit.<context>.checkpoint.v2` beside v1, and the witnesses are the log's monitors.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import json
import re
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from puebla.clock import Clock, utcnow
from puebla.config import PlatformSettings
from puebla.contracts.audit.v1 import AuditCheckpointV1
from puebla.contracts.audit.v2 import LOG_FORMAT, AuditCheckpointV2
from puebla.contracts.envelope import IncomingEnvelope
from puebla.db.unit_of_work import OutgoingEvent, Tracking, UnitOfWork
from puebla.messaging.consumer import Subscription
from puebla.messaging.permissions import CONTEXTS
from puebla.observability import get_logger
from puebla.runtime import Runtime, ServiceDefinition
from puebla.transparency import log as transparency
from puebla.transparency.log import SEAL_LOCK, SignedSize
from puebla.transparency.merkle import verify_consistency

log = get_logger(__name__)

STREAM = "AUDIT"
ALL_CHECKPOINTS = "audit.>"
_KEY_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def checkpoint_subject(service: str, version: int = 2) -> str:
    """`audit.<context>.checkpoint.v2` (a signed tree head), e.g. `audit.child.checkpoint.v2`
    for child_protection; `version=1`: the hash chain's checkpoints published before."""
    return f"audit.{CONTEXTS[service]}.checkpoint.v{version}"


def durable_name(service: str) -> str:
    """`<service-name>-audit-checkpoints`, e.g. `reserve-fund-audit-checkpoints`."""
    return f"{service.replace('_', '-')}-audit-checkpoints"


class AnchorKeyError(ValueError):
    """A signing or public key setting that is missing or malformed."""


class CheckpointRefused(Exception):
    """A checkpoint that is not signed by its publisher's key, or contradicts what is held."""


# -- keys ----------------------------------------------------------------------------------


def _b64_32(value: str, what: str) -> bytes:
    try:
        raw = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise AnchorKeyError(f"{what} is not valid base64") from None
    if len(raw) != 32:
        raise AnchorKeyError(f"{what} must be 32 bytes, not {len(raw)}")
    return raw


@dataclass(frozen=True)
class SigningKey:
    """A service's checkpoint signing key: `"<key id>:<base64 32-byte Ed25519 private key>"`."""

    key_id: str
    private: Ed25519PrivateKey

    @classmethod
    def parse(cls, setting: str) -> SigningKey:
        key_id, sep, encoded = setting.strip().partition(":")
        if not sep or not _KEY_ID.fullmatch(key_id):
            raise AnchorKeyError("the audit signing key must look like '<key id>:<base64>'")
        return cls(key_id, Ed25519PrivateKey.from_private_bytes(_b64_32(encoded, key_id)))

    @classmethod
    def generate(cls, key_id: str) -> SigningKey:
        return cls(key_id, Ed25519PrivateKey.generate())

    def setting(self) -> str:
        raw = self.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        return f"{self.key_id}:{base64.b64encode(raw).decode()}"

    def public_setting(self, service: str) -> str:
        """This key's entry of `PUEBLA_AUDIT_PUBLIC_KEYS`."""
        raw = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return f"{service}:{self.key_id}:{base64.b64encode(raw).decode()}"

    def __repr__(self) -> str:
        return f"SigningKey(key_id={self.key_id!r})"


@dataclass(frozen=True)
class PublicKeys:
    """Every service's checkpoint keys, by (service, key id)."""

    keys: dict[tuple[str, str], Ed25519PublicKey]

    @classmethod
    def parse(cls, setting: str) -> PublicKeys:
        keys: dict[tuple[str, str], Ed25519PublicKey] = {}
        for item in (part.strip() for part in setting.split(",")):
            if not item:
                continue
            service, key_id, encoded = [*item.split(":", 2), "", ""][:3]
            if service not in CONTEXTS or not _KEY_ID.fullmatch(key_id) or not encoded:
                raise AnchorKeyError(
                    f"{item[:40]!r}: each audit public key is '<service>:<key id>:<base64>'"
                )
            keys[service, key_id] = Ed25519PublicKey.from_public_bytes(_b64_32(encoded, key_id))
        return cls(keys)

    def get(self, service: str, key_id: str) -> Ed25519PublicKey | None:
        return self.keys.get((service, key_id))


def signing_key(platform: PlatformSettings) -> SigningKey:
    """The configured signing key; none refuses the worker's start (the local stack makes one
    per service under var/ at first start, never committed)."""
    if platform.audit_signing_key is None or not platform.audit_signing_key.get_secret_value():
        raise AnchorKeyError(
            "PUEBLA_AUDIT_SIGNING_KEY is not set: the worker signs its audit checkpoints with it"
        )
    return SigningKey.parse(platform.audit_signing_key.get_secret_value())


def public_keys(platform: PlatformSettings) -> PublicKeys:
    return PublicKeys.parse(platform.audit_public_keys)


# -- the checkpoint ------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    """A signed head. Of the transparency log (`LOG_FORMAT`, what every worker publishes now):
    `seq` = `count` = the tree size, `head` = the root hash, with the consistency proof from
    the `previous` signed size. Of the hash chain before it (`CHAIN_FORMAT`, still read from
    stored rows and old messages): the last entry's `seq` and `hash`, and `count` entries."""

    service: str
    seq: int
    head: str
    count: int
    time: datetime
    key_id: str
    signature: str = ""
    format: str = LOG_FORMAT
    previous: int | None = None
    consistency: tuple[str, ...] = ()

    @property
    def is_log(self) -> bool:
        return self.format == LOG_FORMAT

    def _signed_fields(self) -> dict[str, Any]:
        time = self.time.astimezone(UTC).isoformat().replace("+00:00", "Z")
        if self.is_log:
            return {
                "format": self.format,
                "service": self.service,
                "tree_size": self.seq,
                "root_hash": self.head,
                "time": time,
                "key_id": self.key_id,
            }
        return {
            "format": self.format,
            "service": self.service,
            "seq": self.seq,
            "head": self.head,
            "count": self.count,
            "time": time,
            "key_id": self.key_id,
        }

    def signed_body(self) -> bytes:
        """What the signature covers: every field but the signature (and, of a tree head, the
        consistency proof, which verifies on its own), canonical JSON."""
        return json.dumps(self._signed_fields(), sort_keys=True, separators=(",", ":")).encode()

    def signed_with(self, key: SigningKey) -> Checkpoint:
        unsigned = replace(self, key_id=key.key_id)
        signature = base64.b64encode(key.private.sign(unsigned.signed_body())).decode()
        return replace(unsigned, signature=signature)

    def verify(self, keys: PublicKeys) -> None:
        public = keys.get(self.service, self.key_id)
        if public is None:
            raise CheckpointRefused(f"no public key {self.key_id!r} of {self.service}")
        try:
            public.verify(base64.b64decode(self.signature), self.signed_body())
        except (InvalidSignature, binascii.Error, ValueError):
            raise CheckpointRefused(
                f"checkpoint seq {self.seq} is not signed by {self.service}'s key {self.key_id!r}"
            ) from None

    @property
    def root(self) -> bytes:
        return bytes.fromhex(self.head)

    def signed_size(self) -> SignedSize:
        return SignedSize(size=self.seq, root=self.root, at=self.time)

    def data(self) -> dict[str, Any]:
        extra: dict[str, Any] = (
            {"previous_size": self.previous, "consistency": list(self.consistency)}
            if self.is_log
            else {}
        )
        return {"version": self.seq, **self._signed_fields(), "signature": self.signature, **extra}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Checkpoint:
        if data.get("format") == LOG_FORMAT:
            head = AuditCheckpointV2.model_validate(data)
            return cls(
                service=head.service,
                seq=head.tree_size,
                head=head.root_hash,
                count=head.tree_size,
                time=head.time,
                key_id=head.key_id,
                signature=head.signature,
                format=head.format,
                previous=head.previous_size,
                consistency=tuple(head.consistency),
            )
        parsed = AuditCheckpointV1.model_validate(data)
        return cls(
            service=parsed.service,
            seq=parsed.seq,
            head=parsed.head,
            count=parsed.count,
            time=parsed.time,
            key_id=parsed.key_id,
            signature=parsed.signature,
            format=parsed.format,
        )

    @classmethod
    def from_row(cls, service: str, row: Any) -> Checkpoint:
        return cls(
            service=service,
            seq=row["seq"],
            head=row["head"],
            count=row["count"],
            time=row["at"],
            key_id=row["key_id"],
            signature=row["signature"],
            format=row["format"],
        )


# -- publishing (the worker) ---------------------------------------------------------------


async def publish_checkpoint(
    runtime: Runtime,
    key: SigningKey,
    *,
    clock: Clock = utcnow,
    published: Checkpoint | None = None,
) -> Checkpoint | None:
    """Signs the log's current tree head and writes it to `audit_checkpoint` and the outbox in
    one transaction, with the consistency proof from the last signed head. None when the log
    has not grown since, or is empty. Under the sealers' lock: the tree cannot grow meanwhile,
    and two workers of one service never sign the same size twice.

    The last signed head is the newer of the local one and `published` (the stream's, read by
    the job before each round): with the local copies deleted, the worker would otherwise sign
    whatever log is left. A log that is shorter than the last signed head, or whose stored
    tree no longer gives that head's root for its size, is never signed again (logged; the
    verification, which recomputes from the entries, reports it)."""
    service = runtime.definition.name
    uow = UnitOfWork(
        runtime.sessions, source=runtime.definition.source, actor="system", clock=clock
    )
    async with uow:
        session = uow.session
        await session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": SEAL_LOCK})
        size = await transparency.tree_size(session)
        local = (
            (
                await session.execute(
                    text(
                        "SELECT seq, head FROM audit_checkpoint WHERE format = :f"
                        " ORDER BY seq DESC LIMIT 1"
                    ),
                    {"f": LOG_FORMAT},
                )
            )
            .mappings()
            .first()
        )
        last: tuple[int, str] | None = (local["seq"], local["head"]) if local else None
        if published is not None and published.is_log and (last is None or published.seq > last[0]):
            last = (published.seq, published.head)
        if size == 0 or (last is not None and size <= last[0]):
            if last is not None and size < last[0]:
                # Entries the last head vouches for are gone: never sign a shorter log.
                log.error("audit.checkpoint.trail_shrank", size=size, last=last[0])
            return None
        if last is not None and not await _still_extends(session, *last):
            # The log no longer holds what the last head signed: signing a new head on top
            # would vouch for a damaged log. The verification keeps reporting it.
            log.error("audit.checkpoint.trail_rewritten", size=last[0])
            return None
        root = await transparency.root_at(session, size)
        proof = await transparency.consistency(session, last[0], size) if last else []
        checkpoint = Checkpoint(
            service=service,
            seq=size,
            head=root.hex(),
            count=size,
            time=clock(),
            key_id=key.key_id,
            previous=last[0] if last else None,
            consistency=tuple(node.hex() for node in proof),
        ).signed_with(key)
        await session.execute(
            text(
                "INSERT INTO audit_checkpoint (seq, head, count, at, key_id, signature, format)"
                " VALUES (:seq, :head, :count, :at, :key_id, :signature, :format)"
            ),
            {
                "seq": checkpoint.seq,
                "head": checkpoint.head,
                "count": checkpoint.count,
                "at": checkpoint.time,
                "key_id": checkpoint.key_id,
                "signature": checkpoint.signature,
                "format": checkpoint.format,
            },
        )
        uow.publish(
            OutgoingEvent(
                event_type=checkpoint_subject(service),
                aggregate_type="audit_log",
                aggregate_id=service,
                data=checkpoint.data(),
                access=[],
            )
        )
        await uow.commit()
    log.info("audit.checkpoint.published", size=checkpoint.seq)
    return checkpoint


async def _still_extends(session: AsyncSession, size: int, root_hex: str) -> bool:
    """Whether the stored tree's first `size` leaves still hash to the signed root."""
    try:
        return (await transparency.root_at(session, size)).hex() == root_hex
    except LookupError:
        return False


def checkpoint_job(
    definition: ServiceDefinition, *, clock: Clock = utcnow
) -> Callable[[Runtime, asyncio.Event], Coroutine[Any, Any, None]]:
    """The worker's background job publishing checkpoints. The keys are read now, so a worker
    without its signing key, or whose public half is not among the configured public keys
    (nobody could verify what it signs), refuses to start (`AnchorKeyError`) instead of
    running unanchored."""
    platform = definition.platform
    key = signing_key(platform)
    published = public_keys(platform).get(definition.name, key.key_id)
    own = key.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    if published is None or published.public_bytes(Encoding.Raw, PublicFormat.Raw) != own:
        raise AnchorKeyError(
            f"PUEBLA_AUDIT_PUBLIC_KEYS has no key {key.key_id!r} of {definition.name} matching"
            " its signing key: add "
            f"{key.public_setting(definition.name)!r}"
        )
    every = platform.audit_checkpoint_seconds
    # Entries get their place in the log within a second; a head is signed every `every`.
    seal_every = min(every, 1.0)

    keys = public_keys(platform)

    async def audit_checkpoints(runtime: Runtime, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        due = loop.time()
        while not stop.is_set():
            try:
                await transparency.seal_all(runtime.sessions, at=clock())
                if loop.time() >= due:
                    due = loop.time() + every
                    published = (
                        await bus_checkpoint(runtime.js, definition.name, keys)
                        if runtime.js
                        else None
                    )
                    await publish_checkpoint(runtime, key, clock=clock, published=published)
            except Exception as exc:
                # The database may be away for a moment; the next round tries again.
                log.warning("audit.checkpoint.failed", error=f"{type(exc).__name__}: {exc}")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), seal_every)

    return audit_checkpoints


# -- keeping the others' (every worker) ----------------------------------------------------


def checkpoint_subscription(runtime: Runtime, *, durable: str | None = None) -> Subscription:
    """The durable consumer `<service-name>-audit-checkpoints` on AUDIT: the checkpoints of
    every other service, verified and kept in `audit_witness`."""
    own = runtime.definition.name
    keys = public_keys(runtime.definition.platform)

    async def keep(envelope: IncomingEnvelope, tracking: Tracking) -> None:
        if envelope.type in (checkpoint_subject(own), checkpoint_subject(own, 1)):
            return  # its own, from the bus: kept already, in `audit_checkpoint`
        await keep_checkpoint(runtime, envelope, tracking, keys=keys)

    # One filter subject per durable (the bus permissions grant the durable with it): the
    # whole stream, the service's own checkpoints skipped.
    return Subscription(
        durable=durable or durable_name(own),
        stream=STREAM,
        subjects=[ALL_CHECKPOINTS],
        handle=keep,
        permanent_errors=(CheckpointRefused,),
    )


def anchored(
    subscriptions: Callable[[Runtime], list[Subscription]], *, durable: str
) -> Callable[[Runtime], list[Subscription]]:
    """A worker's subscriptions plus `checkpoint_subscription` under the name `durable`."""

    def with_checkpoints(runtime: Runtime) -> list[Subscription]:
        return [*subscriptions(runtime), checkpoint_subscription(runtime, durable=durable)]

    return with_checkpoints


async def keep_checkpoint(
    runtime: Runtime, envelope: IncomingEnvelope, tracking: Tracking, *, keys: PublicKeys
) -> None:
    try:
        checkpoint = Checkpoint.from_data(envelope.data)
    except ValueError as exc:
        raise CheckpointRefused(f"not a checkpoint: {exc}") from None
    service = checkpoint.service
    if service not in CONTEXTS or service == runtime.definition.name:
        raise CheckpointRefused(f"a checkpoint of {service!r} is not kept here")
    expected_type = checkpoint_subject(service, 2 if checkpoint.is_log else 1)
    if envelope.type != expected_type or envelope.source != f"puebla/{service}":
        raise CheckpointRefused(
            f"a checkpoint of {service} came as {envelope.type} from {envelope.source}"
        )
    try:
        checkpoint.verify(keys)
    except CheckpointRefused:
        log.error("audit.witness.bad_signature", service=service, seq=checkpoint.seq)
        raise
    uow = UnitOfWork(runtime.sessions, source=runtime.definition.source, actor="system")
    uow.track(tracking)
    async with uow:
        if checkpoint.is_log:
            await _check_extends(uow.session, checkpoint)
        else:
            await _check_consistent(uow.session, checkpoint)
        await uow.session.execute(
            text(
                "INSERT INTO audit_witness (service, seq, head, count, at, key_id, signature,"
                " event_id, format) VALUES (:service, :seq, :head, :count, :at, :key_id,"
                " :signature, :event_id, :format) ON CONFLICT DO NOTHING"
            ),
            {
                "format": checkpoint.format,
                "service": service,
                "seq": checkpoint.seq,
                "head": checkpoint.head,
                "count": checkpoint.count,
                "at": checkpoint.time,
                "key_id": checkpoint.key_id,
                "signature": checkpoint.signature,
                "event_id": envelope.id,
            },
        )
        await uow.commit()
    log.info("audit.witness.kept", service=service, seq=checkpoint.seq)


async def _check_extends(session: AsyncSession, head: Checkpoint) -> None:
    """A signed tree head must not contradict one already held: another root for the same
    size is a fork (two histories signed), and its consistency proof from the `previous` size,
    when that head is held, must show the new tree extends the old one (RFC 9162 §2.1.4.2).
    A head whose previous one this witness never received is kept unlinked (logged): the
    verifier checks it against the publisher's proofs later."""
    rows = (
        await session.execute(
            text(
                "SELECT seq, head FROM audit_witness WHERE service = :s AND format = :f"
                " AND seq IN (:size, :previous)"
            ),
            {"s": head.service, "f": LOG_FORMAT, "size": head.seq, "previous": head.previous or 0},
        )
    ).all()
    held = {int(size): root for size, root in rows}
    problem = None
    if head.seq in held and held[head.seq] != head.head:
        problem = f"another root for tree size {head.seq}: the log forked"
    elif head.previous is not None and head.previous in held:
        proof = [bytes.fromhex(node) for node in head.consistency]
        if not verify_consistency(
            head.previous, head.seq, bytes.fromhex(held[head.previous]), head.root, proof
        ):
            problem = f"tree size {head.seq} does not extend the head held for {head.previous}"
    elif head.previous is not None:
        log.info("audit.witness.unlinked", service=head.service, size=head.seq)
    if problem:
        log.error(
            "audit.witness.inconsistent", service=head.service, size=head.seq, problem=problem
        )
        raise CheckpointRefused(f"tree head {head.seq} contradicts: {problem}")


async def _check_consistent(session: AsyncSession, checkpoint: Checkpoint) -> None:
    """A signed checkpoint that contradicts one already held (another head for a seq, fewer
    entries for a later seq, more new entries than new seqs) is refused and logged: the
    publisher's trail was rewritten between the two, or its key signed two histories."""
    rows = (
        (
            await session.execute(
                text(
                    "SELECT seq, head, count, at FROM audit_witness WHERE service = :s AND seq IN ("
                    " (SELECT max(seq) FROM audit_witness WHERE service = :s AND seq <= :q),"
                    " (SELECT min(seq) FROM audit_witness WHERE service = :s AND seq >= :q))"
                ),
                {"s": checkpoint.service, "q": checkpoint.seq},
            )
        )
        .mappings()
        .all()
    )
    for row in rows:
        problem = None
        if row["seq"] == checkpoint.seq:
            if (row["head"], row["count"]) != (checkpoint.head, checkpoint.count):
                problem = "another head for the same seq"
        elif row["seq"] < checkpoint.seq:
            grown = checkpoint.count - row["count"]
            if grown <= 0 or grown > checkpoint.seq - row["seq"]:
                problem = f"count {checkpoint.count} after {row['count']} at seq {row['seq']}"
        else:
            grown = row["count"] - checkpoint.count
            if grown <= 0 or grown > row["seq"] - checkpoint.seq:
                problem = f"count {checkpoint.count} before {row['count']} at seq {row['seq']}"
            elif row["at"] < checkpoint.time:
                # Signed after a checkpoint of a longer trail: the trail was cut back.
                problem = f"seq {checkpoint.seq} signed after seq {row['seq']} was"
        if problem:
            log.error(
                "audit.witness.inconsistent",
                service=checkpoint.service,
                seq=checkpoint.seq,
                problem=problem,
            )
            raise CheckpointRefused(f"checkpoint seq {checkpoint.seq} contradicts: {problem}")


# -- what the verification compares against (the API) -------------------------------------


@dataclass(frozen=True)
class Anchor:
    """The newest checkpoint of the service that verifies, and those that did not."""

    checkpoint: Checkpoint | None
    refused: Sequence[str] = ()


class LastMessages(Protocol):
    """What `bus_checkpoint` needs of a JetStream context."""

    async def get_last_msg(self, stream_name: str, subject: str) -> Any: ...


async def bus_checkpoint(
    js: LastMessages, service: str, keys: PublicKeys, *, timeout: float = 2.0
) -> Checkpoint | None:
    """The service's last checkpoint as the AUDIT stream holds it (outside its database), if it
    is there, readable (the bus user needs `$JS.API.STREAM.MSG.GET.AUDIT`) and signed by the
    service; None otherwise (logged): the local copy and the witnesses still stand."""
    try:
        msg = await asyncio.wait_for(js.get_last_msg(STREAM, checkpoint_subject(service)), timeout)
        envelope = IncomingEnvelope.model_validate_json(msg.data)
        checkpoint = Checkpoint.from_data(envelope.data)
        if checkpoint.service != service or envelope.source != f"puebla/{service}":
            raise CheckpointRefused(f"a checkpoint of {checkpoint.service} from {envelope.source}")
        checkpoint.verify(keys)
    except Exception as exc:
        log.warning("audit.anchor.bus_unread", error=f"{type(exc).__name__}: {exc}")
        return None
    return checkpoint


async def latest_checkpoint(session: AsyncSession, service: str, keys: PublicKeys) -> Anchor:
    """The newest checkpoint in `audit_checkpoint` whose signature verifies. Newer rows that do
    not verify are reported (someone with the runtime role wrote them; the worker never does)."""
    rows = (
        (
            await session.execute(
                text(
                    "SELECT seq, head, count, at, key_id, signature, format"
                    " FROM audit_checkpoint WHERE format = :f ORDER BY seq DESC LIMIT 50"
                ),
                {"f": LOG_FORMAT},
            )
        )
        .mappings()
        .all()
    )
    refused: list[str] = []
    for row in rows:
        checkpoint = Checkpoint.from_row(service, row)
        try:
            checkpoint.verify(keys)
        except CheckpointRefused as exc:
            refused.append(str(exc))
            continue
        return Anchor(checkpoint, refused)
    return Anchor(None, refused)


def main(argv: list[str] | None = None) -> int:
    """`python -m puebla.audit_anchor new-key <service>`: a new signing key for the service's
    secret (`PUEBLA_AUDIT_SIGNING_KEY`) and its entry for `PUEBLA_AUDIT_PUBLIC_KEYS`."""
    import argparse
    import secrets
    import sys

    parser = argparse.ArgumentParser(prog="python -m puebla.audit_anchor")
    sub = parser.add_subparsers(dest="command", required=True)
    new = sub.add_parser("new-key", help="a new checkpoint signing key for a service")
    new.add_argument("service", choices=sorted(CONTEXTS))
    new.add_argument("--key-id", help="default: <service>-<date>-<random>")
    args = parser.parse_args(argv)
    stamp = datetime.now(UTC).strftime("%Y%m%d")
    key_id = args.key_id or f"{args.service.replace('_', '-')}-{stamp}-{secrets.token_hex(3)}"
    key = SigningKey.generate(key_id)
    sys.stdout.write(f"PUEBLA_AUDIT_SIGNING_KEY={key.setting()}\n")
    sys.stdout.write(f"PUEBLA_AUDIT_PUBLIC_KEYS entry: {key.public_setting(args.service)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
