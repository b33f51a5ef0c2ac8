"""Withdrawn and unroutable records; the directory for every RCM member state; Mexico's
mandatory notification of detained nationals of the member states.

- `notification.status` gains `unroutable` (no post in the directory: kept, routed again) and
  `withdrawn` (taken back: a protection need found later, a cancelled Fund return), with
  `withdrawn_reason` and `withdrawn_at`; `verification.status` gains `withdrawn` likewise;
  a delivery can be `cancelled` (the notice was withdrawn before the channel delivered it).
- `withdrawal`: what was taken back, by the record's `source_key`, also before the record
  arrives (the consumers of one producer run apart).
- `consular_post.kind` gains `concurrent_accreditation`; `placeholder` marks the seeded rows,
  whose addresses are invented. Posts for every member state in every other one
  (`seed.DIRECTORY_EVERY_MEMBER`) and `seed.MEXICO_MANDATORY` are inserted.
"""

import sqlalchemy as sa
from alembic import op

from consular.domain import seed

revision = "0004_withdrawals_directory"
down_revision = "0003_verification_related"

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    for table in ("notification", "verification"):
        op.add_column(table, sa.Column("withdrawn_reason", sa.Text, nullable=True))
        op.add_column(table, sa.Column("withdrawn_at", TZ, nullable=True))
        op.create_check_constraint(
            "withdrawn_has_reason",
            table,
            "(status = 'withdrawn') = (withdrawn_reason IS NOT NULL)"
            " AND withdrawn_reason IN ('protection', 'removed', 'cancelled')",
        )

    op.drop_constraint("status", "notification", type_="check")
    op.create_check_constraint(
        "status",
        "notification",
        "status IN ('pending', 'acknowledged', 'suppressed', 'unroutable', 'withdrawn')",
    )
    op.drop_constraint("sendable_routed", "notification", type_="check")
    # Only pending and acknowledged notices are sure to be routed and clocked; an unroutable
    # one has no post yet, a withdrawn one may have been withdrawn while unroutable.
    op.create_check_constraint(
        "sendable_routed",
        "notification",
        "status IN ('suppressed', 'unroutable', 'withdrawn') OR (consular_post IS NOT NULL"
        " AND due_at IS NOT NULL AND ack_due_at IS NOT NULL)",
    )
    op.create_check_constraint(
        "unroutable_unsent",
        "notification",
        "status <> 'unroutable' OR (consular_post IS NULL AND sent_at IS NULL)",
    )
    # What the worker retries when the directory changes, and the operators' count.
    op.create_index(
        "ix_notification_unroutable",
        "notification",
        ["id"],
        postgresql_where=sa.text("status = 'unroutable'"),
    )

    op.drop_constraint("status", "verification", type_="check")
    op.create_check_constraint(
        "status", "verification", "status IN ('pending', 'confirmed', 'rejected', 'withdrawn')"
    )
    op.drop_constraint("status", "notification_delivery", type_="check")
    op.create_check_constraint(
        "status", "notification_delivery", "status IN ('pending', 'sent', 'failed', 'cancelled')"
    )

    op.create_table(
        "withdrawal",
        sa.Column("source_key", sa.Text, primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("withdrawn", sa.Boolean, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("at", TZ, nullable=False),
        sa.CheckConstraint("reason IN ('protection', 'removed', 'cancelled')", name="reason"),
    )

    op.drop_constraint("kind", "consular_post", type_="check")
    op.create_check_constraint(
        "kind", "consular_post", "kind IN ('consulate', 'embassy', 'concurrent_accreditation')"
    )
    # Rows added later by hand are real unless marked; every row seeded so far is invented.
    op.add_column(
        "consular_post",
        sa.Column("placeholder", sa.Boolean, nullable=False, server_default=sa.false()),
    )
    op.execute("UPDATE consular_post SET placeholder = true")
    posts = sa.table(
        "consular_post",
        *(
            sa.column(name)
            for name in (
                "code",
                "valid_from",
                "valid_to",
                "country",
                "kind",
                "city",
                "host_country",
                "email",
                "placeholder",
            )
        ),
        sa.column("jurisdiction", sa.ARRAY(sa.Text)),
    )
    op.bulk_insert(
        posts,
        [
            {**row, "jurisdiction": list(row["jurisdiction"]), "placeholder": True}
            for row in seed.DIRECTORY_EVERY_MEMBER
        ],
    )
    mandatory = sa.table(
        "mandatory_notification",
        *(sa.column(n) for n in ("host_country", "nationality", "valid_from", "valid_to")),
    )
    op.bulk_insert(mandatory, [dict(row) for row in seed.MEXICO_MANDATORY])


def downgrade() -> None:
    op.execute(
        "DELETE FROM mandatory_notification WHERE host_country = 'MX' AND valid_from = '2006-05-01'"
    )
    codes = [row["code"] for row in seed.DIRECTORY_EVERY_MEMBER]
    op.execute(sa.text("DELETE FROM consular_post WHERE code = ANY(:c)").bindparams(c=codes))
    op.drop_column("consular_post", "placeholder")
    op.drop_constraint("kind", "consular_post", type_="check")
    op.create_check_constraint("kind", "consular_post", "kind IN ('consulate', 'embassy')")
    op.drop_table("withdrawal")
    op.drop_index("ix_notification_unroutable", table_name="notification")
    op.drop_constraint("unroutable_unsent", "notification", type_="check")
    for table in ("notification", "verification"):
        op.drop_constraint("withdrawn_has_reason", table, type_="check")
        op.drop_column(table, "withdrawn_at")
        op.drop_column(table, "withdrawn_reason")
