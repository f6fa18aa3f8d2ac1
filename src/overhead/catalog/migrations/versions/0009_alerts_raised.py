"""Alerts raised from the store's truth: each ingest records when the watcher raised its alerts (in the same
transaction as the alerts), so an ingest committed by a watcher that died before raising them is alerted by the
next round. The ingests already in a store when it is upgraded were handled by the watcher of their time.

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"


def upgrade() -> None:
    with op.batch_alter_table("ingests") as batch:
        batch.add_column(sa.Column("alerts_raised_at", sa.DateTime, nullable=True))
    op.execute("UPDATE ingests SET alerts_raised_at = started_at")


def downgrade() -> None:
    with op.batch_alter_table("ingests") as batch:
        batch.drop_column("alerts_raised_at")
