"""channels per entry; attempts, backoff and request key per post

Revision ID: 0004_channels_per_post
Revises: 0003_post_decision_needed
Create Date: 2026-11-29 16:30:00.000000

Existing entries target `x` (also the server default, so rows written by hand or by older code
still mean what they meant) (the only channel there was); each existing post takes over its
entry's attempt count and retry time, so a queue in backoff stays in backoff.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004_channels_per_post"
down_revision: str | None = "0003_post_decision_needed"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("entry", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("channels", sa.JSON(), nullable=False, server_default=sa.text("'[\"x\"]'"))
        )
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(
            sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.add_column(
            sa.Column("request_key", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
        )
    op.execute(
        "UPDATE post SET attempts = (SELECT entry.attempts FROM entry WHERE entry.id = "
        "post.entry_id), next_attempt_at = (SELECT entry.next_attempt_at FROM entry WHERE "
        "entry.id = post.entry_id) WHERE channel != 'dry-run'"
    )


def downgrade() -> None:
    with op.batch_alter_table("post", schema=None) as batch_op:
        batch_op.drop_column("request_key")
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("attempts")
    with op.batch_alter_table("entry", schema=None) as batch_op:
        batch_op.drop_column("channels")
