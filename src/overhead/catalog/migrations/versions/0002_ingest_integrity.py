"""Ingest integrity: each ingest's file hash, size and completeness, undo, and the object rows it replaced.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    with op.batch_alter_table("ingests") as batch:
        batch.add_column(sa.Column("sha256", sa.String(64), nullable=True))
        batch.add_column(sa.Column("bytes", sa.BigInteger, nullable=True))
        batch.add_column(sa.Column("complete", sa.Boolean, nullable=False, server_default=sa.true()))
        batch.add_column(sa.Column("note", sa.Text, nullable=False, server_default=""))
        batch.add_column(sa.Column("undone_at", sa.DateTime, nullable=True))
    op.create_table(
        "object_revisions",
        sa.Column("ingest_id", sa.Integer, sa.ForeignKey("ingests.id"), primary_key=True),
        sa.Column("norad_id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("created", sa.Boolean, nullable=False),
        sa.Column("name", sa.String(64), nullable=True),
        sa.Column("object_id", sa.String(16), nullable=True),
        sa.Column("launch", sa.String(16), nullable=True),
        sa.Column("group_name", sa.String(64), nullable=True),
        sa.Column("status", sa.String(16), nullable=True),
        sa.Column("first_seen", sa.DateTime, nullable=True),
        sa.Column("last_seen", sa.DateTime, nullable=True),
        sa.Column("last_ingest_id", sa.Integer, nullable=True),
        sa.Column("last_epoch", sa.DateTime, nullable=True),
    )
    op.create_index("ix_object_revisions_norad_id", "object_revisions", ["norad_id"])


def downgrade() -> None:
    op.drop_index("ix_object_revisions_norad_id", "object_revisions")
    op.drop_table("object_revisions")
    with op.batch_alter_table("ingests") as batch:
        for name in ("undone_at", "note", "complete", "bytes", "sha256"):
            batch.drop_column(name)
