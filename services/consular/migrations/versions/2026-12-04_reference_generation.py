"""The reference data's generation (issue 19): a token that changes with every statement that
writes `consular_post`, `subdivision`, `mandatory_notification` or `notification_clock`, so a
worker may keep what it read of them (122 posts: ~6 ms a load, the consumer's largest cost)
for as long as the token it read them under is still the one on record. An edit still takes
effect without a restart: the next unit of work reads the new token and loads again.

A random token, not a counter: a database dropped and made again (tests, a restored backup)
never repeats one, so a kept copy can never be taken for another database's."""

from alembic import op

revision = "0010_reference_generation"
down_revision = "0009_monitoring_indexes"

TABLES = ("consular_post", "subdivision", "mandatory_notification", "notification_clock")


def upgrade() -> None:
    op.execute(
        """
        CREATE TABLE reference_generation (
            id BOOLEAN DEFAULT true NOT NULL,
            token UUID DEFAULT gen_random_uuid() NOT NULL,
            CONSTRAINT pk_reference_generation PRIMARY KEY (id),
            CONSTRAINT ck_reference_generation_one_row CHECK (id)
        )
        """
    )
    op.execute("INSERT INTO reference_generation DEFAULT VALUES")
    op.execute(
        """
        CREATE FUNCTION reference_generation_next() RETURNS trigger AS $$
        BEGIN
            UPDATE reference_generation SET token = gen_random_uuid();
            RETURN NULL;
        END;
        $$ LANGUAGE plpgsql
        """
    )
    for table in TABLES:
        op.execute(
            f"CREATE TRIGGER {table}_generation"
            f" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table}"
            " FOR EACH STATEMENT EXECUTE FUNCTION reference_generation_next()"
        )


def downgrade() -> None:
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_generation ON {table}")
    op.execute("DROP FUNCTION reference_generation_next()")
    op.execute("DROP TABLE reference_generation")
