"""a change counter the queue's writers raise, so the daemon re-plans only when it changed

Revision ID: 0005_queue_changes
Revises: 0004_channels_per_post
Create Date: 2026-12-07 16:00:00.000000

One row (id 1) with a counter. Before, the daemon re-planned on every poll on PostgreSQL (it had
no cheap way to see a change) and on SQLite whenever `data_version` moved, which its own
heartbeat does every few seconds: at 50,000 queued entries each plan costs seconds.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_queue_changes"
down_revision: str | None = "0004_channels_per_post"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "queue_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("counter", sa.Integer(), nullable=False, server_default="0"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_change")),
    )
    op.execute("INSERT INTO queue_change (id, counter) VALUES (1, 0)")


def downgrade() -> None:
    op.drop_table("queue_change")
