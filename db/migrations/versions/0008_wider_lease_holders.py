"""wider lease holder ids

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 23:30:00

A holder id names its process by the machine's boot id, its PID namespace, pid and start time, and the full host
name (bot/process_identity.py): two containers with one hostname, each running the bot as PID 1, are then told
apart. 64 characters held only a host name cut to 30 characters and a pid.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

HOLDER_TABLES = ("sync_leases", "instance_leases", "open_progress_messages")
WIDE = 400
NARROW = 64


def upgrade() -> None:
    for table in HOLDER_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("holder", type_=sa.String(length=WIDE), existing_type=sa.String(length=NARROW))


def downgrade() -> None:
    for table in HOLDER_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("holder", type_=sa.String(length=NARROW), existing_type=sa.String(length=WIDE))
