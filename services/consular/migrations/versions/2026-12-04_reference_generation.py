"""The reference data's generation (issue 19): a token that changes with every statement that
writes `consular_post`, `subdivision`, `mandatory_notification` or `notification_clock`, so a
worker may keep what it read of them (122 posts: ~6 ms a load, the consumer's largest cost)
for as long as the token it read them under is still the one on record. An edit still takes
effect without a restart: the next unit of work reads the new token and loads again.

A random token, not a counter: a database dropped and made again (tests, a restored backup)
never repeats one, so a kept copy can never be taken for another database's."""

from alembic import op

from puebla.db.reference import create_generation, drop_generation

revision = "0010_reference_generation"
down_revision = "0009_monitoring_indexes"

TABLES = ("consular_post", "subdivision", "mandatory_notification", "notification_clock")


def upgrade() -> None:
    create_generation(op.execute, TABLES)


def downgrade() -> None:
    drop_generation(op.execute, TABLES)
