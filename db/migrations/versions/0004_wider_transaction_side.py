"""wider transaction side

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-21 16:39:12.776588
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.alter_column(
            "side", existing_type=sa.VARCHAR(length=8), type_=sa.String(length=32), existing_nullable=True
        )


def downgrade() -> None:
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.alter_column(
            "side", existing_type=sa.String(length=32), type_=sa.VARCHAR(length=8), existing_nullable=True
        )
