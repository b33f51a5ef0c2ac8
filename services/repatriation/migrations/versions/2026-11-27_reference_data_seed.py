"""Seeds the reference data of DOMAIN.md §1 from `repatriation.domain.seed`.

Reception points with their institution, time zone and windows; each party's adherence to the
Memorandum; the advance-notice lead time per receiving country. All with validity dates, so a
country's change is a new row (or a closed `valid_to`), never an edit of history. Later changes
to seed.py do not reach an existing database: write a new migration for those.
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

from repatriation.domain import seed

revision = "0003_reference_data_seed"
down_revision = "0002_manifest_tables"

_points = sa.table(
    "reception_point",
    sa.column("code", sa.Text),
    sa.column("valid_from", sa.Date),
    sa.column("valid_to", sa.Date),
    sa.column("country", sa.Text),
    sa.column("name", sa.Text),
    sa.column("institution", sa.Text),
    sa.column("time_zone", sa.Text),
    sa.column("window_opens", sa.Time),
    sa.column("window_closes", sa.Time),
    sa.column("window_weekdays", ARRAY(sa.SmallInteger)),
    sa.column("vulnerable_window_opens", sa.Time),
    sa.column("vulnerable_window_closes", sa.Time),
    sa.column("vulnerable_window_weekdays", ARRAY(sa.SmallInteger)),
)
_agreements = sa.table(
    "agreement",
    sa.column("country", sa.Text),
    sa.column("valid_from", sa.Date),
    sa.column("valid_to", sa.Date),
)
_notice_rules = sa.table(
    "notice_rule",
    sa.column("receiving_country", sa.Text),
    sa.column("valid_from", sa.Date),
    sa.column("valid_to", sa.Date),
    sa.column("lead_time_minutes", sa.Integer),
)


def upgrade() -> None:
    op.bulk_insert(
        _points,
        [
            {
                "code": p.code,
                "valid_from": p.valid_from,
                "valid_to": p.valid_to,
                "country": p.country,
                "name": p.name,
                "institution": p.institution,
                "time_zone": p.time_zone,
                "window_opens": p.window.opens,
                "window_closes": p.window.closes,
                "window_weekdays": sorted(p.window.weekdays),
                "vulnerable_window_opens": p.vulnerable_window.opens,
                "vulnerable_window_closes": p.vulnerable_window.closes,
                "vulnerable_window_weekdays": sorted(p.vulnerable_window.weekdays),
            }
            for p in seed.RECEPTION_POINTS
        ],
    )
    op.bulk_insert(
        _agreements,
        [
            {"country": a.country, "valid_from": a.valid_from, "valid_to": a.valid_to}
            for a in seed.AGREEMENTS
        ],
    )
    op.bulk_insert(
        _notice_rules,
        [
            {
                "receiving_country": r.receiving_country,
                "valid_from": seed.SEED_VALID_FROM,
                "valid_to": None,
                "lead_time_minutes": int(r.lead_time.total_seconds() // 60),
            }
            for r in seed.NOTICE_RULES
        ],
    )


def downgrade() -> None:
    op.execute("DELETE FROM notice_rule")
    op.execute("DELETE FROM agreement")
    op.execute("DELETE FROM reception_point")
