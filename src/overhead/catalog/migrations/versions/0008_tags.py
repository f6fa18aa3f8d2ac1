"""User tags on objects ("optical-imaging", "SAR", a watch list): categories any command selects by.

Revision ID: 0008
Revises: 0007
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"


def upgrade() -> None:
    op.create_table(
        "object_tags",
        sa.Column("tag", sa.String(64), primary_key=True),
        sa.Column("norad_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("added_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_object_tags_norad_id", "object_tags", ["norad_id"])


def downgrade() -> None:
    op.drop_index("ix_object_tags_norad_id", "object_tags")
    op.drop_table("object_tags")
