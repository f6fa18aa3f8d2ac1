"""Watch sources claimed for a round with a lease: of two watchers on one store one fetches, and a watcher killed
mid-fetch leaves the source to be fetched again once the lease is over.

Revision ID: 0007
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"


def upgrade() -> None:
    op.add_column("watch_sources", sa.Column("claimed_until", sa.DateTime, nullable=True))


def downgrade() -> None:
    op.drop_column("watch_sources", "claimed_until")
