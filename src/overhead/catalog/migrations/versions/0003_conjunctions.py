"""Conjunctions found by screening, with the element-set epochs they came from.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"


def upgrade() -> None:
    op.create_table(
        "conjunctions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("norad_id_1", sa.Integer, nullable=False),
        sa.Column("name_1", sa.String(64), nullable=False, server_default=""),
        sa.Column("norad_id_2", sa.Integer, nullable=False),
        sa.Column("name_2", sa.String(64), nullable=False, server_default=""),
        sa.Column("tca", sa.DateTime, nullable=False),
        sa.Column("min_range_km", sa.Float, nullable=False),
        sa.Column("relative_speed_km_s", sa.Float, nullable=False),
        sa.Column("radial_km", sa.Float, nullable=False),
        sa.Column("in_track_km", sa.Float, nullable=False),
        sa.Column("cross_track_km", sa.Float, nullable=False),
        sa.Column("max_pc", sa.Float, nullable=True),
        sa.Column("assumed_cov_pc", sa.Float, nullable=True),
        sa.Column("epoch_1", sa.DateTime, nullable=True),
        sa.Column("epoch_2", sa.DateTime, nullable=True),
        sa.Column("screened_at", sa.DateTime, nullable=False),
    )
    for column in ("norad_id_1", "norad_id_2", "tca", "assumed_cov_pc"):
        op.create_index(f"ix_conjunctions_{column}", "conjunctions", [column])


def downgrade() -> None:
    for column in ("norad_id_1", "norad_id_2", "tca", "assumed_cov_pc"):
        op.drop_index(f"ix_conjunctions_{column}", "conjunctions")
    op.drop_table("conjunctions")
