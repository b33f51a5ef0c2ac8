"""The origin child-protection authority at SV-LAS-CHINAMAS (DGME child-protection officers, with
CONAPINA) and HN-AGUA-CALIENTE (DINAF), from 2026-12-01: the revisions in
`child_protection.domain.seed` that take effect that day, written out here so that a later edit
of seed.py cannot change what this migration does.

Reference data is versioned, not rewritten: the row in force is closed (`valid_to`) and a new one
opened, so a return planned before the change is still judged by what was on file then. For two
versions of one point to coexist the key becomes (`code`, `valid_from`), like `deadline_rule`'s.
"""

from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0004_reception_points_cp"
down_revision = "0003_deadlines_identified_at"

# Only this day's revisions: a later revision gets a migration of its own.
_DAY = date(2026, 12, 1)
# (code, country, name, child-protection authority received there from that day)
_REVISIONS = [
    ("SV-LAS-CHINAMAS", "SV", "Las Chinamas", "DGME child-protection officers, with CONAPINA"),
    (
        "HN-AGUA-CALIENTE",
        "HN",
        "Agua Caliente",
        "Dirección de Niñez, Adolescencia y Familia (DINAF)",
    ),
]


def upgrade() -> None:
    op.drop_constraint("pk_reception_point", "reception_point", type_="primary")
    op.create_primary_key("pk_reception_point", "reception_point", ["code", "valid_from"])
    bind = op.get_bind()
    for code, country, name, authority in _REVISIONS:
        bind.execute(
            sa.text(
                "UPDATE reception_point SET valid_to = :day"
                " WHERE code = :code AND valid_to IS NULL AND valid_from < :day"
            ),
            {"code": code, "day": _DAY},
        )
        bind.execute(
            sa.text(
                "INSERT INTO reception_point (code, country, name,"
                " has_child_protection_authority, child_protection_authority, valid_from, valid_to)"
                " VALUES (:code, :country, :name, :has, :authority, :day, NULL)"
            ),
            {
                "code": code,
                "country": country,
                "name": name,
                "has": True,
                "authority": authority,
                "day": _DAY,
            },
        )


def downgrade() -> None:
    bind = op.get_bind()
    for code, *_ in _REVISIONS:
        params = {"code": code, "day": _DAY}
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
