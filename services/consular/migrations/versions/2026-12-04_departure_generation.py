"""`departure_point` joins the reference data a worker keeps (`puebla.db.reference`, migration
0010): every manifest notice looked its departure up with a statement of its own; a write to
the table now changes the generation token like the other four."""

from alembic import op

from puebla.db.reference import unwatch, watch

revision = "0011_departure_generation"
down_revision = "0010_reference_generation"


def upgrade() -> None:
    watch(op.execute, ["departure_point"])


def downgrade() -> None:
    unwatch(op.execute, ["departure_point"])
