"""reconciliations: balances the history explains

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 01:10:00

After every sync Tallybot reads the exchange's current balances and compares them, asset by asset, with the
balances its stored history (API and file records) explains. `reconciliations` holds the latest outcome per
account; `reconciled_balances` one row per asset with both amounts and the likeliest cause of a difference, as
codes (never English), for /status, the end of /sync and the export.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from db.types import ExactDecimal, UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "reconciliations",
        sa.Column("integration_id", BigId, nullable=False),
        sa.Column("checked_at", UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("error_code", sa.String(length=64), nullable=True),
        sa.Column("wallets", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_reconciliations_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("integration_id", name=op.f("pk_reconciliations")),
    )
    op.create_table(
        "reconciled_balances",
        sa.Column("id", BigId, nullable=False),
        sa.Column("integration_id", BigId, nullable=False),
        sa.Column("asset", sa.String(length=32), nullable=False),
        sa.Column("reported", ExactDecimal(), nullable=False),
        sa.Column("explained", ExactDecimal(), nullable=False),
        sa.Column("cause", sa.String(length=64), nullable=True),
        sa.Column("cause_args", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(
            ["integration_id"],
            ["integrations.id"],
            name=op.f("fk_reconciled_balances_integration_id_integrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reconciled_balances")),
        sa.UniqueConstraint("integration_id", "asset", name="uq_reconciled_balances_asset"),
        sqlite_autoincrement=True,
    )


def downgrade() -> None:
    op.drop_table("reconciled_balances")
    op.drop_table("reconciliations")
