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
    MetaData,
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


# Append-only: the database itself refuses to change or delete an audit entry. An operator
# with superuser rights can still disable the trigger, which is what the hash chain is for.
AUDIT_APPEND_ONLY_SQL = [
    """
    CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger AS $$
    BEGIN
        RAISE EXCEPTION 'the audit trail is append-only (% refused)', TG_OP;
    END;
    $$ LANGUAGE plpgsql
    """,
    """
    CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit
    FOR EACH ROW EXECUTE FUNCTION audit_append_only()
    """,
]
