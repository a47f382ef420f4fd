"""updates received through the webhook

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 05:00:00

`webhook_updates`: the update_ids the webhook replicas of a bot have taken, so an update Telegram sends again (a
retry after a timeout, or after a replica died before answering) is processed once, whichever replica it reaches.
Telegram keeps an update at most 24 hours, so a row is deleted a day and a margin after it was received
(bot/webhook_updates.py). A new table: the way down drops it.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "webhook_updates",
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("update_id", sa.BigInteger(), nullable=False),
        sa.Column("received_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("bot_id", "update_id", name=op.f("pk_webhook_updates")),
    )
    op.create_index(op.f("ix_webhook_updates_received_at"), "webhook_updates", ["received_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_webhook_updates_received_at"), table_name="webhook_updates")
    op.drop_table("webhook_updates")
