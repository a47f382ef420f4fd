"""automatic sync per account, the last notice told about each, and who muted notices

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 05:50:00

`auto_syncs`: the accounts synced by themselves (how often, when next); no row means off. `account_notices`: the
problem an account's last notice of each kind told (a sync's diagnosis code, a key's expiry date), so one problem is
told once. `notice_mutes`: the users who muted those notices in /settings. New tables: the way down drops them.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import UTCDateTime

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "auto_syncs",
        sa.Column("integration_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("every_hours", sa.Integer(), nullable=False),
        sa.Column("next_due_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_auto_syncs_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("integration_id", name=op.f("pk_auto_syncs")),
    )
    op.create_index(op.f("ix_auto_syncs_next_due_at"), "auto_syncs", ["next_due_at"])
    op.create_table(
        "account_notices",
        sa.Column("integration_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("problem", sa.String(length=64), nullable=False),
        sa.Column("notified_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_account_notices_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("integration_id", "kind", name=op.f("pk_account_notices")),
    )
    op.create_table(
        "notice_mutes",
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("muted_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_notice_mutes_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notice_mutes")),
    )


def downgrade() -> None:
    op.drop_table("notice_mutes")
    op.drop_table("account_notices")
    op.drop_index(op.f("ix_auto_syncs_next_due_at"), table_name="auto_syncs")
    op.drop_table("auto_syncs")
