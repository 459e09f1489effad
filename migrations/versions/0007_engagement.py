"""engagement snapshots per post, and when a post was found gone from its platform

Revision ID: 0007_engagement
Revises: 0006_x_ledger
Create Date: 2026-12-07 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007_engagement"
down_revision: str | None = "0006_x_ledger"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch mode): a batch rebuild of `post` on SQLite would cascade-delete
    # its attempts (see 0004).
    op.add_column("post", sa.Column("gone_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
    op.add_column("channel_state", sa.Column("engagement_note", sa.String(), nullable=True))
    op.create_table(
        "engagement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("likes", sa.Integer(), nullable=False),
        sa.Column("reposts", sa.Integer(), nullable=False),
        sa.Column("replies", sa.Integer(), nullable=False),
        sa.Column("quotes", sa.Integer(), nullable=True),
        sa.Column("read_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["post_id"], ["post.id"], name="fk_engagement_post_id_post", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_engagement"),
    )
    op.create_index("ix_engagement_post_id_read_at", "engagement", ["post_id", "read_at"])


def downgrade() -> None:
    op.drop_index("ix_engagement_post_id_read_at", table_name="engagement")
    op.drop_table("engagement")
    op.drop_column("channel_state", "engagement_note")
    op.drop_column("post", "gone_at")
