"""Fund applications (items, approvals, disbursements, questions), yearly budgets, rules.

- `budget`: one row per year; CHECK constraints keep every figure and the available amount
  (allocated - reserved - disbursed) at or above zero, behind the handlers' row lock.
- `application_approval`: UNIQUE (application_id, approver), behind the domain's "two
  different approvers".
- `cap_rule`, `approval_rule`: versioned reference data (valid_from / valid_to), seeded with
  the values `reserve_fund.domain.seed` held that day (written out here, so a later edit of
  seed.py cannot change a fresh database); later values are new rows, never edits.
- `application_reference_seq`: the number in readable references (RF-2026-000042).

Money is NUMERIC(12, 2) throughout.
"""

from datetime import date
from decimal import Decimal

from alembic import op
from sqlalchemy import text

revision = "0002_fund"
down_revision = "0001_platform"

STATUSES = (
    "'draft', 'submitted', 'under_review', 'info_requested', 'approved', 'rejected', "
    "'disbursed', 'returned', 'closed', 'cancelled'"
)

DDL = [
    "CREATE SEQUENCE application_reference_seq",
    """
    CREATE TABLE cap_rule (
        id serial CONSTRAINT pk_cap_rule PRIMARY KEY,
        amount numeric(12, 2) NOT NULL,
        valid_from date NOT NULL,
        valid_to date,
        CONSTRAINT ck_cap_rule_amount_positive CHECK (amount > 0),
        CONSTRAINT ck_cap_rule_valid_period CHECK (valid_to IS NULL OR valid_to > valid_from),
        CONSTRAINT uq_cap_rule_valid_from UNIQUE (valid_from)
    )
    """,
    """
    CREATE TABLE approval_rule (
        id serial CONSTRAINT pk_approval_rule PRIMARY KEY,
        threshold numeric(12, 2) NOT NULL,
        valid_from date NOT NULL,
        valid_to date,
        CONSTRAINT ck_approval_rule_threshold_not_negative CHECK (threshold >= 0),
        CONSTRAINT ck_approval_rule_valid_period CHECK (valid_to IS NULL OR valid_to > valid_from),
        CONSTRAINT uq_approval_rule_valid_from UNIQUE (valid_from)
    )
    """,
    """
    CREATE TABLE budget (
        year integer CONSTRAINT pk_budget PRIMARY KEY,
        allocated numeric(12, 2) NOT NULL DEFAULT 0,
        reserved numeric(12, 2) NOT NULL DEFAULT 0,
        disbursed numeric(12, 2) NOT NULL DEFAULT 0,
        version integer NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT ck_budget_allocated_not_negative CHECK (allocated >= 0),
        CONSTRAINT ck_budget_reserved_not_negative CHECK (reserved >= 0),
        CONSTRAINT ck_budget_disbursed_not_negative CHECK (disbursed >= 0),
        CONSTRAINT ck_budget_available_not_negative CHECK (allocated - reserved - disbursed >= 0)
    )
    """,
    f"""
    CREATE TABLE application (
        id uuid CONSTRAINT pk_application PRIMARY KEY,
        reference text NOT NULL CONSTRAINT uq_application_reference UNIQUE,
        status text NOT NULL,
        version integer NOT NULL,
        requested_by text NOT NULL,
        requesting_country text NOT NULL,
        requested_by_role text NOT NULL,
        beneficiary_given_names text NOT NULL,
        beneficiary_surnames text NOT NULL,
        beneficiary_sex text NOT NULL,
        beneficiary_date_of_birth date NOT NULL,
        beneficiary_nationality text NOT NULL,
        current_country text NOT NULL,
        categories text[] NOT NULL,
        consent_given boolean NOT NULL,
        consent_given_by text NOT NULL,
        consent_recorded_at timestamptz NOT NULL,
        justification text NOT NULL,
        child_case_id uuid,
        created_at timestamptz NOT NULL,
        submitted_at timestamptz,
        reviewed_by text,
        recommendation text,
        review_note text,
        reviewed_at timestamptz,
        approvals_needed integer NOT NULL,
        requested_total numeric(12, 2) NOT NULL,
        approved_total numeric(12, 2) NOT NULL,
        released_total numeric(12, 2) NOT NULL,
        budget_year integer CONSTRAINT fk_application_budget_year_budget REFERENCES budget (year),
        rejection_reason text,
        cancellation_reason text,
        updated_at timestamptz NOT NULL,
        CONSTRAINT ck_application_status_known CHECK (status IN ({STATUSES})),
        CONSTRAINT ck_application_approvals_needed_range CHECK (approvals_needed IN (1, 2)),
        CONSTRAINT ck_application_requested_total_positive CHECK (requested_total > 0),
        CONSTRAINT ck_application_approved_total_not_negative CHECK (approved_total >= 0),
        CONSTRAINT ck_application_released_total_not_negative CHECK (released_total >= 0)
    )
    """,
    "CREATE INDEX ix_application_created_at_id ON application (created_at, id)",
    "CREATE INDEX ix_application_budget_year ON application (budget_year)",
    "CREATE INDEX ix_application_requesting_country ON application (requesting_country, created_at)",
    "CREATE INDEX ix_application_beneficiary_nationality"
    " ON application (beneficiary_nationality, created_at)",
    """
    CREATE TABLE application_item (
        application_id uuid NOT NULL
            CONSTRAINT fk_application_item_application_id_application
            REFERENCES application (id) ON DELETE CASCADE,
        position integer NOT NULL,
        kind text NOT NULL,
        amount numeric(12, 2) NOT NULL,
        CONSTRAINT pk_application_item PRIMARY KEY (application_id, position),
        CONSTRAINT ck_application_item_amount_positive CHECK (amount > 0)
    )
    """,
    """
    CREATE TABLE application_approval (
        id bigserial CONSTRAINT pk_application_approval PRIMARY KEY,
        application_id uuid NOT NULL
            CONSTRAINT fk_application_approval_application_id_application
            REFERENCES application (id) ON DELETE CASCADE,
        approver text NOT NULL,
        at timestamptz NOT NULL,
        note text,
        CONSTRAINT uq_application_approval_approver UNIQUE (application_id, approver)
    )
    """,
    """
    CREATE TABLE application_disbursement (
        id bigserial CONSTRAINT pk_application_disbursement PRIMARY KEY,
        application_id uuid NOT NULL
            CONSTRAINT fk_application_disbursement_application_id_application
            REFERENCES application (id) ON DELETE CASCADE,
        position integer NOT NULL,
        amount numeric(12, 2) NOT NULL,
        purpose text NOT NULL,
        recorded_by text NOT NULL,
        at timestamptz NOT NULL,
        CONSTRAINT uq_application_disbursement_position UNIQUE (application_id, position),
        CONSTRAINT ck_application_disbursement_amount_positive CHECK (amount > 0)
    )
    """,
    """
    CREATE TABLE information_request (
        application_id uuid NOT NULL
            CONSTRAINT fk_information_request_application_id_application
            REFERENCES application (id) ON DELETE CASCADE,
        position integer NOT NULL,
        question text NOT NULL,
        asked_by text NOT NULL,
        asked_at timestamptz NOT NULL,
        answer text,
        answered_by text,
        answered_at timestamptz,
        CONSTRAINT pk_information_request PRIMARY KEY (application_id, position)
    )
    """,
]


def upgrade() -> None:
    for statement in DDL:
        op.execute(statement)
    # The seed values (DOMAIN.md §3): USD 1,000 a case, a second approver from USD 500, both
    # from 2015-01-01; exact decimals, bound, never floats.
    op.get_bind().execute(
        text("INSERT INTO cap_rule (amount, valid_from, valid_to) VALUES (:a, :f, :t)"),
        {"a": Decimal("1000.00"), "f": date(2015, 1, 1), "t": None},
    )
    op.get_bind().execute(
        text("INSERT INTO approval_rule (threshold, valid_from, valid_to) VALUES (:a, :f, :t)"),
        {"a": Decimal("500.00"), "f": date(2015, 1, 1), "t": None},
    )


def downgrade() -> None:
    op.execute(
        "DROP TABLE IF EXISTS information_request, application_disbursement,"
        " application_approval, application_item, application, budget, approval_rule,"
        " cap_rule CASCADE"
    )
    op.execute("DROP SEQUENCE IF EXISTS application_reference_seq")
