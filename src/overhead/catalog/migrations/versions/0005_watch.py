"""Watching: sources' fetch state, alerts (deduplicated by key) and their deliveries.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"


def upgrade() -> None:
    op.create_table(
        "watch_sources",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("last_fetch_at", sa.DateTime, nullable=True),
        sa.Column("last_ingest_id", sa.Integer, nullable=True),
        sa.Column("last_error", sa.Text, nullable=False, server_default=""),
    )
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(300), nullable=False, unique=True),
        sa.Column("rule", sa.String(100), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("norad_ids", sa.Text, nullable=False, server_default="[]"),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("time", sa.DateTime, nullable=False),
        sa.Column("detail", sa.Text, nullable=False, server_default=""),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    for column in ("rule", "kind", "time", "created_at"):
        op.create_index(f"ix_alerts_{column}", "alerts", [column])
    op.create_table(
        "deliveries",
        sa.Column("alert_id", sa.Integer, sa.ForeignKey("alerts.id"), primary_key=True),
        sa.Column("receiver", sa.String(300), primary_key=True),
        sa.Column("delivered_at", sa.DateTime, nullable=True),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime, nullable=True),
        sa.Column("last_error", sa.Text, nullable=False, server_default=""),
    )
    op.create_index("ix_deliveries_delivered_at", "deliveries", ["delivered_at"])


def downgrade() -> None:
    op.drop_index("ix_deliveries_delivered_at", "deliveries")
    op.drop_table("deliveries")
    for column in ("rule", "kind", "time", "created_at"):
        op.drop_index(f"ix_alerts_{column}", "alerts")
    op.drop_table("alerts")
    op.drop_table("watch_sources")
