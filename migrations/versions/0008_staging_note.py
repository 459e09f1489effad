"""why the daemon could not stage a channel's figures ahead of their slot, for `status`

Revision ID: 0008_staging_note
Revises: 0007_engagement
Create Date: 2026-12-07 19:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_staging_note"
down_revision: str | None = "0007_engagement"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch mode), as in 0007.
    op.add_column("channel_state", sa.Column("staging_note", sa.String(), nullable=True))


def downgrade() -> None:
    op.drop_column("channel_state", "staging_note")
