"""Telegram's sending limits shared by every process of a deployment (bot/telegram_budget.py)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 07:50:00

`telegram_budget`: one row per limit (`*` for the bot's ~30 messages a second, the chat's id for a chat's one
a second or a group's 20 a minute) holding the limit's theoretical arrival time (GCRA) in seconds of the database's
clock. Webhook replicas and sync workers reserve their next send here, so together they stay within one bot's
budget. Chat rows are deleted a minute after their last send. Nothing to carry over: the way down drops it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "telegram_budget",
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("next_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_telegram_budget")),
    )


def downgrade() -> None:
    op.drop_table("telegram_budget")
