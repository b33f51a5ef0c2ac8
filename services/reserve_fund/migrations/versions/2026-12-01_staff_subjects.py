"""Who reviewed and who approved, by the immutable subject of their token (security review 15).

Separation of duties (reviewer ≠ approver, two different approvers) compared usernames, and
one person can show under two (a token without the `profile` scope carries no
`preferred_username`, so the subject stands in; an admin renames a user). The subject is kept
next to the username, which stays for display. Rows written before this have no subject: for
them the domain compares usernames, as before. `uq_application_approval_approver_subject` is
the backstop for "two different approvers" by subject (NULLs never collide).
"""

from alembic import op

revision = "0004_staff_subjects"
down_revision = "0003_child_case"


def upgrade() -> None:
    op.execute("ALTER TABLE application ADD COLUMN reviewer_subject text")
    op.execute("ALTER TABLE application_approval ADD COLUMN approver_subject text")
    op.execute(
        "ALTER TABLE application_approval ADD CONSTRAINT "
        "uq_application_approval_approver_subject UNIQUE (application_id, approver_subject)"
    )


def downgrade() -> None:
    op.execute(
        "ALTER TABLE application_approval DROP CONSTRAINT uq_application_approval_approver_subject"
    )
    op.execute("ALTER TABLE application_approval DROP COLUMN approver_subject")
    op.execute("ALTER TABLE application DROP COLUMN reviewer_subject")
