"""Initial catalog schema: objects, element sets, ingests, changes.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None


def upgrade() -> None:
    op.create_table(
        "ingests",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("group_name", sa.String(64), nullable=False, server_default=""),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime, nullable=True),
        *[
            sa.Column(name, sa.Integer, nullable=False, server_default="0")
            for name in ("records", "new_sets", "unchanged_sets", "new_objects", "updated_objects", "rejected")
        ],
    )
    op.create_table(
        "objects",
        sa.Column("norad_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("name", sa.String(64), nullable=False, server_default=""),
        sa.Column("object_id", sa.String(16), nullable=False, server_default="", index=True),
        sa.Column("launch", sa.String(16), nullable=False, server_default="", index=True),
        sa.Column("group_name", sa.String(64), nullable=False, server_default="", index=True),
        sa.Column("status", sa.String(16), nullable=False, server_default="active", index=True),
        sa.Column("first_seen", sa.DateTime, nullable=False),
        sa.Column("last_seen", sa.DateTime, nullable=False),
        sa.Column("last_ingest_id", sa.Integer, nullable=False, index=True),
        sa.Column("last_epoch", sa.DateTime, nullable=False),
    )
    op.create_table(
        "element_sets",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("fingerprint", sa.String(40), nullable=False, unique=True),
        sa.Column("norad_id", sa.Integer, sa.ForeignKey("objects.norad_id"), nullable=False, index=True),
        sa.Column("epoch", sa.DateTime, nullable=False, index=True),
        sa.Column("ingest_id", sa.Integer, sa.ForeignKey("ingests.id"), nullable=False, index=True),
        sa.Column("line1", sa.String(80), nullable=False),
        sa.Column("line2", sa.String(80), nullable=False),
        *[
            sa.Column(name, sa.Float, nullable=False)
            for name in ("mean_motion_rev_per_day", "eccentricity", "inclination_deg", "raan_deg", "bstar")
        ],
    )
    op.create_table(
        "changes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("ingest_id", sa.Integer, sa.ForeignKey("ingests.id"), nullable=False, index=True),
        sa.Column("norad_id", sa.Integer, nullable=False, index=True),
        sa.Column("name", sa.String(64), nullable=False, server_default=""),
        sa.Column("object_id", sa.String(16), nullable=False, server_default=""),
        sa.Column("change", sa.String(16), nullable=False, index=True),
        sa.Column("time", sa.DateTime, nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("confidence", sa.Float, nullable=False, server_default="1.0"),
    )


def downgrade() -> None:
    for table in ("changes", "element_sets", "objects", "ingests"):
        op.drop_table(table)
