"""The platform tables every service keeps in its own database: outbox, inbox, audit.

Column names of the outbox follow Debezium's outbox router (aggregatetype, aggregateid, type,
payload) so that change-data-capture could replace the polling relay without a migration.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, UUID

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_metadata() -> MetaData:
    return MetaData(naming_convention=NAMING_CONVENTION)


def define_platform_tables(metadata: MetaData) -> tuple[Table, Table, Table, Table]:
    """Adds `outbox`, `inbox`, `audit` and `idempotency` to a service's metadata."""
    outbox = Table(
        "outbox",
        metadata,
        Column("id", UUID(as_uuid=True), primary_key=True),  # the event id = Nats-Msg-Id
        Column("aggregatetype", Text, nullable=False),
        Column("aggregateid", Text, nullable=False),
        Column("type", Text, nullable=False),  # = NATS subject
        Column("payload", JSONB, nullable=False),  # the whole envelope
        Column("headers", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("published_at", DateTime(timezone=True), nullable=True),
        Column("attempts", Integer, nullable=False, server_default=text("0")),
        Column("last_error", Text, nullable=True),
        Index(
            "ix_outbox_unpublished",
            "created_at",
            postgresql_where=text("published_at IS NULL"),
        ),
        Index("ix_outbox_published_at", "published_at"),
    )
    inbox = Table(
        "inbox",
        metadata,
        Column("consumer", Text, primary_key=True),
        Column("event_id", UUID(as_uuid=True), primary_key=True),
        Column("type", Text, nullable=False),
        Column("outcome", Text, nullable=False, server_default=text("'applied'")),
        Column("applied_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    audit = Table(
        "audit",
        metadata,
        Column("seq", BigInteger, primary_key=True, autoincrement=True),
        Column("id", UUID(as_uuid=True), nullable=False, unique=True),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("actor", Text, nullable=False),
        Column("action", Text, nullable=False),
        Column("entity_type", Text, nullable=False),
        Column("entity_id", Text, nullable=False),
        Column("detail", JSONB, nullable=False, server_default=text("'{}'::jsonb")),
        Column("correlation_id", Text, nullable=True),
        Column("prev_hash", Text, nullable=False),
        Column("hash", Text, nullable=False),
        Index("ix_audit_entity", "entity_type", "entity_id", "seq"),
    )
    # The first answer to a write that carried an `Idempotency-Key`, replayed on a retry.
    idempotency = Table(
        "idempotency",
        metadata,
        Column("subject", Text, primary_key=True),  # the caller: keys are per person
        Column("key", Text, primary_key=True),
        Column("request_hash", Text, nullable=False),
        Column("status", Integer, nullable=True),  # NULL while the first request runs
        Column("body", JSONB, nullable=True),
        Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    )
    return outbox, inbox, audit, idempotency


# What a checkpoint row written before the transparency log was (the column's default).
CHAIN_DEFAULT = "'puebla-audit-chain/1'"


def define_audit_anchor_tables(metadata: MetaData) -> tuple[Table, Table]:
    """`audit_checkpoint`: every signed checkpoint of this service's own chain, written in the
    transaction that puts it in the outbox (`puebla.audit_anchor`). `audit_witness`: the signed
    checkpoints of the *other* services, as received from the AUDIT stream. Both keep every
    checkpoint, not only the newest: a later transparency log (RFC 9162) checks consistency
    between consecutive signed heads, and a witness needs the history to do so."""
    checkpoint = Table(
        "audit_checkpoint",
        metadata,
        # A tree head (`puebla-audit-log/2`): seq = count = the tree size, head = the root.
        # A chain checkpoint (before): the last entry's seq and hash, and the entries up to it.
        Column("seq", BigInteger, nullable=False, autoincrement=False),
        Column("head", Text, nullable=False),
        Column("count", BigInteger, nullable=False),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("key_id", Text, nullable=False),
        Column("signature", Text, nullable=False),  # base64 Ed25519 over the signed body
        Column("format", Text, nullable=False, server_default=text(CHAIN_DEFAULT)),
        PrimaryKeyConstraint("format", "seq"),
    )
    witness = Table(
        "audit_witness",
        metadata,
        Column("service", Text, nullable=False),  # the publisher, e.g. "consular"
        Column("seq", BigInteger, nullable=False, autoincrement=False),
        Column("head", Text, nullable=False),
        Column("count", BigInteger, nullable=False),
        Column("at", DateTime(timezone=True), nullable=False),
        Column("key_id", Text, nullable=False),
        Column("signature", Text, nullable=False),
        Column("event_id", UUID(as_uuid=True), nullable=False),
        Column("received_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
        Column("format", Text, nullable=False, server_default=text(CHAIN_DEFAULT)),
        PrimaryKeyConstraint("service", "format", "seq"),
    )
    # The transparency log (issue 18, `puebla.transparency.log`): entries waiting for their
    # place, the place each got, and the Merkle tree's perfect subtrees.
    Table(
        "audit_pending",
        metadata,
        Column("seq", BigInteger, primary_key=True, autoincrement=False),
    )
    Table(
        "audit_leaf",
        metadata,
        Column("leaf_index", BigInteger, primary_key=True, autoincrement=False),
        Column("seq", BigInteger, nullable=False, unique=True),
        Column("sealed_at", DateTime(timezone=True), nullable=False),
    )
    Table(
        "audit_node",
        metadata,
        Column("level", SmallInteger, primary_key=True, autoincrement=False),
        Column("position", BigInteger, primary_key=True, autoincrement=False),
        Column("hash", LargeBinary, nullable=False),
    )
    return checkpoint, witness


# Tables nobody but their owner may change or delete from: the runtime role gets only INSERT
# and SELECT on them (`puebla.db.migrations.grant_runtime_role`), and triggers refuse UPDATE,
# DELETE and TRUNCATE even to the owner unless it first disables them.
APPEND_ONLY_TABLES = ("audit", "audit_checkpoint", "audit_witness", "audit_leaf", "audit_node")
