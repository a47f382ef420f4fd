"""a press importing an upload holds a lease on its row instead of taking the row out

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 10:40:00

`pending_uploads.claimed_by` and `claimed_until`: the press that imports an upload marks its row (a random id, and
when the claim lapses) instead of deleting it, and the import's own commit deletes it. Before, a process killed
between the claim and the import's commit took the row with it, and the file's buttons answered "stale" for good;
now the row outlives the process and its buttons work again once the claim lapses. Rows waiting at the upgrade are
unclaimed (NULL), as they were.

The way down drops both columns. It runs with the bot stopped, so no claim has a live holder: each row stays, as an
upload waiting for its account, which is what the older code makes of it. `pending_uploads` has no rows below it,
so on SQLite the batch rebuild deletes nothing by cascade.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("pending_uploads") as table:
        table.add_column(sa.Column("claimed_by", sa.String(length=16), nullable=True))
        table.add_column(sa.Column("claimed_until", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("pending_uploads") as table:
        table.drop_column("claimed_until")
        table.drop_column("claimed_by")
