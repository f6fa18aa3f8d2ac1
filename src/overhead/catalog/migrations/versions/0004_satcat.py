"""SATCAT records: what each object is (type, owner, launch date and site, decay, RCS, orbit centre).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"


def upgrade() -> None:
    op.create_table(
        "satcat",
        sa.Column("norad_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("object_name", sa.String(64), nullable=False, server_default=""),
        sa.Column("object_id", sa.String(16), nullable=False, server_default=""),
        sa.Column("object_type", sa.String(8), nullable=False, server_default=""),
        sa.Column("ops_status", sa.String(4), nullable=False, server_default=""),
        sa.Column("owner", sa.String(16), nullable=False, server_default=""),
        sa.Column("launch_date", sa.String(10), nullable=False, server_default=""),
        sa.Column("launch_site", sa.String(16), nullable=False, server_default=""),
        sa.Column("decay_date", sa.String(10), nullable=False, server_default=""),
        sa.Column("rcs_m2", sa.Float, nullable=True),
        sa.Column("orbit_center", sa.String(8), nullable=False, server_default=""),
        sa.Column("orbit_type", sa.String(8), nullable=False, server_default=""),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    for column in ("object_id", "object_type", "owner", "launch_site"):
        op.create_index(f"ix_satcat_{column}", "satcat", [column])


def downgrade() -> None:
    for column in ("object_id", "object_type", "owner", "launch_site"):
        op.drop_index(f"ix_satcat_{column}", "satcat")
    op.drop_table("satcat")
