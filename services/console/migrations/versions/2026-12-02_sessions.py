"""The console's sessions: one row per signed-in browser, found by the SHA-256 of its cookie
(a copy of the table opens no browser's session), tokens sealed with the console's key."""

import sqlalchemy as sa
from alembic import op

revision = "0001_sessions"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "console_session",
        sa.Column("id_hash", sa.LargeBinary(32), primary_key=True),
        # Keycloak's session id: back-channel logout names it, and every console session
        # of that Keycloak session ends.
        sa.Column("sid", sa.Text, nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        # Who is signed in (name, roles, country, post) as the access token said, for the shell.
        sa.Column("officer", sa.dialects.postgresql.JSONB, nullable=False),
        # Access, refresh and ID tokens, encrypted (Fernet) with CONSOLE_SESSION_KEY.
        sa.Column("tokens", sa.LargeBinary, nullable=False),
        sa.Column("access_expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("csrf_token", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("console_session_sid", "console_session", ["sid"])
    op.create_index("console_session_last_seen", "console_session", ["last_seen_at"])


def downgrade() -> None:
    op.drop_table("console_session")
