"""uploads waiting for their account, in the database so any webhook replica answers their buttons

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 07:20:00

`pending_uploads`: a file a user sent, until they pick its account (Telegram's file id, the file's name, the user,
when). It lived in one process's memory before (PTB's user_data), so a button pressed on another replica answered
"stale button", and nothing from there is carried over: an upload waiting during the upgrade is sent again. A new
table: the way down drops it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "pending_uploads",
        sa.Column("token", sa.String(length=16), nullable=False),
        sa.Column("telegram_user_id", sa.BigInteger(), nullable=False),
        sa.Column("file_id", sa.Text(), nullable=False),
        sa.Column("file_name", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("token", name=op.f("pk_pending_uploads")),
    )
    op.create_index(op.f("ix_pending_uploads_telegram_user_id"), "pending_uploads", ["telegram_user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_pending_uploads_telegram_user_id"), table_name="pending_uploads")
    op.drop_table("pending_uploads")
