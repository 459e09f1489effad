"""channels per entry; attempts, backoff and request key per post

Revision ID: 0004_channels_per_post
Revises: 0003_post_decision_needed
Create Date: 2026-11-29 16:30:00.000000

Existing entries target `x` (also the server default, so rows written by hand or by older code
still mean what they meant) (the only channel there was); each existing post takes over its
entry's attempt count and retry time, so a queue in backoff stays in backoff; a failed post of
an entry that `retry` queued again is queued again too (it is now the post that waits).
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
    # Plain ADD COLUMN, never batch mode: on SQLite batch mode rebuilds `entry` (DROP TABLE),
    # and with foreign keys on that deletes every post and attempt by cascade.
    op.add_column(
        "entry",
        sa.Column("channels", sa.JSON(), nullable=False, server_default=sa.text("'[\"x\"]'")),
    )
    op.add_column("post", sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"))
    op.add_column(
        "post", sa.Column("next_attempt_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
    )
    op.add_column(
        "post", sa.Column("request_key", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
    )
    op.execute(
        "UPDATE post SET attempts = (SELECT entry.attempts FROM entry WHERE entry.id = "
        "post.entry_id), next_attempt_at = (SELECT entry.next_attempt_at FROM entry WHERE "
        "entry.id = post.entry_id) WHERE channel != 'dry-run'"
    )
    # `retry` used to re-queue the entry alone: its failed post now goes back with it.
    op.execute(
        "UPDATE post SET status = 'retrying' WHERE status = 'failed' AND channel != 'dry-run' "
        "AND entry_id IN (SELECT id FROM entry WHERE status = 'queued')"
    )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+), for the same reason as above.
    for column in ("request_key", "next_attempt_at", "attempts"):
        op.drop_column("post", column)
    op.drop_column("entry", "channels")
