"""The origin child-protection authority at SV-LAS-CHINAMAS (DGME child-protection officers, with
CONAPINA) and HN-AGUA-CALIENTE (DINAF), from 2026-12-01: the revisions in
`child_protection.domain.seed` that take effect that day.

Reference data is versioned, not rewritten: the row in force is closed (`valid_to`) and a new one
opened, so a return planned before the change is still judged by what was on file then. For two
versions of one point to coexist the key becomes (`code`, `valid_from`), like `deadline_rule`'s.
"""

import sqlalchemy as sa
from alembic import op

from child_protection.domain import seed

revision = "0004_reception_points_cp"
down_revision = "0003_deadlines_identified_at"

# Only this day's revisions: a later revision gets a migration of its own.
_REVISIONS = [
    r
    for r in seed.RECEPTION_POINT_REVISIONS
    if r.valid_from == seed.CHILD_PROTECTION_AT_BORDER_POSTS
]


def upgrade() -> None:
    op.drop_constraint("pk_reception_point", "reception_point", type_="primary")
    op.create_primary_key("pk_reception_point", "reception_point", ["code", "valid_from"])
    bind = op.get_bind()
    for revision_ in _REVISIONS:
        point = revision_.entry.point
        bind.execute(
            sa.text(
                "UPDATE reception_point SET valid_to = :day"
                " WHERE code = :code AND valid_to IS NULL AND valid_from < :day"
            ),
            {"code": point.code, "day": revision_.valid_from},
        )
        bind.execute(
            sa.text(
                "INSERT INTO reception_point (code, country, name,"
                " has_child_protection_authority, child_protection_authority, valid_from, valid_to)"
                " VALUES (:code, :country, :name, :has, :authority, :day, NULL)"
            ),
            {
                "code": point.code,
                "country": point.country,
                "name": revision_.entry.name,
                "has": point.has_child_protection_authority,
                "authority": revision_.entry.child_protection_authority,
                "day": revision_.valid_from,
            },
        )


def downgrade() -> None:
    bind = op.get_bind()
    for revision_ in _REVISIONS:
        params = {"code": revision_.entry.point.code, "day": revision_.valid_from}
        bind.execute(
            sa.text("DELETE FROM reception_point WHERE code = :code AND valid_from = :day"), params
        )
        bind.execute(
            sa.text(
                "UPDATE reception_point SET valid_to = NULL WHERE code = :code AND valid_to = :day"
            ),
            params,
        )
    op.drop_constraint("pk_reception_point", "reception_point", type_="primary")
    op.create_primary_key("pk_reception_point", "reception_point", ["code"])
