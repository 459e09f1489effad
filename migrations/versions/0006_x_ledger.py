"""the X ledger: every billable request X answered, kept when entries are removed

Revision ID: 0006_x_ledger
Revises: 0005_queue_changes
Create Date: 2026-12-07 16:00:00.000000

A new table only, with no foreign keys: spending stays on record after `paperbot remove`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0006_x_ledger"
down_revision: str | None = "0005_queue_changes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "x_ledger",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("billed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=True),
        sa.Column("entry_id", sa.Integer(), nullable=True),
        sa.Column("remote_id", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_x_ledger")),
    )
    op.create_index("ix_x_ledger_billed_at", "x_ledger", ["billed_at"])
    op.create_index("ix_x_ledger_post_id", "x_ledger", ["post_id"])
    op.create_index("ix_x_ledger_remote_id_billed_at", "x_ledger", ["remote_id", "billed_at"])


def downgrade() -> None:
    op.drop_table("x_ledger")
