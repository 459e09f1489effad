"""an index for `status`'s "last error": the newest entry with an error, without a full scan

Revision ID: 0009_entry_last_error_index
Revises: 0008_staging_note
Create Date: 2026-12-07 20:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009_entry_last_error_index"
down_revision: str | None = "0008_staging_note"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Partial: few entries carry an error, so the index stays small and `status` reads one row.
    op.create_index(
        "ix_entry_last_failed",
        "entry",
        ["updated_at", "id"],
        unique=False,
        sqlite_where=sa.text("last_error IS NOT NULL"),
        postgresql_where=sa.text("last_error IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_entry_last_failed", table_name="entry")
