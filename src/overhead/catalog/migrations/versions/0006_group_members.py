"""Group membership per ingest: an object belongs to every group whose latest ingest reports it (before, only
to the group of its last ingest, so ingesting `active` took the ISS out of `stations`).

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"


def upgrade() -> None:
    op.create_table(
        "group_members",
        sa.Column("ingest_id", sa.Integer, sa.ForeignKey("ingests.id"), primary_key=True),
        sa.Column("norad_id", sa.Integer, primary_key=True, autoincrement=False),
    )
    op.create_index("ix_group_members_norad_id", "group_members", ["norad_id"])
    # what was known before: each object in the group of its last ingest, as a member of that group's latest ingest
    op.execute("""
        INSERT INTO group_members (ingest_id, norad_id)
        SELECT latest.id, o.norad_id FROM objects o
        JOIN (SELECT group_name, MAX(id) AS id FROM ingests WHERE undone_at IS NULL GROUP BY group_name) latest
          ON latest.group_name = o.group_name
    """)


def downgrade() -> None:
    op.drop_index("ix_group_members_norad_id", "group_members")
    op.drop_table("group_members")
