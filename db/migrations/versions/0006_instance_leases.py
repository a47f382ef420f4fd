"""instance leases and open progress messages

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 22:15:00

`instance_leases`: one row per running bot (keyed by the bot's id from its token) or master-key rotation, with a
heartbeat: a second `tallybot run` on the same token and database, or a rotation while a bot runs, is refused.
`open_progress_messages`: the progress messages a bot instance has open, so its successor can close them after a
crash ("interrupted — run /sync to continue").
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "instance_leases",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_instance_leases")),
    )
    op.create_table(
        "open_progress_messages",
        sa.Column("bot_id", sa.BigInteger(), nullable=False),
        sa.Column("chat_id", sa.BigInteger(), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("holder", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("opened_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("bot_id", "chat_id", "message_id", name=op.f("pk_open_progress_messages")),
    )


def downgrade() -> None:
    op.drop_table("open_progress_messages")
    op.drop_table("instance_leases")
